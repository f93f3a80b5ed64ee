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
import type { ChannelJob } from '../../shared/schemas/channel-job.js';
import type { TemplateRenderer } from '../../shared/templates/render.js';
import { classifySesError } from './provider-errors.js';
import type { RenderedEmail } from './render.js';
import type { EmailSender } from './sender.js';
import { type UnsubscribeLinks, unsubscribeHeaders, withUnsubscribeFooter } from './unsubscribe.js';

export class EmailDeliverer implements ChannelDeliverer {
  readonly channel = 'email';

  /** `unsubscribeLinks` answers the person's links for the type's category, or none for a required category. */
  constructor(
    private readonly sender: Pick<EmailSender, 'send'>,
    private readonly renderer: TemplateRenderer,
    private readonly unsubscribeLinks: (
      user: UserItem,
      template: TemplateItem,
    ) => Promise<UnsubscribeLinks | undefined>,
  ) {}

  async deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult> {
    if (!user.email_address) return permanent('no_contact');
    const localized = localizedPart(template, 'email', user.locale);
    if (!localized) return permanent('not_in_template');
    const rendered = await renderedOrFailure(
      this.renderer.render<RenderedEmail>('email', localized.part, job.payload, localized.locale),
    );
    if (isFailure(rendered)) return rendered;
    const links = await this.unsubscribeLinks(user, template);
    const email = links ? withUnsubscribeFooter(rendered, links) : rendered;
    try {
      return {
        kind: 'sent',
        ...(localized.locale ? { locale: localized.locale } : {}),
        providerMessageId: await this.sender.send(
          user.email_address,
          email,
          job.notification_id,
          links ? unsubscribeHeaders(links) : {},
        ),
      };
    } catch (error) {
      return classifySesError(error);
    }
  }
}
