import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_QUEUES, CHANNELS, maxReceiveCount, TABLES, type TableDefinition } from '../../lib/platform-config.js';
import { allowedActions, settingsWith, synthStack } from './stack-fixture.js';

let template: Template;
const settings = settingsWith();
beforeAll(() => {
  template = synthStack(settings);
});

describe('API', () => {
  it('requires an API key on every method', () => {
    template.resourceCountIs('AWS::ApiGateway::Method', 10);
    template.allResourcesProperties('AWS::ApiGateway::Method', { ApiKeyRequired: true });
  });

  it('has one usage plan per producer, with its throttle and daily quota', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', settings.producers.length);
    for (const producer of settings.producers) {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `notification-platform-dev-${producer.name}`,
        Throttle: { RateLimit: producer.rateLimit, BurstLimit: producer.burstLimit },
        Quota: { Limit: producer.dailyQuota, Period: 'DAY' },
      });
    }
  });

  it('creates a key per producer whose value is never in the template, and outputs the key ids', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', settings.producers.length);
    for (const key of Object.values(template.findResources('AWS::ApiGateway::ApiKey'))) {
      expect(key.Properties.Value).toBeUndefined();
    }
    const outputs = Object.keys(template.findOutputs('*'));
    for (const producer of settings.producers)
      expect(outputs.some((id) => id.includes(`${producer.name.replaceAll('-', '')}ApiKeyId`))).toBe(true);
  });

  it('logs access as JSON and throttles the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: { Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: settings.api.rateLimit,
          ThrottlingBurstLimit: settings.api.burstLimit,
        }),
      ],
    });
  });

  it('refuses bodies over 64 KiB at the edge with AWS WAF', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [
        Match.objectLike({
          Statement: { SizeConstraintStatement: Match.objectLike({ ComparisonOperator: 'GT', Size: 65_536 }) },
        }),
      ],
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });
});

describe('channels', () => {
  it('has one job queue and one dead-letter queue per channel, encrypted and TLS-only', () => {
    template.resourceCountIs('AWS::SQS::Queue', CHANNELS.length * 2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::SQS::QueuePolicy', CHANNELS.length * 2);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('feeds each worker with partial batch responses and a maximum concurrency', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    for (const channel of CHANNELS) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: settings.channels[channel].batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: settings.channels[channel].maxConcurrency },
      });
    }
  });

  it.each(CHANNELS)(
    'reserves the %s worker its own concurrency and keeps jobs hidden six times its timeout',
    (channel) => {
      const worker = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(`${channel.charAt(0).toUpperCase()}${channel.slice(1)}ChannelWorker`),
      )?.[1];

      expect(worker?.Properties.ReservedConcurrentExecutions).toBe(settings.channels[channel].maxConcurrency);
      expect(worker?.Properties.Timeout).toBe(CHANNEL_QUEUES[channel].workerTimeoutSeconds);
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 6 * CHANNEL_QUEUES[channel].workerTimeoutSeconds,
        RedrivePolicy: { maxReceiveCount: maxReceiveCount(CHANNEL_QUEUES[channel]) },
      });
    },
  );

  it('alarms on every dead-letter queue, queue age and worker errors', () => {
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    for (const channel of ['Email', 'Sms', 'Push']) {
      expect(alarms.some((id) => id.startsWith(`${channel}ChannelDeadLetters`))).toBe(true);
      expect(alarms.some((id) => id.startsWith(`${channel}ChannelOldestJobAge`))).toBe(true);
      expect(alarms.some((id) => id.startsWith(`${channel}ChannelWorkerErrors`))).toBe(true);
    }
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('OperationsAlarms') })],
    });
  });
});

describe('functions', () => {
  it('run Node.js 24 on ARM64 with tracing', () => {
    const ours = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(ours).toHaveLength(9);
    for (const fn of ours) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
  });
});

