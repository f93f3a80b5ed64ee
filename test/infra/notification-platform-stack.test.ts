import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../lambdas/channels/registry.js';
import { bulkLanePace } from '../../lambdas/shared/domain/bulk-lane.js';
import { API_FUNCTIONS, needsApiKey, OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import {
  CHANNEL_QUEUES,
  JOB_RETENTION_DAYS,
  maxReceiveCount,
  TABLES,
  type TableDefinition,
} from '../../lambdas/shared/platform/resources.js';
import { MAX_BATCH_BODY_BYTES } from '../../lambdas/shared/schemas/notification-batch.js';
import { numbersAbove } from '../../lib/api-firewall.js';
import { DEFAULT_STAGE, PRODUCTION_STAGE, resourceName } from '../../lib/stage.js';
import { allowedActions, buildStack, channelInfrastructure, settingsWith, synthStack } from './stack-fixture.js';

/** The channels whose provider tells the platform what became of a message. */
const FEEDBACK_CHANNELS = CHANNELS.filter((channel) => channelInfrastructure[channel].addFeedback);

let template: Template;
const settings = settingsWith();
beforeAll(() => {
  template = synthStack(settings);
});

describe("a recipient's links", () => {
  it('go to the consent function, which reads the link keys and writes only preferences and unsubscribes', () => {
    const links = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((method) =>
      ['unsubscribe', 'getPreferencePage', 'savePreferencePage'].includes(String(method.Properties.OperationName)),
    );
    expect(links.map((method) => method.Properties.HttpMethod).sort()).toEqual(['GET', 'POST', 'POST']);
    expect(links.every((method) => JSON.stringify(method.Properties.Integration.Uri).includes('Consent'))).toBe(true);
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const keys = Object.entries(secrets).find(([id]) => id.startsWith('ConsentKeys'));
    expect(keys?.[1].Properties.GenerateSecretString).toMatchObject({
      GenerateStringKey: 'current',
      PasswordLength: 64,
    });
  });

  it("tell the consent function the links' lifetimes set in platform.config.ts, in seconds", () => {
    const shorter = synthStack(
      settingsWith((settings) => {
        settings.links = { changeAnythingForDays: 7, unsubscribeForDays: 90 };
      }),
    );
    const consent = Object.values(shorter.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.LINK_LIFETIMES !== undefined,
    );
    expect(consent.map((fn) => JSON.parse(fn.Properties.Environment.Variables.LINK_LIFETIMES))).toEqual([
      { change_anything_seconds: 7 * 86_400, unsubscribe_seconds: 90 * 86_400 },
    ]);
  });
});

describe('users table', () => {
  it('has an index from phone number to users, with keys only (who texted STOP)', () => {
    const [users] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable')).filter((table) =>
      JSON.stringify(table.Properties.KeySchema).includes('user_id'),
    );
    expect(users?.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_phone_number',
        KeySchema: [{ AttributeName: 'phone_number', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });
});

describe('API', () => {
  it("requires an API key on every method but the webhooks and a recipient's links, which carry a signature instead", () => {
    template.resourceCountIs('AWS::ApiGateway::Method', OPERATION_LIST.length);
    const withoutKey = Object.values(template.findResources('AWS::ApiGateway::Method'))
      .filter((method) => method.Properties.ApiKeyRequired !== true)
      .map((method) => method.Properties.OperationName);
    expect(withoutKey.sort()).toEqual([
      'getPreferencePage',
      'savePreferencePage',
      'twilioInboundMessage',
      'twilioStatusCallback',
      'unsubscribe',
    ]);
  });

  it("routes Twilio's two webhooks, POST only, to the function that checks their signature", () => {
    const webhooks = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((method) =>
      String(method.Properties.OperationName).startsWith('twilio'),
    );
    expect(webhooks.map((method) => method.Properties.HttpMethod)).toEqual(['POST', 'POST']);
    const functions = webhooks.map((method) => JSON.stringify(method.Properties.Integration.Uri));
    expect(functions.every((uri) => uri.includes('SmsWebhooks'))).toBe(true);
  });

  it('has a method for every operation of the table, under its path, named by the operation', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (method) => `${method.Properties.OperationName} ${method.Properties.HttpMethod}`,
    );
    expect(methods.sort()).toEqual(OPERATION_LIST.map((operation) => `${operation.id} ${operation.method}`).sort());
  });

  it("checks each body's shape against a model of its operation's schema before any function runs", () => {
    const withBody = OPERATION_LIST.filter((operation) => operation.body && !operation.formBody);
    template.resourceCountIs('AWS::ApiGateway::Model', withBody.length);
    const models = Object.values(template.findResources('AWS::ApiGateway::Model'));
    const send = models.find((model) => model.Properties.Name === 'sendNotificationBody')?.Properties.Schema;
    expect(send).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
      // user_id or topic: one of them, which the handler checks (naming the field).
      required: ['type', 'payload'],
      additionalProperties: false,
    });
    // Only the shape: the handler checks values, naming the field (API Gateway's message would not).
    expect(JSON.stringify(models)).not.toMatch(/"(pattern|enum|maxLength|minLength)"/);
    const validators = template.findResources('AWS::ApiGateway::RequestValidator');
    const validatorOf = (method: ReturnType<Template['findResources']>[string]) =>
      validators[method.Properties.RequestValidatorId.Ref]?.Properties;
    for (const method of Object.values(template.findResources('AWS::ApiGateway::Method'))) {
      // The body is checked where a JSON model says what it is, and nowhere else (a form is not JSON).
      expect(validatorOf(method)).toEqual({
        RestApiId: expect.anything(),
        ValidateRequestParameters: true,
        ValidateRequestBody: method.Properties.RequestModels?.['application/json'] !== undefined,
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"invalid_request"') },
    });
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

  it('logs access as JSON, throttles the stage, and each keyless method below it with a throttle of its own', () => {
    const keyless = OPERATION_LIST.filter((operation) => !needsApiKey(operation));
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: { Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: [
        Match.objectLike({
          ResourcePath: '/*',
          HttpMethod: '*',
          ThrottlingRateLimit: settings.api.rateLimit,
          ThrottlingBurstLimit: settings.api.burstLimit,
        }),
        ...keyless.map((operation) =>
          Match.objectLike({
            ResourcePath: operation.path.replaceAll('/', '~1').replace(/^~1/, '/~1'),
            HttpMethod: operation.method,
            ThrottlingRateLimit: settings.api.keyless.rateLimit,
            ThrottlingBurstLimit: settings.api.keyless.burstLimit,
            MetricsEnabled: true,
            LoggingLevel: 'ERROR',
          }),
        ),
      ],
    });
    expect(settings.api.keyless.rateLimit).toBeLessThan(settings.api.rateLimit);
  });

  it("keeps the recipients' link tokens out of sampled traces: X-Ray samples none of those requests", () => {
    for (const urlPath of ['*/unsubscribe/*', '*/consent/*'])
      template.hasResourceProperties('AWS::XRay::SamplingRule', {
        SamplingRule: Match.objectLike({
          ServiceName: `${resourceName(DEFAULT_STAGE)}/v1`,
          ServiceType: 'AWS::ApiGateway::Stage',
          URLPath: urlPath,
          FixedRate: 0,
          ReservoirSize: 0,
        }),
      });
    template.resourceCountIs('AWS::XRay::SamplingRule', 2);
  });

  it("serves the keyless routes at a custom domain when one is given, and puts it in links and Twilio's callbacks", () => {
    const withDomain = synthStack(
      settingsWith((settings) => {
        settings.api.domainName = {
          name: 'notify.example.com',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1a2c3d-0000-4000-8000-000000000000',
        };
      }),
    );

    withDomain.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'notify.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    withDomain.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { BasePath: 'v1' });
    const urls = Object.values(withDomain.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment?.Variables?.PUBLIC_API_URL,
    );
    expect(urls.filter((url) => url !== undefined).length).toBeGreaterThan(10);
    expect(new Set(urls.filter((url) => url !== undefined))).toEqual(new Set(['https://notify.example.com/v1']));
    expect(Object.keys(withDomain.findOutputs('ApiDomainTarget'))).toEqual(['ApiDomainTarget']);
  });

  it('puts AWS WAF in front: a rate per source IP (429), bodies over 64 KiB (413) but a batch, AWS common rules and known bad inputs', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: [
        Match.objectLike({
          Name: 'rate-per-source-ip',
          Priority: 0,
          Statement: {
            RateBasedStatement: {
              Limit: settings.api.requestsPerSourceIpPer5Minutes,
              AggregateKeyType: 'IP',
              EvaluationWindowSec: 300,
            },
          },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 429 }) } },
        }),
        Match.objectLike({
          Name: 'keyless-rate-per-source-ip',
          Priority: 1,
          Statement: {
            RateBasedStatement: Match.objectLike({
              Limit: settings.api.keyless.requestsPerSourceIpPer5Minutes,
              AggregateKeyType: 'IP',
              ScopeDownStatement: {
                OrStatement: {
                  Statements: [
                    '/v1/webhooks/twilio/status',
                    '/v1/webhooks/twilio/inbound',
                    '/v1/unsubscribe/',
                    '/v1/consent/',
                  ].map((prefix) => ({
                    ByteMatchStatement: Match.objectLike({
                      SearchString: prefix,
                      FieldToMatch: { UriPath: {} },
                      PositionalConstraint: 'STARTS_WITH',
                    }),
                  })),
                },
              },
            }),
          },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 429 }) } },
        }),
        Match.objectLike({
          Name: 'body-size-limit',
          Statement: {
            AndStatement: {
              Statements: [
                {
                  SizeConstraintStatement: Match.objectLike({
                    FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
                    ComparisonOperator: 'GT',
                    Size: 65_536,
                  }),
                },
                // A batch takes more than WAF can see of a body (64 KB): the rule below holds it to its own limit.
                {
                  NotStatement: {
                    Statement: {
                      ByteMatchStatement: Match.objectLike({
                        SearchString: '/v1/notifications/batch',
                        FieldToMatch: { UriPath: {} },
                        PositionalConstraint: 'EXACTLY',
                      }),
                    },
                  },
                },
              ],
            },
          },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 413 }) } },
        }),
        Match.objectLike({
          Name: 'body-size-limit-v1-notifications-batch',
          Statement: {
            AndStatement: {
              Statements: [
                { ByteMatchStatement: Match.objectLike({ SearchString: '/v1/notifications/batch' }) },
                {
                  RegexMatchStatement: Match.objectLike({
                    RegexString: numbersAbove(MAX_BATCH_BODY_BYTES),
                    FieldToMatch: { SingleHeader: { Name: 'content-length' } },
                  }),
                },
              ],
            },
          },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 413 }) } },
        }),
        Match.objectLike({
          Name: 'aws-common-rule-set',
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: {
              VendorName: 'AWS',
              Name: 'AWSManagedRulesCommonRuleSet',
              // The group's own 8 KB body limit would refuse real payloads; HTML is what templates are.
              RuleActionOverrides: [
                { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
                { Name: 'CrossSiteScripting_BODY', ActionToUse: { Count: {} } },
              ],
            },
          },
        }),
        Match.objectLike({
          Name: 'aws-known-bad-inputs',
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
        }),
      ],
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  it('accepts any source by default: no resource policy, a regional endpoint', () => {
    const api = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0];

    expect(api?.Properties.Policy).toBeUndefined();
    // Regional, not edge-optimized: WAF's rate per source IP sees the producers' addresses, not CloudFront's.
    expect(api?.Properties.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
  });

  it('with allowed CIDRs, denies every other source address in the resource policy', () => {
    const restricted = synthStack(
      settingsWith((settings) => {
        settings.api.allowedSources = { cidrs: ['203.0.113.0/24', '2001:db8::/32'] };
      }),
    );

    // On the producers' routes, by name: a recipient's links and Twilio's webhooks are called from anywhere
    // (allowed-sources.test.ts evaluates the policy for every route).
    restricted.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          Match.objectLike({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Resource: Match.arrayWith(['execute-api:/*/POST/notifications', 'execute-api:/*/DELETE/users/*']),
            Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
          }),
        ],
      },
    });
  });

  it('with allowed VPC endpoints, is a private API reachable through them, and from the CIDRs inside the VPC', () => {
    const restricted = synthStack(
      settingsWith((settings) => {
        settings.api.allowedSources = { vpcEndpoints: ['vpce-0123456789abcdef0'], cidrs: ['10.0.0.0/16'] };
      }),
    );

    restricted.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0123456789abcdef0'] },
      Policy: {
        Statement: [
          Match.objectLike({ Effect: 'Allow' }),
          Match.objectLike({
            Effect: 'Deny',
            Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0123456789abcdef0'] } },
          }),
          Match.objectLike({ Effect: 'Deny', Condition: { NotIpAddress: { 'aws:VpcSourceIp': ['10.0.0.0/16'] } } }),
        ],
      },
    });
  });

  it('routes DELETE /users/{user_id} to the erasure function, with a key like every route', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'DELETE',
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.user_id': true },
      Integration: Match.objectLike({
        Uri: Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([
              Match.objectLike({ 'Fn::GetAtt': Match.arrayWith([Match.stringLikeRegexp('^UserErasure')]) }),
            ]),
          ]),
        }),
      }),
    });
  });
});

