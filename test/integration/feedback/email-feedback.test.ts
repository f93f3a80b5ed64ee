/**
 * The email feedback function against the emulators: SES events as SES publishes them through SNS into the feedback
 * queue. LocalStack's SES publishes Send and Delivery events to a configuration set's SNS destination, with the
 * message's tags; it publishes no bounce or complaint, so those are AWS's documented JSON, put on the same queue.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  SendEmailCommand,
  VerifyEmailIdentityCommand,
} from '@aws-sdk/client-ses';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATION_TAG } from '../../../lambdas/channels/email/feedback.js';
import { NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { suppressionPeppers } from '../../../lambdas/shared/platform/suppression-keys.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { ses, sns, sqs } from '../../support/emulator-clients.js';
import { messagesIn } from '../../support/queue-inspection.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
const SENDER = 'feedback@example.com';

let platform: TestPlatform;
let handler: Handler;
let store: NotificationsStore;
let suppressions: SuppressionList;
let queueUrl: string;
let configurationSet: string;

beforeAll(async () => {
  platform = await provisionTestPlatform('email-feedback', { SOFT_BOUNCE_THRESHOLD: '2' });
  store = new NotificationsStore(platform.resources.tables.notifications, documentClient);
  suppressions = new SuppressionList(platform.resources.tables.suppressions, documentClient, suppressionPeppers);
  const name = `it-feedback-${randomUUID().slice(0, 8)}`;
  const { TopicArn = '' } = await sns.send(new CreateTopicCommand({ Name: name }));
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: name })));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  configurationSet = name;
  await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
  await ses.send(new CreateConfigurationSetCommand({ ConfigurationSet: { Name: configurationSet } }));
  await ses.send(
    new CreateConfigurationSetEventDestinationCommand({
      ConfigurationSetName: configurationSet,
      EventDestination: {
        Name: `${configurationSet}-feedback`,
        // LocalStack fails the next SendEmail when Enabled is left out.
        Enabled: true,
        MatchingEventTypes: ['send', 'delivery', 'bounce', 'complaint', 'reject', 'renderingFailure'],
        SNSDestination: { TopicARN: TopicArn },
      },
    }),
  );
  ({ handler } = (await import('../../../lambdas/channels/email/feedback-handler.js')) as { handler: Handler });
  // SES checks the topic with a message of its own when the destination is made: not an event, dropped.
  await drain();
});
afterAll(() => platform.remove());

/** Every message on the feedback queue, through the handler, as Lambda's event source would; answers the failures. */
async function drain(count?: number): Promise<SQSBatchResponse> {
  const records = await receiveRecords(queueUrl, count ?? 1).catch(() => []);
  const response =
    records.length > 0 ? await handler(sqsEvent(records), lambdaContext('feedback')) : { batchItemFailures: [] };
  await settle(queueUrl, records, response);
  return response;
}

async function sentEmail(to: string): Promise<{ notificationId: string; messageId: string }> {
  const notificationId = randomUUID();
  const { MessageId = '' } = await ses.send(
    new SendEmailCommand({
      Source: SENDER,
      Destination: { ToAddresses: [to] },
      Message: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } },
      ConfigurationSetName: configurationSet,
      Tags: [{ Name: NOTIFICATION_TAG, Value: notificationId }],
    }),
  );
  return recordedEmail(notificationId, MessageId);
}

/** An email the worker recorded as sent, of which SES has said nothing yet (LocalStack would say Delivery at once). */
async function recordedEmail(
  notificationId = randomUUID(),
  messageId = `ses-${randomUUID()}`,
): Promise<{ notificationId: string; messageId: string }> {
  await store.create({
    notification_id: notificationId,
    user_id: 'ada',
    type: 'order_shipped',
    producer: 'order-service',
    critical: false,
    created_at: new Date().toISOString(),
    channels: { email: { status: 'sent', provider_message_id: messageId, updated_at: new Date().toISOString() } },
    expires_at: Math.floor(Date.now() / 1000) + 3600,
  });
  return { notificationId, messageId };
}

/** SES's documented event JSON for the email, as SNS delivers it raw. */
async function publish(messageId: string, notificationId: string, body: object): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        mail: {
          timestamp: new Date().toISOString(),
          messageId,
          destination: ['x'],
          tags: { [NOTIFICATION_TAG]: [notificationId] },
        },
        ...body,
      }),
    }),
  );
}

