/**
 * The API, once: every operation's tag, method, path, function, scope, parameters (path and query), body and answers.
 * The CDK stack builds API Gateway's resources, methods and request models from it, the local gateway routes by it, the
 * handlers parse and authorize by it, and docs/openapi.json is generated from it (lambdas/shared/platform/openapi.ts).
 */
import { deviceRegistrationSchema } from '../../channels/push/device-registration.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import type { Scope } from '../domain/producer.js';
import { STATE_EVENT_TYPES } from '../domain/state-events.js';
import { EVERY_EVENT, MAX_WEBHOOK_URL_LENGTH } from '../domain/webhooks.js';
import { MAX_BODY_BYTES } from '../http/request.js';
import {
  acceptedNotificationSchema,
  batchResultsSchema,
  cancelledByKeySchema,
  cancelledNotificationSchema,
  contactsAnswerSchema,
  deviceRegisteredSchema,
  devicesAnswerSchema,
  notificationAnswerSchema,
  notificationsPageAnswerSchema,
  preferencesAnswerSchema,
  suppressionAnswerSchema,
  templateAnswerSchema,
  templatesPageAnswerSchema,
  topicSubscribedAnswerSchema,
  topicSubscribersPageAnswerSchema,
  webhookAttemptsPageAnswerSchema,
  webhookEndpointAnswerSchema,
  webhookEndpointCreatedAnswerSchema,
  webhookEndpointsAnswerSchema,
  webhookSecretRotatedAnswerSchema,
} from '../schemas/answers.js';
import type { BatchBody } from '../schemas/batch.js';
import { contactsSchema } from '../schemas/contacts.js';
import {
  addressKeySchema,
  cancelKeySchema,
  deviceIdSchema,
  notificationIdSchema,
  notificationTypeSchema,
  topicSchema,
  userIdSchema,
} from '../schemas/identifiers.js';
import { MAX_BATCH_BODY_BYTES, notificationBatch } from '../schemas/notification-batch.js';
import { notificationRequestSchema } from '../schemas/notification-request.js';
import { pageCursorSchema, pageLimitSchema } from '../schemas/paging.js';
import { preferencesSchema } from '../schemas/preferences.js';
import { templateSchema } from '../schemas/template.js';
import * as z from '../schemas/zod.js';
import type { ApiTag } from './openapi-tags.js';

/** The channels that reach an address (an email address, a phone number), which a suppression names. */
const CHANNELS_WITH_ADDRESSES = CHANNELS.filter((channel) => 'contact' in CHANNEL_DEFINITIONS[channel]) as [
  Channel,
  ...Channel[],
];

/** The functions behind the API; each is the folder `lambdas/<name>/` whose handler.ts exports `handler`. */
export const API_FUNCTIONS = [
  'ingest',
  'notification-status',
  'cancellation',
  'preferences',
  'contacts',
  'devices',
  'user-erasure',
  'templates',
  'api-description',
  'suppressions',
  'sms-webhooks',
  'consent',
  'topics',
  'webhooks',
] as const;
export type ApiFunction = (typeof API_FUNCTIONS)[number];

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface Answer {
  readonly description: string;
  /** The body; none for 204. */
  readonly schema?: z.ZodMiniType;
  /** Its media type, when not JSON (TwiML is text/xml). */
  readonly mediaType?: string;
  /**
   * Operations this answer leads to (OpenAPI links): each names the parameters it takes from the answer, as runtime
   * expressions such as `$response.body#/notification_id`.
   */
  readonly links?: Readonly<
    Record<string, { readonly operationId: string; readonly parameters: Record<string, string> }>
  >;
}

