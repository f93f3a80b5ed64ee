/**
 * `npm run bench:feedback` (`-- --quick` for a shorter run): the closed loop's figures on this machine, against the
 * local platform. (1) How soon a provider's word shows in a notification's status: for SES events, from the event's
 * own time to the status read back from the table (polled every 20 ms, so figures carry up to 20 ms of it); for
 * Twilio's status callbacks, from the callback's POST to its answer (the status is written before the answer).
 * (2) How many AWS calls each kind of feedback costs, counted on the functions' own clients. Prints figures; fails
 * nothing because a machine is slow.
 */
import './quiet-functions.js';
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import twilio from 'twilio';
import { NOTIFICATION_TAG } from '../lambdas/channels/email/feedback.js';
import { NotificationsStore } from '../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { OPERATIONS } from '../lambdas/shared/platform/operations.js';
import { lambdaContext, proxyEvent } from '../local/api-gateway-emulation.js';
import { startLocalPlatform } from '../local/runtime.js';
import { AwsCallCounter, percentile, producerApi, round, sleep } from './measure.js';

const quick = process.argv.includes('--quick');
const COUNT = quick ? 60 : 300;
/** Notifications a second, each to an email address and a phone number. */
const RATE_PER_SECOND = 4;
const KEY = 'local-dev-key';
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

