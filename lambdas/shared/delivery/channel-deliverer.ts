import type { TemplateItem } from '../adapters/templates-store.js';
import type { UserItem } from '../adapters/users-store.js';
import type { Channel } from '../domain/channel.js';
import type { DeliveryFailure } from '../domain/delivery-failure.js';
import type { ChannelJob } from '../schemas/channel-job.js';

export type DeliveryResult = { readonly kind: 'sent'; readonly providerMessageId: string } | DeliveryFailure;

/**
 * What differs between channels: render the channel's template and hand it to the provider, turning every
 * provider error into a DeliveryFailure. The worker around it does the rest, the same for all channels.
 */
export interface ChannelDeliverer {
  readonly channel: Channel;
  deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult>;
}