export interface Operation {
  /** What it is grouped under (openapi-tags.ts): a viewer's section, a generated client's class. */
  readonly tag: ApiTag;
  readonly method: HttpMethod;
  /** Under the stage /v1, with {parameters}: API Gateway's resource path. */
  readonly path: `/${string}`;
  readonly function: ApiFunction;
  /** The scope a producer needs; null when any producer may call it (the handler may still narrow what it sees). */
  readonly scope: Scope | null;
  /**
   * Who calls it: a producer with its API key (the default); Twilio, with no key and its signature instead (a
   * webhook, which refuses an unsigned or mis-signed request with 403 and changes nothing); or a recipient, with no
   * key and the signed token of their link instead (the unsubscribe link and the preference page).
   */
  readonly caller?: 'producer' | 'twilio' | 'recipient';
  /** A body sent as a form (application/x-www-form-urlencoded) rather than JSON. */
  readonly formBody?: boolean;
  readonly summary: string;
  readonly description?: string;
  /** One schema per {parameter} of the path. */
  readonly pathParameters: z.ZodMiniObject;
  /**
   * The query string's parameters, each a string as it comes (or left out): one schema per parameter. Others are
   * ignored, as API Gateway passes whatever a caller adds.
   */
  readonly queryParameters?: z.ZodMiniObject;
  readonly body?: z.ZodMiniType;
  /**
   * A batch: its body lists items that its implementation checks and carries out one by one, so that a bad item is
   * refused in its own result, not the request. The handler checks the envelope alone (`batch.envelope`) before the
   * implementation runs; `body` is `batch.body`, which shows clients the items too.
   */
  readonly batch?: BatchBody;
  /**
   * The largest body it takes, in bytes: larger is 413, from AWS WAF (which sees only 64 KB of a body: see
   * lib/api-firewall.ts), the local gateway and the handler.
   * @default MAX_BODY_BYTES, 64 KiB
   */
  readonly maxBodyBytes?: number;
  /** Takes an Idempotency-Key header. */
  readonly idempotent?: boolean;
  /** Looks up what its body names (not its path): 404 when there is none. */
  readonly lookup?: boolean;
  /** Can find nothing left to do (a cancel of what went out): 409, as openapi-errors.ts's NothingLeft says. */
  readonly mayFindNothingLeft?: boolean;
  /** The successful answers; the errors are the same for every operation (see openapi.ts). */
  readonly answers: Readonly<Record<number, Answer>>;
}

const noParameters = z.object({});
/** What Twilio posts (it adds parameters without notice, so others are allowed). */
const twilioCallbackSchema = z.looseObject({
  MessageSid: z.string(),
  MessageStatus: z.string(),
  ErrorCode: z.optional(z.string()),
});
const twilioInboundSchema = z.looseObject({
  MessageSid: z.string(),
  From: z.string(),
  Body: z.optional(z.string()),
  OptOutType: z.optional(z.string()),
});
/** A recipient's link token (lambdas/shared/domain/consent-token.ts); the handler checks its signature. */
const tokenPath = z.object({
  token: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(512, 'must be at most 512 characters'),
      z.regex(/^[A-Za-z0-9._-]+$/, 'must be a link token (letters, digits, . _ -)'),
    ),
});
const userPath = z.object({ user_id: userIdSchema });
const typePath = z.object({ type: notificationTypeSchema });
/** An address whose suppression is asked about: in a body, never in a path (paths reach logs and traces). */
const suppressionLookupSchema = z.strictObject({
  channel: z.enum(CHANNELS_WITH_ADDRESSES, { message: `must be one of ${CHANNELS_WITH_ADDRESSES.join(', ')}` }),
  address: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(254, 'must be at most 254 characters'),
      z.meta({ examples: ['ada@example.com'] }),
    ),
});
/** A page of a list of templates: where it starts, and how many at most. */
const templatesPageQuery = z.object({
  cursor: z.optional(pageCursorSchema(z.strictObject({ type: notificationTypeSchema }))),
  limit: z._default(pageLimitSchema(100), 50).check(z.describe('templates in the page, at most: 50 when left out')),
});
/** A suppression named by its address's key (peppered: it names neither the address nor the person). */
const suppressionPath = z.object({ address_key: addressKeySchema });
const topicPath = z.object({ topic: topicSchema });
const topicSubscriberPath = z.object({ topic: topicSchema, user_id: userIdSchema });
/** The most people one call subscribes: 40 BatchWriteItems, well within a function's time. */
export const MAX_SUBSCRIBERS_PER_CALL = 1_000;
/** A page of a topic's subscribers: where it starts, and how many at most. */
const topicSubscribersPageQuery = z.object({
  cursor: z.optional(pageCursorSchema(z.strictObject({ user_id: userIdSchema }))),
  limit: z
    ._default(pageLimitSchema(1_000), 100)
    .check(z.describe('subscribers in the page, at most: 100 when left out')),
});
/** Who a topic's owner is, and what happens to a topic no one created: said once, for each topic operation. */
const TOPIC_OWNERSHIP =
  'A topic belongs to the producer whose first subscription created it; for another producer it is 403 not_owner, ' +
  'unless that producer has the admin scope.';

/** An instant with its offset, as a query string gives it. */
const instantSchema = (what: string) =>
  z.iso.datetime({ offset: true, message: `must be a date-time with an offset (${what}), e.g. 2026-12-08T09:00:00Z` });
