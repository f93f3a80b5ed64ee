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
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = queueWithDeadLetter(this, {
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(settings),
      retentionDays: JOB_RETENTION_DAYS,
      maxReceiveCount: maxReceiveCount(settings),
    }));
  }
}

/**
 * A queue ('Queue') and the dead-letter queue ('DeadLetterQueue') its messages rest in after maxReceiveCount
 * receives, in `scope`. Both are encrypted and refuse requests that are not over TLS.
 */
export function queueWithDeadLetter(
  scope: Construct,
  props: {
    readonly visibilityTimeoutSeconds: number;
    readonly retentionDays: number;
    readonly maxReceiveCount: number;
  },
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(props.visibilityTimeoutSeconds),
    retentionPeriod: Duration.days(props.retentionDays),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}
