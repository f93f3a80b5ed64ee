import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ChannelQueue } from './channel-queue.js';
import { NotificationTables } from './notification-tables.js';
import { CHANNELS, type Channel } from './platform-config.js';

export interface NotificationPlatformStackProps extends StackProps {
  /**
   * Keep tables on stack deletion and turn on their deletion protection.
   * @default true
   */
  readonly protectData?: boolean;
}

/** The whole platform in one stack: its tables and one queue pair per channel. */
export class NotificationPlatformStack extends Stack {
  public readonly tables: NotificationTables;
  public readonly channelQueues: Readonly<Record<Channel, ChannelQueue>>;

  constructor(scope: Construct, id: string, props: NotificationPlatformStackProps = {}) {
    super(scope, id, props);
    this.tables = new NotificationTables(this, 'Tables', { protectData: props.protectData });

    const channelQueues = {} as Record<Channel, ChannelQueue>;
    for (const channel of CHANNELS) {
      const id = `${capitalize(channel)}Channel`;
      const channelQueue = new ChannelQueue(this, id, { channel });
      channelQueues[channel] = channelQueue;
      new CfnOutput(this, `${id}QueueUrl`, { value: channelQueue.queue.queueUrl });
      new CfnOutput(this, `${id}DeadLetterQueueUrl`, { value: channelQueue.deadLetterQueue.queueUrl });
    }
    this.channelQueues = channelQueues;

    for (const [name, table] of Object.entries({
      Users: this.tables.users,
      Devices: this.tables.devices,
      Notifications: this.tables.notifications,
      Templates: this.tables.templates,
    })) {
      new CfnOutput(this, `${name}TableName`, { value: table.tableName });
    }
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
