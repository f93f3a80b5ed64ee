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
import { classifyTwilioError, UNSUBSCRIBED } from './provider-errors.js';
import type { RenderedSms } from './render.js';
import { smsSegments } from './segments.js';
import type { SmsSender } from './sender.js';

export class SmsDeliverer implements ChannelDeliverer {
  readonly channel = 'sms';

  /**
   * The sender is built on first use: deployed, its credentials come from Secrets Manager. `unsubscribed` turns the
   * person's SMS off when Twilio refuses a text because they texted STOP (21610), so the next ones are not tried.
   */
  constructor(
    private readonly sender: () => Promise<Pick<SmsSender, 'send'>>,
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
    const sms = line ? { body: `${rendered.body}\n${line}`, ...smsSegments(`${rendered.body}\n${line}`) } : rendered;
    if (sms.segments > 1) {
      // Sent whole, never cut: but each segment is billed, which the template's author should know.
      logger.warn('SMS longer than one segment', { segments: sms.segments, encoding: sms.encoding });
    }
    try {
      const sender = await this.sender();
      return {
        kind: 'sent',
        providerMessageId: await sender.send(user.phone_number, sms.body, job.notification_id),
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
