/**
 * `npm run bench:events` (`-- --quick` for a shorter run): state events on the local platform (docs/events.md).
 * Notifications go out at a steady rate, each an email that is delivered; a consumer's rule on the bus feeds an SQS
 * queue, read as it fills. (1) Lag: from each change (the event's `occurred_at`, the record's own time for it) to the
 * event read from the consumer's queue, p50 / p99 / max, by type and in all. (2) Events and PutEvents calls per
 * notification, counted on the publisher's own client, and their cost on AWS at bench/aws-prices.json. (3) Webhooks: an
 * endpoint registered for every event on a local receiver; the lag from each change to its signed delivery, and the
 * calls the webhook functions made per delivery (SQS sends, DynamoDB reads and writes), counted on their clients.
 * Writes bench/events-results.json; prints figures; fails nothing because a machine is slow.
 */
import './quiet-functions.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { eventBridgeClient } from '../lambdas/shared/aws/eventbridge.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import { EVENT_SOURCE, type StateEvent } from '../lambdas/shared/domain/state-events.js';
import { startLocalPlatform } from '../local/runtime.js';
import prices from './aws-prices.json' with { type: 'json' };
import { percentile, producerApi, round, sleep } from './measure.js';

const quick = process.argv.includes('--quick');
const COUNT = quick ? 60 : 300;
const RATE_PER_SECOND = 4;
const KEY = 'local-dev-key';
const RESULTS = new URL('./events-results.json', import.meta.url);
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

// Every PutEvents the publisher makes, and its entries.
let putEventsCalls = 0;
let entriesPut = 0;
(eventBridgeClient as unknown as { middlewareStack: { add(m: unknown, o: object): void } }).middlewareStack.add(
  (next: (args: { input: { Entries?: unknown[] } }) => Promise<unknown>) =>
    async (args: { input: { Entries?: unknown[] } }) => {
      putEventsCalls++;
      entriesPut += args.input.Entries?.length ?? 0;
      return next(args);
    },
  { step: 'initialize', name: 'countPutEvents' },
);

// The webhook functions' own calls: SQS sends to a webhook lane, DynamoDB calls on the webhooks table.
const webhookCalls = new Map<string, number>();
const countWebhookCalls =
  (service: string) =>
  (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
  async (args: { input: Record<string, unknown> }) => {
    const target = String(args.input.QueueUrl ?? args.input.TableName ?? '');
    if (target.includes('webhook')) {
      const name = `${service}:${context.commandName?.replace(/Command$/, '')}`;
      webhookCalls.set(name, (webhookCalls.get(name) ?? 0) + 1);
    }
    return next(args);
  };
for (const [service, client] of [
  ['sqs', sqsClient],
  ['dynamodb', documentClient],
] as const)
  (client as unknown as { middlewareStack: { add(m: unknown, o: object): void } }).middlewareStack.add(
    countWebhookCalls(service),
    { step: 'initialize', name: 'countWebhookCalls' },
  );

// The producer's endpoint: answers every delivery at once, and notes when each event arrived.
const deliveredAt = new Map<string, { readonly at: number; readonly occurredAt: string }>();
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const at = Date.now();
    const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: StateEvent };
    if (!deliveredAt.has(data.event_id)) deliveredAt.set(data.event_id, { at, occurredAt: data.occurred_at });
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