describe('least privilege', () => {
  it('lets the email worker send email and do nothing on SNS', () => {
    const actions = allowedActions(template, 'EmailChannelWorkerServiceRoleDefaultPolicy');
    expect(actions).toContain('ses:SendEmail');
    expect(actions).toContain('sqs:SendMessage');
    expect(actions.filter((action) => action.startsWith('sns:'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('lets the push worker publish to SNS and do nothing on SES', () => {
    const template = synthStack(
      settingsWith((settings) => {
        settings.push.fcmPlatformApplicationArn = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/acme';
      }),
    );
    const actions = allowedActions(template, 'PushChannelWorkerServiceRoleDefaultPolicy');
    expect(actions).toContain('sns:Publish');
    expect(actions.filter((action) => action.startsWith('ses:'))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['sns:Publish', 'sns:DeleteEndpoint'],
            Resource: 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/acme/*',
          }),
        ]),
      },
    });
  });

  it('lets the SMS worker read the Twilio secret and nothing on SES or SNS', () => {
    const actions = allowedActions(template, 'SmsChannelWorkerServiceRoleDefaultPolicy');
    expect(actions).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue']));
    expect(actions.filter((action) => action.startsWith('ses:') || action.startsWith('sns:'))).toEqual([]);
  });

  it.each(CHANNELS)('lets the %s worker send to its own queue and its own DLQ, and to no other queue', (channel) => {
    const name = `${channel[0]?.toUpperCase()}${channel.slice(1)}ChannelWorkerServiceRoleDefaultPolicy`;
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith(name));
    const statements: { Action: string | string[]; Resource: unknown }[] =
      policy?.[1].Properties.PolicyDocument.Statement ?? [];
    const targets = statements
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))
      .map((statement) => JSON.stringify(statement.Resource));

    expect(targets).toHaveLength(2);
    expect(targets.some((target) => /DeadLetterQueue/.test(target))).toBe(true);
    expect(targets.every((target) => target.includes(`${channel[0]?.toUpperCase()}${channel.slice(1)}Channel`))).toBe(
      true,
    );
  });

  it('lets ingest send to the three queues and read, not write, the templates table', () => {
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('IngestServiceRoleDefaultPolicy'),
    )?.[1];
    const statements: { Action: string | string[]; Resource: unknown }[] =
      policy?.Properties.PolicyDocument.Statement ?? [];
    const on = (resourcePrefix: string) =>
      statements
        .filter((statement) => JSON.stringify(statement.Resource).includes(resourcePrefix))
        .flatMap((statement) => [statement.Action].flat());
    expect(statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))).toHaveLength(3);
    expect(on('TablesTemplates')).toContain('dynamodb:GetItem');
    expect(on('TablesTemplates').filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });
});

describe('preferences cache', () => {
  it('runs a DAX cluster with its subnet group and parameter group, and ingest in its VPC', () => {
    template.resourceCountIs('AWS::DAX::Cluster', 1);
    template.hasResourceProperties('AWS::DAX::Cluster', {
      NodeType: settings.preferencesCache.nodeType,
      ReplicationFactor: settings.preferencesCache.nodes,
      SSESpecification: { SSEEnabled: true },
      ClusterEndpointEncryptionType: 'TLS',
    });
    template.resourceCountIs('AWS::DAX::SubnetGroup', 1);
    template.hasResourceProperties('AWS::DAX::ParameterGroup', {
      ParameterNameValues: { 'record-ttl-millis': String(settings.preferencesCache.itemTtlSeconds * 1000) },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DAX_ENDPOINT: Match.anyValue() }) },
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
  });

  it('has no cluster and no VPC with the cache turned off; ingest then reads DynamoDB', () => {
    const withoutCache = synthStack(
      settingsWith((settings) => {
        settings.preferencesCache.enabled = false;
      }),
    );

    withoutCache.resourceCountIs('AWS::DAX::Cluster', 0);
    withoutCache.resourceCountIs('AWS::DAX::SubnetGroup', 0);
    withoutCache.resourceCountIs('AWS::DAX::ParameterGroup', 0);
    withoutCache.resourceCountIs('AWS::EC2::VPC', 0);
    expect(allowedActions(withoutCache, 'IngestServiceRoleDefaultPolicy')).toContain('dynamodb:GetItem');
  });
});

describe('tables', () => {
  it.each(Object.entries(TABLES))('keys the %s table as platform-config says', (_name, definition: TableDefinition) => {
    const keySchema = [{ AttributeName: definition.partitionKey.name, KeyType: 'HASH' }];
    if (definition.sortKey) keySchema.push({ AttributeName: definition.sortKey.name, KeyType: 'RANGE' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { KeySchema: keySchema });
  });

  it('bills on demand with point-in-time recovery, and expires notification items', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 4);
    template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: TABLES.notifications.timeToLiveAttribute, Enabled: true },
    });
  });

  it('retains and protects the tables in production, and not in a dev stack', () => {
    const production = synthStack(
      settingsWith((settings) => {
        settings.environment = 'production';
      }),
    );

    production.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
    production.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
    });
    template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});

it('outputs the API URL, every queue URL and table name, and the alarm topic', () => {
  const outputs = Object.keys(template.findOutputs('*'));
  expect(outputs).toEqual(
    expect.arrayContaining([
      'ApiUrl',
      'EmailQueueUrl',
      'SmsDeadLetterQueueUrl',
      'PushQueueUrl',
      'UsersTableName',
      'NotificationsTableName',
      'AlarmTopicArn',
    ]),
  );
});
