/**
 * What APNs and FCM receive, through SNS, and what it may hold: APNs refuses a payload over 4 KB and FCM a message
 * over 4 KB, and SNS then fails the publish for good. A rendered push over the budget is fitted by shortening its body
 * (then its title) on a character boundary, as a person sees characters (an emoji with its modifiers is one), ending
 * in an ellipsis: a push alert is a preview, and the app opens the whole. Pure.
 */
import { PUSH_PLATFORMS, type PushPlatform } from './device-registration.js';

export interface PushMessage {
  readonly title: string;
  readonly body: string;
  /** Ids the app can act on (never personal data). */
  readonly data: Readonly<Record<string, string>>;
}

/** What APNs or FCM receives for the message: the payload their size limit applies to. */
export function platformPayload(platform: PushPlatform, message: PushMessage): string {
  if (platform === 'apns')
    return JSON.stringify({
      aps: { alert: { title: message.title, body: message.body }, sound: 'default' },
      ...message.data,
    });
  return JSON.stringify({
    fcmV1Message: { message: { notification: { title: message.title, body: message.body }, data: message.data } },
  });
}

/**
 * The message in the shape each platform expects, under SNS's per-platform keys (MessageStructure json).
 * APNs gets both keys, production and sandbox: SNS uses the one that matches the platform application.
 */
export function platformMessage(platform: PushPlatform, message: PushMessage): string {
  const payload = platformPayload(platform, message);
  if (platform === 'apns') return JSON.stringify({ default: message.body, APNS: payload, APNS_SANDBOX: payload });
  return JSON.stringify({ default: message.body, GCM: payload });
}

export const MAX_PUSH_PAYLOAD_BYTES = 4_096;
const ELLIPSIS = '…';

/** The largest payload the message makes on any platform, in bytes. */
export function pushPayloadBytes(message: PushMessage): number {
  return Math.max(
    ...PUSH_PLATFORMS.map((platform: PushPlatform) => Buffer.byteLength(platformPayload(platform, message))),
  );
}

/** The message within the budget on every platform, and whether it had to be shortened. */
export function fitPushMessage(message: PushMessage): { readonly message: PushMessage; readonly shortened: boolean } {
  if (pushPayloadBytes(message) <= MAX_PUSH_PAYLOAD_BYTES) return { message, shortened: false };
  const body = shortened(message.body, (text) => ({ ...message, body: text }));
  if (body !== undefined) return { message: { ...message, body }, shortened: true };
  const title = shortened(message.title, (text) => ({ ...message, title: text, body: '' }));
  return { message: { ...message, title: title ?? '', body: '' }, shortened: true };
}

/**
 * The longest start of `text`, cut between characters and ending in an ellipsis, whose message fits; undefined when not
 * even the ellipsis alone fits.
 */
function shortened(text: string, messageWith: (text: string) => PushMessage): string | undefined {
  const ends = characterEnds(text);
  const fits = (count: number) =>
    pushPayloadBytes(messageWith(`${text.slice(0, ends[count - 1] ?? 0)}${ELLIPSIS}`)) <= MAX_PUSH_PAYLOAD_BYTES;
  if (!fits(0)) return undefined;
  // The most characters that fit, found by halving: sizes grow with the count.
  let [low, high] = [0, ends.length];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, ends[low - 1] ?? 0).trimEnd()}${ELLIPSIS}`;
}

/** Where each character (grapheme cluster) of the text ends, as string offsets. */
function characterEnds(text: string): number[] {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return [...segmenter.segment(text)].map(({ index, segment }) => index + segment.length);
}
