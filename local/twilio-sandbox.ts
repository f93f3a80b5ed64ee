/**
 * A Twilio-compatible Messages API on loopback, so the SMS channel can be exercised end to end with the real
 * `twilio` client and no account: the integration tests use it now, the local runtime later.
 *
 * It answers what Twilio's Messages resource documents (create, fetch, list; Basic auth with the account SID
 * and auth token; Twilio's error JSON and codes; the magic test numbers) and can be told to misbehave the way
 * a provider does under load (throttling, 5xx, slowness, a held connection), so the worker's retry and
 * classification rules meet the same answers they will meet in production.
 *
 * It never logs: message bodies and phone numbers are personal data, and the records below are in memory only.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../lambdas/channels/sms/twilio-signature.js';
import { shuffled } from './shuffled.js';

/** Readable on purpose ("5a4db0c5" reads "sandbox"): a test failure that prints it is obviously no real account. */
export const SANDBOX_ACCOUNT_SID = 'AC5a4db0c5000000000000000000000000';
export const SANDBOX_AUTH_TOKEN = 'sandbox-auth-token-0000000000000';
/** A number the local server takes but never reaches (not one of Twilio's magic numbers): undelivered, 30003. */
export const UNREACHABLE_NUMBER = '+15005550030';

const API_VERSION = '2010-04-01';
/** How long Twilio waits for a webhook's answer before it gives up on it (its default read timeout, 15 s). */
const TWILIO_WEBHOOK_TIMEOUT_MS = 15_000;
const MAX_FORM_BYTES = 1024 * 1024;
const MAX_BODY_CHARACTERS = 1600;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** How the create endpoint misbehaves for one request. */
export type TwilioFault =
  | { readonly kind: 'throttle'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'server_error' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'invalid_number' }
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds?: number };

/** Twilio's Message resource, as its API answers it (snake_case, strings where Twilio sends strings). */
export interface TwilioMessageResource {
  readonly account_sid: string;
  readonly api_version: string;
  readonly body: string | null;
  readonly date_created: string;
  readonly date_sent: string | null;
  readonly date_updated: string;
  readonly direction: 'outbound-api';
  readonly error_code: number | null;
  readonly error_message: string | null;
  readonly from: string | null;
  readonly messaging_service_sid: string | null;
  readonly num_media: string;
  readonly num_segments: string;
  readonly price: string | null;
  readonly price_unit: string;
  readonly sid: string;
  /** Where the message is: it moves on to sent, then delivered (or undelivered), as Twilio's does. */
  readonly status: 'queued' | 'accepted' | 'sent' | 'delivered' | 'undelivered';
  readonly subresource_uris: { readonly media: string; readonly feedback: string };
  readonly to: string;
  readonly uri: string;
}

/** Twilio's error body, the same for every refusal. */
export interface TwilioErrorBody {
  readonly code: number;
  readonly message: string;
  readonly more_info: string;
  readonly status: number;
}

/** A message the sandbox accepted. */
export interface SandboxMessage {
  readonly sid: string;
  /** Each form field as sent; a field sent more than once (MediaUrl) keeps its first value here. */
  readonly fields: Readonly<Record<string, string>>;
  /** Every form field in the order sent, repeated ones included. */
  readonly formEntries: readonly (readonly [string, string])[];
  /** The Basic-auth username the caller used (the account SID, or an API key SID in real Twilio). */
  readonly authorization: string;
  readonly receivedAt: Date;
  /** What the create call answered. */
  readonly resource: TwilioMessageResource;
}

/** A text a person sent to the platform's number (textThePlatform), and what the platform's webhook answered. */
export interface SandboxInboundText {
  readonly sid: string;
  readonly from: string;
  readonly body: string;
  /** Twilio's reading of a keyword (Advanced Opt-Out): STOP, START or HELP. */
  readonly optOutType: 'STOP' | 'START' | 'HELP' | null;
  readonly receivedAt: Date;
  readonly answer: { readonly status: number; readonly contentType: string | null; readonly body: string } | null;
}

