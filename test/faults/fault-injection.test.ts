/**
 * The fault-injection suite: the whole local platform, driven by a stream of notifications while it fails on
 * purpose (local/fault-drill.ts), one fault per scenario and then all together. After each stream it waits for
 * quiescence and counts, from what the providers hold, what was delivered, what twice and what not at all.
 * Its verdict depends on what happened, not on how fast: a delivery still on its way (its job in a queue) when the
 * deadline passes is reported as such, never as a loss, and a crash scenario crashes a bounded number of times.
 *
 * One scenario schedules its stream instead (send_at a few seconds ahead) while every schedule fires twice, and
 * cancels some of it at once: what was cancelled must never go out, and the rest once, never before its time.
 *
 * The broadcast scenario sends one broadcast to as many subscribers as a scenario has notifications, while its fan-out
 * is killed half-way through a chunk and every chunk (and every job) is delivered twice: each subscriber must be
 * emailed exactly once.
 *
 * In every scenario a consumer's rule on the platform's event bus feeds an SQS queue: every state change the
 * notifications table's stream holds must reach it, once (the table's "events" columns).
 *
 * FAULT_NOTIFICATIONS sets the stream's length over all scenarios: `npm run test:faults` sends 2,000, `npm test` 300.
 * FAULT_LOG_DIR, when set, keeps each scenario's platform output there (<scenario>.log), to read after a run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { NotificationApiError, type NotificationClient } from '@notification-platform/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partsOf, type SesRecord } from '../../lambdas/channels/email/outbox.js';
import { eventsOf } from '../../lambdas/events/stream-publisher.js';
import { FAN_OUT_CHUNK_SIZE } from '../../lambdas/shared/domain/broadcast.js';
import {
  EVENT_PUBLISHER,
  LOCAL_RESOURCE_NAMES,
  TABLES,
  type TableKey,
} from '../../lambdas/shared/platform/resources.js';
import { endpointFor } from '../../local/emulator-environment.js';
import type { FaultDrill } from '../../local/fault-drill.js';
import type { CrashReport } from '../../local/fault-injection.js';
import { type ChannelQueueUrls, locateChannelQueues } from '../../local/provision.js';
import { matchesFilter, streamRecordsSoFar } from '../../local/stream-poller.js';
import { startTwilioSandbox, type TwilioFault, type TwilioSandbox } from '../../local/twilio-sandbox.js';
import { drillClient, inParallel, newTally, type ProducerTally, pause } from '../support/drill-producer.js';
import { DrilledPlatform } from '../support/drilled-platform.js';
import { dynamoDb, readFromLocalStack, sqs } from '../support/emulator-clients.js';
import { EventConsumer } from '../support/event-consumer.js';
import { ProgressBound } from '../support/progress-bound.js';
import { messagesIn } from '../support/queue-inspection.js';

// The channels whose providers the drill fails and whose deliveries it counts at the provider (SES, Twilio, SNS).
const CHANNELS = ['email', 'sms', 'push'] as const;
type Channel = (typeof CHANNELS)[number];

interface Scenario {
  readonly name: string;
  readonly twilioFails?: boolean;
  /** Every notification is scheduled (send_at a few seconds ahead), and every `cancelEvery`th is cancelled at once. */
  readonly scheduled?: { readonly cancelEvery: number };
  readonly drill: Partial<FaultDrill>;
  /** What shows the fault was really injected. */
  readonly evidence: (row: Row) => number;
}

const TOTAL = Number(process.env.FAULT_NOTIFICATIONS ?? 2_000);
const SCENARIOS_COUNT = 7;
const PER_SCENARIO = Math.ceil(TOTAL / SCENARIOS_COUNT);
// Each channel's worker dies at its own provider call number PER_SCENARIO / 4 (retries and re-sends count too), and
// at most CRASHES_PER_CHANNEL times: each crash sends jobs round again, and re-sends must not feed more crashes.
const CRASH_AT_CALL = Math.max(5, Math.ceil(PER_SCENARIO / 4));
const CRASHES_PER_CHANNEL = 2;
// A scheduled send goes out 2 to 15 s after it is sent, spread at random. Well inside the lookahead, so each waits on the
// dispatch queue's own delay (DISPATCH_LOOKAHEAD_SECONDS), the precise part of any schedule; no longer than the drill's
// visibility timeout (15 s), so the scenario takes about as long as the others. At least 2 s: the cancel right after
// the answer should come first, and when it does not (a busy machine), its answer says what it still stopped.
const SCHEDULE_AHEAD_SECONDS = { min: 2, max: 15 };
// send_at is RFC 3339 with an offset: a spread of them (minutes east of UTC), since only the instant may count.
const SEND_AT_OFFSETS = [60, -300, 330, 0];