const prefix = `bench-events-${Date.now().toString(36)}`;
const platform = await startLocalPlatform({ port: 0, demo: false, prefix, localApiKey: KEY, log: () => {} });
try {
  const sqs = new SQSClient({});
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-consumer` }))).QueueUrl ?? '';
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const bus = platform.resources.eventBus;
  await eventBridgeClient.send(
    new PutRuleCommand({
      Name: `${prefix}-consumer`,
      EventBusName: bus,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await eventBridgeClient.send(
    new PutTargetsCommand({
      Rule: `${prefix}-consumer`,
      EventBusName: bus,
      Targets: [{ Id: 'q', Arn: Attributes?.QueueArn }],
    }),
  );
  const api = producerApi(platform.url, KEY);
  await api('POST', '/webhook-endpoints', {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
    events: ['*'],
  });
  await api('PUT', '/templates/bench_events', { email: { subject: 'Bench', body: '<p>Bench</p>' } });
  const userId = `bench-events-${randomUUID().slice(0, 8)}`;
  await api('PUT', `/users/${userId}/contacts`, { email_address: 'success@simulator.amazonses.com' });

  say(`1/2 ${COUNT} emails, ${RATE_PER_SECOND} a second, each read back as accepted, queued, sent and delivered`);
  const ids = new Set<string>();
  const lags = new Map<string, number[]>();
  const seen = new Set<string>();
  let duplicates = 0;
  const read = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const now = Date.now();
    for (const message of Messages) {
      const detail = (JSON.parse(message.Body ?? '{}') as { detail: StateEvent }).detail;
      if (seen.has(detail.event_id)) duplicates++;
      seen.add(detail.event_id);
      const lag = now - Date.parse(detail.occurred_at);
      lags.set(detail.event_type, [...(lags.get(detail.event_type) ?? []), lag]);
    }
    if (Messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map(({ ReceiptHandle }, index) => ({ Id: String(index), ReceiptHandle })),
        }),
      );
  };
  const started = Date.now();
  let reading = true;
  const reader = (async () => {
    while (reading) await read();
  })();
  for (let index = 0; index < COUNT; index++) {
    const accepted = await api('POST', '/notifications', { user_id: userId, type: 'bench_events', payload: {} });
    ids.add(accepted.notification_id);
    await sleep(Math.max(0, started + ((index + 1) * 1000) / RATE_PER_SECOND - Date.now()));
  }
  // Until every notification's delivery came back, or a minute passes with none new.
  let last = -1;
  let quietSince = Date.now();
  while (
    ((lags.get('message.delivered')?.length ?? 0) < COUNT || deliveredAt.size < seen.size) &&
    Date.now() - quietSince < 60_000
  ) {
    const now = seen.size + deliveredAt.size;
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
    await sleep(500);
  }
  reading = false;
  await reader;

  const all = [...lags.values()].flat();
  const figure = (values: number[]) => ({
    count: values.length,
    p50_ms: round(percentile(values, 50), 0),
    p99_ms: round(percentile(values, 99), 0),
    max_ms: round(Math.max(...values), 0),
  });
  const byType = Object.fromEntries([...lags].map(([type, values]) => [type, figure(values)]));
  const webhookLags = [...deliveredAt.values()].map(({ at, occurredAt }) => at - Date.parse(occurredAt));
  const deliveries = deliveredAt.size;
  say('2/2 events and PutEvents calls per notification, and their cost on AWS');
  const eventsPerNotification = entriesPut / COUNT;
  const results = {
    measured_at: new Date().toISOString(),
    notifications: COUNT,
    rate_per_second: RATE_PER_SECOND,
    lag_to_consumer_queue: { all: figure(all), ...byType },
    events_received: seen.size,
    received_twice: duplicates,
    events_per_notification: round(eventsPerNotification, 2),
    put_events_calls_per_notification: round(putEventsCalls / COUNT, 3),
    usd_per_million_notifications: round(eventsPerNotification * prices.eventbridge_custom_events_per_million, 2),
    webhooks: {
      lag_to_endpoint: figure(webhookLags),
      events_delivered: deliveries,
      events_not_delivered: seen.size - deliveries,
      // Each webhook function's own calls, per event delivered to the one endpoint.
      calls_per_delivery: Object.fromEntries(
        [...webhookCalls].sort().map(([name, count]) => [name, round(count / Math.max(1, deliveries), 3)]),
      ),
    },
  };
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
} finally {
  await platform.stop();
  receiver.closeAllConnections();
  receiver.close();
}
