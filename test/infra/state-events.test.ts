import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_PUBLISHER } from '../../lambdas/shared/platform/resources.js';
import { validatePlatformSettings } from '../../lib/settings.js';
import config from '../../platform.config.js';
import { settingsWith, synthStack } from './stack-fixture.js';

const SUBSCRIBER = '210987654321';
let template: Template;
beforeAll(() => {
  template = synthStack(settingsWith((settings) => (settings.events.subscriberAccounts = [SUBSCRIBER])));
});

describe('state events', () => {
  it("streams the notifications table's changes with the item before and after each", () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it("feeds the publisher only a notification record's creations and changes, from the stream's start, retried until it passes", () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((mapping) =>
      JSON.stringify(mapping.Properties.EventSourceArn).includes('StreamArn'),
    );

    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: EVENT_PUBLISHER.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: -1,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(EVENT_PUBLISHER.filter) }] },
    });
  });

  it('alarms when the publisher falls more than five minutes behind', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 300_000,
      AlarmActions: Match.anyValue(),
    });
  });

  it('lets a subscriber account manage only the rules it created on the bus', () => {
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Principal: { AWS: [`arn:aws:iam::${SUBSCRIBER}:root`] },
        Action: Match.arrayWith(['events:PutRule', 'events:PutTargets']),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
        Condition: { StringEqualsIfExists: { 'events:creatorAccount': '${aws:PrincipalAccount}' } },
      },
    });
  });

  it('sets no bus policy when no other account is named', () => {
    synthStack().resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });

  it('refuses a subscriber that is not an account id, naming the field', () => {
    const raw = { ...structuredClone(config), events: { subscriberAccounts: ['team-b'] } };

    expect(() => validatePlatformSettings(raw)).toThrow(
      /events\.subscriberAccounts\.0: must be a 12-digit AWS account id/,
    );
  });
});
