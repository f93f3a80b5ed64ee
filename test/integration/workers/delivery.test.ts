import { SetEndpointAttributesCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partsOf, type SesRecord } from '../../../lambdas/channels/email/outbox.js';
import { DeviceRegistry } from '../../../lambdas/channels/push/device-registry.js';
import { PushEndpoints } from '../../../lambdas/channels/push/endpoints.js';
import { snsClient } from '../../../lambdas/channels/push/sns-clients.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { channelJobSchema } from '../../../lambdas/shared/schemas/channel-job.js';
import { invoke } from '../../support/api-gateway.js';
import { readFromLocalStack, sns } from '../../support/emulator-clients.js';
import { eventually } from '../../support/eventually.js';
import { createUser, saveTemplate } from '../../support/platform-fixtures.js';
import { messagesIn } from '../../support/queue-inspection.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import {
  channelStatus,
  MESSAGING_SERVICE_SID,
  notify,
  runWorker,
  SENDER,
  startWorkerPlatform,
  type WorkerPlatform,
} from '../../support/worker-platform.js';

let world: WorkerPlatform;

beforeAll(async () => {
  world = await startWorkerPlatform('delivery');
  await saveTemplate(world.plane, 'order_shipped', {
    email: {
      subject: 'Order {{ order_id }} shipped',
      body: '<p>Hello {{ name }},</p><p>your order <b>{{ order_id }}</b> is on its way.</p>',
    },
    sms: { body: 'Order {{ order_id }} shipped' },
    push: { title: 'Order shipped', body: 'Order {{ order_id }} is on its way' },
  });
});
afterAll(() => world.remove());

const registry = () =>
  new DeviceRegistry(
    { devices: world.platform.resources.tables.devices, users: world.platform.resources.tables.users },
    documentClient,
    new PushEndpoints(snsClient),
  );

/** The email SES holds for a provider message id, read as a mail program would read it. */
async function sentEmail(providerMessageId: string) {
  const { messages } = await readFromLocalStack<{ messages: SesRecord[] }>('SES', `/_aws/ses?email=${SENDER}`);
  const record = messages.find((message) => message.Id === providerMessageId);
  expect(record?.RawData, 'the email, sent raw').toBeDefined();
  return partsOf(record as SesRecord);
}