/** What the account did to its copy of a message: its body redacted (an update with Body=""), or deleted. */
export interface SandboxCopyChange {
  readonly sid: string;
  readonly change: 'redacted' | 'deleted';
  readonly at: Date;
}

export interface SandboxStatusCallback {
  readonly sid: string;
  readonly status: string;
  readonly answered: number | null;
  /** From the POST to its answer: how long the platform took to take in what Twilio said. */
  readonly ms: number;
}

/** A call to the create endpoint, answered or refused. */
export interface SandboxRequest {
  readonly fields: Readonly<Record<string, string>>;
  readonly formEntries: readonly (readonly [string, string])[];
  /** The Basic-auth username, when the request carried one. */
  readonly authorization: string | undefined;
  readonly statusCode: number;
  /** Twilio's error code when refused, null when a message was created. */
  readonly errorCode: number | null;
  /** The injected fault this request consumed, if any. */
  readonly fault: TwilioFault | null;
  readonly receivedAt: Date;
}

export interface TwilioSandbox {
  /** Where to point the twilio client's API domain, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly accountSid: string;
  /** The account's primary auth token: what API calls must use, and what webhooks are signed with. */
  readonly authToken: string;
  /**
   * Twilio's rotation: the secondary token is promoted to primary. From now on API calls with the old token are
   * refused (20003) and webhooks are signed with the new one.
   */
  promoteAuthToken(token: string): void;
  /** Messages redacted or deleted through the API, in order (an erasure). Cleared in place by reset(). */
  readonly copyChanges: readonly SandboxCopyChange[];
  /**
   * While true, messages stop at `sent`: not final, so Twilio would refuse to delete them (20009). false lets them go
   * on to delivered.
   */
  keepMessagesInFlight(keep: boolean): void;
  /** Accepted messages in the order accepted. Cleared in place by reset(). */
  readonly messages: readonly SandboxMessage[];
  /** Every create request in the order answered, refused ones included. Cleared in place by reset(). */
  readonly requests: readonly SandboxRequest[];
  /** The status callbacks made, in order, with the status the webhook answered (null: not reached). Cleared by reset(). */
  readonly statusCallbacks: readonly SandboxStatusCallback[];
  /** From now on (until reset), each text's status callbacks come twice and in a random order. */
  disorderCallbacks(disordered: boolean): void;
  /** Texts people sent to the platform's number, in order. Cleared in place by reset(). */
  readonly inboundTexts: readonly SandboxInboundText[];
  /** Create requests held by stall() and not answered yet. */
  readonly heldRequestCount: number;
  /**
   * A person texts the platform's number, as Twilio delivers it: Twilio's own opt-out first (after STOP, texts to
   * that number are refused with 21610 until START), then a signed form POST to the number's incoming-message
   * webhook, `webhookUrl`. Answers what the webhook answered (TwiML), or null when it could not be reached.
   */
  textThePlatform(
    text: { readonly from: string; readonly body: string },
    webhookUrl: string,
  ): Promise<SandboxInboundText>;
  /** The next `count` create requests (after the ones already queued) meet `fault`, one each. */
  failNext(count: number, fault: TwilioFault): void;
  /**
   * From now on, each create request that no queued fault is waiting for meets one of `faults` (picked at
   * random) with probability `rate`; null stops it. For the fault drill: a provider failing 30% of the time.
   */
  failRandomly(plan: RandomFaults | null): void;
  /** Holds every create request, unanswered, until unstall(). */
  stall(): void;
  /** Answers the held requests normally and stops holding new ones. */
  unstall(): void;
  /** Forgets the records and the queued faults, and releases a stall. */
  reset(): void;
  /** Closes the server at once: held and slow requests are dropped, not answered. */
  stop(): Promise<void>;
}

export interface RandomFaults {
  readonly rate: number;
  readonly faults: readonly TwilioFault[];
  readonly random?: () => number;
}

export interface TwilioSandboxOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly accountSid?: string;
  readonly authToken?: string;
  /** Behave as a Messaging Service with Advanced Opt-Out: inbound keywords carry OptOutType. */
  readonly advancedOptOut?: boolean;
}