// A third of Twilio's faults each: 429, 500, and an answer slower than the SMS client's 5 s timeout.
const TWILIO_FAULTS: TwilioFault[] = [
  { kind: 'throttle', retryAfterSeconds: 1 },
  { kind: 'server_error' },
  { kind: 'slow', delayMs: 6_000 },
];

const SCENARIOS: Scenario[] = [
  { name: 'Twilio fails 30%', twilioFails: true, drill: {}, evidence: (row) => row.twilioFaults },
  { name: 'SES and SNS fail 30%', drill: { providerFailureRate: 0.3 }, evidence: (row) => row.workerRetries },
  { name: 'DynamoDB throttles ingest', drill: { ingestThrottleRate: 0.5 }, evidence: (row) => row.unavailable },
  { name: 'every SQS message twice', drill: { duplicateDeliveries: true }, evidence: (row) => row.doubledBatches },
  {
    name: 'worker killed mid-batch',
    drill: { crashAtCall: CRASH_AT_CALL, crashesPerChannel: CRASHES_PER_CHANNEL },
    evidence: (row) => row.restarts,
  },
  {
    name: 'every schedule fires twice',
    scheduled: { cancelEvery: 7 },
    drill: { duplicateSchedules: true },
    evidence: (row) => row.firedTwice,
  },
  {
    name: 'all together',
    twilioFails: true,
    drill: {
      providerFailureRate: 0.3,
      ingestThrottleRate: 0.5,
      duplicateDeliveries: true,
      crashAtCall: CRASH_AT_CALL,
      crashesPerChannel: CRASHES_PER_CHANNEL,
    },
    evidence: (row) => Math.min(row.twilioFaults, row.workerRetries, row.unavailable, row.restarts, row.doubledBatches),
  },
];

interface Row {
  readonly scenario: string;
  readonly accepted: number;
  readonly expected: number;
  readonly delivered: number;
  readonly deadLettered: number;
  readonly duplicatesInWindow: number;
  readonly duplicatesBeyondWindow: number;
  /** Not delivered, not dead-lettered, and its job in no queue (visible, in flight or delayed). */
  readonly losses: number;
  /** Not delivered yet, its job still in its queue when the deadline passed. */
  readonly onTheirWay: number;
  readonly unavailable: number;
  readonly unavailableWithoutRetryAfter: number;
  readonly serverErrors: number;
  readonly restarts: number;
  readonly workerRetries: number;
  readonly twilioFaults: number;
  readonly doubledBatches: number;
  /** Dispatch batches the scheduler handed over twice. */
  readonly firedTwice: number;
  readonly scheduled: number;
  /** Scheduled and cancelled whole: nothing of it may go out. */
  readonly cancelled: number;
  /** Cancels that came after the dispatch (its answer: partly cancelled, or nothing left to stop). */
  readonly lateCancels: number;
  /** Channels the cancels stopped: none of them may be delivered. */
  readonly stoppedChannels: number;
  readonly sentThoughCancelled: number;
  /** Cancelled whole, and its status does not say so. */
  readonly cancelUnrecorded: number;
  /** Scheduled, not cancelled, and never dispatched (no dispatched_at). */
  readonly undispatched: number;
  /** Dispatched before its send_at. */
  readonly dispatchedEarly: number;
  /** State changes the notifications table's stream holds: each must reach the bus once. */
  readonly events: number;
  readonly eventsMissing: number;
  readonly eventsTwice: number;
  readonly seconds: number;
}

const TEMPLATE = {
  email: { subject: 'Drill', body: '<p>Reference {{ ref }}</p>' },
  sms: { body: 'Reference {{ ref }}' },
  push: { title: 'Drill', body: 'Reference {{ ref }}' },
};
const REF = /ref[0-9a-f]{32}/g;

let sandbox: TwilioSandbox;
const rows: Row[] = [];

beforeAll(async () => {
  sandbox = await startTwilioSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
  if (rows.length > 0) process.stdout.write(`\n${table(rows)}\n`);
});

