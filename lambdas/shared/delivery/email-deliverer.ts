import type { EmailSender } from '../adapters/email-sender.js';
import type { TemplateItem } from '../adapters/templates-store.js';
import type { UserItem } from '../adapters/users-store.js';
import { permanent } from '../domain/delivery-failure.js';
import { classifySesError } from '../domain/provider-errors.js';
import type { ChannelJob } from '../schemas/channel-job.js';
import type { TemplateRenderer } from '../templates/render.js';
import { type ChannelDeliverer, type DeliveryResult, isFailure, renderedOrFailure } from './channel-deliverer.js';

export class EmailDeliverer implements ChannelDeliverer {
  readonly channel = 'email';

  constructor(
    private readonly sender: Pick<EmailSender, 'send'>,
    private readonly renderer: Pick<TemplateRenderer, 'renderEmail'>,
  ) {}

  async deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult> {
    if (!user.email_address) return permanent('no_contact');
    if (!template.email) return permanent('not_in_template');
    const email = await renderedOrFailure(this.renderer.renderEmail(template.email, job.payload));
    if (isFailure(email)) return email;
    try {
      return { kind: 'sent', providerMessageId: await this.sender.send(user.email_address, email) };
    } catch (error) {
      return classifySesError(error);
    }
  }
}
