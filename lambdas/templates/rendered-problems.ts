/**
 * What a template rendered over an empty payload already says about every message it will make: a text that cannot be
 * sent (past Twilio's 1,600 characters, with the opt-out line it must end with) and a push that would be shortened
 * every time (past the 4 KB of APNs and FCM). Payloads only add to them, so these are refused when the template is
 * saved, named by field. Pure.
 */
import { MAX_PUSH_PAYLOAD_BYTES, pushPayloadBytes } from '../channels/push/payload.js';
import type { RenderedPush } from '../channels/push/render.js';
import type { Channel } from '../channels/registry.js';
import { smsBudgetProblem } from '../channels/sms/body-budget.js';
import type { RenderedSms } from '../channels/sms/render.js';
import type { FieldProblem } from '../shared/http/api-error.js';

export interface RenderedPart {
  readonly channel: Channel;
  /** Where the part is in the template: '' for the default content, `locales.de.` for a locale's. */
  readonly prefix: string;
  readonly rendered: unknown;
  /** The line a text ends with, in the part's language, when its category is one a person may leave. */
  readonly optOutLine?: string;
}

/** The ids a push carries beside its alert, at their longest. */
const PUSH_DATA = (type: string) => ({ notification_id: '00000000-0000-4000-8000-000000000000', type });

export function renderedProblems(parts: readonly RenderedPart[], type: string): FieldProblem[] {
  return parts.flatMap(({ channel, prefix, rendered, optOutLine }): FieldProblem[] => {
    if (channel === 'sms') {
      const problem = smsBudgetProblem((rendered as RenderedSms).body, optOutLine);
      return problem ? [{ field: `${prefix}sms.body`, message: `${problem}, even over an empty payload` }] : [];
    }
    if (channel === 'push') {
      const bytes = pushPayloadBytes({ ...(rendered as RenderedPush), data: PUSH_DATA(type) });
      return bytes > MAX_PUSH_PAYLOAD_BYTES
        ? [
            {
              field: `${prefix}push.body`,
              message: `makes a push of ${bytes} bytes even over an empty payload, more than the ${MAX_PUSH_PAYLOAD_BYTES} APNs and FCM take: every push would be shortened`,
            },
          ]
        : [];
    }
    return [];
  });
}