describe('fault injection: a broadcast', () => {
  it(`to ${PER_SCENARIO} subscribers, its fan-out killed mid-chunk and every chunk twice: each emailed once`, async () => {
    const { emails, audience, log } = await runBroadcastScenario();

    const missing = audience.filter((address) => (emails.get(address) ?? 0) === 0);
    const twice = audience.filter((address) => (emails.get(address) ?? 0) > 1);
    process.stdout.write(
      `\nbroadcast to ${audience.length}: ${audience.length - missing.length} emailed, ${missing.length} not, ` +
        `${twice.length} twice; fan-out killed ${count(log, 'fault_drill_fan_out_killed')} times, ` +
        `${count(log, 'fault_drill_fanned_out_twice')} chunks and ${count(log, 'fault_drill_duplicated')} batches twice\n`,
    );
    expect(missing, 'subscribers never emailed').toEqual([]);
    // No worker crashes here: there is no at-least-once window, so no duplicate at all.
    expect(twice, 'subscribers emailed twice').toEqual([]);
    expect(count(log, 'fault_drill_fan_out_killed'), 'the fan-out was killed').toBeGreaterThan(0);
    expect(count(log, 'fault_drill_fanned_out_twice'), 'chunks were delivered twice').toBeGreaterThan(0);
  }, 1_800_000);
});

describe(`fault injection: ${PER_SCENARIO * SCENARIOS.length} notifications over ${SCENARIOS.length} scenarios`, () => {
  it.each(SCENARIOS)(
    '$name: nothing lost, nothing sent twice beyond the crash-after-send window',
    async (scenario) => {
      const { row, log, secrets } = await runScenario(scenario);
      rows.push(row);

      expect(row.accepted).toBe(PER_SCENARIO);
      expect(row.expected).toBe(PER_SCENARIO * CHANNELS.length - row.stoppedChannels);
      expect(row.losses, 'deliveries neither made, nor dead-lettered, nor in any queue').toBe(0);
      expect(
        row.onTheirWay,
        `${row.onTheirWay} deliveries were still on their way (their jobs in a queue) when the deadline passed`,
      ).toBe(0);
      expect(row.duplicatesBeyondWindow).toBe(0);
      expect(row.delivered + row.deadLettered).toBe(row.expected);
      expect(row.serverErrors).toBe(0);
      expect(row.unavailableWithoutRetryAfter).toBe(0);
      expect(scenario.evidence(row)).toBeGreaterThan(0);
      if (scenario.scheduled) {
        expect(row.scheduled).toBe(PER_SCENARIO);
        expect(row.cancelled + row.lateCancels).toBe(Math.ceil(PER_SCENARIO / scenario.scheduled.cancelEvery));
        expect(row.cancelled, 'no cancel came before its dispatch').toBeGreaterThan(0);
      }
      expect(row.sentThoughCancelled, 'deliveries on a channel a cancel had stopped').toBe(0);
      expect(row.cancelUnrecorded, 'notifications cancelled whole whose status does not say cancelled').toBe(0);
      expect(row.undispatched, 'scheduled notifications, not cancelled, never dispatched').toBe(0);
      expect(row.dispatchedEarly, 'scheduled notifications dispatched before their send_at').toBe(0);
      expect(row.events, 'state changes in the stream').toBeGreaterThan(row.accepted);
      expect(row.eventsMissing, 'state changes that never reached the bus').toBe(0);
      // The drill fails nothing of the publisher's: no retry, so no event twice at all.
      expect(row.eventsTwice, 'events received twice').toBe(0);
      // Every log line of every process: ids only.
      for (const secret of secrets) expect(log.includes(secret), 'a contact or payload value in the logs').toBe(false);
      expect(log.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g) ?? []).toEqual([]);
      expect(log.match(/\+[1-9]\d{7,14}/g) ?? []).toEqual([]);
    },
    1_800_000,
  );
});