export async function startTwilioSandbox(options: TwilioSandboxOptions = {}): Promise<TwilioSandbox> {
  const sandbox = new Sandbox(
    options.accountSid ?? SANDBOX_ACCOUNT_SID,
    options.authToken ?? SANDBOX_AUTH_TOKEN,
    options.advancedOptOut ?? false,
  );
  await sandbox.listen(options.port ?? 0);
  return sandbox;
}

/** Twilio answers these numbers the same way whatever the account, which is what makes them useful in tests. */
const MAGIC_RECIPIENTS: Readonly<Record<string, { code: number; message: string }>> = {
  '+15005550001': { code: 21211, message: "The 'To' number +15005550001 is not a valid phone number." },
  '+15005550002': { code: 21612, message: "The 'To' phone number: +15005550002, is not currently reachable." },
  '+15005550003': {
    code: 21408,
    message:
      "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550003.",
  },
  '+15005550004': { code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { code: 21614, message: "'To' number is not a valid mobile number" },
};

/** Twilio's default opt-out keywords (https://help.twilio.com/articles/223134027): the whole text, any case. */
const OPT_OUT_KEYWORDS: Readonly<Record<string, 'STOP' | 'START' | 'HELP'>> = Object.fromEntries([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'].map((word) => [word, 'STOP' as const]),
  ...['START', 'YES', 'UNSTOP'].map((word) => [word, 'START' as const]),
  ...['HELP', 'INFO'].map((word) => [word, 'HELP' as const]),
]);

/** The statuses after which a message changes no more, and may be deleted. */
const FINAL_STATUSES = new Set(['delivered', 'undelivered', 'failed']);

/** The platform's number in the sandbox: Twilio's test number that accepts any message. */
export const SANDBOX_PLATFORM_NUMBER = '+15005550006';

const E164 = /^\+[1-9]\d{1,14}$/;
const SHORT_CODE = /^\d{3,8}$/;
const ALPHANUMERIC_SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;

type Route =
  | { readonly resource: 'messages'; readonly accountSid: string }
  | { readonly resource: 'message'; readonly accountSid: string; readonly messageSid: string };

type Release = 'released' | 'stopped';

class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): TwilioErrorBody {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

class Sandbox implements TwilioSandbox {
  readonly messages: SandboxMessage[] = [];
  readonly copyChanges: SandboxCopyChange[] = [];
  readonly requests: SandboxRequest[] = [];
  readonly inboundTexts: SandboxInboundText[] = [];
  readonly statusCallbacks: SandboxStatusCallback[] = [];
  private disordered = false;
  private inFlight: { readonly promise: Promise<void>; readonly release: () => void } | null = null;
  /** The numbers that texted STOP, which Twilio refuses to text (21610) until they text START. */
  private readonly optedOut = new Set<string>();
  url = '';

  private readonly server = createServer((request, response) => void this.route(request, response));
  private readonly faults: TwilioFault[] = [];
  private randomFaults: RandomFaults | null = null;
  private stallGate: { readonly promise: Promise<Release>; readonly release: (outcome: Release) => void } | null = null;
  private heldCount = 0;
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; release: (outcome: Release) => void }>();
  private stopped = false;

