/**
 * What Twilio tells the platform after it took a text: its StatusCallback, a form-encoded POST per status change
 * (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status). Pure: the parameters' meaning for the
 * text's status; the webhook checks Twilio's signature before this is asked.
 */
import type { ProviderEvent } from '../../shared/domain/provider-outcome.js';

/** The query parameter of the StatusCallback URL that names the notification (the URL is signed with the rest). */
export const NOTIFICATION_PARAMETER = 'n';

export interface SmsFeedback {
  /** Twilio's MessageSid, as the worker recorded it. */
  readonly providerMessageId: string;
  readonly event: ProviderEvent;
}

/** Why a status callback changes nothing (counted and logged by this name). */
export type IgnoredSmsFeedback = 'no_message_sid' | 'status_without_outcome' | 'unknown_status';

/** Statuses on the way (queued, sending, sent) say nothing the worker's `sent` does not; the rest are outcomes. */
const IN_FLIGHT = new Set(['queued', 'accepted', 'scheduled', 'sending', 'sent', 'read', 'receiving', 'received']);

/**
 * The outcome of a status callback: `delivered`, or `undelivered` (Twilio's undelivered and failed: the carrier
 * refused it or could not reach the handset) with Twilio's error code, e.g. 30003 for an unreachable handset.
 */
export function parseTwilioStatus(
  parameters: Readonly<Record<string, string>>,
  at: string,
): SmsFeedback | IgnoredSmsFeedback {
  const providerMessageId = parameters.MessageSid ?? parameters.SmsSid;
  if (!providerMessageId) return 'no_message_sid';
  const status = (parameters.MessageStatus ?? parameters.SmsStatus ?? '').toLowerCase();
  if (IN_FLIGHT.has(status)) return 'status_without_outcome';
  const errorCode = parameters.ErrorCode && /^\d{1,6}$/.test(parameters.ErrorCode) ? parameters.ErrorCode : undefined;
  switch (status) {
    case 'delivered':
      return { providerMessageId, event: { status: 'delivered', at } };
    case 'undelivered':
    case 'failed':
      return {
        providerMessageId,
        event: {
          status: 'undelivered',
          at,
          detail: { twilio_status: status, ...(errorCode ? { error_code: errorCode } : {}) },
        },
      };
    default:
      return 'unknown_status';
  }
}
