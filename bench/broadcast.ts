/**
 * `npx tsx bench/broadcast.ts` (`-- --quick`: 10,000 subscribers instead of 100,000): broadcasts on this machine, in
 * one run against the local platform, printed and written to bench/broadcast-results.json:
 *   1. a critical email's latency (accepted to sent) with no broadcast, then while a broadcast drains through the
 *      email bulk lane at the shipped settings (platform.config.ts): their medians and the ratio;
 *   2. a broadcast to the whole audience, the bulk lane's pacing lifted so that the machine is what binds: the time to
 *      fan out and to drain, the peak RSS of each process (the platform's, with the fan-out in it, and each channel
 *      worker's) sampled as it goes, to show whether memory grows with the audience, and the fan-out's AWS calls per
 *      recipient, counted on its own clients.
 * Benchmarks print figures; they fail nothing because a machine is slow.
 */
import './quiet-functions.js';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { BroadcastProgressStore } from '../lambdas/shared/adapters/broadcast-progress.js';
import { NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import { SUBSCRIBER_MEMBER_PREFIX, TOPIC_OWNER_MEMBER } from '../lambdas/shared/adapters/topics-store.js';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import { type BroadcastProgress, FAN_OUT_CHUNK_SIZE } from '../lambdas/shared/domain/broadcast.js';
import { type LocalPlatform, startLocalPlatform } from '../local/runtime.js';
import config from '../platform.config.js';
import { markdownTable, median, round, sleep } from './measure.js';

const quick = process.argv.includes('--quick');
const say = (line: string) => process.stderr.write(`bench-broadcast: ${line}\n`);
const KEY = 'local-dev-key';
const PRODUCER = 'local-developer';
const TYPE = 'bench_broadcast';
const CRITICAL_TYPE = 'bench_critical';
const AUDIENCE = Number(process.env.BENCH_AUDIENCE) || (quick ? 10_000 : 100_000);
/** Phase 1's broadcast: long enough at the shipped email bulk rate to send every critical sample while it drains. */
const LATENCY_AUDIENCE = quick ? 600 : 1_200;
const LATENCY_SAMPLES = quick ? 10 : 20;
/** Phase 2's bulk lane: paced far above what this machine sends, so that the machine is what binds. */
const UNPACED = { ratePerSecond: 5_000, maxConcurrency: 20 };
const MB = 1024 * 1024;

type Json = Record<string, unknown> & { broadcast?: Record<string, number | string | undefined> };

/** The producer's calls over HTTP; a 429 (the local key's plan) waits and retries. */
function localApi(url: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { 'x-api-key': KEY, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await response.json().catch(() => ({}))) as Json;
      if (response.status !== 429 || attempt === 20) return { status: response.status, json };
      await sleep(500);
    }
  };
}

/**
 * Writes the audience straight into the tables (each person with an email address, each subscribed to `topic`, the
 * topic owned by the local producer): a benchmark of the broadcast, not of 100,000 API calls before it.
 */
async function seedAudience(platform: LocalPlatform, topic: string, count: number, tag: string): Promise<void> {
  const users = platform.resources.tables.users;
  const topics = platform.resources.tables.topics;
  await documentClient.put({
    TableName: topics,
    Item: { topic, member: TOPIC_OWNER_MEMBER, producer: PRODUCER, created_at: new Date().toISOString() },
  });
  const ids = Array.from({ length: count }, (_, index) => `${tag}-${String(index).padStart(6, '0')}`);
  const writes: { table: string; item: Record<string, unknown> }[] = ids.flatMap((id) => [
    { table: users, item: { user_id: id, email_address: `${id}@example.com` } },
    {
      table: topics,
      item: {
        topic,
        member: `${SUBSCRIBER_MEMBER_PREFIX}${id}`,
        subscriber: id,
        subscribed_at: new Date().toISOString(),
      },
    },
  ]);
  const batches = Array.from({ length: Math.ceil(writes.length / 25) }, (_, index) =>
    writes.slice(index * 25, index * 25 + 25),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] ?? [];
        let pending: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {};
        for (const { table, item } of batch)
          pending[table] = [...(pending[table] ?? []), { PutRequest: { Item: item } }];
        while (Object.keys(pending).length > 0) {
          const answer = await seedClient().batchWrite({ RequestItems: pending });
          pending = (answer.UnprocessedItems ?? {}) as typeof pending;
        }
      }
    }),
  );
}

/**
 * A client of its own for what the benchmark itself reads and writes, so that the platform's calls are counted apart;
 * made once the platform has pointed the SDK at the emulators.
 */