describe('each channel delivers', () => {
  it('email: SES holds the rendered subject, HTML with the payload escaped, and a text part', async () => {
    const userId = await createUser(world.plane, { phone: false, device: false });
    const id = await notify(world, {
      user_id: userId,
      type: 'order_shipped',
      payload: { order_id: 'A-1', name: '<script>x</script>Ada' },
    });
    const records = await receiveRecords(world.platform.resources.queues.email.url, 1);

    const result = await runWorker(world, 'email', sqsEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    const status = await channelStatus(world, id, 'email');
    expect(status).toMatchObject({ status: 'sent', provider_message_id: expect.any(String) });
    const email = await sentEmail(status.provider_message_id);
    expect(email.to).toBe(`${userId}@example.com`);
    expect(email.subject).toBe('Order A-1 shipped');
    expect(email.html).toContain('&lt;script&gt;x&lt;/script&gt;Ada');
    expect(email.html).toContain('<b>A-1</b>');
    expect(email.text).toContain('your order A-1 is on its way.');
    expect(email.text).not.toContain('<p>');
    // An order (the default category) is one a person may leave: RFC 8058's two headers, a footer to the page.
    const oneClick = `${process.env.PUBLIC_API_URL}/unsubscribe/v1.`;
    expect(String(email.headers?.get('list-unsubscribe'))).toContain(`<${oneClick}`);
    expect(email.headers?.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(email.text).toContain(`${process.env.PUBLIC_API_URL}/consent/v1.`);
  });

  it('email: a required category (a critical type) carries no unsubscribe link', async () => {
    const userId = await createUser(world.plane, { phone: false, device: false });
    await saveTemplate(world.plane, 'security_alert', {
      critical: true,
      email: { subject: 'New sign-in', body: '<p>Was it you?</p>' },
    });
    const id = await notify(world, { user_id: userId, type: 'security_alert', payload: {} });
    const records = await receiveRecords(world.platform.resources.queues.email.url, 1);

    await runWorker(world, 'email', sqsEvent(records));

    const email = await sentEmail((await channelStatus(world, id, 'email')).provider_message_id);
    expect(email.headers?.has('list-unsubscribe')).toBe(false);
    expect(email.text).not.toContain('/consent/');
  });

  it("email: written in the person's language (de-AT gets de), dates and money as they read them, and the status says which", async () => {
    const userId = await createUser(world.plane, { phone: false, device: false });
    await invoke(world.plane.contacts, {
      operation: 'putContacts',
      pathParameters: { user_id: userId },
      body: { email_address: `${userId}@example.com`, locale: 'de-AT' },
    });
    await saveTemplate(world.plane, 'order_paid', {
      email: { subject: 'Paid {{ total | money: "EUR" }}', body: '<p>Paid on {{ at | local_date: "long" }}</p>' },
      locales: {
        de: {
          email: {
            subject: 'Bezahlt: {{ total | money: "EUR" }}',
            body: '<p>Bezahlt am {{ at | local_date: "long" }}</p>',
          },
        },
        fr: { email: { subject: 'Payé', body: '<p>Payé</p>' } },
      },
    });
    const id = await notify(world, {
      user_id: userId,
      type: 'order_paid',
      payload: { total: 1234.5, at: '2026-11-26T10:00:00Z' },
    });
    const records = await receiveRecords(world.platform.resources.queues.email.url, 1);

    await runWorker(world, 'email', sqsEvent(records));

    const status = await channelStatus(world, id, 'email');
    expect(status).toMatchObject({ status: 'sent', locale: 'de' });
    const email = await sentEmail(status.provider_message_id);
    expect(email.subject).toBe('Bezahlt: 1.234,50\u00a0€');
    expect(email.text).toContain('Bezahlt am 26. November 2026');
  });

  it('sms: Twilio receives exactly the expected form fields, with Basic auth', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-2' } });
    const records = await receiveRecords(world.platform.resources.queues.sms.url, 1);

    const result = await runWorker(world, 'sms', sqsEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    const sent = world.twilio.messages.filter((message) => message.fields.Body === 'Order A-2 shipped');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.fields).toEqual({
      To: '+4915112345678',
      Body: 'Order A-2 shipped',
      MessagingServiceSid: MESSAGING_SERVICE_SID,
      // Where Twilio reports the text's status: the platform's webhook, naming the notification.
      StatusCallback: `${process.env.PUBLIC_API_URL}/webhooks/twilio/status?n=${id}`,
    });
    expect(sent[0]?.authorization).toBe(world.twilio.accountSid);
    expect(await channelStatus(world, id, 'sms')).toMatchObject({ status: 'sent', provider_message_id: sent[0]?.sid });
  });

  it('push: the device’s SNS endpoint receives the FCM-shaped message', async () => {
    const userId = await createUser(world.plane, { email: false, phone: false });
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-3' } });
    const records = await receiveRecords(world.platform.resources.queues.push.url, 1);
    const [device] = await registry().listFor(userId);

    const result = await runWorker(world, 'push', sqsEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    const arn = device?.endpoint_arn ?? '';
    const published = await eventually('the push in LocalStack', async () => {
      const answer = await readFromLocalStack<{ platform_endpoint_messages: Record<string, { Message: string }[]> }>(
        'SNS',
        `/_aws/sns/platform-endpoint-messages?endpointArn=${encodeURIComponent(arn)}`,
      );
      return answer.platform_endpoint_messages[arn]?.[0];
    });
    expect(JSON.parse(JSON.parse(published.Message))).toEqual({
      fcmV1Message: {
        message: {
          notification: { title: 'Order shipped', body: 'Order A-3 is on its way' },
          data: { notification_id: id, type: 'order_shipped' },
        },
      },
    });
    expect(await channelStatus(world, id, 'push')).toMatchObject({ status: 'sent' });
  });
});

describe('push to devices that are gone', () => {
  it('removes a device whose endpoint was disabled, and fails with no_device when none is left', async () => {
    const userId = await createUser(world.plane, { email: false, phone: false });
    const [device] = await registry().listFor(userId);
    // APNs or FCM rejected the token: SNS disables the endpoint.
    await sns.send(
      new SetEndpointAttributesCommand({ EndpointArn: device?.endpoint_arn ?? '', Attributes: { Enabled: 'false' } }),
    );
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-6' } });
    const records = await receiveRecords(world.platform.resources.queues.push.url, 1);

    const result = await runWorker(world, 'push', sqsEvent(records));
    await settle(world.platform.resources.queues.push.url, records, result);

    expect(result.batchItemFailures).toEqual([]);
    expect(await channelStatus(world, id, 'push')).toMatchObject({ status: 'failed', reason: 'no_device' });
    expect(await registry().listFor(userId)).toEqual([]);
  });
});

describe('the user’s wishes at delivery time', () => {
  it('honours an opt-out made after the job was queued: nothing is sent, the status says opted_out', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-4' } });
    await invoke(world.plane.preferences, {
      operation: 'putPreferences',
      pathParameters: { user_id: userId },
      body: { email: true, sms: false, push: true, quiet_hours: null },
    });
    const records = await receiveRecords(world.platform.resources.queues.sms.url, 1);

    const result = await runWorker(world, 'sms', sqsEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    expect(world.twilio.messages.filter((message) => message.fields.Body === 'Order A-4 shipped')).toHaveLength(0);
    expect(await channelStatus(world, id, 'sms')).toMatchObject({ status: 'skipped', reason: 'opted_out' });
  });

  it('sends a job that is not due yet back with the remaining delay, and delivers nothing early', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-5' } });
    const [queued] = await receiveRecords(world.platform.resources.queues.sms.url, 1);
    // The same job, due in ten minutes (as a deferred job would be near the end of its wait).
    const notBefore = new Date(Date.now() + 10 * 60_000).toISOString();
    const job = { ...channelJobSchema.parse(JSON.parse(queued?.body ?? '')), not_before: notBefore };
    const record = { ...(queued as NonNullable<typeof queued>), body: JSON.stringify(job) };

    const result = await runWorker(world, 'sms', sqsEvent([record]));
    await settle(world.platform.resources.queues.sms.url, [record], result);

    expect(result.batchItemFailures).toEqual([]);
    expect(world.twilio.messages.filter((message) => message.fields.Body === 'Order A-5 shipped')).toHaveLength(0);
    const waiting = (await messagesIn(world.platform.resources.queues.sms.url)).filter(
      (message) => JSON.parse(message.Body).notification_id === id,
    );
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.Attributes?.IsDelayed).toBe('true');
    expect(JSON.parse(waiting[0]?.Body ?? '{}').not_before).toBe(notBefore);
  });
});