/** A search of the log of notifications: who, what, which status, when, and the page. */
const notificationsLogQuery = z.object({
  user_id: z.optional(userIdSchema),
  type: z.optional(notificationTypeSchema),
  status: z.optional(
    z
      .string()
      .check(
        z.regex(/^[a-z_]{1,32}$/, 'must be a status, such as queued, scheduled, delivered or bounced'),
        z.describe("the notification's status or any of its channels' (bounced finds one whose email bounced)"),
      ),
  ),
  since: z.optional(instantSchema('created at or after')),
  until: z.optional(instantSchema('created at or before')),
  cursor: z.optional(pageCursorSchema(z.strictObject({ before: z.string().check(z.maxLength(200)) }))),
  limit: z._default(pageLimitSchema(100), 50).check(z.describe('notifications in the page, at most: 50 when left out')),
});
const webhookEndpointPath = z.object({ endpoint_id: z.uuid({ message: 'must be an endpoint id (a UUID)' }) });
const EVENT_TYPE_CHOICES = [EVERY_EVENT, ...STATE_EVENT_TYPES] as [string, ...string[]];
/** A new endpoint: where, and which event types (docs/events.md lists them). */
const webhookEndpointBody = z.strictObject({
  url: z
    .string()
    .check(
      z.minLength(1, 'must be an https URL'),
      z.maxLength(MAX_WEBHOOK_URL_LENGTH, `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`),
      z.describe(
        'https only, to a public address: a private, loopback or link-local one is refused, here and again at each ' +
          'delivery (a name that later resolves to one is not delivered to)',
      ),
      z.meta({ examples: ['https://hooks.example.com/notifications'] }),
    ),
  events: z
    .array(
      z.enum(EVENT_TYPE_CHOICES, {
        message: `must be an event type (${STATE_EVENT_TYPES.slice(0, 3).join(', ')}, ...) or "${EVERY_EVENT}"`,
      }),
    )
    .check(
      z.minLength(1, `must list at least one event type, or "${EVERY_EVENT}" for every one`),
      z.maxLength(EVENT_TYPE_CHOICES.length, 'must list each event type once'),
      z.refine((events) => new Set(events).size === events.length, 'must list each event type once'),
      z.meta({ uniqueItems: true }),
      z.refine(
        (events) => !events.includes(EVERY_EVENT) || events.length === 1,
        `must be "${EVERY_EVENT}" alone, or event types without it`,
      ),
    ),
});
/** A page of an endpoint's attempts: where it starts, and how many at most. */
const webhookAttemptsPageQuery = z.object({
  cursor: z.optional(pageCursorSchema(z.strictObject({ sk: z.string().check(z.startsWith('attempt#')) }))),
  limit: z._default(pageLimitSchema(100), 50).check(z.describe('attempts in the page, at most: 50 when left out')),
});
/** Whose endpoints an operation sees: the caller's own. */
const OWN_ENDPOINTS = "A producer sees and changes its own endpoints only; another's is 404.";

