import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotificationPlatformStack } from '../../lib/notification-platform-stack.js';
import {
  CHANNEL_QUEUES,
  CHANNELS,
  TABLES,
  type TableDefinition,
  visibilityTimeoutSeconds,
} from '../../lib/platform-config.js';

function synth(props: ConstructorParameters<typeof NotificationPlatformStack>[2] = {}): Template {
  return Template.fromStack(new NotificationPlatformStack(new App(), 'Test', props));
}

describe('NotificationPlatformStack', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  describe('channel queues', () => {
    it('has one job queue and one dead-letter queue per channel', () => {
      template.resourceCountIs('AWS::SQS::Queue', CHANNELS.length * 2);
    });

    it.each(CHANNELS)('sends %s jobs to their own DLQ after the redrive limit', (channel) => {
      const id = `${channel.charAt(0).toUpperCase()}${channel.slice(1)}Channel`;
      const dlq = template.findResources('AWS::SQS::Queue', { Properties: { MessageRetentionPeriod: 14 * 24 * 3600 } });
      const dlqLogicalId = Object.keys(dlq).find((logicalId) => logicalId.startsWith(`${id}DeadLetterQueue`));
      expect(dlqLogicalId).toBeDefined();

      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: visibilityTimeoutSeconds(CHANNEL_QUEUES[channel]),
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [dlqLogicalId, 'Arn'] },
          maxReceiveCount: CHANNEL_QUEUES[channel].maxReceiveCount,
        },
      });
    });

    it('encrypts every queue', () => {
      const queues = Object.values(template.findResources('AWS::SQS::Queue'));
      expect(queues.every((queue) => queue.Properties?.SqsManagedSseEnabled === true)).toBe(true);
    });

    it('denies every queue request that is not over TLS', () => {
      template.resourceCountIs('AWS::SQS::QueuePolicy', CHANNELS.length * 2);
      template.allResourcesProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  describe('tables', () => {
    it('has the four tables of the design', () => {
      template.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length);
    });

    it.each(Object.entries(TABLES))(
      'keys the %s table as platform-config says',
      (_name, definition: TableDefinition) => {
        const keySchema = [{ AttributeName: definition.partitionKey.name, KeyType: 'HASH' }];
        if (definition.sortKey) keySchema.push({ AttributeName: definition.sortKey.name, KeyType: 'RANGE' });
        template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { KeySchema: keySchema });
      },
    );

    it('expires notification items through TTL', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: Match.arrayWith([{ AttributeName: 'pk', KeyType: 'HASH' }]),
        TimeToLiveSpecification: { AttributeName: TABLES.notifications.timeToLiveAttribute, Enabled: true },
      });
    });

    it('bills on demand, with point-in-time recovery and deletion protection, and retains data', () => {
      template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
        BillingMode: 'PAY_PER_REQUEST',
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      });
      template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('lets a throwaway stack delete its tables', () => {
      const throwaway = synth({ protectData: false });

      throwaway.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
      throwaway.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
      });
    });
  });

  it('outputs every queue URL and table name', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'EmailChannelQueueUrl',
        'SmsChannelDeadLetterQueueUrl',
        'PushChannelQueueUrl',
        'UsersTableName',
        'NotificationsTableName',
      ]),
    );
  });
});