async function runScenario(scenario: Scenario): Promise<{ row: Row; log: string; secrets: string[] }> {
  const started = Date.now();
  const prefix = `drill-${randomUUID().slice(0, 8)}`;
  const journal = join(tmpdir(), `${prefix}-journal.jsonl`);
  sandbox.reset();
  if (scenario.twilioFails) sandbox.failRandomly({ rate: 0.3, faults: TWILIO_FAULTS });
  const platform = await DrilledPlatform.start(
    {
      ...scenario.drill,
      twilioUrl: sandbox.url,
      journal,
      // The drill's clock: a Twilio answer may take 6 s, so claims outlast it and visibility outlasts claims.
      visibilityTimeoutSeconds: 15,
      claimLeaseSeconds: 10,
      retryBaseSeconds: 1,
    },
    prefix,
  );
  const consumer = await EventConsumer.subscribe(LOCAL_RESOURCE_NAMES.eventBus(prefix), `${prefix}-consumer`);
  const tally = newTally();
  try {
    const users = await createUsers(platform, tally, Math.min(25, PER_SCENARIO));
    const producer = drillClient(platform, tally);
    await producer.putTemplate({ path: { type: 'drill' }, body: TEMPLATE });

    const refs = Array.from({ length: PER_SCENARIO }, () => `ref${randomBytes(16).toString('hex')}`);
    const notifications = new Map<string, string>(); // notification id -> ref
    const expected = new Set<string>(); // ref/channel
    const schedules = new Map<string, Schedule>(); // notification id -> its schedule, and its cancel's outcome
    const stopped = new Set<string>(); // ref/channel a cancel stopped: never to be delivered
    await inParallel(
      refs.map((ref, index) => ({ ref, index })),
      6,
      async ({ ref, index }) => {
        const user = users[notifications.size % users.length] as DrillUser;
        const sendAt = scenario.scheduled ? sendAtFor(index) : undefined;
        const answer = await producer.sendNotification({
          body: { user_id: user.id, type: 'drill', payload: { ref }, ...(sendAt ? { send_at: sendAt } : {}) },
          idempotencyKey: randomUUID(),
        });
        notifications.set(answer.notification_id, ref);
        for (const [channel, state] of Object.entries(answer.channels))
          if (state?.status === 'queued') expected.add(`${ref}/${channel}`);
        if (answer.status !== 'scheduled' || !scenario.scheduled || !sendAt) return;
        // Its channels are decided when it falls due: each user has all three, so all three, less what a cancel stops.
        const cancel =
          index % scenario.scheduled.cancelEvery === 0 ? await cancelAtOnce(producer, answer.notification_id) : null;
        schedules.set(answer.notification_id, { sendAt, cancel });
        for (const channel of CHANNELS)
          if (cancel?.stopped.includes(channel)) stopped.add(`${ref}/${channel}`);
          else expected.add(`${ref}/${channel}`);
      },
    );

    const queues = await locateChannelQueues(sqs, prefix);
    const dispatchQueue = await queueUrl(LOCAL_RESOURCE_NAMES.dispatchQueue(prefix));
    await untilQuiet(expected, notifications, queues, dispatchQueue, platform);
    const sent = await providerDeliveries();
    const dead = await deadLettered(queues, notifications, platform, tally);
    const queued = await stillQueued(queues, dispatchQueue, notifications);
    const window = crashWindow(journal, notifications);
    const timing = await scheduleOutcomes(producer, schedules);
    const events = await eventsDelivered(consumer, prefix);

    let delivered = 0;
    let losses = 0;
    let onTheirWay = 0;
    let duplicatesInWindow = 0;
    let duplicatesBeyondWindow = 0;
    for (const key of expected) {
      const count = sent.get(key) ?? 0;
      if (count > 0) delivered++;
      else if (queued.has(key)) onTheirWay++;
      else if (!dead.has(key)) losses++;
      const duplicates = Math.max(0, count - 1);
      const explained = Math.min(duplicates, window.get(key) ?? 0);
      duplicatesInWindow += explained;
      duplicatesBeyondWindow += duplicates - explained;
    }
    const log = platform.output();
    keepLog(scenario, log);
    const row: Row = {
      scenario: scenario.name,
      accepted: notifications.size,
      expected: expected.size,
      delivered,
      deadLettered: [...expected].filter((key) => !sent.has(key) && dead.has(key)).length,
      duplicatesInWindow,
      duplicatesBeyondWindow,
      losses,
      onTheirWay,
      unavailable: tally.statuses.get(503) ?? 0,
      unavailableWithoutRetryAfter: tally.unavailableWithoutRetryAfter,
      serverErrors: tally.statuses.get(500) ?? 0,
      restarts: platform.restarts,
      workerRetries: log.split('"message":"delivery failed; retrying later"').length - 1,
      twilioFaults: sandbox.requests.filter((request) => request.fault !== null).length,
      doubledBatches: log.split('"event":"fault_drill_duplicated"').length - 1,
      firedTwice: log.split('"event":"fault_drill_fired_twice"').length - 1,
      scheduled: schedules.size,
      cancelled: [...schedules.values()].filter(({ cancel }) => cancel?.whole).length,
      lateCancels: [...schedules.values()].filter(({ cancel }) => cancel && !cancel.whole).length,
      stoppedChannels: stopped.size,
      sentThoughCancelled: [...stopped].filter((key) => sent.has(key)).length,
      ...timing,
      ...events,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const secrets = [...refs, ...users.flatMap((user) => [user.email, user.phone, user.token])];
    return { row, log, secrets };
  } finally {
    await platform.stop();
    rmSync(journal, { force: true });
    await consumer.remove();
    await removeScenarioResources(prefix);
  }
}

/**
 * Whether every state change reached the bus once: the changes are what the notifications table's stream holds (each
 * read as the publisher reads it), the arrivals what a consumer's queue received. Waits while arrivals still come.
 */
async function eventsDelivered(
  consumer: EventConsumer,
  prefix: string,
): Promise<Pick<Row, 'events' | 'eventsMissing' | 'eventsTwice'>> {
  const table = LOCAL_RESOURCE_NAMES.table(prefix, 'notifications');
  const changes = async () =>
    new Set(
      (await streamRecordsSoFar(dynamoDb, endpointFor('DYNAMODB', process.env) ?? '', table))
        .filter((record) => matchesFilter(EVENT_PUBLISHER.filter, record))
        .flatMap((record) => eventsOf(record).map(({ event_id }) => event_id)),
    );
  const bound = new ProgressBound(60_000, 600_000);
  let expected = await changes();
  for (;;) {
    await consumer.read();
    expected = await changes();
    const missing = [...expected].filter((id) => !consumer.received.has(id)).length;
    if (missing === 0 || bound.passed)
      return {
        events: expected.size,
        eventsMissing: missing,
        eventsTwice: [...consumer.received.values()].reduce((twice, count) => twice + count - 1, 0),
      };
    bound.observe(`${consumer.received.size} events received`);
    await pause(1_000);
  }
}

/** How often the platform logged an event. */
function count(log: string, event: string): number {
  return log.split(`"event":"${event}"`).length - 1;
}

/**
 * One broadcast to PER_SCENARIO subscribers with an email address, its fan-out killed half-way through its first
 * chunks (fault-injection.ts's FanOutFaults) and every SQS batch, chunks included, delivered twice; waits, bounded by
 * progress, until the broadcast says every job had its outcome, then counts the emails SES holds per subscriber.
 */
async function runBroadcastScenario(): Promise<{ emails: Map<string, number>; audience: string[]; log: string }> {
  const prefix = `drill-${randomUUID().slice(0, 8)}`;
  const platform = await DrilledPlatform.start(
    {
      duplicateDeliveries: true,
      crashFanOutAtRecord: Math.max(2, Math.ceil(Math.min(PER_SCENARIO, FAN_OUT_CHUNK_SIZE) / 2)),
      fanOutCrashes: 2,
      twilioUrl: sandbox.url,
      visibilityTimeoutSeconds: 15,
      claimLeaseSeconds: 10,
      retryBaseSeconds: 1,
    },
    prefix,
  );
  try {
    const producer = drillClient(platform, newTally());
    const ids = Array.from(
      { length: PER_SCENARIO },
      (_, index) => `drill-subscriber-${index}-${randomUUID().slice(0, 8)}`,
    );
    const addresses = new Map(ids.map((id) => [id, `drill.${randomUUID().slice(0, 12)}@example.org`]));
    await inParallel(ids, 6, async (id) => {
      await producer.putContacts({ path: { user_id: id }, body: { email_address: addresses.get(id) } });
    });
    const topic = `drill-${randomUUID().slice(0, 8)}`;
    for (let start = 0; start < ids.length; start += 1_000)
      await producer.subscribeManyToTopic({ path: { topic }, body: { user_ids: ids.slice(start, start + 1_000) } });
    await producer.putTemplate({ path: { type: 'drill-broadcast' }, body: { email: TEMPLATE.email } });
    const ref = `ref${randomBytes(16).toString('hex')}`;
    const broadcast = await producer.sendNotification({
      body: { topic, type: 'drill-broadcast', payload: { ref } },
      idempotencyKey: randomUUID(),
    });

    const bound = new ProgressBound(STILL_MS, CAP_MS);
    for (;;) {
      const record = await producer.getNotification({ path: { notification_id: broadcast.notification_id } });
      if (record.broadcast?.finished_at || bound.passed) break;
      bound.observe(JSON.stringify(record.broadcast));
      await pause(1_000);
    }
    const emails = new Map<string, number>();
    const { messages } = await readFromLocalStack<{ messages: SesRecord[] }>('SES', '/_aws/ses');
    for (const message of messages) {
      const { to } = await partsOf(message);
      emails.set(to, (emails.get(to) ?? 0) + 1);
    }
    const log = platform.output();
    keepLog({ name: 'broadcast', drill: {}, evidence: () => 0 }, log);
    return { emails, audience: [...addresses.values()], log };
  } finally {
    await platform.stop();
    await removeScenarioResources(prefix);
  }
}

/** The platform's output of a scenario, kept under FAULT_LOG_DIR when it is set: a run's evidence, beyond its table. */
function keepLog(scenario: Scenario, log: string): void {
  const directory = process.env.FAULT_LOG_DIR;
  if (!directory) return;
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, `${scenario.name.replace(/[^A-Za-z0-9]+/g, '-')}.log`), log);
}

