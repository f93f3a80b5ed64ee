import type { TemplateItem } from '../../shared/adapters/templates-store.js';
import type { UserItem } from '../../shared/adapters/users-store.js';
import {
  type ChannelDeliverer,
  type DeliveryResult,
  isFailure,
  renderedOrFailure,
} from '../../shared/delivery/channel-deliverer.js';
import { localizedPart } from '../../shared/delivery/localized-part.js';
import { type DeliveryFailure, permanent } from '../../shared/domain/delivery-failure.js';
import { logger } from '../../shared/observability.js';
import type { ChannelJob } from '../../shared/schemas/channel-job.js';
import type { TemplateRenderer } from '../../shared/templates/render.js';
import type { DeviceRegistry } from './device-registry.js';
import { fitPushMessage, pushPayloadBytes } from './payload.js';
import { classifySnsPublishError } from './provider-errors.js';
import type { RenderedPush } from './render.js';
import type { PushSender } from './sender.js';

/**
 * Publishes to every device of the user. A device whose endpoint APNs or FCM disabled, or that was
 * deleted, is removed from the user; when none is left the channel fails with `no_device`.
 */
export class PushDeliverer implements ChannelDeliverer {
  readonly channel = 'push';

  constructor(
    private readonly sender: Pick<PushSender, 'publish'>,
    private readonly devices: Pick<DeviceRegistry, 'devicesOf' | 'forget'>,
    private readonly renderer: TemplateRenderer,
  ) {}

  async deliver(job: ChannelJob, user: UserItem, template: TemplateItem): Promise<DeliveryResult> {
    const localized = localizedPart(template, 'push', user.locale);
    if (!localized) return permanent('not_in_template');
    const rendered = await renderedOrFailure(
      this.renderer.render<RenderedPush>('push', localized.part, job.payload, localized.locale),
    );
    if (isFailure(rendered)) return rendered;
    const devices = await this.devices.devicesOf(user.user_id, user.device_ids ?? []);
    // APNs and FCM take 4 KB: a longer alert is shortened, as a preview, rather than refused by SNS for good.
    const { message, shortened } = fitPushMessage({
      ...rendered,
      data: { notification_id: job.notification_id, type: job.type },
    });
    if (shortened) logger.info('push shortened to fit 4 KB', { bytes: pushPayloadBytes(message) });
    const sent: string[] = [];
    const failures: DeliveryFailure[] = [];
    let gone = 0;
    await Promise.all(
      devices.map(async (device) => {
        try {
          sent.push(await this.sender.publish(device.endpoint_arn, device.platform, message));
        } catch (error) {
          const failure = classifySnsPublishError(error);
          if (failure.kind !== 'endpoint_gone') {
            failures.push(failure);
            return;
          }
          gone++;
          logger.info('device endpoint is gone; removing the device', { device_id: device.device_id });
          await this.devices.forget(user.user_id, device);
        }
      }),
    );
    // One device reached is a delivery: retrying for the others would buzz that one again.
    if (sent.length > 0)
      return {
        kind: 'sent',
        providerMessageId: sent.join(','),
        ...(localized.locale ? { locale: localized.locale } : {}),
      };
    const transient = failures.find((failure) => failure.kind === 'transient');
    if (transient) return transient;
    if (failures[0]) return failures[0];
    logger.info('no device left to push to', { removed: gone });
    return permanent('no_device');
  }
}