  constructor(
    readonly accountSid: string,
    private primaryToken: string,
    private readonly advancedOptOut: boolean,
  ) {
    if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) {
      throw new RangeError('accountSid must be "AC" followed by 32 hex digits, as the twilio client requires');
    }
    if (primaryToken.length === 0) throw new RangeError('authToken must not be empty');
  }

  get authToken(): string {
    return this.primaryToken;
  }

  promoteAuthToken(token: string): void {
    if (token.length === 0) throw new RangeError('authToken must not be empty');
    this.primaryToken = token;
  }

  get heldRequestCount(): number {
    return this.heldCount;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const { port: boundPort } = this.server.address() as AddressInfo;
        this.url = `http://127.0.0.1:${boundPort}`;
        resolve();
      });
    });
  }

  failNext(count: number, fault: TwilioFault): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`failNext count must be a positive integer`);
    this.checkFault(fault);
    for (let index = 0; index < count; index++) this.faults.push(fault);
  }

  private checkFault(fault: TwilioFault): void {
    if (fault.kind === 'slow' && !(Number.isFinite(fault.delayMs) && fault.delayMs >= 0)) {
      throw new RangeError('a slow fault needs a delayMs of 0 or more');
    }
    if ((fault.kind === 'throttle' || fault.kind === 'unavailable') && fault.retryAfterSeconds !== undefined) {
      if (!Number.isInteger(fault.retryAfterSeconds) || fault.retryAfterSeconds < 0) {
        throw new RangeError('retryAfterSeconds must be a whole number of seconds, 0 or more');
      }
    }
  }

  failRandomly(plan: RandomFaults | null): void {
    if (plan && !(plan.rate >= 0 && plan.rate <= 1 && plan.faults.length > 0)) {
      throw new RangeError('random faults need a rate between 0 and 1 and at least one fault');
    }
    for (const fault of plan?.faults ?? []) this.checkFault(fault);
    this.randomFaults = plan;
  }

  private randomFault(): TwilioFault | null {
    const plan = this.randomFaults;
    if (!plan) return null;
    const random = plan.random ?? Math.random;
    if (random() >= plan.rate) return null;
    return plan.faults[Math.floor(random() * plan.faults.length)] ?? null;
  }

  stall(): void {
    if (this.stallGate) return;
    let release: (outcome: Release) => void = () => undefined;
    const promise = new Promise<Release>((resolve) => {
      release = resolve;
    });
    this.stallGate = { promise, release };
  }

  unstall(): void {
    const gate = this.stallGate;
    this.stallGate = null;
    gate?.release('released');
  }

  disorderCallbacks(disordered: boolean): void {
    this.disordered = disordered;
  }

  async textThePlatform(
    text: { readonly from: string; readonly body: string },
    webhookUrl: string,
  ): Promise<SandboxInboundText> {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const optOutType = OPT_OUT_KEYWORDS[text.body.trim().toUpperCase()] ?? null;
    if (optOutType === 'STOP') this.optedOut.add(text.from);
    if (optOutType === 'START') this.optedOut.delete(text.from);
    const parameters: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: API_VERSION,
      Body: text.body,
      From: text.from,
      MessageSid: sid,
      NumMedia: '0',
      NumSegments: String(segmentCount(text.body)),
      SmsMessageSid: sid,
      SmsSid: sid,
      SmsStatus: 'received',
      To: SANDBOX_PLATFORM_NUMBER,
      // Only a Messaging Service with Advanced Opt-Out says OptOutType, and then Twilio answers HELP itself: the sandbox
      // is a service without it, as `npm start`'s is, so the platform's own help text is the answer.
      ...(optOutType && this.advancedOptOut ? { OptOutType: optOutType } : {}),
    };
    const answer = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': twilioSignature(this.authToken, webhookUrl, parameters),
      },
      body: new URLSearchParams(parameters).toString(),
      signal: AbortSignal.timeout(TWILIO_WEBHOOK_TIMEOUT_MS),
    })
      .then(async (response) => ({
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: await response.text(),
      }))
      .catch(() => null);
    const received = { sid, from: text.from, body: text.body, optOutType, receivedAt: new Date(), answer };
    this.inboundTexts.push(received);
    return received;
  }

  reset(): void {
    this.messages.length = 0;
    this.copyChanges.length = 0;
    this.requests.length = 0;
    this.inboundTexts.length = 0;
    this.statusCallbacks.length = 0;
    this.disordered = false;
    this.optedOut.clear();
    this.keepMessagesInFlight(false);
    this.faults.length = 0;
    this.randomFaults = null;
    this.unstall();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.keepMessagesInFlight(false);
    // Held and delayed handlers must end without answering, or they would write to sockets closed below.
    const gate = this.stallGate;
    this.stallGate = null;
    gate?.release('stopped');
    for (const pending of this.pendingDelays) {
      clearTimeout(pending.timer);
      pending.release('stopped');
    }
    this.pendingDelays.clear();
    const closed = new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
    // close() alone waits for every keep-alive and held connection; a benchmark's stalled sockets would hang it.
    this.server.closeAllConnections();
    await closed;
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'http://sandbox');
      const route = matchRoute(url.pathname);
      if (!route) throw notFound(url.pathname);
      const method = request.method ?? 'GET';
      if (route.resource === 'messages' && method === 'POST') return await this.create(request, response, route);
      // Twilio authenticates before it looks at the method, so a wrong token reads the same on every route.
      this.authenticate(request, route.accountSid);
      const allowed = route.resource === 'messages' ? ['GET'] : ['GET', 'POST', 'DELETE'];
      if (!allowed.includes(method)) throw new TwilioError(405, 20004, 'Method not allowed');
      if (route.resource === 'messages') return this.answer(response, 200, this.list(route.accountSid, url));
      if (method === 'POST') return await this.update(request, response, route, url.pathname);
      if (method === 'DELETE') return this.remove(response, route, url.pathname);
      return this.answer(response, 200, this.fetchMessage(route.accountSid, route.messageSid, url.pathname));
    } catch (error) {
      this.answerError(response, error);
    }
  }

  private async create(
    request: IncomingMessage,
    response: ServerResponse,
    route: { readonly accountSid: string },
  ): Promise<void> {
    const receivedAt = new Date();
    let formEntries: [string, string][];
    try {
      formEntries = await readForm(request);
    } catch (error) {
      if (error instanceof TwilioError) {
        const authorization = basicCredentials(request)?.username;
        this.requests.push({
          fields: {},
          formEntries: [],
          authorization,
          statusCode: error.status,
          errorCode: error.code,
          fault: null,
          receivedAt,
        });
      }
      throw error;
    }
    const firstValues = new Map<string, string>();
    for (const [name, value] of formEntries) if (!firstValues.has(name)) firstValues.set(name, value);
    // fromEntries defines own properties, so a field named "__proto__" is recorded rather than swallowed.
    const fields: Readonly<Record<string, string>> = Object.fromEntries(firstValues);
    const authorization = basicCredentials(request)?.username;
    let fault: TwilioFault | null = null;
    const record = (statusCode: number, errorCode: number | null) =>
      this.requests.push({ fields, formEntries, authorization, statusCode, errorCode, fault, receivedAt });

    if (this.stallGate) {
      this.heldCount++;
      const outcome = await this.stallGate.promise.finally(() => this.heldCount--);
      if (outcome === 'stopped') return;
    }

    try {
      const caller = this.authenticate(request, route.accountSid);
      fault = this.faults.shift() ?? this.randomFault();
      if (fault?.kind === 'slow' && (await this.delay(fault.delayMs)) === 'stopped') return;
      if (fault) throwFault(fault, fields);
      const resource = this.accept(route.accountSid, fields, formEntries, caller, receivedAt);
      record(201, null);
      this.answer(response, 201, resource);
    } catch (error) {
      const refusal = error instanceof TwilioError ? error : internalError();
      record(refusal.status, refusal.code);
      this.answerError(response, refusal);
    }
  }

  private accept(
    accountSid: string,
    fields: Readonly<Record<string, string>>,
    formEntries: readonly (readonly [string, string])[],
    authorization: string,
    receivedAt: Date,
  ): TwilioMessageResource {
    const to = fields.To;
    if (!to) throw new TwilioError(400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to)) throw invalidRecipient(to);
    const magic = MAGIC_RECIPIENTS[to];
    if (magic) throw new TwilioError(400, magic.code, magic.message);
    if (this.optedOut.has(to)) throw new TwilioError(400, 21610, 'Attempt to send to unsubscribed recipient');

    const mediaUrls = formEntries.filter(([name]) => name === 'MediaUrl').map(([, value]) => value);
    const body = fields.Body ?? '';
    if (body === '' && mediaUrls.length === 0 && !fields.ContentSid) {
      throw new TwilioError(400, 21602, 'Message body is required.');
    }
    if ([...body].length > MAX_BODY_CHARACTERS) {
      throw new TwilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }

    const from = fields.From || null;
    const messagingServiceSid = fields.MessagingServiceSid || null;
    if (!from && !messagingServiceSid) throw new TwilioError(400, 21603, "A 'From' phone number is required.");
    if (from && !(E164.test(from) || SHORT_CODE.test(from) || ALPHANUMERIC_SENDER_ID.test(from))) {
      throw new TwilioError(
        400,
        21212,
        `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    }
    if (messagingServiceSid && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
      throw new TwilioError(400, 21701, `The Messaging Service Sid ${messagingServiceSid} is invalid.`);
    }

    const sid = `SM${randomBytes(16).toString('hex')}`;
    const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`;
    const date = rfc2822(receivedAt);
    const resource: TwilioMessageResource = {
      account_sid: accountSid,
      api_version: API_VERSION,
      body: body === '' ? null : body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from,
      messaging_service_sid: messagingServiceSid,
      num_media: String(mediaUrls.length),
      // Twilio documents both: a message sent through a Messaging Service starts "accepted" and has 0 segments
      // until the service has picked a sender.
      num_segments: from ? String(segmentCount(body)) : '0',
      price: null,
      price_unit: 'USD',
      sid,
      status: messagingServiceSid ? 'accepted' : 'queued',
      subresource_uris: {
        media: `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}/Media.json`,
        feedback: `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}/Feedback.json`,
      },
      to,
      uri,
    };
    this.messages.push({ sid, fields, formEntries, authorization, receivedAt, resource });
    void this.advance(resource);
    const statusCallback = fields.StatusCallback;
    if (statusCallback) void this.reportStatus(resource, statusCallback);
    return resource;
  }

  /** The message moves on as Twilio's does: sent, then delivered (or undelivered) a moment later. */
  private async advance(resource: TwilioMessageResource): Promise<void> {
    const moving = resource as { status: TwilioMessageResource['status'] };
    await new Promise((resolve) => setTimeout(resolve, 100));
    moving.status = 'sent';
    await new Promise((resolve) => setTimeout(resolve, 100));
    await this.inFlight?.promise;
    moving.status = resource.to === UNREACHABLE_NUMBER ? 'undelivered' : 'delivered';
  }

  keepMessagesInFlight(keep: boolean): void {
    if (keep && !this.inFlight) {
      let release: () => void = () => undefined;
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      this.inFlight = { promise, release };
    }
    if (!keep && this.inFlight) {
      this.inFlight.release();
      this.inFlight = null;
    }
  }

  /**
   * Twilio's status callbacks, as Twilio makes them: a signed form POST to the message's StatusCallback at each
   * change: queued (through a Messaging Service), sent, then delivered; undelivered with 30003 (an unreachable
   * handset) for UNREACHABLE_NUMBER. A callback that cannot be made is dropped, as Twilio drops it.
   */
  private async reportStatus(resource: TwilioMessageResource, url: string): Promise<void> {
    const final =
      resource.to === UNREACHABLE_NUMBER ? { status: 'undelivered', errorCode: '30003' } : { status: 'delivered' };
    // A message sent through a Messaging Service starts `accepted`, and is reported `queued` once it has a sender;
    // Twilio makes no callback for a message's first status.
    const inOrder: { status: string; errorCode?: string }[] = [
      ...(resource.messaging_service_sid ? [{ status: 'queued' }] : []),
      { status: 'sent' },
      final,
    ];
    // Twilio says callbacks may come late, twice and out of order: the drill makes them so.
    const callbacks = this.disordered ? shuffled([...inOrder, ...inOrder]) : inOrder;
    for (const { status, errorCode } of callbacks) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const parameters: Record<string, string> = {
        AccountSid: resource.account_sid,
        ApiVersion: API_VERSION,
        From: resource.from ?? '',
        MessageSid: resource.sid,
        MessageStatus: status,
        SmsSid: resource.sid,
        SmsStatus: status,
        To: resource.to,
        ...(resource.messaging_service_sid ? { MessagingServiceSid: resource.messaging_service_sid } : {}),
        ...(errorCode ? { ErrorCode: errorCode } : {}),
      };
      const posted = performance.now();
      const answered = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': twilioSignature(this.authToken, url, parameters),
        },
        body: new URLSearchParams(parameters).toString(),
        signal: AbortSignal.timeout(TWILIO_WEBHOOK_TIMEOUT_MS),
      })
        .then((response) => response.status)
        .catch(() => null);
      this.statusCallbacks.push({ sid: resource.sid, status, answered, ms: performance.now() - posted });
    }
  }

  /** Twilio's update of a message: Body set to "" redacts its text, and nothing else is taken here. */
  private async update(
    request: IncomingMessage,
    response: ServerResponse,
    route: { readonly accountSid: string; readonly messageSid: string },
    path: string,
  ): Promise<void> {
    const fields = Object.fromEntries(await readForm(request));
    const message = this.fetchMessage(route.accountSid, route.messageSid, path) as { body: string | null };
    if (fields.Body !== '')
      throw new TwilioError(400, 30400, 'Message body redaction request does not have empty Body parameter.');
    message.body = '';
    this.copyChanges.push({ sid: route.messageSid, change: 'redacted', at: new Date() });
    this.answer(response, 200, message);
  }

  /** Twilio's deletion of a message: only once it is final (20009 before), and then it is gone for good. */
  private remove(
    response: ServerResponse,
    route: { readonly accountSid: string; readonly messageSid: string },
    path: string,
  ): void {
    const message = this.fetchMessage(route.accountSid, route.messageSid, path);
    if (!FINAL_STATUSES.has(message.status))
      throw new TwilioError(409, 20009, 'Cannot delete this resource before it is complete');
    this.messages.splice(
      this.messages.findIndex(({ sid }) => sid === route.messageSid),
      1,
    );
    this.copyChanges.push({ sid: route.messageSid, change: 'deleted', at: new Date() });
    if (!response.headersSent && !response.destroyed) response.writeHead(204).end();
  }

  private fetchMessage(accountSid: string, messageSid: string, path: string): TwilioMessageResource {
    const message = this.messages.find(
      ({ sid, resource }) => sid === messageSid && resource.account_sid === accountSid,
    );
    if (!message) throw notFound(path);
    return message.resource;
  }

  private list(accountSid: string, url: URL): object {
    const pageSize = boundedInteger(url.searchParams.get('PageSize'), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const page = boundedInteger(url.searchParams.get('Page'), 0, 0, Number.MAX_SAFE_INTEGER);
    const to = url.searchParams.get('To');
    const from = url.searchParams.get('From');
    const matching = this.messages
      .filter(({ resource }) => resource.account_sid === accountSid)
      .filter(({ resource }) => (to === null || resource.to === to) && (from === null || resource.from === from))
      .reverse();
    const start = page * pageSize;
    const onPage = matching.slice(start, start + pageSize);
    const pageUri = (number: number) => {
      const query = new URLSearchParams(url.searchParams);
      query.set('PageSize', String(pageSize));
      query.set('Page', String(number));
      return `/${API_VERSION}/Accounts/${accountSid}/Messages.json?${query}`;
    };
    return {
      end: start + Math.max(onPage.length - 1, 0),
      first_page_uri: pageUri(0),
      messages: onPage.map(({ resource }) => resource),
      next_page_uri: start + pageSize < matching.length ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start,
      uri: pageUri(page),
    };
  }

  /** The caller's username when the credentials are this account's; Twilio's 20003 otherwise. */
  private authenticate(request: IncomingMessage, pathAccountSid: string): string {
    const credentials = basicCredentials(request);
    const authenticated =
      credentials !== undefined &&
      sameSecret(credentials.username, this.accountSid) &&
      sameSecret(credentials.password, this.authToken) &&
      pathAccountSid === credentials.username;
    if (!authenticated) {
      throw new TwilioError(401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    return credentials.username;
  }

  private delay(ms: number): Promise<Release> {
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(pending);
          resolve('released');
        }, ms),
        release: resolve,
      };
      this.pendingDelays.add(pending);
    });
  }

  private answer(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
    // The caller may have given up (a client timeout) or the sandbox stopped; there is nobody to answer then.
    if (response.headersSent || response.destroyed) return;
    const json = JSON.stringify(body);
    response.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      'Twilio-Request-Id': `RQ${randomBytes(16).toString('hex')}`,
      ...headers,
    });
    response.end(json);
  }

  private answerError(response: ServerResponse, error: unknown): void {
    const refusal = error instanceof TwilioError ? error : internalError();
    this.answer(response, refusal.status, refusal.body(), { ...refusal.headers });
  }
}