let seedDocuments: DynamoDBDocument | undefined;
const seedClient = () => {
  seedDocuments ??= DynamoDBDocument.from(new DynamoDBClient({}));
  return seedDocuments;
};

async function notificationRecord(platform: LocalPlatform, id: string): Promise<Json | undefined> {
  const { Item } = await seedClient().get({
    TableName: platform.resources.tables.notifications,
    Key: { pk: `${NOTIFICATION_KEY_PREFIX}${id}`, sk: 'notification' },
    ConsistentRead: true,
  });
  return Item as Json | undefined;
}

function broadcastProgress(platform: LocalPlatform, id: string): Promise<BroadcastProgress> {
  return new BroadcastProgressStore(platform.resources.tables.notifications, seedClient()).progressOf(id);
}

/**
 * A critical email's latency as its producer sees it: from the POST to the first read of its record that says it was
 * sent (or already delivered), the record read every 50 ms.
 */
async function criticalLatencyMs(
  platform: LocalPlatform,
  api: ReturnType<typeof localApi>,
  userId: string,
): Promise<number> {
  const started = performance.now();
  const accepted = await api('POST', '/v1/notifications', { user_id: userId, type: CRITICAL_TYPE, payload: {} });
  const id = String(accepted.json.notification_id);
  while (performance.now() - started < 120_000) {
    const record = await notificationRecord(platform, id);
    const email = (record?.channels as Record<string, { status: string }> | undefined)?.email;
    if (email && (email.status === 'sent' || email.status === 'delivered'))
      return Math.round(performance.now() - started);
    await sleep(50);
  }
  throw new Error('a critical email was not sent within two minutes');
}

/** The resident set of this process and its children, sampled: peak and by progress. */
class MemoryWatch {
  private readonly peaks = new Map<string, number>();
  readonly byProgress: { sent_share: number; platform_mb: number; workers_mb: number }[] = [];

  sample(sentShare?: number): void {
    const platformMb = process.memoryUsage.rss() / MB;
    this.peak('platform (API, fan-out, scheduler)', platformMb);
    let workersMb = 0;
    for (const pid of childPids(process.pid)) {
      const mb = residentMb(pid);
      if (mb === undefined) continue;
      workersMb += mb;
      this.peak(`process ${pid}`, mb);
    }
    if (sentShare !== undefined)
      this.byProgress.push({
        sent_share: round(sentShare, 2),
        platform_mb: round(platformMb, 0),
        workers_mb: round(workersMb, 0),
      });
  }

  peaksMb(): Record<string, number> {
    return Object.fromEntries([...this.peaks].map(([name, mb]) => [name, round(mb, 0)]));
  }

