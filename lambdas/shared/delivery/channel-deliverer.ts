import type { Channel } from '../../channels/registry.js';
import type { TemplateItem } from '../adapters/templates-store.js';
import type { UserItem } from '../adapters/users-store.js';
import { type DeliveryFailure, permanent, transient } from '../domain/delivery-failure.js';
import type { ChannelJob } from '../schemas/channel-job.js';
import { RenderInterrupted, RenderLimitExceeded } from '../templates/bounded-renderer.js';
import { TemplateRenderError } from '../templates/render.js';

/** Sent (with the provider's id, and the template locale it was written in, when not the default), or why not. */
export type DeliveryResult =
  | { readonly kind: 'sent'; readonly providerMessageId: string; readonly locale?: string }
  | DeliveryFailure;

/**
 * What differs between channels: render the channel's template and hand it to the provider, turning every
 * provider error into a DeliveryFailure. The worker around it does the rest, the same for all channels.
 */
export interface ChannelDeliverer {
  readonly channel: Channel;
  deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult>;
}

/**
 * The rendered template, or the failure its rendering is: permanent for a template that does not render or that
 * needs more than a render may take (it would fail again), transient for a render interrupted for another reason
 * (starved of CPU by its neighbours, its process lost).
 */
export async function renderedOrFailure<Rendered extends object>(
  rendering: Promise<Rendered>,
): Promise<Rendered | DeliveryFailure> {
  try {
    return await rendering;
  } catch (error) {
    if (error instanceof RenderLimitExceeded) return permanent('render_limit_exceeded');
    if (error instanceof TemplateRenderError)
      return permanent(error.limitExceeded ? 'render_limit_exceeded' : `render_failed:${error.field}`);
    if (error instanceof RenderInterrupted) return transient(`render_interrupted:${error.reason}`);
    throw error;
  }
}

/** Rendered content carries no `kind`; a DeliveryFailure always does. */
export function isFailure(value: object): value is DeliveryFailure {
  return 'kind' in value;
}