describe('the email feedback function', () => {
  it("records SES's own Delivery event as delivered, with the event listed", async () => {
    const { notificationId } = await sentEmail('ada@example.com');

    // LocalStack publishes Send and then Delivery for it.
    const response = await drain(2);

    expect(response.batchItemFailures).toEqual([]);
    const email = (await store.find(notificationId))?.channels.email;
    expect(email?.status).toBe('delivered');
    expect(email?.events?.map((event) => event.status)).toEqual(['delivered']);
  });

  it('records a permanent bounce and suppresses the address; a late Delivery does not undo it', async () => {
    const { notificationId, messageId } = await sentEmail('bounce@simulator.amazonses.com');
    await drain(2);
    await publish(messageId, notificationId, {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com', status: '5.1.1' }],
        timestamp: new Date(Date.now() + 1000).toISOString(),
        feedbackId: 'bounce-1',
      },
    });
    await drain();

    const email = (await store.find(notificationId))?.channels.email;
    expect(email?.status).toBe('bounced');
    expect(email?.events?.at(-1)).toMatchObject({
      status: 'bounced',
      detail: { bounce_type: 'Permanent', bounce_sub_type: 'General' },
    });
    expect(await suppressions.find('email', 'bounce@simulator.amazonses.com')).toMatchObject({ reason: 'bounce' });
  });

  it('records a complaint and suppresses the address', async () => {
    const { notificationId, messageId } = await sentEmail('complaint@simulator.amazonses.com');
    await drain(2);
    await publish(messageId, notificationId, {
      eventType: 'Complaint',
      complaint: {
        complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
        complaintFeedbackType: 'abuse',
        timestamp: new Date(Date.now() + 1000).toISOString(),
      },
    });
    await drain();

    expect((await store.find(notificationId))?.channels.email?.status).toBe('complained');
    expect(await suppressions.find('email', 'complaint@simulator.amazonses.com')).toMatchObject({
      reason: 'complaint',
    });
  });

  it('suppresses after the configured number of soft bounces, a duplicated event counting once', async () => {
    const address = 'full@example.com';
    for (const feedbackId of ['soft-1', 'soft-1', 'soft-2']) {
      const { notificationId, messageId } = await sentEmail(address);
      await drain(2);
      await publish(messageId, notificationId, {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Transient',
          bounceSubType: 'MailboxFull',
          bouncedRecipients: [{ emailAddress: address }],
          timestamp: new Date().toISOString(),
          feedbackId,
        },
      });
      await drain();
      if (feedbackId === 'soft-1') expect(await suppressions.isSuppressed('email', address)).toBe(false);
    }

    expect(await suppressions.find('email', address)).toMatchObject({ reason: 'soft_bounces' });
  });

  it('records a delay, then the delivery that ends it, and suppresses no one', async () => {
    const { notificationId, messageId } = await recordedEmail();
    await publish(messageId, notificationId, {
      eventType: 'DeliveryDelay',
      deliveryDelay: { delayType: 'TransientCommunicationFailure', timestamp: new Date().toISOString() },
    });
    await drain();
    expect((await store.find(notificationId))?.channels.email).toMatchObject({
      status: 'delayed',
      events: [expect.objectContaining({ status: 'delayed', detail: { delay_type: 'TransientCommunicationFailure' } })],
    });

    await publish(messageId, notificationId, {
      eventType: 'Delivery',
      delivery: { timestamp: new Date(Date.now() + 1000).toISOString() },
    });
    await drain();

    expect((await store.find(notificationId))?.channels.email?.status).toBe('delivered');
  });

  it.each([
    ['Reject', { reject: { reason: 'Bad content' } }, { reason: 'Bad content' }],
    ['Rendering Failure', { failure: { templateName: 't', errorMessage: 'x' } }, { reason: 'rendering_failure' }],
  ])('records a %s as rejected, with its reason, and suppresses no one', async (eventType, body, detail) => {
    const { notificationId, messageId } = await recordedEmail();

    await publish(messageId, notificationId, { eventType, ...body });
    await drain();

    const email = (await store.find(notificationId))?.channels.email;
    expect(email?.status).toBe('rejected');
    expect(email?.events?.at(-1)).toMatchObject({ status: 'rejected', detail });
    expect(await suppressions.isSuppressed('email', 'x')).toBe(false);
  });

  it('sets aside in the feedback DLQ what cannot be read, and drops an SES event with nothing to act on, failing nothing', async () => {
    const deadLetterUrl = platform.resources.emailFeedback.deadLetterUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"not":"an event"}' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'plain text' }));
    const { notificationId, messageId } = await sentEmail('ada@example.com');
    await drain(2); // LocalStack's own Send and Delivery
    await publish(messageId, notificationId, { eventType: 'Open', open: {} });
    await publish(messageId, randomUUID(), { eventType: 'Delivery', delivery: {} });

    const response = await drain(4);

    expect(response.batchItemFailures).toEqual([]);
    const setAside = await messagesIn(deadLetterUrl);
    expect(setAside.map((message) => message.Body).sort()).toEqual(['plain text', '{"not":"an event"}'].sort());
    expect(setAside.map((message) => message.MessageAttributes?.reason?.StringValue).sort()).toEqual([
      'not_an_ses_event',
      'not_json',
    ]);
    // The Open changed nothing; the Delivery of a notification that does not exist created none.
    expect((await store.find(notificationId))?.channels.email?.events?.map((event) => event.status)).toEqual([
      'delivered',
    ]);
  });
});