/** The scenario's tables, queues and event bus: an emulator that outlives the suite does not keep 2,000 notifications. */
async function removeScenarioResources(prefix: string): Promise<void> {
  const queues = await locateChannelQueues(sqs, prefix).catch(() => undefined);
  const otherQueues = [
    LOCAL_RESOURCE_NAMES.erasureQueue(prefix),
    LOCAL_RESOURCE_NAMES.dispatchQueue(prefix),
    LOCAL_RESOURCE_NAMES.fanOutQueue(prefix),
  ];
  await Promise.allSettled([
    ...Object.keys(TABLES).map((key) =>
      dynamoDb.send(new DeleteTableCommand({ TableName: LOCAL_RESOURCE_NAMES.table(prefix, key as TableKey) })),
    ),
    ...Object.values(queues ?? {}).flatMap(({ url, deadLetterUrl }) =>
      [url, deadLetterUrl].map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ),
    ...CHANNELS.map(async (channel) =>
      sqs.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(LOCAL_RESOURCE_NAMES.bulkQueue(prefix, channel)) })),
    ),
    ...otherQueues
      .flatMap((name) => [name, `${name}-dlq`])
      .map(async (QueueName) => sqs.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(QueueName) }))),
    new EventBridgeClient({}).send(new DeleteEventBusCommand({ Name: LOCAL_RESOURCE_NAMES.eventBus(prefix) })),
  ]);
}

