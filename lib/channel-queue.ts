import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Channel } from '../lambdas/channels/registry.js';
import {
  CHANNEL_QUEUES,
  type ChannelQueueSettings,
  channelQueueProblems,
  DEAD_LETTER_RETENTION_DAYS,
  JOB_RETENTION_DAYS,
  maxReceiveCount,
  visibilityTimeoutSeconds,
} from '../lambdas/shared/platform/resources.js';

export interface ChannelQueueProps {
  /** The channel whose jobs this queue carries. */
  readonly channel: Channel;
  /**
   * Worker timeout and redrive limit.
   * @default CHANNEL_QUEUES[channel] from lambdas/shared/platform/resources.ts
   */
  readonly settings?: ChannelQueueSettings;
}

/**
 * One channel's job queue and the dead-letter queue its failed jobs rest in.
 * Both are encrypted and refuse requests that are not over TLS.
 */
export class ChannelQueue extends Construct {
  public readonly channel: Channel;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ChannelQueueProps) {
    super(scope, id);
    const settings = props.settings ?? CHANNEL_QUEUES[props.channel];
    const [problem] = channelQueueProblems(settings);
    if (problem) throw new Error(`ChannelQueue ${props.channel}: ${problem}`);

    this.channel = props.channel;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(settings)),
      retentionPeriod: Duration.days(JOB_RETENTION_DAYS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: maxReceiveCount(settings) },
    });
  }
}
