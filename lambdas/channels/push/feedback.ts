/**
 * What SNS says of the push applications' endpoints after the send: each platform application's event notifications
 * (EventDeliveryFailure, EventEndpointUpdated, EventEndpointDeleted), read from the push feedback queue. Pure: the
 * events' shape and what each may mean for a device; no AWS call.
 * AWS documents the attributes, not the events' JSON. What is read here is what SNS is seen to publish (EventType,
 * EndpointArn, FailureType), loosely: any other field may come and go.
 * https://docs.aws.amazon.com/sns/latest/dg/application-event-notifications.html
 */
import { eventJson } from '../../shared/delivery/event-json.js';
import * as z from '../../shared/schemas/zod.js';

/**
 * The platform applications' attributes that send these events to a topic (the stack and the local platform set
 * them). EventEndpointCreated is left out: a created endpoint is the devices API's own doing.
 */
export const PUSH_EVENT_ATTRIBUTES = ['EventDeliveryFailure', 'EventEndpointUpdated', 'EventEndpointDeleted'] as const;

export const PUSH_EVENT_TYPES = ['DeliveryFailure', 'EndpointUpdated', 'EndpointDeleted', 'EndpointCreated'] as const;
export type PushEventType = (typeof PUSH_EVENT_TYPES)[number];

/** The failure types SNS is known to report; any other is counted as `other`, so that a metric's dimension stays small. */
const KNOWN_FAILURE_TYPES = new Set([
  'EndpointDisabled',
  'InvalidPlatformToken',
  'DeliveryFailedPerm',
  'NotificationTTLExpired',
]);

/** A message that waited longer than its TTL for a phone that was off: the device is fine. */
const MESSAGE_ONLY_FAILURES = new Set(['NotificationTTLExpired']);

// arn:aws:sns:<region>:<account>:endpoint/<platform>/<application>/<id>: never a token.
const ENDPOINT_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint\/[A-Z_]+\/[^/\s]+\/[^/\s]+$/;

const pushEventSchema = z.looseObject({
  EventType: z.string(),
  EndpointArn: z.optional(z.string()),
  FailureType: z.optional(z.string()),
});

export interface PushFeedback {
  readonly event: PushEventType;
  /** A delivery failure's type as SNS names it (`other` when it is none SNS is known to send); none for the rest. */
  readonly failureType?: string;
  readonly endpointArn: string;
  /**
   * Whether the event may mean that the device is gone, so that SNS is asked about its endpoint (`deviceIsGone`);
   * otherwise it is only counted.
   */
  readonly checkEndpoint: boolean;
}

/** Why a message from the feedback queue changes nothing (counted and logged by this name, never its content). */
export type IgnoredPushFeedback = 'not_json' | 'not_an_sns_event' | 'unknown_event_type' | 'not_an_endpoint';

/** What cannot be read at all: set aside in the feedback DLQ for a person to look at. */
export const UNREADABLE_PUSH_FEEDBACK: readonly IgnoredPushFeedback[] = ['not_json', 'not_an_sns_event'];

/** The event in a feedback queue message: SNS's JSON itself (raw delivery), or inside an SNS envelope. */
export function parsePushFeedback(body: string): PushFeedback | IgnoredPushFeedback {
  const unwrapped = eventJson(body);
  if (unwrapped === undefined) return 'not_json';
  const parsed = pushEventSchema.safeParse(unwrapped);
  if (!parsed.success) return 'not_an_sns_event';
  const { EventType, EndpointArn, FailureType } = parsed.data;
  if (!isPushEventType(EventType)) return 'unknown_event_type';
  if (!EndpointArn || !ENDPOINT_ARN.test(EndpointArn)) return 'not_an_endpoint';
  if (EventType !== 'DeliveryFailure')
    // A created endpoint says nothing of a device gone (and the applications are not set to send it).
    return { event: EventType, endpointArn: EndpointArn, checkEndpoint: EventType !== 'EndpointCreated' };
  const failureType = FailureType && KNOWN_FAILURE_TYPES.has(FailureType) ? FailureType : 'other';
  return {
    event: EventType,
    failureType,
    endpointArn: EndpointArn,
    // A permanent failure of unknown type is checked too: SNS's own state of the endpoint decides.
    checkEndpoint: !MESSAGE_ONLY_FAILURES.has(failureType),
  };
}

/** An SNS endpoint as GetEndpointAttributes finds it now. */
export type EndpointState = 'enabled' | 'disabled' | 'gone';

/**
 * Whether a device must be forgotten, once an event made the platform look: its endpoint's state in SNS now decides,
 * not the event. Events come late, twice and in any order, and a registration of the same token since the event
 * re-enabled its endpoint (the devices API does that): such a device works and stays. A disabled endpoint is one
 * APNs or FCM gave up on (SNS disables it on an invalid or expired token); a deleted one cannot be sent to.
 */
export function deviceIsGone(state: EndpointState): boolean {
  return state !== 'enabled';
}

function isPushEventType(value: string): value is PushEventType {
  return (PUSH_EVENT_TYPES as readonly string[]).includes(value);
}