function matchRoute(path: string): Route | undefined {
  const messages = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
  if (messages?.[1]) return { resource: 'messages', accountSid: decodeURIComponent(messages[1]) };
  const message = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(path);
  if (message?.[1] && message[2]) {
    return {
      resource: 'message',
      accountSid: decodeURIComponent(message[1]),
      messageSid: decodeURIComponent(message[2]),
    };
  }
  return undefined;
}

function throwFault(fault: TwilioFault, fields: Readonly<Record<string, string>>): void {
  switch (fault.kind) {
    case 'throttle':
      throw new TwilioError(429, 20429, 'Too Many Requests', {
        'Retry-After': String(fault.retryAfterSeconds ?? 1),
      });
    case 'server_error':
      throw internalError();
    case 'unavailable':
      throw new TwilioError(
        503,
        20503,
        'Service Unavailable',
        fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) },
      );
    case 'invalid_number':
      throw invalidRecipient(fields.To ?? '');
    case 'slow':
      return;
  }
}

function invalidRecipient(to: string): TwilioError {
  return new TwilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
}

function internalError(): TwilioError {
  return new TwilioError(500, 20500, 'Internal Server Error');
}

function notFound(path: string): TwilioError {
  return new TwilioError(404, 20404, `The requested resource ${path} was not found`);
}