  private peak(name: string, mb: number): void {
    this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, mb));
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function residentMb(pid: number): number | undefined {
  try {
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kilobytes === undefined ? undefined : Number(kilobytes) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Counts the fan-out's DynamoDB and SQS calls while on. The platform's process also runs the API, the due drain and
 * the email feedback consumer (SES's events): their calls are told apart by what they are (the drain queries an
 * index; the feedback updates a recipient's channel, where the fan-out's updates count a broadcast's progress).
 */
class CallCount {
  on = false;
  readonly counts = new Map<string, number>();

  constructor() {
    for (const [client, service] of [
      [documentClient, 'dynamodb'],
      [sqsClient, 'sqs'],
    ] as const) {
      (client as unknown as { middlewareStack: { add(m: unknown, o: object): void } }).middlewareStack.add(
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
          if (
            this.on &&
            fanOutCall(context.commandName ?? '', (args as { input?: Record<string, unknown> }).input ?? {})
          ) {
            const name = `${service}:${context.commandName ?? 'unknown'}`;
            this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
          }
          return next(args);
        },
        { step: 'initialize', name: `benchBroadcastCalls-${service}` },
      );
    }
  }
}

function fanOutCall(command: string, input: Record<string, unknown>): boolean {
  if (command.startsWith('Query')) return input.IndexName === undefined;
  if (command.startsWith('Update')) {
    // The progress's own items, or the record's status when the fan-out is over (not a recipient's channel).
    const sk = (input.Key as { sk?: string } | undefined)?.sk;
    return sk !== 'notification' || /:fannedOut|finished_at/.test(String(input.UpdateExpression));
  }
  return !command.startsWith('Receive') && !command.startsWith('DeleteMessage');
}

async function phaseLatency(): Promise<Record<string, unknown>> {
  say(`1/2 a critical email's latency, alone and while a broadcast to ${LATENCY_AUDIENCE} drains (shipped settings)`);
  const platform = await startLocalPlatform({
    port: 0,
    demo: false,
    prefix: `bench-bc1-${Date.now().toString(36)}`,
    localApiKey: KEY,
    log: () => {},
  });
  try {
    const api = localApi(platform.url);
    await templates(api);
    const critical = `bench-critical-${randomUUID().slice(0, 8)}`;
    await api('PUT', `/v1/users/${critical}/contacts`, { email_address: `${critical}@example.com` });
    const topic = `bench-latency-${randomUUID().slice(0, 8)}`;
    await seedAudience(platform, topic, LATENCY_AUDIENCE, `bench-lat-${randomUUID().slice(0, 6)}`);
    const alone: number[] = [];
    for (let index = 0; index < LATENCY_SAMPLES; index++) alone.push(await criticalLatencyMs(platform, api, critical));
    const accepted = await api('POST', '/v1/notifications', { topic, type: TYPE, payload: { n: 1 } });
    if (accepted.status !== 202)
      throw new Error(`the broadcast answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
    const id = String(accepted.json.notification_id);
    // Once the bulk lane is busy: its first sends made.
    while ((await broadcastProgress(platform, id)).sent < 20) await sleep(250);
    const during: number[] = [];
    for (let index = 0; index < LATENCY_SAMPLES; index++) {
      during.push(await criticalLatencyMs(platform, api, critical));
      await sleep(1_000);
    }
    const progress = await broadcastProgress(platform, id);
    const stillDraining = progress.finished_at === undefined;
    say(`1/2 done: the broadcast had sent ${progress.sent} of ${LATENCY_AUDIENCE} after the last sample`);
    return {
      email_bulk_lane: config.channels.email.bulk,
      email_provider_rate_per_second: config.channels.email.providerRatePerSecond,
      samples: LATENCY_SAMPLES,
      alone_median_ms: median(alone),
      during_broadcast_median_ms: median(during),
      ratio: round(median(during) / median(alone), 2),
      broadcast_still_draining_after_last_sample: stillDraining,
    };
  } finally {
    await platform.stop();
  }
}

async function phaseAudience(): Promise<Record<string, unknown>> {
  say(`2/2 a broadcast to ${AUDIENCE} subscribers, the email bulk lane unpaced (${JSON.stringify(UNPACED)})`);
  const calls = new CallCount();
  const platform = await startLocalPlatform({
    port: 0,
    demo: false,
    prefix: `bench-bc2-${Date.now().toString(36)}`,
    localApiKey: KEY,
    channels: (channels) => ({
      ...channels,
      email: { ...channels.email, providerRatePerSecond: UNPACED.ratePerSecond * 2, bulk: UNPACED },
    }),
    log: () => {},
  });
  try {
    const api = localApi(platform.url);
    await templates(api);
    const topic = `bench-audience-${randomUUID().slice(0, 8)}`;
    const seeded = Date.now();
    await seedAudience(platform, topic, AUDIENCE, `bench-aud-${randomUUID().slice(0, 6)}`);
    say(`2/2 seeded ${AUDIENCE} people and subscriptions in ${Math.round((Date.now() - seeded) / 1000)} s`);
    const memory = new MemoryWatch();
    memory.sample(0);
    calls.on = true;
    const started = Date.now();
    const accepted = await api('POST', '/v1/notifications', { topic, type: TYPE, payload: { n: 2 } });
    if (accepted.status !== 202)
      throw new Error(`the broadcast answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
    const id = String(accepted.json.notification_id);
    let fannedOutMs: number | undefined;
    let progress: BroadcastProgress | undefined;
    let lastShare = -1;
    let lastChange = Date.now();
    let lastSent = -1;
    for (;;) {
      await sleep(1_000);
      progress = await broadcastProgress(platform, id);
      const sent = progress.sent;
      if (process.env.BENCH_DEBUG) say(JSON.stringify(progress));
      const share = sent / AUDIENCE;
      if (fannedOutMs === undefined && progress.fanned_out_at) {
        fannedOutMs = Date.now() - started;
        calls.on = false;
      }
      const tenthMore = share >= lastShare + 0.1;
      memory.sample(tenthMore ? share : undefined);
      if (tenthMore) {
        lastShare = share;
        say(`2/2 ${sent} of ${AUDIENCE} sent`);
      }
      if (progress.finished_at) break;
      if (sent !== lastSent) [lastSent, lastChange] = [sent, Date.now()];
      if (Date.now() - lastChange > 300_000)
        throw new Error(`the broadcast stopped draining at ${sent} of ${AUDIENCE}`);
    }
    const drainedMs = Date.now() - started;
    memory.sample(1);
    const fanOutCalls = Object.fromEntries([...calls.counts].sort());
    const totalCalls = [...calls.counts.values()].reduce((sum, count) => sum + count, 0);
    return {
      audience: AUDIENCE,
      chunk_size: FAN_OUT_CHUNK_SIZE,
      email_bulk_lane: UNPACED,
      fan_out_seconds: round((fannedOutMs ?? drainedMs) / 1000, 1),
      drain_seconds: round(drainedMs / 1000, 1),
      sent_per_second: round(AUDIENCE / (drainedMs / 1000), 1),
      progress: {
        recipients: progress?.recipients,
        dispatched: progress?.dispatched,
        sent: progress?.sent,
        failed: progress?.failed,
      },
      peak_rss_mb: memory.peaksMb(),
      rss_by_progress: memory.byProgress,
      fan_out_calls_per_recipient: round(totalCalls / AUDIENCE, 3),
      fan_out_calls_by_operation_per_100_recipients: Object.fromEntries(
        Object.entries(fanOutCalls).map(([name, count]) => [name, round((count / AUDIENCE) * 100, 2)]),
      ),
    };
  } finally {
    await platform.stop();
  }
}

async function templates(api: ReturnType<typeof localApi>): Promise<void> {
  for (const [type, body] of Object.entries({
    [TYPE]: { email: { subject: 'Status {{ n }}', body: '<p>Service notice {{ n }}</p>' } },
    [CRITICAL_TYPE]: { critical: true, email: { subject: 'Your code', body: '<p>123456</p>' } },
  })) {
    const { status } = await api('PUT', `/v1/templates/${type}`, body);
    if (status !== 200) throw new Error(`bench/broadcast.ts: the template ${type} answered ${status}`);
  }
}

/**
 * Each phase runs in a process of its own, as `npm start` would: the functions read their tables' names when their
 * modules load, once a process, so a second platform in the same process would still use the first one's.
 */
function inItsOwnProcess(phase: 'latency' | 'audience'): Record<string, unknown> {
  const file = join(tmpdir(), `bench-broadcast-${phase}-${process.pid}.json`);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--phase', phase, ...process.argv.slice(2)],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BENCH_PHASE_OUTPUT: file } },
  );
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const phase = process.argv[process.argv.indexOf('--phase') + 1];
if (process.argv.includes('--phase')) {
  const figures = phase === 'latency' ? await phaseLatency() : await phaseAudience();
  writeFileSync(process.env.BENCH_PHASE_OUTPUT ?? '/dev/null', JSON.stringify(figures));
  process.exit(0);
}
const loadAtStart = round(loadavg()[0] ?? Number.NaN, 2);
// --audience-only: phase 2 alone (phase 1's figures from the last results), to rerun the big one.
const latency = process.argv.includes('--audience-only')
  ? (
      JSON.parse(readFileSync(new URL('./broadcast-results.json', import.meta.url), 'utf8')) as {
        critical_latency: Record<string, unknown>;
      }
    ).critical_latency
  : inItsOwnProcess('latency');
const audience = inItsOwnProcess('audience');
const results = {
  date: new Date().toISOString(),
  quick,
  machine: {
    cores: availableParallelism(),
    node: process.version,
    load_average_1m_at_start: loadAtStart,
    load_average_1m_at_end: round(loadavg()[0] ?? Number.NaN, 2),
  },
  critical_latency: latency,
  broadcast: audience,
};
writeFileSync(new URL('./broadcast-results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(
  `${markdownTable(
    ['figure', 'value'],
    [
      ['critical email latency alone (median)', `${latency.alone_median_ms} ms`],
      ['critical email latency while a broadcast drains (median)', `${latency.during_broadcast_median_ms} ms`],
      ['ratio', String(latency.ratio)],
      [`broadcast to ${AUDIENCE}: fanned out`, `${audience.fan_out_seconds} s`],
      [`broadcast to ${AUDIENCE}: drained`, `${audience.drain_seconds} s (${audience.sent_per_second}/s)`],
      ['fan-out AWS calls per recipient', String(audience.fan_out_calls_per_recipient)],
      ['peak RSS (MB)', JSON.stringify(audience.peak_rss_mb)],
    ],
  )}\n`,
);
say('wrote bench/broadcast-results.json');
