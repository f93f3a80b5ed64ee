import type { TemplateItem } from '../../shared/adapters/templates-store.js';
import type { UserItem } from '../../shared/adapters/users-store.js';
import {
  type ChannelDeliverer,
  type DeliveryResult,
  isFailure,
  renderedOrFailure,
} from '../../shared/delivery/channel-deliverer.js';
import { permanent } from '../../shared/domain/delivery-failure.js';
import type { ChannelJob } from '../../shared/schemas/channel-job.js';
import type { TemplateRenderer } from '../../shared/templates/render.js';
import { classifySesError } from './provider-errors.js';
import type { RenderedEmail } from './render.js';
import type { EmailSender } from './sender.js';

export class EmailDeliverer implements ChannelDeliverer {
  readonly channel = 'email';

  constructor(
    private readonly sender: Pick<EmailSender, 'send'>,
    private readonly renderer: TemplateRenderer,
  ) {}

  async deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult> {
    if (!user.email_address) return permanent('no_contact');
    if (!template.email) return permanent('not_in_template');
    const email = await renderedOrFailure(this.renderer.render<RenderedEmail>('email', template.email, job.payload));
    if (isFailure(email)) return email;
    try {
      return {
        kind: 'sent',
        providerMessageId: await this.sender.send(user.email_address, email, job.notification_id),
      };
    } catch (error) {
      return classifySesError(error);
    }
  }
}