async function readForm(request: IncomingMessage): Promise<[string, string][]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    // The rest of the body is never read, so the connection cannot carry another request.
    if (size > MAX_FORM_BYTES) throw new TwilioError(413, 20413, 'Request Entity Too Large', { Connection: 'close' });
    chunks.push(chunk as Buffer);
  }
  const contentType = request.headers['content-type'] ?? 'application/x-www-form-urlencoded';
  // Twilio reads form fields only; a JSON body reaches it as a request with no fields.
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return [];
  return [...new URLSearchParams(Buffer.concat(chunks).toString('utf8'))];
}

function basicCredentials(request: IncomingMessage): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Compares in constant time, so the sandbox does not teach a habit the real API would punish. */
function sameSecret(given: string, expected: string): boolean {
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}

function boundedInteger(raw: string | null, fallback: number, min: number, max: number): number {
  const value = raw === null ? Number.NaN : Number(raw);
  return Number.isInteger(value) ? Math.min(Math.max(value, min), max) : fallback;
}

/** Twilio's dates: RFC 2822 in UTC, e.g. "Thu, 30 Jul 2015 20:12:31 +0000". */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/**
 * How many SMS segments a body costs, as carriers count them: GSM-7 when every character has a GSM code
 * (160 septets alone, 153 a segment once split, an extended character taking two that are never split), else
 * UCS-2 (70 code units alone, 67 once split, a surrogate pair never split).
 */
export function segmentCount(body: string): number {
  const characters = [...body];
  if (characters.length === 0) return 1;
  const gsm = characters.every((character) => GSM_BASIC.has(character) || GSM_EXTENDED.has(character));
  const units = characters.map((character) => (gsm ? (GSM_EXTENDED.has(character) ? 2 : 1) : character.length));
  const total = units.reduce((sum, size) => sum + size, 0);
  const single = gsm ? 160 : 70;
  if (total <= single) return 1;
  const perSegment = gsm ? 153 : 67;
  let segments = 1;
  let used = 0;
  for (const size of units) {
    if (used + size > perSegment) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return segments;
}
