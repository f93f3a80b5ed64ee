import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../lambdas/shared/domain/state-events.js';
import { ENV } from '../../lambdas/shared/platform/environment.js';
import { WEBHOOKS } from '../../lambdas/shared/platform/resources.js';
import { synthStack } from './stack-fixture.js';

let template: Template;
beforeAll(() => {
  template = synthStack();
});

const functionsNamed = (service: string) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );

describe('webhooks', () => {
  it("feeds every state event of the bus to the fan-out's queue, through a rule", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.anyValue(),
      EventPattern: { source: [EVENT_SOURCE] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebhooksQueue'), 'Arn'] } })],
    });
  });

  it('delivers from two lanes, each with its own maximum concurrency, with partial batch responses', () => {
    const deliveryId = functionsNamed('webhook-delivery')[0]?.[0];
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (mapping) => mapping.Properties.FunctionName?.Ref === deliveryId,
    );

    expect(mappings.map((mapping) => mapping.Properties.ScalingConfig?.MaximumConcurrency).sort()).toEqual(
      [WEBHOOKS.maxConcurrency.prompt, WEBHOOKS.maxConcurrency.slow].sort(),
    );
    for (const mapping of mappings)
      expect(mapping.Properties).toMatchObject({
        BatchSize: WEBHOOKS.delivery.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
  });

  it('lets no deployed function deliver to private addresses or retry on the local schedule', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const variables = fn.Properties.Environment?.Variables ?? {};
      expect(variables[ENV.webhookDestinations]).toBeUndefined();
      expect(variables[ENV.webhookRetrySchedule]).toBeUndefined();
    }
  });

  it("expires the endpoints' attempts, and alarms on the fan-out's and the deliveries' DLQs", () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      AttributeDefinitions: Match.not(Match.arrayWith([Match.objectLike({ AttributeName: 'log_partition' })])),
    });
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.some((id) => id.startsWith('WebhooksEventsNotFannedOut'))).toBe(true);
    expect(alarms.some((id) => id.startsWith('WebhooksDeliveriesDeadLettered'))).toBe(true);
  });
});
