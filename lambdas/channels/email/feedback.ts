/**
 * What SES tells the platform after it took an email: its event publishing (a configuration set's SNS destination),
 * read from the feedback queue. Pure: the shape of SES's documented JSON and what each event means for the email's
 * status and for the suppression list; no AWS call.
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 */
import { eventJson } from '../../shared/delivery/event-json.js';
import type { ProviderOutcome } from '../../shared/domain/provider-outcome.js';
import * as z from '../../shared/schemas/zod.js';

/** The message tag every email is sent with, so that its events name their notification without a lookup. */
export const NOTIFICATION_TAG = 'notification_id';

const recipients = z._default(z.array(z.looseObject({ emailAddress: z.string() })), []);
const timestamp = z.optional(z.string());

const sesEventSchema = z.looseObject({
  eventType: z.string(),
  mail: z.looseObject({
    messageId: z.string().check(z.minLength(1)),
    timestamp: z.string(),
    tags: z._default(z.record(z.string(), z.array(z.string())), {}),
  }),
  bounce: z.optional(
    z.looseObject({
      bounceType: z.string(),
      bounceSubType: z._default(z.string(), 'Undetermined'),
      bouncedRecipients: recipients,
      timestamp,
      feedbackId: z.optional(z.string()),
    }),
  ),
  complaint: z.optional(
    z.looseObject({
      complainedRecipients: recipients,
      complaintFeedbackType: z.nullish(z.string()),
      timestamp,
    }),
  ),
  delivery: z.optional(z.looseObject({ timestamp })),
  deliveryDelay: z.optional(z.looseObject({ delayType: z.optional(z.string()), timestamp })),
  reject: z.optional(z.looseObject({ reason: z.optional(z.string()) })),
});

export interface EmailFeedback {
  /** SES's id of the message, as SendRawEmail answered it and the worker recorded it. */
  readonly providerMessageId: string;
  /** From the message's tag; absent for an email not sent by this platform (or by a version before the tag). */
  readonly notificationId?: string;
  readonly outcome: ProviderOutcome;
  /** When it happened, as SES says (ISO 8601). */
  readonly at: string;
  /** What the status response shows of it: bounce type and sub-type, complaint type, delay type, reject reason. */
  readonly detail: Readonly<Record<string, string>>;
  /** Addresses SES must not be asked to send to again: a permanent bounce, a complaint. */
  readonly suppress: readonly string[];
  /** Addresses that bounced for now (a full mailbox): counted, and suppressed after too many. */
  readonly softBounced: readonly string[];
  /** SES's id of this bounce or complaint report: a duplicate delivery of the event counts once. */
  readonly feedbackId: string;
}

/** Why a message from the feedback queue changes nothing (counted and logged by this name, never its content). */
export type IgnoredFeedback =
  | 'not_json'
  | 'not_an_ses_event'
  | 'event_without_outcome'
  | 'no_outcome_details'
  | 'destination_validated';

/** What cannot be read at all: set aside in the feedback DLQ for a person to look at. */
export const UNREADABLE_FEEDBACK: readonly IgnoredFeedback[] = ['not_json', 'not_an_ses_event'];

/** SES's one plain-text message to a new event destination's topic. */
const DESTINATION_VALIDATED = 'Successfully validated SNS topic for Amazon SES event publishing';

/**
 * The event in a feedback queue message: SES's JSON itself (raw delivery), or inside an SNS envelope. Send, Open,
 * Click and Subscription events say nothing a status needs (the worker recorded `sent` already).
 */
export function parseSesFeedback(body: string): EmailFeedback | IgnoredFeedback {
  const unwrapped = eventJson(body);
  if (unwrapped === undefined) return body.includes(DESTINATION_VALIDATED) ? 'destination_validated' : 'not_json';
  const parsed = sesEventSchema.safeParse(unwrapped);
  if (!parsed.success) return 'not_an_ses_event';
  const event = parsed.data;
  const base = {
    providerMessageId: event.mail.messageId,
    notificationId: event.mail.tags[NOTIFICATION_TAG]?.[0],
    suppress: [] as string[],
    softBounced: [] as string[],
    feedbackId: `${event.mail.messageId}/${event.eventType}`,
  };
  switch (event.eventType) {
    case 'Delivery':
      return { ...base, outcome: 'delivered', at: event.delivery?.timestamp ?? event.mail.timestamp, detail: {} };
    case 'Bounce': {
      if (!event.bounce) return 'no_outcome_details';
      const addresses = event.bounce.bouncedRecipients.map((recipient) => recipient.emailAddress);
      // Undetermined is not proof the address is bad: counted like a transient one, not suppressed at once.
      const permanent = event.bounce.bounceType === 'Permanent';
      return {
        ...base,
        outcome: 'bounced',
        at: event.bounce.timestamp ?? event.mail.timestamp,
        detail: { bounce_type: event.bounce.bounceType, bounce_sub_type: event.bounce.bounceSubType },
        suppress: permanent ? addresses : [],
        softBounced: permanent ? [] : addresses,
        feedbackId: event.bounce.feedbackId ?? base.feedbackId,
      };
    }
    case 'Complaint': {
      if (!event.complaint) return 'no_outcome_details';
      return {
        ...base,
        outcome: 'complained',
        at: event.complaint.timestamp ?? event.mail.timestamp,
        detail: event.complaint.complaintFeedbackType ? { complaint_type: event.complaint.complaintFeedbackType } : {},
        suppress: event.complaint.complainedRecipients.map((recipient) => recipient.emailAddress),
      };
    }
    case 'Reject':
      return { ...base, outcome: 'rejected', at: event.mail.timestamp, detail: { reason: event.reject?.reason ?? '' } };
    case 'Rendering Failure':
      return { ...base, outcome: 'rejected', at: event.mail.timestamp, detail: { reason: 'rendering_failure' } };
    case 'DeliveryDelay':
      return {
        ...base,
        outcome: 'delayed',
        at: event.deliveryDelay?.timestamp ?? event.mail.timestamp,
        detail: event.deliveryDelay?.delayType ? { delay_type: event.deliveryDelay.delayType } : {},
      };
    default:
      return 'event_without_outcome';
  }
}