async function queueUrl(QueueName: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl ?? '';
}

/** A scheduled notification: its send_at as sent (the producer's word), and what its cancel stopped (null: none). */
interface Schedule {
  readonly sendAt: string;
  readonly cancel: CancelOutcome | null;
}

interface CancelOutcome {
  /** Cancelled whole: nothing of it goes out, and its status says cancelled. */
  readonly whole: boolean;
  readonly stopped: readonly Channel[];
}

/**
 * The `index`th notification's send_at: 2 to 15 s from now, at random to the millisecond (so that the cancelled ones,
 * every 7th, are not all due at the same few seconds, and a send_at between two whole seconds is met too), written
 * in one of several offsets.
 */
function sendAtFor(index: number): string {
  const { min, max } = SCHEDULE_AHEAD_SECONDS;
  const at = new Date(Date.now() + Math.round((min + Math.random() * (max - min)) * 1000));
  return rfc3339(at, SEND_AT_OFFSETS[index % SEND_AT_OFFSETS.length] ?? 0);
}

/** `at` as RFC 3339 with the offset `offsetMinutes` east of UTC, e.g. 2027-01-05T10:00:00.000+01:00. */
function rfc3339(at: Date, offsetMinutes: number): string {
  const wallClock = new Date(at.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const magnitude = Math.abs(offsetMinutes);
  const hours = String(Math.floor(magnitude / 60)).padStart(2, '0');
  const minutes = String(magnitude % 60).padStart(2, '0');
  return `${wallClock}${offsetMinutes < 0 ? '-' : '+'}${hours}:${minutes}`;
}

/**
 * Cancels a scheduled notification right after it was accepted. Whether the cancel or the dispatch came first is the
 * platform's to decide (one conditional write), not a verdict: a cancel after the dispatch stops the channels not yet
 * sent, and answers 409 when there are none. Its answer says what it stopped, and that is what is then held to.
 */
async function cancelAtOnce(producer: NotificationClient, notificationId: string): Promise<CancelOutcome> {
  try {
    const answer = await producer.cancelNotification({ path: { notification_id: notificationId } });
    return { whole: answer.status === 'cancelled', stopped: answer.cancelled };
  } catch (error) {
    if (error instanceof NotificationApiError && error.status === 409) return { whole: false, stopped: [] };
    throw error;
  }
}

/**
 * What each scheduled notification's record says once the queues are quiet: one cancelled whole must say
 * `cancelled`; any other must have been dispatched, and not before its send_at (the instants compared, not the text).
 */
async function scheduleOutcomes(
  producer: NotificationClient,
  schedules: Map<string, Schedule>,
): Promise<Pick<Row, 'cancelUnrecorded' | 'undispatched' | 'dispatchedEarly'>> {
  let cancelUnrecorded = 0;
  let undispatched = 0;
  let dispatchedEarly = 0;
  await inParallel([...schedules], 6, async ([notificationId, { sendAt, cancel }]) => {
    const record = await producer.getNotification({ path: { notification_id: notificationId } });
    if (cancel?.whole) {
      if (record.status !== 'cancelled') cancelUnrecorded++;
    } else if (record.dispatched_at === undefined) undispatched++;
    else if (Date.parse(record.dispatched_at) < Date.parse(sendAt)) dispatchedEarly++;
  });
  return { cancelUnrecorded, undispatched, dispatchedEarly };
}

interface DrillUser {
  readonly id: string;
  readonly email: string;
  readonly phone: string;
  readonly token: string;
}

async function createUsers(platform: DrilledPlatform, tally: ProducerTally, count: number): Promise<DrillUser[]> {
  const users = Array.from({ length: count }, (_, index) => ({
    id: `drill-user-${index}-${randomUUID().slice(0, 8)}`,
    email: `drill.${randomUUID().slice(0, 12)}@example.org`,
    phone: `+4915${String(10_000_000 + Math.floor(Math.random() * 89_999_999))}`,
    token: randomBytes(32).toString('hex'),
  }));
  await inParallel(users, 6, async (user) => {
    const producer = drillClient(platform, tally);
    await producer.putContacts({
      path: { user_id: user.id },
      body: { email_address: user.email, phone_number: user.phone },
    });
    await producer.registerDevice({ path: { user_id: user.id }, body: { platform: 'apns', token: user.token } });
  });
  return users;
}

/** What each provider holds, by ref/channel: SES and SNS as LocalStack recorded them, SMS as the sandbox did. */
async function providerDeliveries(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const count = (channel: Channel, text: string) => {
    for (const ref of new Set(text.match(REF) ?? []))
      counts.set(`${ref}/${channel}`, (counts.get(`${ref}/${channel}`) ?? 0) + 1);
  };
  const { messages } = await readFromLocalStack<{ messages: SesRecord[] }>('SES', '/_aws/ses');
  // Read as a person's mail program would: a raw message's parts decoded (a line may be encoded or folded).
  for (const message of messages) {
    const { text, html } = await partsOf(message);
    count('email', `${text}\n${html ?? ''}`);
  }
  const { platform_endpoint_messages: pushes } = await readFromLocalStack<{
    platform_endpoint_messages: Record<string, unknown[]>;
  }>('SNS', '/_aws/sns/platform-endpoint-messages');
  for (const message of Object.values(pushes).flat()) count('push', JSON.stringify(message));
  for (const message of sandbox.messages) count('sms', message.fields.Body ?? '');
  return counts;
}

/** Jobs resting in a DLQ whose notification says why (the worker records the reason before it gives up). */
async function deadLettered(
  queues: Record<Channel, ChannelQueueUrls>,
  notifications: Map<string, string>,
  platform: DrilledPlatform,
  tally: ProducerTally,
): Promise<Set<string>> {
  const dead = new Set<string>();
  for (const channel of CHANNELS) {
    for (const message of await messagesIn(queues[channel].deadLetterUrl)) {
      const job = JSON.parse(message.Body) as { notification_id: string };
      const status = await drillClient(platform, tally).getNotification({
        path: { notification_id: job.notification_id },
      });
      const reason = status.channels[channel]?.reason ?? '';
      const ref = notifications.get(job.notification_id);
      if (ref && reason.startsWith('dead_lettered')) dead.add(`${ref}/${channel}`);
    }
  }
  return dead;
}

/**
 * Deliveries a provider took whose worker died (or timed out) before recording them: the crash reports of the
 * killed processes, and the sandbox's slow answers, which Twilio's client gave up on after the message existed.
 */
function crashWindow(journal: string, notifications: Map<string, string>): Map<string, number> {
  const window = new Map<string, number>();
  const add = (key: string) => window.set(key, (window.get(key) ?? 0) + 1);
  let lines: string[] = [];
  try {
    lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  } catch {
    // No crash, no journal.
  }
  for (const line of lines) {
    const report = JSON.parse(line) as CrashReport;
    for (const { notification_id, channel } of report.unrecorded) {
      const ref = notifications.get(notification_id);
      if (ref) add(`${ref}/${channel}`);
    }
  }
  for (const request of sandbox.requests) {
    if (request.fault?.kind !== 'slow' || request.statusCode !== 201) continue;
    for (const ref of request.fields.Body?.match(REF) ?? []) add(`${ref}/sms`);
  }
  return window;
}

/**
 * The deliveries whose job is still in its channel's queue (visible, in flight or delayed), by ref/channel; and those
 * of a scheduled notification still waiting on the dispatch queue, on every channel.
 */
async function stillQueued(
  queues: Record<Channel, ChannelQueueUrls>,
  dispatchQueue: string,
  notifications: Map<string, string>,
): Promise<Set<string>> {
  const queued = new Set<string>();
  const refOf = (message: { Body: string }) =>
    notifications.get((JSON.parse(message.Body) as { notification_id: string }).notification_id);
  for (const channel of CHANNELS) {
    for (const message of await messagesIn(queues[channel].url)) {
      const ref = refOf(message);
      if (ref) queued.add(`${ref}/${channel}`);
    }
  }
  for (const message of await messagesIn(dispatchQueue)) {
    const ref = refOf(message);
    if (ref) for (const channel of CHANNELS) queued.add(`${ref}/${channel}`);
  }
  return queued;
}

/**
 * Until every expected delivery was made or rests in a DLQ, and no queue holds anything, twice in a row; or until
 * the deadline, after which the counts say what was still on its way. The dispatch queue too: a cancelled schedule's
 * firings must have come and gone before a delivery it should not make can be ruled out.
 */
async function untilQuiet(
  expected: Set<string>,
  notifications: Map<string, string>,
  queues: Record<Channel, ChannelQueueUrls>,
  dispatchQueue: string,
  platform: DrilledPlatform,
): Promise<void> {
  // Bounded by progress: jobs leaving the queues, deliveries and dead letters adding up. A busy machine is slow,
  // not stuck; what is still under way when nothing moved for the bound is what the counts then report.
  const bound = new ProgressBound(STILL_MS, CAP_MS);
  let quietTimes = 0;
  while (quietTimes < 2) {
    if (bound.passed) return; // the counts will show what is missing
    await pause(1_000);
    const urls = [...CHANNELS.map((channel) => queues[channel].url), dispatchQueue];
    const queued = await Promise.all(urls.map(async (url) => (await messagesIn(url)).length));
    if (queued.some((count) => count > 0)) {
      bound.observe(`queued ${queued.join('/')} (${[...CHANNELS, 'dispatch'].join('/')})`);
      quietTimes = 0;
      continue;
    }
    const sent = await providerDeliveries();
    const dead = await deadLettered(queues, notifications, platform, newTally());
    const accounted = [...expected].filter((key) => sent.has(key) || dead.has(key)).length;
    bound.observe(`accounted for ${accounted} of ${expected.size}`);
    quietTimes = accounted === expected.size ? quietTimes + 1 : 0;
  }
}

/**
 * Nothing moving for this long ends the wait; so does this long in all, inside the scenario's own bound (a scenario of
 * the full drill's 2,000 takes a few minutes).
 */
const STILL_MS = 180_000;
const CAP_MS = 1_500_000;

function table(results: readonly Row[]): string {
  const columns: [string, (row: Row) => string | number][] = [
    ['scenario', (row) => row.scenario],
    ['accepted', (row) => row.accepted],
    ['expected', (row) => row.expected],
    ['delivered', (row) => row.delivered],
    ['in DLQ', (row) => row.deadLettered],
    ['dup. in window', (row) => row.duplicatesInWindow],
    ['dup. beyond', (row) => row.duplicatesBeyondWindow],
    ['losses', (row) => row.losses],
    ['on their way', (row) => row.onTheirWay],
    ['503s', (row) => row.unavailable],
    ['restarts', (row) => row.restarts],
    ['worker retries', (row) => row.workerRetries],
    ['Twilio faults', (row) => row.twilioFaults],
    ['scheduled', (row) => row.scheduled],
    ['cancelled', (row) => row.cancelled],
    ['late cancels', (row) => row.lateCancels],
    ['sent if cancelled', (row) => row.sentThoughCancelled],
    ['early', (row) => row.dispatchedEarly],
    ['events', (row) => row.events],
    ['events missing', (row) => row.eventsMissing],
    ['events twice', (row) => row.eventsTwice],
    ['s', (row) => row.seconds],
  ];
  const cells = [
    columns.map(([name]) => name),
    ...results.map((row) => columns.map(([, value]) => String(value(row)))),
  ];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => (line[index] ?? '').length)));
  const format = (line: string[]) => `| ${line.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  return [
    format(cells[0] ?? []),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.slice(1).map(format),
  ].join('\n');
}
