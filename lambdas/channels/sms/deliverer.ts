import type { TemplateItem } from '../../shared/adapters/templates-store.js';
import type { UserItem } from '../../shared/adapters/users-store.js';
import {
  type ChannelDeliverer,
  type DeliveryResult,
  isFailure,
  renderedOrFailure,
} from '../../shared/delivery/channel-deliverer.js';
import { localizedPart } from '../../shared/delivery/localized-part.js';
import { permanent } from '../../shared/domain/delivery-failure.js';
import { logger } from '../../shared/observability.js';
import type { ChannelJob } from '../../shared/schemas/channel-job.js';
import type { TemplateRenderer } from '../../shared/templates/render.js';
import { MAX_SMS_BODY_CHARACTERS, smsBudgetProblem, smsText } from './body-budget.js';
import { classifyTwilioError, isAuthenticationRefusal, UNSUBSCRIBED } from './provider-errors.js';
import type { RenderedSms } from './render.js';
import { smsSegments } from './segments.js';
import type { SmsSender } from './sender.js';

/** Where the deliverer gets its Twilio sender: the current one, and one with credentials read afresh. */
export interface SmsSenders {
  current(): Promise<Pick<SmsSender, 'send'>>;
  /** A sender with the credentials read again after Twilio refused them; undefined when they did not change. */
  afterAuthFailure(): Promise<Pick<SmsSender, 'send'> | undefined>;
}

export class SmsDeliverer implements ChannelDeliverer {
  readonly channel = 'sms';

  /**
   * The sender is built on first use: deployed, its credentials come from Secrets Manager, and after Twilio refuses
   * them (20003, a rotated token) `afterAuthFailure` answers one built with credentials read afresh, if they changed.
   * `unsubscribed` turns the person's SMS off when Twilio refuses a text because they texted STOP (21610), so the next
   * ones are not tried.
   */
  constructor(
    private readonly senders: SmsSenders,
    private readonly renderer: TemplateRenderer,
    private readonly unsubscribed: (userId: string) => Promise<unknown>,
    /** The line a text of a category the person may leave ends with ("Reply STOP to opt out."), if any. */
    private readonly optOutLine: (user: UserItem, template: TemplateItem) => string | undefined = () => undefined,
  ) {}

  async deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult> {
    if (!user.phone_number) return permanent('no_contact');
    const localized = localizedPart(template, 'sms', user.locale);
    if (!localized) return permanent('not_in_template');
    const rendered = await renderedOrFailure(
      this.renderer.render<RenderedSms>('sms', localized.part, job.payload, localized.locale),
    );
    if (isFailure(rendered)) return rendered;
    const line = this.optOutLine(user, template);
    // Never cut: a text cut to fit could lose its point, or the opt-out line carriers require. It fails, saying why.
    if (smsBudgetProblem(rendered.body, line)) {
      const reason =
        line && rendered.body.length <= MAX_SMS_BODY_CHARACTERS ? 'too_long_with_opt_out_line' : 'too_long';
      logger.warn('SMS too long to send', { reason, characters: smsText(rendered.body, line).length });
      return permanent(`body_${reason}`);
    }
    const sms = line ? { body: smsText(rendered.body, line), ...smsSegments(smsText(rendered.body, line)) } : rendered;
    if (sms.segments > 1) {
      // Sent whole, never cut: but each segment is billed, which the template's author should know.
      logger.warn('SMS longer than one segment', { segments: sms.segments, encoding: sms.encoding });
    }
    const phoneNumber = user.phone_number;
    const sent = (sender: Pick<SmsSender, 'send'>) => sender.send(phoneNumber, sms.body, job.notification_id);
    try {
      return {
        kind: 'sent',
        providerMessageId: await sent(await this.senders.current()).catch(async (error) => {
          // Refused credentials created no message: with a rotated token read afresh, it is tried once more.
          const fresh = isAuthenticationRefusal(error) ? await this.senders.afterAuthFailure() : undefined;
          if (!fresh) throw error;
          logger.info('Twilio refused the credentials; sending again with the ones read afresh');
          return sent(fresh);
        }),
        ...(localized.locale ? { locale: localized.locale } : {}),
      };
    } catch (error) {
      const failure = classifyTwilioError(error);
      if (failure.reason === UNSUBSCRIBED) {
        await this.unsubscribed(user.user_id);
        logger.info('SMS turned off: Twilio says the person unsubscribed');
      }
      return failure;
    }
  }
}
