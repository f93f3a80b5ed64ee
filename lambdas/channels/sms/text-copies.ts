/**
 * Twilio's copies of the texts the platform sent: Twilio keeps each message (its body, the number) in the account's
 * logs. A person erased is taken out of them: each text is deleted, which Twilio allows only once the text is final
 * (20009 before that); until then its body is redacted at once, and the deletion is tried again later.
 */
import { integer, isShape } from '../../shared/delivery/provider-failure.js';
import { logger } from '../../shared/observability.js';
import { twilioMessages } from './twilio-messages.js';
import type { TwilioSettings } from './twilio-settings.js';

/** What became of a copy: gone for good, or redacted and to be deleted by a later pass. */
export type CopyForgotten = 'deleted' | 'pending';

const NOT_FOUND = 20404;
const NOT_FINAL_YET = 20009;

export class TwilioTextCopies {
  constructor(private readonly settings: () => Promise<TwilioSettings>) {}

  async forget(messageSid: string): Promise<CopyForgotten> {
    const message = twilioMessages(await this.settings())(messageSid);
    try {
      await message.remove();
      return 'deleted';
    } catch (error) {
      if (twilioCode(error) === NOT_FOUND) return 'deleted';
      logger.info('text not deleted at Twilio yet; its body is redacted', { reason: reasonOf(error) });
    }
    try {
      await message.update({ body: '' });
    } catch (error) {
      if (twilioCode(error) === NOT_FOUND) return 'deleted';
      logger.warn('text not redacted at Twilio; tried again later', { reason: reasonOf(error) });
    }
    return 'pending';
  }
}

function twilioCode(error: unknown): number | undefined {
  return isShape(error) ? integer(error.code) : undefined;
}

function reasonOf(error: unknown): string {
  const code = twilioCode(error);
  if (code === NOT_FINAL_YET) return 'not_final_yet';
  return code === undefined ? (error as Error).name : `twilio_${code}`;
}