const platform = await startLocalPlatform({
  port: 0,
  demo: false,
  prefix: `bench-feedback-${Date.now().toString(36)}`,
  localApiKey: KEY,
  log: () => {},
});
try {
  const api = producerApi(platform.url, KEY);
  const store = new NotificationsStore(platform.resources.tables.notifications, documentClient);

  say(
    `1/2 ${COUNT} notifications (email and SMS), ${RATE_PER_SECOND} a second, to addresses that are delivered, bounce or complain`,
  );
  await api('PUT', '/templates/bench_feedback', {
    email: { subject: 'Bench', body: '<p>Bench</p>' },
    sms: { body: 'Bench' },
  });
  const kinds = ['success', 'bounce', 'complaint'];
  const ids: string[] = [];
  // Each SES event's delay: from its own time to the first poll that shows it in the notification's events.
  const seen = new Set<string>();
  const delays: Record<string, number[]> = { delivered: [], bounced: [], complained: [] };
  // LocalStack's Delivery for every email, and the simulator's Bounce or Complaint for two in three.
  const expectedEvents = COUNT + Array.from({ length: COUNT }, (_, index) => index % 3).filter(Boolean).length;
  let sending = true;
  const watching = (async () => {
    const deadline = Date.now() + 120_000 + COUNT * 1_000;
    while ((sending || seen.size < expectedEvents) && Date.now() < deadline) {
      await sleep(20);
      for (let start = 0; start < ids.length; start += 100) {
        const { Responses } = await documentClient.batchGet({
          RequestItems: {
            [platform.resources.tables.notifications]: {
              Keys: ids.slice(start, start + 100).map((id) => ({ pk: `notification#${id}`, sk: 'notification' })),
              ProjectionExpression: 'notification_id, channels.email.events',
            },
          },
        });
        const now = Date.now();
        for (const item of Responses?.[platform.resources.tables.notifications] ?? []) {
          for (const event of (item.channels?.email?.events ?? []) as { status: string; at: string }[]) {
            const key = `${item.notification_id}/${event.status}`;
            if (seen.has(key)) continue;
            seen.add(key);
            delays[event.status]?.push(now - Date.parse(event.at));
          }
        }
      }
    }
  })();
  // Paced, so that the figures are the loop's own time, not a queue's behind a burst on a small machine.
  for (let index = 0; index < COUNT; index++) {
    const started = Date.now();
    const userId = `bench-${index}-${randomUUID().slice(0, 8)}`;
    await api('PUT', `/users/${userId}/contacts`, {
      email_address: `${kinds[index % kinds.length]}+${randomUUID().slice(0, 8)}@simulator.amazonses.com`,
      phone_number: `+4915${String(10_000_000 + index)}`,
    });
    ids.push(
      (await api('POST', '/notifications', { user_id: userId, type: 'bench_feedback', payload: {} })).notification_id,
    );
    await sleep(Math.max(0, 1_000 / RATE_PER_SECOND - (Date.now() - started)));
  }
  sending = false;
  await watching;
  const callbacks = platform.twilio.statusCallbacks.filter((callback) => callback.status === 'delivered');

  say('2/2 AWS calls per feedback event, on the functions own clients');
  const counter = new AwsCallCounter();
  counter.attach(documentClient, 'dynamodb');
  const { handler: emailFeedback } = (await import('../lambdas/channels/email/feedback-handler.js')) as unknown as {
    handler: (event: SQSEvent, context: unknown) => Promise<unknown>;
  };
  const { handler: webhooks } = (await import('../lambdas/channels/sms/webhook-handler.js')) as unknown as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  const sentNotification = async (channel: 'email' | 'sms', providerId: string) => {
    const id = randomUUID();
    await store.create({
      notification_id: id,
      user_id: 'bench',
      type: 'bench_feedback',
      producer: 'local-developer',
      critical: false,
      created_at: new Date().toISOString(),
      channels: {
        [channel]: { status: 'sent', provider_message_id: providerId, updated_at: new Date().toISOString() },
      },
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    });
    return id;
  };
  const sesEvent = (notificationId: string, eventType: string, detail: Record<string, unknown>) => ({
    Records: [
      {
        messageId: randomUUID(),
        body: JSON.stringify({
          eventType,
          mail: {
            timestamp: new Date().toISOString(),
            messageId: `ses-${notificationId}`,
            source: 'bench@example.com',
            destination: ['someone@example.com'],
            tags: { [NOTIFICATION_TAG]: [notificationId] },
          },
          ...detail,
        }),
      },
    ],
  });
  const at = new Date().toISOString();
  const recipients = (address: string) => [{ emailAddress: address }];
  const calls = async (work: () => Promise<unknown>) => {
    counter.reset();
    await counter.measure(work);
    return counter.byOperation();
  };
  const rows: [string, Record<string, number>][] = [];
  const email = async (eventType: string, detail: Record<string, unknown>, again = false) => {
    const id = await sentNotification('email', randomUUID());
    const event = sesEvent(id, eventType, detail) as unknown as SQSEvent;
    const first = await calls(() => emailFeedback(event, lambdaContext('bench')));
    return again ? calls(() => emailFeedback(event, lambdaContext('bench'))) : first;
  };
  rows.push(['SES Delivery', await email('Delivery', { delivery: { timestamp: at, recipients: ['a@example.com'] } })]);
  rows.push([
    'SES Bounce (permanent)',
    await email('Bounce', {
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: recipients(`p-${randomUUID()}@example.com`),
        timestamp: at,
        feedbackId: randomUUID(),
      },
    }),
  ]);
  rows.push([
    'SES Bounce (transient)',
    await email('Bounce', {
      bounce: {
        bounceType: 'Transient',
        bounceSubType: 'MailboxFull',
        bouncedRecipients: recipients(`t-${randomUUID()}@example.com`),
        timestamp: at,
        feedbackId: randomUUID(),
      },
    }),
  ]);
  rows.push([
    'SES Complaint',
    await email('Complaint', {
      complaint: {
        complainedRecipients: recipients(`c-${randomUUID()}@example.com`),
        timestamp: at,
        feedbackId: randomUUID(),
      },
    }),
  ]);
  rows.push([
    'SES Delivery, again',
    await email('Delivery', { delivery: { timestamp: at, recipients: ['a@example.com'] } }, true),
  ]);

  const publicApiUrl = process.env[ENV.publicApiUrl] ?? '';
  const post = (
    operation: 'twilioStatusCallback' | 'twilioInboundMessage',
    form: Record<string, string>,
    query?: Record<string, string>,
  ) => {
    const { path } = OPERATIONS[operation];
    const url = `${publicApiUrl}${path}${query ? `?${new URLSearchParams(query)}` : ''}`;
    const event = proxyEvent({
      method: 'POST',
      resource: path,
      path,
      pathParameters: null,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(platform.twilio.authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
      apiKeyId: '',
    });
    return webhooks({ ...event, queryStringParameters: query ?? null }, lambdaContext('bench'));
  };
  const sid = `SM${randomUUID().replaceAll('-', '')}`;
  const textId = await sentNotification('sms', sid);
  const delivered = { MessageSid: sid, MessageStatus: 'delivered' };
  rows.push(['Twilio status callback', await calls(() => post('twilioStatusCallback', delivered, { n: textId }))]);
  rows.push([
    'Twilio status callback, again',
    await calls(() => post('twilioStatusCallback', delivered, { n: textId })),
  ]);
  const number = '+4915100000001';
  await api('PUT', `/users/bench-stop-${randomUUID().slice(0, 8)}/contacts`, { phone_number: number });
  const inbound = (body: string) => ({ MessageSid: `SM${randomUUID().replaceAll('-', '')}`, From: number, Body: body });
  rows.push(['STOP texted (one person)', await calls(() => post('twilioInboundMessage', inbound('STOP')))]);
  rows.push(['HELP texted', await calls(() => post('twilioInboundMessage', inbound('HELP')))]);

  const figure = (samples: number[]) =>
    samples.length === 0
      ? 'none'
      : `p50 ${round(percentile(samples, 50), 0)} ms, p99 ${round(percentile(samples, 99), 0)} ms (n=${samples.length})`;
  const lines = [
    `# Closed-loop figures (${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}, ${RATE_PER_SECOND} notifications a second)`,
    '',
    '| provider event | time to the status |',
    '|---|---|',
    ...Object.entries(delays).map(([status, samples]) => `| SES ${status} | ${figure(samples)} |`),
    `| SES, all | ${figure(Object.values(delays).flat())} |`,
    `| Twilio delivered (POST to answer) | ${figure(callbacks.map((callback) => callback.ms))} |`,
    '',
    `SES events seen: ${seen.size} of ${expectedEvents}.`,
    '',
    '| feedback | AWS calls | by operation |',
    '|---|---|---|',
    ...rows.map(
      ([name, byOperation]) =>
        `| ${name} | ${Object.values(byOperation).reduce((sum, count) => sum + count, 0)} | ${Object.entries(
          byOperation,
        )
          .map(([operation, count]) => `${operation} ${count}`)
          .join(', ')} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await platform.stop();
}
