import type { Producer } from './producer.js';

/**
 * Who may manage a topic: it belongs to the producer whose subscription created it, and only that producer, or one with
 * the admin scope, changes or reads its subscribers (a topic is an audience a producer broadcasts to: another's
 * subscribers are not its to see or add to). Pure: the owner is stored by an adapter (adapters/topics-store.ts).
 */
export function mayManageTopic(owner: string, producer: Pick<Producer, 'name' | 'scopes'>): boolean {
  return owner === producer.name || producer.scopes.includes('admin');
}

/** The topic exists and belongs to another producer. */
export class TopicOwnedByAnother extends Error {
  constructor(readonly topic: string) {
    super(`the topic ${topic} belongs to another producer`);
    this.name = 'TopicOwnedByAnother';
  }
}

/** Where a topic's owner is read, and claimed by the first producer to subscribe someone (a conditional write). */
export interface TopicOwners {
  owner(topic: string): Promise<string | undefined>;
  /** Claims the topic for `producer` unless someone has; answers its owner then. */
  claim(topic: string, producer: string): Promise<string>;
}

/** The ownership check every topic operation makes first. */
export class TopicOwnership {
  constructor(private readonly owners: TopicOwners) {}

  /**
   * Before a subscription: a topic no one has is created for the producer; one another producer owns is refused
   * (TopicOwnedByAnother), also when that producer claimed it a moment before this one tried.
   */
  async claimFor(topic: string, producer: Pick<Producer, 'name' | 'scopes'>): Promise<void> {
    const owner = (await this.owners.owner(topic)) ?? (await this.owners.claim(topic, producer.name));
    if (!mayManageTopic(owner, producer)) throw new TopicOwnedByAnother(topic);
  }

  /** Before a listing or an unsubscription: whether the topic exists; one another producer owns is refused. */
  async exists(topic: string, producer: Pick<Producer, 'name' | 'scopes'>): Promise<boolean> {
    const owner = await this.owners.owner(topic);
    if (owner === undefined) return false;
    if (!mayManageTopic(owner, producer)) throw new TopicOwnedByAnother(topic);
    return true;
  }
}
