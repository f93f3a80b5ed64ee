/**
 * Erasing a person, and what is kept of them (docs/api.md, "Erasing a person"). A pass forgets their devices and push
 * endpoints, the soft bounces counted for their addresses (a suppression stays, keyed without the address, so an
 * erased person who bounced is not mailed again), their item (preferences, contacts, locale, link generation), their
 * subscriptions to topics (found through the topics' `by_subscriber` index), and
 * takes them out of every notification record the `by_user` index lists, after deleting each text's copy at the
 * provider (Twilio keeps the body and the number). The index is eventually consistent and a provider may refuse to
 * delete a text still on its way, so a pass is made again later, until one finds nothing left: the erasure converges.
 */

import type { DeviceRegistry } from '../channels/push/device-registry.js';
import type { Channel } from '../channels/registry.js';
import type { CopyForgotten } from '../channels/sms/text-copies.js';
import type { NotificationsStore } from '../shared/adapters/notifications-store.js';
import type { SuppressionList } from '../shared/adapters/suppression-list.js';
import { addressesOf, type UsersStore } from '../shared/adapters/users-store.js';

/** Where a channel's provider keeps a copy of each message sent, and how it is forgotten. */
export interface ProviderCopies {
  forget(providerMessageId: string): Promise<CopyForgotten>;
}

export interface ErasureDependencies {
  readonly users: Pick<UsersStore, 'findFresh' | 'remove'>;
  readonly devices: Pick<DeviceRegistry, 'listFor' | 'forget'>;
  readonly notifications: Pick<NotificationsStore, 'notificationIdsOf' | 'find' | 'eraseRecipient'>;
  readonly suppressions: Pick<SuppressionList, 'forgetSoftBounces'>;
  /** The channels whose provider keeps copies of what was sent. */
  readonly providerCopies: Partial<Record<Channel, ProviderCopies>>;
  /** What else is kept under the person's id: their frequency counters, their digests' windows, their topics. */
  readonly keyedByPerson: readonly { forgetPerson(userId: string): Promise<number> }[];
}

export interface ErasurePass {
  readonly devices: number;
  /** Records taken out of the person's name in this pass. */
  readonly records: number;
  /** Records whose provider copies could not all be deleted yet: they keep the person's id for the next pass. */
  readonly pending: number;
}

// Records are erased this many at a time: a person with months of notifications is erased in seconds, not minutes.
const ERASE_CONCURRENCY = 16;

export class PersonErasure {
  constructor(private readonly deps: ErasureDependencies) {}

  /** One pass; idempotent, and safe to make again at any time. */
  async pass(userId: string): Promise<ErasurePass> {
    const { users, devices: registry, suppressions } = this.deps;
    const user = await users.findFresh(userId);
    // Devices before the person's item: forgetting one updates that item, which would otherwise come back.
    const devices = await registry.listFor(userId);
    for (const device of devices) await registry.forget(userId, device);
    for (const [channel, address] of Object.entries(addressesOf(user)) as [Channel, string][])
      await suppressions.forgetSoftBounces(channel, address);
    await users.remove(userId);
    for (const store of this.deps.keyedByPerson) await store.forgetPerson(userId);
    let records = 0;
    let pending = 0;
    for await (const ids of this.deps.notifications.notificationIdsOf(userId)) {
      for (let start = 0; start < ids.length; start += ERASE_CONCURRENCY) {
        const outcomes = await Promise.all(ids.slice(start, start + ERASE_CONCURRENCY).map((id) => this.record(id)));
        records += outcomes.filter((outcome) => outcome === 'erased').length;
        pending += outcomes.filter((outcome) => outcome === 'pending').length;
      }
    }
    return { devices: devices.length, records, pending };
  }

  /** One record: its copies at the providers deleted, then the person's id taken off it (kept while any remains). */
  private async record(notificationId: string): Promise<'erased' | 'pending'> {
    const record = await this.deps.notifications.find(notificationId);
    const copies = Object.entries(this.deps.providerCopies).flatMap(([channel, provider]) => {
      const ids = record?.channels[channel as Channel]?.provider_message_id;
      return provider && ids ? ids.split(',').map((id) => provider.forget(id)) : [];
    });
    if ((await Promise.all(copies)).includes('pending')) return 'pending';
    await this.deps.notifications.eraseRecipient(notificationId);
    return 'erased';
  }
}