export const OPERATIONS = {
  sendNotification: {
    tag: 'notifications',
    method: 'POST',
    path: '/notifications',
    function: 'ingest',
    scope: 'notifications:send',
    summary: 'Send a notification',
    description:
      "Decides each channel from the person's preferences, contacts and quiet hours, records the notification and " +
      'queues one job per channel. "queued" is answered only when every job is on its queue. With send_at, it is ' +
      'recorded as "scheduled" and decided at that time. With topic instead of user_id, a broadcast: answered ' +
      '"fanning_out" at once, then each subscriber of the topic (yours) gets a notification of their own, decided on ' +
      'their own choices and sent through the bulk lanes; GET shows its progress. With an Idempotency-Key, a retry ' +
      'within 24 hours gets the first answer and queues nothing new.',
    pathParameters: noParameters,
    body: notificationRequestSchema,
    idempotent: true,
    answers: {
      202: {
        description: 'accepted: queued, or suppressed on every channel',
        schema: acceptedNotificationSchema,
        links: {
          ReadTheNotification: {
            operationId: 'getNotification',
            parameters: { notification_id: '$response.body#/notification_id' },
          },
        },
      },
    },
  },
  sendNotificationBatch: {
    tag: 'notifications',
    method: 'POST',
    path: '/notifications/batch',
    function: 'ingest',
    scope: 'notifications:send',
    summary: 'Send up to 100 notifications in one request',
    description:
      'Each notification is what POST /notifications takes for one person, with its own idempotency_key in place of ' +
      "the Idempotency-Key header (the same key: a send under the header's K and a batch's notification under K are " +
      'one request). Each is checked and accepted as POST /notifications would accept it alone, and one refused does ' +
      'not stop the others: the answer is 200 with one result per notification, in order, either its 202 answer or ' +
      'its error with the status POST /notifications would have answered (fields named from the body, e.g. ' +
      "notifications[7].user_id). 200 rather than 207 Multi-Status: 207 is WebDAV's, with an XML body, and batch APIs " +
      "(SQS's SendMessageBatch, Elasticsearch's _bulk, Microsoft Graph's $batch) answer 200 with each item's own " +
      'status. Only the envelope refuses the whole request (400: no notifications, none, more than 100). Send again ' +
      'what was refused with a 503 or 409 idempotency_key_in_use, under the same idempotency_key. A broadcast (topic) ' +
      `is sent alone. The body may be up to ${MAX_BATCH_BODY_BYTES.toLocaleString('en-US')} bytes (100 notifications ` +
      `with payloads at their limit), where other operations take ${MAX_BODY_BYTES.toLocaleString('en-US')}.`,
    pathParameters: noParameters,
    body: notificationBatch.body,
    batch: notificationBatch,
    maxBodyBytes: MAX_BATCH_BODY_BYTES,
    answers: {
      200: {
        description: "each notification's result, in order: accepted, or refused on its own",
        schema: batchResultsSchema,
      },
    },
  },
  listNotifications: {
    tag: 'notifications',
    method: 'GET',
    path: '/notifications',
    function: 'notification-status',
    scope: null,
    summary: "Search the producer's notifications, newest first",
    description:
      "A producer's own notifications; with notifications:read_all, every producer's. Narrowed by person, type, status " +
      "(the notification's or any channel's) and time; follow next_cursor until a page has none. A page may hold fewer " +
      'than limit (even none) and still have a next_cursor, when the filters pass few. A notification made a moment ago ' +
      "may be listed a moment later (the index is eventually consistent); an erased person's are not listed.",
    pathParameters: noParameters,
    queryParameters: notificationsLogQuery,
    answers: { 200: { description: 'a page of notifications', schema: notificationsPageAnswerSchema } },
  },
  getNotification: {
    tag: 'notifications',
    method: 'GET',
    path: '/notifications/{notification_id}',
    function: 'notification-status',
    scope: null,
    summary: 'Read a notification and where each channel stands',
    description: "A producer reads its own notifications; another's is 404 unless it has notifications:read_all.",
    pathParameters: z.object({ notification_id: notificationIdSchema }),
    answers: { 200: { description: 'the notification', schema: notificationAnswerSchema } },
  },
  cancelNotification: {
    tag: 'notifications',
    method: 'POST',
    path: '/notifications/{notification_id}/cancel',
    function: 'cancellation',
    scope: 'notifications:send',
    summary: 'Cancel a notification',
    description:
      'A scheduled notification is cancelled whole. One already dispatched is cancelled on each channel whose job has ' +
      'not been sent; a channel sent or being sent stays so, and the answer says which. One with nothing left to ' +
      "stop is 409. A producer cancels its own notifications only; another's is 404. POST rather than DELETE: the " +
      'record stays, with its channels marked cancelled. Cancelling again answers 200 and stops nothing new.',
    pathParameters: z.object({ notification_id: notificationIdSchema }),
    mayFindNothingLeft: true,
    answers: { 200: { description: 'what it stopped', schema: cancelledNotificationSchema } },
  },
  cancelNotificationsByKey: {
    tag: 'notifications',
    method: 'POST',
    path: '/notifications/cancel',
    function: 'cancellation',
    scope: 'notifications:send',
    summary: 'Cancel every pending notification under a cancel key',
    description:
      'Cancels each of your notifications sent with this cancel_key that has something left to stop, as ' +
      'POST /notifications/{notification_id}/cancel would, and answers how many.',
    pathParameters: noParameters,
    body: z.strictObject({ cancel_key: cancelKeySchema }),
    answers: { 200: { description: 'how many it stopped', schema: cancelledByKeySchema } },
  },
  getPreferences: {
    tag: 'people',
    method: 'GET',
    path: '/preferences/{user_id}',
    function: 'preferences',
    scope: 'users:read',
    summary: "Read a person's preferences",
    description: 'A person never seen has the defaults: every channel on, no quiet hours.',
    pathParameters: userPath,
    answers: { 200: { description: 'the preferences', schema: preferencesAnswerSchema } },
  },
  putPreferences: {
    tag: 'people',
    method: 'PUT',
    path: '/preferences/{user_id}',
    function: 'preferences',
    scope: 'preferences:write',
    summary: "Replace a person's preferences",
    pathParameters: userPath,
    body: preferencesSchema,
    answers: { 200: { description: 'the stored preferences', schema: preferencesAnswerSchema } },
  },
  erasePerson: {
    tag: 'people',
    method: 'DELETE',
    path: '/users/{user_id}',
    function: 'user-erasure',
    scope: 'users:erase',
    summary: 'Erase a person',
    description:
      'Their devices and push endpoints, their preferences and contacts, their subscriptions to topics, and their id ' +
      'on every notification record. ' +
      'Idempotent: erasing again, or a person never seen, answers 204 too.',
    pathParameters: userPath,
    answers: { 204: { description: 'erased' } },
  },
  putContacts: {
    tag: 'people',
    method: 'PUT',
    path: '/users/{user_id}/contacts',
    function: 'contacts',
    scope: 'contacts:write',
    summary: "Replace a person's contacts",
    description: 'A field left out is removed.',
    pathParameters: userPath,
    body: contactsSchema,
    answers: { 200: { description: 'the stored contacts', schema: contactsAnswerSchema } },
  },
  registerDevice: {
    tag: 'people',
    method: 'POST',
    path: '/users/{user_id}/devices',
    function: 'devices',
    scope: 'contacts:write',
    summary: 'Register a push device',
    description:
      'The same token gives the same device id; a token registered for another person moves to this one. Past the ' +
      'configured number of devices, the oldest is forgotten.',
    pathParameters: userPath,
    body: deviceRegistrationSchema,
    answers: { 201: { description: 'registered', schema: deviceRegisteredSchema } },
  },
  listDevices: {
    tag: 'people',
    method: 'GET',
    path: '/users/{user_id}/devices',
    function: 'devices',
    scope: 'users:read',
    summary: "List a person's push devices",
    pathParameters: userPath,
    answers: { 200: { description: 'the devices', schema: devicesAnswerSchema } },
  },
  removeDevice: {
    tag: 'people',
    method: 'DELETE',
    path: '/users/{user_id}/devices/{device_id}',
    function: 'devices',
    scope: 'contacts:write',
    summary: 'Forget a push device',
    description: "Its push endpoint is deleted; a device that is not this person's is 404.",
    pathParameters: z.object({ user_id: userIdSchema, device_id: deviceIdSchema }),
    answers: { 204: { description: 'forgotten' } },
  },
  putTemplate: {
    tag: 'templates',
    method: 'PUT',
    path: '/templates/{type}',
    function: 'templates',
    scope: 'templates:write',
    summary: "Write a notification type's template",
    description:
      'Liquid over the payload, one part per channel. Only a type the producer owns; a template another producer ' +
      'created is 403 not_owner unless the producer has the admin scope.',
    pathParameters: typePath,
    body: templateSchema,
    answers: { 200: { description: 'the stored template', schema: templateAnswerSchema } },
  },
  getTemplate: {
    tag: 'templates',
    method: 'GET',
    path: '/templates/{type}',
    function: 'templates',
    scope: null,
    summary: "Read a notification type's template",
    pathParameters: typePath,
    answers: { 200: { description: 'the template', schema: templateAnswerSchema } },
  },
  listTemplates: {
    tag: 'templates',
    method: 'GET',
    path: '/templates',
    function: 'templates',
    scope: null,
    summary: 'List every template, a page at a time',
    description:
      "Each template as GET /templates/{type} answers it. A page is sorted by type, but the pages come in the table's " +
      'own order, not by type. Follow next_cursor until a page has none: every template is then listed once (one ' +
      'written or removed meanwhile may be listed or not). A page may hold fewer than limit, even none, and still ' +
      'have a next_cursor.',
    pathParameters: noParameters,
    queryParameters: templatesPageQuery,
    answers: { 200: { description: 'a page of templates', schema: templatesPageAnswerSchema } },
  },
  findSuppression: {
    tag: 'suppressions',
    method: 'POST',
    path: '/suppressions/lookup',
    function: 'suppressions',
    scope: 'notifications:read_all',
    summary: 'Why an address is suppressed, and since when',
    description:
      'A hard bounce, a complaint or repeated soft bounces suppress an address: no channel sends to it until an admin ' +
      "lifts it. The address goes in the body, never in a path. Answers the suppression with its address's key, which " +
      'the platform logs instead of the address; 404 for an address that is not suppressed.',
    pathParameters: noParameters,
    body: suppressionLookupSchema,
    lookup: true,
    answers: {
      200: {
        description: 'the suppression',
        schema: suppressionAnswerSchema,
        links: {
          ReadTheSuppression: {
            operationId: 'getSuppression',
            parameters: { address_key: '$response.body#/address_key' },
          },
          LiftTheSuppression: {
            operationId: 'liftSuppression',
            parameters: { address_key: '$response.body#/address_key' },
          },
        },
      },
    },
  },
  getSuppression: {
    tag: 'suppressions',
    method: 'GET',
    path: '/suppressions/{address_key}',
    function: 'suppressions',
    scope: 'notifications:read_all',
    summary: 'A suppression, by the key its address is logged under',
    description: "The key is in the platform's logs (address_key) and in what the lookup answers. 404 for none.",
    pathParameters: suppressionPath,
    answers: { 200: { description: 'the suppression', schema: suppressionAnswerSchema } },
  },
  liftSuppression: {
    tag: 'suppressions',
    method: 'DELETE',
    path: '/suppressions/{address_key}',
    function: 'suppressions',
    scope: 'admin',
    summary: 'Lift the suppression of an address, by its key',
    description: 'The address may be sent to again; its soft bounces are forgotten. 404 for one not suppressed.',
    pathParameters: suppressionPath,
    answers: { 204: { description: 'lifted' } },
  },
  subscribeToTopic: {
    tag: 'topics',
    method: 'PUT',
    path: '/topics/{topic}/subscribers/{user_id}',
    function: 'topics',
    scope: 'topics:write',
    summary: 'Subscribe a person to a topic',
    description:
      `Creates the topic if no one has. ${TOPIC_OWNERSHIP} Idempotent: subscribing again answers 204 too, and makes ` +
      'now their subscribed_at.',
    pathParameters: topicSubscriberPath,
    answers: { 204: { description: 'subscribed' } },
  },
  unsubscribeFromTopic: {
    tag: 'topics',
    method: 'DELETE',
    path: '/topics/{topic}/subscribers/{user_id}',
    function: 'topics',
    scope: 'topics:write',
    summary: 'Unsubscribe a person from a topic',
    description: `${TOPIC_OWNERSHIP} Idempotent: a person not subscribed, or a topic no one created, answers 204 too.`,
    pathParameters: topicSubscriberPath,
    answers: { 204: { description: 'not subscribed (any more)' } },
  },
  listTopicSubscribers: {
    tag: 'topics',
    method: 'GET',
    path: '/topics/{topic}/subscribers',
    function: 'topics',
    scope: 'users:read',
    summary: "List a topic's subscribers, a page at a time",
    description:
      `In the order of their user ids. ${TOPIC_OWNERSHIP} A topic no one created is 404 topic_not_found. Follow ` +
      'next_cursor until a page has none. A subscription made a moment ago may be listed a moment later (the read ' +
      'is eventually consistent).',
    pathParameters: topicPath,
    queryParameters: topicSubscribersPageQuery,
    answers: { 200: { description: 'a page of subscribers', schema: topicSubscribersPageAnswerSchema } },
  },
  subscribeManyToTopic: {
    tag: 'topics',
    method: 'POST',
    path: '/topics/{topic}/subscribers',
    function: 'topics',
    scope: 'topics:write',
    summary: 'Subscribe up to 1,000 people to a topic',
    description:
      `Creates the topic if no one has. ${TOPIC_OWNERSHIP} Idempotent: a person already subscribed stays so, with now ` +
      'as their subscribed_at; one named twice counts once. Not atomic: a 503 may leave some of them subscribed, and ' +
      'the same call again finishes it. The body is at most 64 KiB: 1,000 ids fit when they are at most 62 ' +
      'characters long (about 500 of 128); split a longer list.',
    pathParameters: topicPath,
    body: z.strictObject({
      user_ids: z
        .array(userIdSchema)
        .check(
          z.minLength(1, `must name 1 to ${MAX_SUBSCRIBERS_PER_CALL} people`),
          z.maxLength(MAX_SUBSCRIBERS_PER_CALL, `must name 1 to ${MAX_SUBSCRIBERS_PER_CALL} people`),
        ),
    }),
    answers: { 200: { description: 'how many are subscribed', schema: topicSubscribedAnswerSchema } },
  },
  createWebhookEndpoint: {
    tag: 'webhook-endpoints',
    method: 'POST',
    path: '/webhook-endpoints',
    function: 'webhooks',
    scope: 'webhooks:write',
    summary: "Register a URL that receives the producer's state events, signed",
    description:
      "Each state event of the producer's own notifications whose type the endpoint lists is POSTed to it, signed as " +
      'Standard Webhooks specifies (webhook-id, webhook-timestamp, webhook-signature; docs/events.md#webhooks), and ' +
      'retried for about 27 hours on a timeout, a 5xx or a 429 (Retry-After is honoured). The answer holds the ' +
      `signing secret, shown this once. At most 20 endpoints a producer. ${OWN_ENDPOINTS}`,
    pathParameters: noParameters,
    body: webhookEndpointBody,
    answers: {
      201: {
        description: 'registered; it receives events from now on (within seconds)',
        schema: webhookEndpointCreatedAnswerSchema,
        links: {
          GetTheEndpoint: {
            operationId: 'getWebhookEndpoint',
            parameters: { endpoint_id: '$response.body#/endpoint_id' },
          },
        },
      },
    },
  },
  listWebhookEndpoints: {
    tag: 'webhook-endpoints',
    method: 'GET',
    path: '/webhook-endpoints',
    function: 'webhooks',
    scope: null,
    summary: "The producer's webhook endpoints",
    description: `Without their secrets. ${OWN_ENDPOINTS}`,
    pathParameters: noParameters,
    answers: { 200: { description: 'the endpoints', schema: webhookEndpointsAnswerSchema } },
  },
  getWebhookEndpoint: {
    tag: 'webhook-endpoints',
    method: 'GET',
    path: '/webhook-endpoints/{endpoint_id}',
    function: 'webhooks',
    scope: null,
    summary: 'A webhook endpoint: whether it is failing or disabled, and since when',
    description: `Without its secret. ${OWN_ENDPOINTS}`,
    pathParameters: webhookEndpointPath,
    answers: { 200: { description: 'the endpoint', schema: webhookEndpointAnswerSchema } },
  },
  deleteWebhookEndpoint: {
    tag: 'webhook-endpoints',
    method: 'DELETE',
    path: '/webhook-endpoints/{endpoint_id}',
    function: 'webhooks',
    scope: 'webhooks:write',
    summary: 'Delete a webhook endpoint',
    description: `Nothing more is delivered to it, retries included. ${OWN_ENDPOINTS}`,
    pathParameters: webhookEndpointPath,
    answers: { 204: { description: 'deleted' } },
  },
  rotateWebhookSecret: {
    tag: 'webhook-endpoints',
    method: 'POST',
    path: '/webhook-endpoints/{endpoint_id}/rotate-secret',
    function: 'webhooks',
    scope: 'webhooks:write',
    summary: "Replace a webhook endpoint's signing secret",
    description:
      'The answer holds the new secret, shown this once. For a day each delivery carries two signatures, by the new ' +
      `secret and the old, so that receivers switch over without a failed delivery. ${OWN_ENDPOINTS}`,
    pathParameters: webhookEndpointPath,
    answers: { 200: { description: 'the new secret', schema: webhookSecretRotatedAnswerSchema } },
  },
  enableWebhookEndpoint: {
    tag: 'webhook-endpoints',
    method: 'POST',
    path: '/webhook-endpoints/{endpoint_id}/enable',
    function: 'webhooks',
    scope: 'webhooks:write',
    summary: 'Enable a webhook endpoint that was disabled for failing',
    description: `Events from now on are delivered to it; those of the time it was disabled are not. ${OWN_ENDPOINTS}`,
    pathParameters: webhookEndpointPath,
    answers: { 204: { description: 'enabled' } },
  },
  listWebhookAttempts: {
    tag: 'webhook-endpoints',
    method: 'GET',
    path: '/webhook-endpoints/{endpoint_id}/attempts',
    function: 'webhooks',
    scope: null,
    summary: "A webhook endpoint's delivery attempts, newest first",
    description:
      `Each attempt of each event: its outcome, the endpoint's status code or the error, and when the next attempt is ` +
      `due. Kept 30 days. ${OWN_ENDPOINTS}`,
    pathParameters: webhookEndpointPath,
    queryParameters: webhookAttemptsPageQuery,
    answers: { 200: { description: 'a page of attempts', schema: webhookAttemptsPageAnswerSchema } },
  },
  twilioStatusCallback: {
    tag: 'webhooks',
    method: 'POST',
    path: '/webhooks/twilio/status',
    function: 'sms-webhooks',
    scope: null,
    caller: 'twilio',
    summary: "Twilio's status callback for a text the platform sent",
    description:
      'Twilio calls it, signed (X-Twilio-Signature), as each text moves to delivered, undelivered or failed; the ' +
      "notification's id is in the URL's query (n). Unsigned or mis-signed: 403, nothing changes.",
    pathParameters: noParameters,
    body: twilioCallbackSchema,
    formBody: true,
    answers: { 204: { description: 'recorded (or a status that changes nothing)' } },
  },
  twilioInboundMessage: {
    tag: 'webhooks',
    method: 'POST',
    path: '/webhooks/twilio/inbound',
    function: 'sms-webhooks',
    scope: null,
    caller: 'twilio',
    summary: "Twilio's incoming-message webhook: a text sent to the platform's number",
    description:
      "Set it as the number's (or the Messaging Service's) incoming-message webhook. STOP, STOPALL, UNSUBSCRIBE, " +
      'CANCEL, END or QUIT turns SMS off for every user with that phone number; START, UNSTOP or YES turns it back on; ' +
      'HELP or INFO is answered with the configured help text. Signed by Twilio (X-Twilio-Signature) or 403; a ' +
      'replayed request changes nothing.',
    pathParameters: noParameters,
    body: twilioInboundSchema,
    formBody: true,
    answers: {
      200: {
        description: 'TwiML: the help text for HELP, otherwise an empty <Response/>',
        schema: z.string(),
        mediaType: 'text/xml',
      },
    },
  },
  unsubscribe: {
    tag: 'recipient-links',
    method: 'POST',
    path: '/unsubscribe/{token}',
    function: 'consent',
    scope: null,
    caller: 'recipient',
    summary: "An email's one-click unsubscribe (RFC 8058)",
    description:
      "The URL of the email's List-Unsubscribe header: a mail provider POSTs List-Unsubscribe=One-Click to it and the " +
      "person is unsubscribed from the email's category on its channel, with no further step. A token that is not " +
      "the platform's: 403, nothing changes. A GET (a link checker's) changes nothing.",
    pathParameters: tokenPath,
    body: z.looseObject({ 'List-Unsubscribe': z.literal('One-Click') }),
    formBody: true,
    answers: {
      200: { description: 'unsubscribed (or nothing left to change)', schema: z.string(), mediaType: 'text/plain' },
    },
  },
  getPreferencePage: {
    tag: 'recipient-links',
    method: 'GET',
    path: '/consent/{token}',
    function: 'consent',
    scope: null,
    caller: 'recipient',
    summary: "The person's preference page, from the link in an email",
    description:
      'Their categories by channel (required ones shown, not switchable) and quiet hours, as a form. A token that is ' +
      "not the platform's: 403.",
    pathParameters: tokenPath,
    answers: { 200: { description: 'the page', schema: z.string(), mediaType: 'text/html' } },
  },
  savePreferencePage: {
    tag: 'recipient-links',
    method: 'POST',
    path: '/consent/{token}',
    function: 'consent',
    scope: null,
    caller: 'recipient',
    summary: 'Saves the preference page',
    description:
      "The page's form: each category's channels on or off, quiet hours, and the form's CSRF field (bound to the " +
      'token and to a same-site cookie the page set). Anything else: 403, nothing changes.',
    pathParameters: tokenPath,
    body: z.record(z.string(), z.string()),
    formBody: true,
    answers: { 200: { description: 'the page, saying what was saved', schema: z.string(), mediaType: 'text/html' } },
  },
  getApiDescription: {
    tag: 'api-description',
    method: 'GET',
    path: '/openapi.json',
    function: 'api-description',
    scope: null,
    summary: 'This description of the API (OpenAPI 3.1)',
    pathParameters: noParameters,
    answers: { 200: { description: 'the OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
  },
} as const satisfies Record<string, Operation>;

export type OperationId = keyof typeof OPERATIONS;

/** The largest body an operation takes, in bytes. */
export function maxBodyBytesOf(operation: Operation): number {
  return operation.maxBodyBytes ?? MAX_BODY_BYTES;
}

/** Whether API Gateway requires an API key: for a producer's call, not for a webhook or a recipient's link. */
export function needsApiKey(operation: Pick<Operation, 'caller'>): boolean {
  return (operation.caller ?? 'producer') === 'producer';
}

/** The operations as a list, in the table's order. */
export const OPERATION_LIST = Object.entries(OPERATIONS).map(([id, operation]) => ({
  id: id as OperationId,
  ...(operation as Operation),
}));

/** An operation's query parameters, in order, each with whether a request must give it (one with a default need not). */
export function queryParameterList(
  operation: Pick<Operation, 'queryParameters'>,
): { readonly name: string; readonly schema: z.ZodMiniType; readonly required: boolean }[] {
  return Object.entries((operation.queryParameters?.shape ?? {}) as Record<string, z.ZodMiniType>).map(
    ([name, schema]) => ({ name, schema, required: schema._zod.optin === undefined }),
  );
}

/** The {names} in a path, in order. */
export function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
}
