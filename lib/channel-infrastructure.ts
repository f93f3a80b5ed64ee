import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import type { NotificationFunction } from './notification-function.js';
import type { NotificationTables } from './notification-tables.js';
import type { PlatformKeys } from './platform-keys.js';
import type { PlatformSettings } from './settings.js';

export interface WorkerContext {
  readonly settings: PlatformSettings;
  readonly tables: NotificationTables;
  /** The keys of recipients' links, for a worker that puts one in a message (an email's unsubscribe link). */
  readonly consentKeys: PlatformKeys;
  /** The peppers of the suppression list's keys, for a function that reads or writes the list. */
  readonly suppressionKeys: PlatformKeys;
}

/**
 * A channel's part of the stack, in its folder (lambdas/channels/<name>/infrastructure.ts): what its worker needs
 * of its provider (variables, credentials) and exactly the permissions its provider calls need.
 */
export interface FeedbackContext extends WorkerContext {
  /** The channel's worker (its provider configuration may come from the feedback's resources). */
  readonly worker: NotificationFunction;
  /** Where the feedback's alarms go. */
  readonly alarmAction: IAlarmAction;
}

export interface ChannelInfrastructure {
  equipWorker(worker: NotificationFunction, context: WorkerContext): void;
  /**
   * What the provider tells the platform after the send (delivery, bounces, complaints), and the function that
   * records it: for a channel whose provider says anything.
   */
  addFeedback?(scope: Construct, context: FeedbackContext): void;
  /** Gives the function of the provider's webhooks what they read: the provider's credentials, the channel's settings. */
  equipWebhooks?(fn: NotificationFunction, context: WorkerContext): void;
  /**
   * Gives a function that erases people what it needs to delete the provider's copies of what was sent to them: for a
   * channel whose provider keeps copies (Twilio keeps each text).
   */
  equipErasure?(fn: NotificationFunction, context: WorkerContext): void;
  /** Gives the templates function what it checks a saved template against (the opt-out line a text ends with). */
  equipTemplates?(fn: NotificationFunction, context: WorkerContext): void;
}

/** Every channel's infrastructure, loaded from its folder; a channel without one is named. */
export async function loadChannelInfrastructure(): Promise<Readonly<Record<Channel, ChannelInfrastructure>>> {
  const loaded = await Promise.all(
    CHANNELS.map(async (channel) => {
      const file = new URL(`../lambdas/channels/${channel}/infrastructure.ts`, import.meta.url).href;
      const module = (await import(/* @vite-ignore */ file).catch((error: Error) => {
        throw new Error(
          `channel ${channel}: lambdas/channels/${channel}/infrastructure.ts is missing (${error.message})`,
        );
      })) as { infrastructure?: ChannelInfrastructure };
      if (!module.infrastructure)
        throw new Error(`channel ${channel}: its infrastructure.ts exports no \`infrastructure\``);
      return [channel, module.infrastructure] as const;
    }),
  );
  return Object.fromEntries(loaded) as Record<Channel, ChannelInfrastructure>;
}