describe('channels', () => {
  it("has a job queue and a dead-letter queue per channel, per feedback, for erasures, scheduled dispatches, broadcasts and webhook events, a bulk lane per channel, and the webhook deliveries' two lanes and their DLQ, encrypted and TLS-only", () => {
    const queues = (CHANNELS.length + FEEDBACK_CHANNELS.length + 4) * 2 + CHANNELS.length + 3;
    template.resourceCountIs('AWS::SQS::Queue', queues);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::SQS::QueuePolicy', queues);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("feeds each worker from both its lanes with partial batch responses and a maximum concurrency each, each feedback function, erasures, scheduled dispatches, broadcasts, the events' publisher, and the webhooks' fan-out and both delivery lanes", () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2 * CHANNELS.length + FEEDBACK_CHANNELS.length + 7);
    for (const channel of CHANNELS) {
      const { bulk } = settings.channels[channel];
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: settings.channels[channel].batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: settings.channels[channel].maxConcurrency },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: bulkLanePace(bulk, CHANNEL_QUEUES[channel].workerTimeoutSeconds).batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: bulk.maxConcurrency },
      });
    }
  });

  it.each(CHANNELS)(
    'reserves the %s worker its own concurrency and keeps jobs hidden six times its timeout',
    (channel) => {
      const worker = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(`${channel.charAt(0).toUpperCase()}${channel.slice(1)}ChannelWorker`),
      )?.[1];

      // Both its lanes: the channel's queue and its bulk lane.
      expect(worker?.Properties.ReservedConcurrentExecutions).toBe(
        settings.channels[channel].maxConcurrency + settings.channels[channel].bulk.maxConcurrency,
      );
      expect(worker?.Properties.Timeout).toBe(CHANNEL_QUEUES[channel].workerTimeoutSeconds);
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 6 * CHANNEL_QUEUES[channel].workerTimeoutSeconds,
        RedrivePolicy: { maxReceiveCount: maxReceiveCount(CHANNEL_QUEUES[channel]) },
        // Said, not left to SQS's default: longer than any job may wait (channelQueueProblems checks it).
        MessageRetentionPeriod: JOB_RETENTION_DAYS * 24 * 3600,
      });
    },
  );

  it('says at synth what the workers reserve, and reserves nothing for a channel told not to', () => {
    const stack = buildStack(
      settingsWith((changed) => {
        changed.channels.sms.reserveConcurrency = false;
      }),
    );
    const unreserved = Template.fromStack(stack);

    const sms = Object.entries(unreserved.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('SmsChannelWorker'),
    )?.[1];
    expect(sms?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const total =
      settings.channels.email.maxConcurrency +
      settings.channels.email.bulk.maxConcurrency +
      settings.channels.push.maxConcurrency +
      settings.channels.push.bulk.maxConcurrency;
    unreserved.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: settings.channels.sms.maxConcurrency },
    });
    const notes = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp(`reserve ${total} concurrent`));
    expect(notes).toHaveLength(1);
  });

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
    // The API's, a worker and a feedback function per channel, the erasure's follow-up, the scheduler's two, the
    // broadcasts' fan-out, the events' publisher, and the webhooks' fan-out and delivery.
    expect(ours).toHaveLength(API_FUNCTIONS.length + CHANNELS.length + FEEDBACK_CHANNELS.length + 7);
    for (const fn of ours) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('never put a response into a trace: it holds addresses, numbers and payload values', () => {
    const ours = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    for (const fn of ours) expect(fn.Properties.Environment.Variables.POWERTOOLS_TRACER_CAPTURE_RESPONSE).toBe('false');
  });
});

