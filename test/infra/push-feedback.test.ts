import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PUSH_EVENT_ATTRIBUTES } from '../../lambdas/channels/push/feedback.js';
import { settingsWith, synthStack } from './stack-fixture.js';

const APNS_APPLICATION = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/acme';
const FCM_APPLICATION = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/acme';
const TOPIC = { Ref: Match.stringLikeRegexp('^PushChannelFeedbackTopic') };

let template: Template;
beforeAll(() => {
  template = synthStack(
    settingsWith((settings) => {
      settings.push.apnsPlatformApplicationArn = APNS_APPLICATION;
      settings.push.fcmPlatformApplicationArn = FCM_APPLICATION;
    }),
  );
});

/** The resources whose logical id starts with `prefix`. */
function resourcesNamed(type: string, prefix: string) {
  return Object.entries(template.findResources(type))
    .filter(([id]) => id.startsWith(prefix))
    .map(([, resource]) => resource);
}

describe('push feedback', () => {
  it('has an encrypted topic that SNS may publish to, for this account only, with a key it may use', () => {
    const [topic] = resourcesNamed('AWS::SNS::Topic', 'PushChannelFeedbackTopic');
    expect(topic?.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PushChannelFeedbackKey/), 'Arn'],
    });
    const sns = { Service: 'sns.amazonaws.com' };
    const thisAccount = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [TOPIC],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: sns, Condition: thisAccount }),
        ]),
      },
    });
    const [key] = resourcesNamed('AWS::KMS::Key', 'PushChannelFeedbackKey');
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(key?.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: sns,
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Condition: thisAccount,
      }),
    );
  });

  it("delivers the topic's events raw to the feedback queue, with a DLQ, read with partial batch responses", () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      TopicArn: TOPIC,
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PushChannelFeedbackQueue'), 'Arn'] },
    });
    const [queue] = resourcesNamed('AWS::SQS::Queue', 'PushChannelFeedbackQueue');
    expect(queue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^PushChannelFeedbackDeadLetterQueue/), 'Arn'] },
      maxReceiveCount: 9,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PushChannelFeedbackQueue'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^PushChannelFeedbackFunction') },
    });
  });

  it.each([APNS_APPLICATION, FCM_APPLICATION])(
    'sends the events of %s to the topic, and turns them off when the stack goes',
    (application) => {
      const [events] = resourcesNamed('Custom::AWS', 'PushChannel').filter((resource) =>
        JSON.stringify(resource.Properties.Update).includes(`"PlatformApplicationArn\\":\\"${application}\\"`),
      );
      // The call as the custom resource's function reads it, each reference to a resource shown as <Ref:its id>.
      const update = events?.Properties.Update['Fn::Join'][1] as (string | { Ref: string })[];
      const call = JSON.parse(update.map((part) => (typeof part === 'string' ? part : `<Ref:${part.Ref}>`)).join(''));
      const topicRef = `<Ref:${topicId()}>`;

      expect(call).toMatchObject({ service: 'SNS', action: 'setPlatformApplicationAttributes' });
      expect(call.parameters).toEqual({
        PlatformApplicationArn: application,
        Attributes: Object.fromEntries(PUSH_EVENT_ATTRIBUTES.map((attribute) => [attribute, topicRef])),
      });
      expect(JSON.parse(events?.Properties.Delete).parameters.Attributes).toEqual(
        Object.fromEntries(PUSH_EVENT_ATTRIBUTES.map((attribute) => [attribute, ''])),
      );
      expect(events?.Properties.InstallLatestAwsSdk).toBe(false);
    },
  );

  it('sets no application events when no application is configured, and still reads the queue', () => {
    const withoutApplications = synthStack(settingsWith());

    withoutApplications.resourceCountIs('Custom::AWS', 0);
    withoutApplications.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PushChannelFeedbackQueue'), 'Arn'] },
    });
  });

  it('finds a device by its endpoint through a keys-only index of the devices table', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'device_id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by_endpoint',
          KeySchema: [{ AttributeName: 'endpoint_arn', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });
});

function topicId(): string {
  const [id] = Object.keys(template.findResources('AWS::SNS::Topic')).filter((key) =>
    key.startsWith('PushChannelFeedbackTopic'),
  );
  return id ?? '';
}