describe('preferences cache', () => {
  it('is off as shipped: no cluster, no VPC (docs/capacity.md: on cost it pays for itself only at very high volume)', () => {
    expect(settings.preferencesCache.enabled).toBe(false);
    template.resourceCountIs('AWS::DAX::Cluster', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it('runs a DAX cluster with its subnet group and parameter group, and ingest in its VPC', () => {
    const template = synthStack(settingsWith((settings) => (settings.preferencesCache.enabled = true)));

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
  it.each(Object.entries(TABLES))(
    'keys the %s table as the platform description says',
    (_name, definition: TableDefinition) => {
      const keySchema = [{ AttributeName: definition.partitionKey.name, KeyType: 'HASH' }];
      if (definition.sortKey) keySchema.push({ AttributeName: definition.sortKey.name, KeyType: 'RANGE' });
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { KeySchema: keySchema });
    },
  );

  it('bills on demand with point-in-time recovery, and expires notification items', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length);
    template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: TABLES.notifications.timeToLiveAttribute, Enabled: true },
    });
  });

  it('retains and protects the tables in production, and not in a dev stack', () => {
    const production = synthStack(settingsWith(), { stage: PRODUCTION_STAGE });

    production.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
    production.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
    });
    template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it('retains and protects the tables of any stage whose settings say protectData, whatever its name', () => {
    const prod = synthStack(
      settingsWith((settings) => {
        settings.protectData = true;
      }),
      { stage: 'prod' },
    );
    prod.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
    const unprotected = synthStack(
      settingsWith((settings) => {
        settings.protectData = false;
      }),
      { stage: PRODUCTION_STAGE },
    );
    unprotected.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
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

describe('email feedback', () => {
  it('sends every email in a configuration set whose events go to an encrypted topic', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({
        Enabled: true,
        MatchingEventTypes: ['delivery', 'bounce', 'complaint', 'reject', 'deliveryDelay', 'renderingFailure'],
        SnsDestination: Match.objectLike({ TopicARN: Match.anyValue() }),
      }),
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'ses.amazonaws.com' } }),
        ]),
      },
    });
    const worker = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('EmailChannelWorker'),
    )?.[1];
    expect(worker?.Properties.Environment.Variables.SES_CONFIGURATION_SET).toBeDefined();
  });

  it("delivers the topic's events raw to the feedback queue, read with partial batch responses", () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: true });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EmailChannelFeedbackQueue'), 'Arn'] },
    });
  });

  it("alarms on the account's bounce and complaint rates below where SES reviews it", () => {
    for (const [metricName, threshold] of [
      ['Reputation.BounceRate', 0.04],
      ['Reputation.ComplaintRate', 0.0008],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SES',
        MetricName: metricName,
        Threshold: threshold,
        AlarmActions: Match.anyValue(),
      });
    }
  });
});

describe('the scheduler', () => {
  it('runs the due drain every minute, and keeps notifications scheduled beyond the lookahead in a sparse index', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })]),
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'by_due_time',
          KeySchema: [
            { AttributeName: 'due_shard', KeyType: 'HASH' },
            { AttributeName: 'due_at', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
      ]),
    });
  });

  it('alarms when a scheduled notification could not be dispatched and rests in the dispatch DLQ', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^a scheduled notification could not be dispatched'),
      Threshold: 0,
    });
  });
});
