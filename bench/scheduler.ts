/**
 * `npx tsx bench/scheduler.ts` (`-- --quick` for 100 schedules instead of 1,000): scheduled sends on this machine, in
 * one run against the local platform, printed and written to bench/scheduler-results.json:
 *   1. lateness: notifications scheduled 30 to 90 s ahead, from send_at to dispatched_at and to the email's `sent`;
 *   2. AWS calls per scheduled send, counted on the handlers' own clients: the accept (due within and beyond the
 *      dispatch lookahead), the due drain, the dispatch, the cancels;
 *   3. what a million scheduled sends cost on AWS: the due-time index as built, and EventBridge Scheduler as
 *      considered, from those counts and the list prices in bench/aws-prices.json.
 * Benchmarks print figures; they fail nothing because a machine is slow.
 */
import './quiet-functions.js';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import {
  DISPATCH_LOOKAHEAD_SECONDS,
  DUE_DRAIN_INTERVAL_SECONDS,
  DUE_INDEX_SHARDS,
} from '../lambdas/shared/domain/schedule.js';
import { OPERATIONS } from '../lambdas/shared/platform/operations.js';
import { NOTIFICATIONS_BY_DUE_TIME_INDEX, SCHEDULED_DISPATCH } from '../lambdas/shared/platform/resources.js';
import { lambdaContext, proxyEvent } from '../local/api-gateway-emulation.js';
import { type SqsHandler, toSqsRecord } from '../local/queue-pollers.js';
import { type LocalPlatform, startLocalPlatform } from '../local/runtime.js';
import { LOCAL_DRAIN_INTERVAL_MS } from '../local/scheduler.js';
import prices from './aws-prices.json' with { type: 'json' };
import { AwsCallCounter, markdownTable, median, percentile, round, runConcurrently, sleep } from './measure.js';

const quick = process.argv.includes('--quick');
const say = (line: string) => process.stderr.write(`bench-scheduler: ${line}\n`);
const KEY = 'local-dev-key';
const TYPE = 'bench_scheduled';
const USERS = Array.from({ length: 5 }, (_, index) => `bench-sched-user-${index}`);
/** The lateness run: how many notifications, due how far ahead of their acceptance (spread evenly). */
const SCHEDULES = quick ? 100 : 1_000;
const AHEAD_MS = { from: 30_000, to: 90_000 } as const;
/** Past the last send_at, how long the run waits before it counts what is left as never dispatched or never sent. */
const GIVE_UP_AFTER_MS = 180_000;
/** Each call count is averaged over this many invocations. */
const SAMPLES = quick ? 10 : 20;
/**
 * Notifications one measured drain run moves: enough for several to a shard, so that its time and its
 * SendMessageBatch calls per notification approach what a busy minute's drain spends (ten to a batch, per shard).
 */
const DRAIN_SAMPLE = quick ? 100 : 300;
/** The local producer's usage plan admits 100 requests a second: stay under it rather than be answered 429. */
const REQUESTS_PER_SECOND = 90;
/** A month of the deployed drain, one run every DUE_DRAIN_INTERVAL_SECONDS (30 days, as AWS's monthly figures). */
const DRAIN_RUNS_PER_MONTH = (30 * 86_400) / DUE_DRAIN_INTERVAL_SECONDS;
/** The volume the fixed costs (the drain) and the free tier (EventBridge Scheduler's) are spread over. */
const SCHEDULED_PER_MONTH = 10_000_000;
/** lib/notification-function.ts: every function of the stack, the dispatch and the drain included. */
const MEMORY_GB = 512 / 1024;
const MILLION = 1_000_000;

// ---------------------------------------------------------------------------------------------------------------
// The local API, through HTTP as a producer calls it

interface Api {
  call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
}

/** Spaces calls 1/perSecond apart, however many callers wait on it at once. */
function pacer(perSecond: number): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + 1000 / perSecond;
    if (at > now) await sleep(at - now);
  };
}

function localApi(url: string): Api {
  const pace = pacer(REQUESTS_PER_SECOND);
  return {
    async call<T>(method: string, path: string, body?: unknown) {
      for (let attempt = 1; ; attempt++) {
        await pace();
        const response = await fetch(`${url}${path}`, {
          method,
          headers: { 'x-api-key': KEY, 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        // The usage plan's bucket may still run dry on a burst: wait for it rather than count a refusal.
        if (response.status === 429 && attempt < 10) {
          await response.body?.cancel();
          await sleep(250);
          continue;
        }
        return { status: response.status, json: (await response.json()) as T };
      }
    },
  };
}

/** The template (email only) and the people the benchmark sends to, written as a producer writes them. */
async function seed(api: Api): Promise<void> {
  const writes = [
    api.call('PUT', `/v1/templates/${TYPE}`, {
      email: { subject: 'Scheduled {{ n }}', body: '<p>Scheduled notification {{ n }}</p>' },
    }),
    ...USERS.map((user) => api.call('PUT', `/v1/users/${user}/contacts`, { email_address: `${user}@example.com` })),
  ];
  for (const { status, json } of await Promise.all(writes)) {
    if (status >= 300) throw new Error(`bench/scheduler.ts: seeding answered ${status}: ${JSON.stringify(json)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Lateness

interface Scheduled {
  readonly id: string;
  readonly sendAt: number;
}

/** A notification as GET /v1/notifications/{id} last showed it. */
interface Observed {
  readonly sendAt: number;
  readonly status: string;
  readonly dispatchedAt?: number;
  readonly email?: { readonly status: string; readonly at: number };
}

interface NotificationAnswer {
  readonly status?: string;
  readonly dispatched_at?: string;
  readonly channels?: Partial<Record<string, { readonly status: string; readonly updated_at: string }>>;
}

/** Email states a worker or provider may still move on from: the notification is not settled while it says one. */
const EMAIL_PENDING = new Set(['queued', 'deferred', 'sending']);
/** Sent: the worker's `sent`, or the provider's `delivered` that may have replaced it (its updated_at the delivery's). */
const EMAIL_SENT = new Set(['sent', 'delivered']);

/** Schedules `count` notifications, each due AHEAD_MS after its own acceptance (from 30 s to 90 s, evenly). */
async function scheduleSpread(api: Api, count: number): Promise<{ scheduled: Scheduled[]; refused: number }> {
  const scheduled: Scheduled[] = [];
  let refused = 0;
  await runConcurrently(count, 8, async (index) => {
    const ahead = AHEAD_MS.from + ((AHEAD_MS.to - AHEAD_MS.from) * index) / Math.max(1, count - 1);
    const sendAt = new Date(Date.now() + ahead);
    const { status, json } = await api.call<{ notification_id?: string; status?: string }>(
      'POST',
      '/v1/notifications',
      {
        user_id: USERS[index % USERS.length],
        type: TYPE,
        channels: ['email'],
        payload: { n: index },
        send_at: sendAt.toISOString(),
      },
    );
    if (status === 202 && json.status === 'scheduled' && json.notification_id) {
      scheduled.push({ id: json.notification_id, sendAt: sendAt.getTime() });
    } else {
      refused++;
    }
  });
  return { scheduled, refused };
}

async function look(api: Api, { id, sendAt }: Scheduled): Promise<Observed> {
  const { status, json } = await api.call<NotificationAnswer>('GET', `/v1/notifications/${id}`);
  if (status !== 200) return { sendAt, status: `http_${status}` };
  const email = json.channels?.email;
  return {
    sendAt,
    status: json.status ?? 'unknown',
    ...(json.dispatched_at ? { dispatchedAt: Date.parse(json.dispatched_at) } : {}),
    ...(email ? { email: { status: email.status, at: Date.parse(email.updated_at) } } : {}),
  };
}

const settled = (seen: Observed) =>
  seen.status === 'cancelled' ||
  seen.status === 'suppressed' ||
  (seen.dispatchedAt !== undefined && seen.email !== undefined && !EMAIL_PENDING.has(seen.email.status));

/**
 * Polls each notification from a second past its send_at, once a second, until it is dispatched and its email is no
 * longer pending, or until `giveUpAt`. The lateness is read from the record's own times, not from when this looked.
 */
async function watch(api: Api, scheduled: readonly Scheduled[], giveUpAt: number): Promise<Observed[]> {
  const last = new Map<string, Observed>();
  const nextLook = new Map(scheduled.map((notification) => [notification, notification.sendAt + 1_000]));
  while (nextLook.size > 0 && Date.now() < giveUpAt) {
    const now = Date.now();
    const due = [...nextLook].filter(([, at]) => at <= now).map(([notification]) => notification);
    if (due.length === 0) {
      await sleep(200);
      continue;
    }
    await runConcurrently(due.length, 8, async (index) => {
      const notification = due[index] as Scheduled;
      const seen = await look(api, notification);
      last.set(notification.id, seen);
      if (settled(seen)) nextLook.delete(notification);
      else nextLook.set(notification, Date.now() + 1_000);
    });
  }
  return scheduled.map(({ id, sendAt }) => last.get(id) ?? { sendAt, status: 'never_looked_at' });
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

function latenessFigures(observed: readonly Observed[], refused: number): Record<string, number | object> {
  const dispatch = observed.flatMap((seen) =>
    seen.dispatchedAt === undefined ? [] : [seen.dispatchedAt - seen.sendAt],
  );
  const sent = observed.flatMap((seen) =>
    seen.email && EMAIL_SENT.has(seen.email.status) ? [seen.email.at - seen.sendAt] : [],
  );
  const ms = (samples: readonly number[], p: number) => round(percentile(samples, p), 0);
  return {
    scheduled: observed.length,
    refused_at_accept: refused,
    dispatched: dispatch.length,
    still_scheduled_at_give_up: observed.filter((seen) => seen.status === 'scheduled').length,
    dispatched_before_send_at: dispatch.filter((lateness) => lateness < 0).length,
    dispatch_lateness_p50_ms: ms(dispatch, 50),
    dispatch_lateness_p99_ms: ms(dispatch, 99),
    dispatch_lateness_max_ms: ms(dispatch, 100),
    dispatch_lateness_min_ms: ms(dispatch, 0),
    email_sent: sent.length,
    sent_lateness_p50_ms: ms(sent, 50),
    sent_lateness_p99_ms: ms(sent, 99),
    sent_lateness_max_ms: ms(sent, 100),
    notification_statuses: countBy(observed.map((seen) => seen.status)),
    email_statuses: countBy(observed.map((seen) => seen.email?.status ?? 'none')),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The runtime's own scheduler, watched (not counted as the bench's): on the functions' own clients, whoever calls

interface MiddlewareStack {
  add(
    middleware: (
      next: (args: { input?: object }) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: { input?: object }) => Promise<unknown>,
    options: object,
  ): void;
}

/** Running totals of what the runtime's drain and dispatch do in the background, the bench's own calls included. */
interface Background {
  /** Queries of the due-time index: 16 a drain run. */
  readonly drainQueries: () => number;
  /** SendMessage onto the dispatch queue: an accept due within the lookahead, or a firing that came early. */
  readonly dispatchSends: () => number;
}

function watchBackground(dispatchQueueUrl: string): Background {
  let drainQueries = 0;
  let dispatchSends = 0;
  const watch = (client: unknown, name: string, seen: (command: string, input: Record<string, unknown>) => void) =>
    (client as { middlewareStack: MiddlewareStack }).middlewareStack.add(
      (next, context) => async (args) => {
        seen(context.commandName ?? '', (args.input ?? {}) as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name },
    );
  watch(documentClient, 'benchSchedulerDrainQueries', (command, input) => {
    if (command === 'QueryCommand' && input.IndexName === NOTIFICATIONS_BY_DUE_TIME_INDEX) drainQueries++;
  });
  watch(sqsClient, 'benchSchedulerDispatchSends', (command, input) => {
    if (command === 'SendMessageCommand' && input.QueueUrl === dispatchQueueUrl) dispatchSends++;
  });
  return { drainQueries: () => drainQueries, dispatchSends: () => dispatchSends };
}

/** Waits for the runtime's next drain to have queried every shard: the bench's own drain then runs alone for ~5 s. */
async function afterLocalDrain(background: Background): Promise<void> {
  const before = background.drainQueries();
  const waitUntil = Date.now() + 3 * LOCAL_DRAIN_INTERVAL_MS;
  while (background.drainQueries() < before + DUE_INDEX_SHARDS && Date.now() < waitUntil) await sleep(20);
  await sleep(500);
}

// ---------------------------------------------------------------------------------------------------------------
// 2. AWS calls, on the handlers' own clients, the handlers invoked in this process

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type DrainHandler = (event: unknown, context: Context) => Promise<{ queued: number; refused: number }>;

interface Handlers {
  readonly ingest: ApiHandler;
  readonly cancellation: ApiHandler;
  readonly dispatch: SqsHandler;
  readonly drain: DrainHandler;
}

/** The modules the runtime has loaded already (the same instances, the same clients), with the stack's settings. */
async function loadHandlers(): Promise<Handlers> {
  const [ingest, cancellation, dispatch, drain] = await Promise.all([
    import('../lambdas/ingest/handler.js'),
    import('../lambdas/cancellation/handler.js'),
    import('../lambdas/scheduler/dispatch-handler.js'),
    import('../lambdas/scheduler/drain-handler.js'),
  ]);
  return {
    ingest: ingest.handler,
    cancellation: cancellation.handler,
    dispatch: dispatch.handler,
    drain: drain.handler,
  };
}

/** The event API Gateway hands the function of `operation`, as the local gateway makes it. */
function apiEvent(
  operation: { readonly method: string; readonly path: string },
  body: unknown,
  pathParameters: Record<string, string> | null = null,
): APIGatewayProxyEvent {
  const path = Object.entries(pathParameters ?? {}).reduce(
    (resolved, [name, value]) => resolved.replace(`{${name}}`, value),
    operation.path,
  );
  return proxyEvent({
    method: operation.method,
    resource: operation.path,
    path,
    pathParameters,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    apiKeyId: 'local-developer',
  });
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000);
const LOOKAHEAD_SEND_SECONDS = 60;
/** How long after pausing the workers until no long poll of theirs is still under way. */
const POLL_DRAINS_MS = 6_000;
const BEYOND_SEND_SECONDS = 2 * 86_400;

async function accept(ingest: ApiHandler, sendAt: Date, n: string): Promise<string> {
  const body = { user_id: USERS[0], type: TYPE, channels: ['email'], payload: { n }, send_at: sendAt.toISOString() };
  const result = await ingest(apiEvent(OPERATIONS.sendNotification, body), lambdaContext('ingest'));
  if (result.statusCode !== 202)
    throw new Error(`bench/scheduler.ts: ingest answered ${result.statusCode}: ${result.body}`);
  return (JSON.parse(result.body) as { notification_id: string }).notification_id;
}

async function acceptMany(ingest: ApiHandler, count: number, seconds: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) ids.push(await accept(ingest, inSeconds(seconds), `${label}-${index}`));
  return ids;
}

async function cancel(cancellation: ApiHandler, id: string): Promise<void> {
  const event = apiEvent(OPERATIONS.cancelNotification, undefined, { notification_id: id });
  const result = await cancellation(event, lambdaContext('cancellation'));
  if (result.statusCode !== 200)
    throw new Error(`bench/scheduler.ts: cancel answered ${result.statusCode}: ${result.body}`);
}

/** One delivery of dispatch messages, as the event source mapping hands them over: received once, new message ids. */
async function fire(dispatch: SqsHandler, queueUrl: string, ids: readonly string[]): Promise<void> {
  const records = ids.map((id) =>
    toSqsRecord(
      {
        MessageId: randomUUID(),
        Body: JSON.stringify({ notification_id: id }),
        Attributes: { ApproximateReceiveCount: '1' },
      },
      queueUrl,
    ),
  );
  const response = await dispatch({ Records: records }, lambdaContext('scheduled-dispatch'));
  const failed = response?.batchItemFailures ?? [];
  if (failed.length > 0) throw new Error(`bench/scheduler.ts: the dispatch failed ${failed.length} of ${ids.length}`);
}

/** The notifications table's key of a notification record (notifications-store.ts keeps its own copy private). */
const recordKey = (id: string) => ({ pk: `${NOTIFICATION_KEY_PREFIX}${id}`, sk: 'notification' });

/**
 * What the drain and the passing of time do to a notification accepted days ahead: its send_at now past, out of the
 * due-time index. Written straight to the table, so that no dispatch message exists for it and only the bench's own
 * invocation fires it (the runtime's poller would otherwise race it).
 */
async function makeDue(table: string, id: string): Promise<void> {
  await documentClient.update({
    TableName: table,
    Key: recordKey(id),
    UpdateExpression: 'SET send_at = :past REMOVE due_shard, due_at',
    ExpressionAttributeValues: { ':past': new Date(Date.now() - 1_000).toISOString() },
  });
}

/** A notification accepted days ahead whose time is now `seconds` away: in the index, for the next drain to move. */
async function bringDueSoon(table: string, id: string, seconds: number): Promise<void> {
  const soon = inSeconds(seconds).toISOString();
  await documentClient.update({
    TableName: table,
    Key: recordKey(id),
    UpdateExpression: 'SET send_at = :soon, due_at = :soon',
    ExpressionAttributeValues: { ':soon': soon },
  });
}

/** Calls per item by operation, the total per item, and the median time of one item's work. */
interface Counted {
  readonly calls: Record<string, number>;
  readonly total: number;
  readonly p50_ms: number;
}

const divided = (counts: Record<string, number>, by: number) =>
  Object.fromEntries(Object.entries(counts).map(([operation, count]) => [operation, round(count / by, 3)]));

/** Runs `work` for each item, one after another, each inside the counter's measure: only its own calls count. */
async function countEach<T>(
  counter: AwsCallCounter,
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  perItem = 1,
): Promise<Counted> {
  counter.reset();
  const durations: number[] = [];
  for (const item of items) {
    const started = performance.now();
    await counter.measure(() => work(item));
    durations.push(performance.now() - started);
  }
  const units = items.length * perItem;
  return {
    calls: divided(counter.byOperation(), units),
    total: round(counter.total() / units, 3),
    p50_ms: round(median(durations), 2),
  };
}

interface DrainMoved {
  readonly moved: number;
  readonly run: Counted;
  /** What one moved notification added to an idle run: its calls and its time. */
  readonly per_moved: Counted;
}

/** One drain run (the bench's, right after the runtime's) that finds `count` notifications falling due. */
async function measureDrainMoving(
  platform: LocalPlatform,
  handlers: Handlers,
  counter: AwsCallCounter,
  background: Background,
  idle: Counted,
  count: number,
): Promise<DrainMoved> {
  const table = platform.resources.tables.notifications;
  const ids = await acceptMany(handlers.ingest, count, BEYOND_SEND_SECONDS, 'drained');
  await afterLocalDrain(background);
  await Promise.all(ids.map((id) => bringDueSoon(table, id, 30)));
  let moved = 0;
  const run = await countEach(counter, [0], async () => {
    moved = (await handlers.drain({}, lambdaContext('due-drain'))).queued;
  });
  const extra = (counts: Record<string, number>, base: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(counts).map(([operation, calls]) => [
        operation,
        round((calls - (base[operation] ?? 0)) / moved, 3),
      ]),
    );
  return {
    moved,
    run,
    per_moved: {
      calls: extra(run.calls, idle.calls),
      total: round((run.total - idle.total) / moved, 3),
      p50_ms: round(Math.max(0, run.p50_ms - idle.p50_ms) / moved, 2),
    },
  };
}

interface CallFigures {
  readonly accept_within_lookahead: Counted;
  readonly accept_beyond_lookahead: Counted;
  readonly dispatch: Counted;
  readonly dispatch_batch_of_10: Counted;
  readonly dispatch_of_cancelled: Counted;
  readonly cancel_scheduled_within_lookahead: Counted;
  readonly cancel_scheduled_beyond_lookahead: Counted;
  readonly cancel_dispatched: Counted;
  readonly drain_idle_run: Counted;
  readonly drain_moving: DrainMoved;
  readonly record_bytes: number;
}

/**
 * Each operation counted on its own, the handlers invoked in this process. The runtime's own drain and dispatch
 * poller use the same clients meanwhile; the counter counts only what runs inside its measure, so they are not counted.
 * The email worker is paused throughout: the jobs the dispatches queue must still be unsent when they are cancelled.
 */
async function measureCalls(
  platform: LocalPlatform,
  handlers: Handlers,
  counter: AwsCallCounter,
  background: Background,
): Promise<CallFigures> {
  const table = platform.resources.tables.notifications;
  const queueUrl = platform.resources.dispatchQueue.url;
  const { ingest, cancellation, dispatch, drain } = handlers;
  platform.pauseDeliveries(true);
  try {
    // A worker's long poll already under way (up to 5 s, local/queue-pollers.ts) still takes what arrives meanwhile.
    await sleep(POLL_DRAINS_MS);
    // Warm, as a warm function is: the modules, the connections, the template cache.
    await acceptMany(ingest, 3, BEYOND_SEND_SECONDS, 'warm');
    const withinIds: string[] = [];
    const beyondIds: string[] = [];
    const samples = Array.from({ length: SAMPLES }, (_, index) => index);
    const acceptWithin = await countEach(counter, samples, async (index) => {
      withinIds.push(await accept(ingest, inSeconds(LOOKAHEAD_SEND_SECONDS), `within-${index}`));
    });
    const acceptBeyond = await countEach(counter, samples, async (index) => {
      beyondIds.push(await accept(ingest, inSeconds(BEYOND_SEND_SECONDS), `beyond-${index}`));
    });

    // Cancelled well before their minute is up: the runtime's poller must find them cancelled when their messages come.
    const cancelWithin = await countEach(counter, withinIds, (id) => cancel(cancellation, id));
    const cancelBeyond = await countEach(counter, beyondIds, (id) => cancel(cancellation, id));
    // The message a cancelled send due within the lookahead left on the dispatch queue still comes, and does this.
    const firedCancelled = await countEach(counter, withinIds, (id) => fire(dispatch, queueUrl, [id]));

    const dispatched = await acceptMany(ingest, SAMPLES, BEYOND_SEND_SECONDS, 'dispatched');
    const batched = await acceptMany(ingest, 30, BEYOND_SEND_SECONDS, 'batched');
    await Promise.all([...dispatched, ...batched].map((id) => makeDue(table, id)));
    const dispatchOne = await countEach(counter, dispatched, (id) => fire(dispatch, queueUrl, [id]));
    const batches = [batched.slice(0, 10), batched.slice(10, 20), batched.slice(20, 30)];
    const dispatchBatch = await countEach(counter, batches, (ids) => fire(dispatch, queueUrl, ids), 10);

    const cancelDispatched = await countEach(counter, dispatched, (id) => cancel(cancellation, id));

    const idle = await countEach(counter, [0, 1, 2], () => drain({}, lambdaContext('due-drain')));
    const drainMoving = await measureDrainMoving(platform, handlers, counter, background, idle, DRAIN_SAMPLE);
    const { Item } = await documentClient.get({ TableName: table, Key: recordKey(batched[0] ?? '') });
    return {
      accept_within_lookahead: acceptWithin,
      accept_beyond_lookahead: acceptBeyond,
      dispatch: dispatchOne,
      dispatch_batch_of_10: dispatchBatch,
      dispatch_of_cancelled: firedCancelled,
      cancel_scheduled_within_lookahead: cancelWithin,
      cancel_scheduled_beyond_lookahead: cancelBeyond,
      cancel_dispatched: cancelDispatched,
      drain_idle_run: idle,
      drain_moving: drainMoving,
      // Near enough to DynamoDB's item size (names and values) to say which 1 KB write and 4 KB read unit it needs.
      record_bytes: Buffer.byteLength(JSON.stringify(Item ?? {})),
    };
  } finally {
    platform.pauseDeliveries(false);
  }
}

/** The due-now send's calls as the last `npm run bench` measured them, for context. */
function dueNowReference(): Record<string, unknown> {
  try {
    const results = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8')) as {
      date?: string;
      quick?: boolean;
      ingest?: { aws_calls_per_notification?: number; queued_channels_per_notification?: number };
    };
    return {
      aws_calls_per_notification: results.ingest?.aws_calls_per_notification,
      queued_channels: results.ingest?.queued_channels_per_notification,
      from: `bench/results.json, ${results.quick ? 'quick' : 'full'} run of ${results.date}`,
    };
  } catch {
    return { from: 'bench/results.json: none (run npm run bench)' };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Cost per million scheduled sends

/** What a send, a cancel or a month uses, in the units AWS bills. */
interface Units {
  readonly sqsRequests?: number;
  readonly writeUnits?: number;
  readonly readUnits?: number;
  readonly lambdaRequests?: number;
  readonly gbSeconds?: number;
  readonly schedulerInvocations?: number;
}

/** Dollars for `units`; `schedulerBillable` is the share of scheduler invocations past the free tier. */
function usd(units: Units, schedulerBillable = 1): number {
  return (
    ((units.sqsRequests ?? 0) * prices.sqs_standard_per_million_requests +
      (units.writeUnits ?? 0) * prices.dynamodb_on_demand_per_million_write_request_units +
      (units.readUnits ?? 0) * prices.dynamodb_on_demand_per_million_read_request_units +
      (units.lambdaRequests ?? 0) * prices.lambda_per_million_requests +
      (units.schedulerInvocations ?? 0) * schedulerBillable * prices.eventbridge_scheduler_per_million_invocations) /
      MILLION +
    (units.gbSeconds ?? 0) * prices.lambda_arm_per_gb_second
  );
}

const READS = /GetItem|BatchGetItem|Query/;
const WRITES = /PutItem|UpdateItem|DeleteItem/;
const SENDS = /SendMessage/;
const callsLike = (counted: Counted, pattern: RegExp) =>
  Object.entries(counted.calls)
    .filter(([operation]) => pattern.test(operation))
    .reduce((sum, [, count]) => sum + count, 0);
const gbSeconds = (ms: number) => (ms / 1000) * MEMORY_GB;
const n = (value: number) => value.toLocaleString('en-US');

/**
 * Every read is counted a strongly consistent one (1 RRU: the record and the person are read so, and each item is
 * under 4 KB), every write 1 WRU (the record is under 1 KB); index writes are added where the index attributes change.
 */
function dispatchLines(calls: CallFigures): Record<string, Units> {
  const batch = SCHEDULED_DISPATCH.batchSize;
  const dispatch = calls.dispatch_batch_of_10;
  return {
    'dispatch queue: ReceiveMessage + DeleteMessageBatch, a batch of 10': { sqsRequests: 2 / batch },
    'dispatch function: invocation a batch + GB-s (batch of 10 measured here)': {
      lambdaRequests: 1 / batch,
      gbSeconds: gbSeconds(dispatch.p50_ms) / batch,
    },
    'dispatch: DynamoDB reads and writes (measured)': {
      readUnits: callsLike(dispatch, READS),
      writeUnits: callsLike(dispatch, WRITES),
    },
    'dispatch: the email job onto its queue (measured)': { sqsRequests: callsLike(dispatch, SENDS) },
  };
}

/** The drain's cost whatever it moves: every shard queried every minute (an empty Query read: 0.5 RRU), and its run. */
function drainMonthly(calls: CallFigures): Units {
  const queries = callsLike(calls.drain_idle_run, /Query/);
  return {
    readUnits: DRAIN_RUNS_PER_MONTH * queries * 0.5,
    lambdaRequests: DRAIN_RUNS_PER_MONTH,
    gbSeconds: DRAIN_RUNS_PER_MONTH * gbSeconds(calls.drain_idle_run.p50_ms),
  };
}

/** A due-time index entry (keys only): the table's keys and the index's, names and values, plus 100 bytes of overhead. */
const INDEX_ENTRY_BYTES =
  'pk'.length +
  `${NOTIFICATION_KEY_PREFIX}${randomUUID()}`.length +
  'sk'.length +
  'notification'.length +
  'due_shard'.length +
  'due#15'.length +
  'due_at'.length +
  new Date().toISOString().length +
  100;

function mechanismA(calls: CallFigures, beyond: boolean): Record<string, Units> {
  const drainMonth = drainMonthly(calls);
  const perSend = (units: Units): Units =>
    Object.fromEntries(Object.entries(units).map(([unit, value]) => [unit, value / SCHEDULED_PER_MONTH]));
  const wait: Record<string, Units> = beyond
    ? {
        'accept: the due-time index entry on the record PutItem (1 GSI write)': { writeUnits: 1 },
        'drain: its entry read from the index (eventually consistent, 4 KB a half RRU)': {
          readUnits: (0.5 * INDEX_ENTRY_BYTES) / 4096,
        },
        'drain: SendMessageBatch onto the dispatch queue (measured; ten a batch, per shard)': {
          sqsRequests: callsLike(calls.drain_moving.per_moved, SENDS),
        },
        'drain: UpdateItem out of the index (1 WRU + 1 GSI delete)': {
          writeUnits: callsLike(calls.drain_moving.per_moved, WRITES) * 2,
        },
        [`drain: function time moving it (measured, ${calls.drain_moving.moved} in one run)`]: {
          gbSeconds: gbSeconds(calls.drain_moving.per_moved.p50_ms),
        },
      }
    : {
        'accept: SendMessage with DelaySeconds (measured)': {
          sqsRequests: callsLike(calls.accept_within_lookahead, SENDS),
        },
      };
  return {
    ...wait,
    ...dispatchLines(calls),
    [`drain every minute, spread over ${SCHEDULED_PER_MONTH / MILLION} M sends a month`]: perSend(drainMonth),
  };
}

function mechanismB(calls: CallFigures): Record<string, Units> {
  return {
    'EventBridge Scheduler: one invocation (CreateSchedule, and the DELETE after completion: no charge)': {
      schedulerInvocations: 1,
    },
    'scheduler target: SendMessage onto the dispatch queue': { sqsRequests: 1 },
    ...dispatchLines(calls),
  };
}

/** A cancel: the record read and its conditional write, and what else the mechanism must undo or still pays for. */
function cancelUnits(calls: CallFigures, mechanism: 'A beyond' | 'A within' | 'B'): Units {
  const scheduled =
    mechanism === 'A within' ? calls.cancel_scheduled_within_lookahead : calls.cancel_scheduled_beyond_lookahead;
  const reads = callsLike(scheduled, READS);
  const writes = callsLike(scheduled, WRITES);
  if (mechanism === 'A beyond') return { readUnits: reads, writeUnits: writes + 1 };
  if (mechanism === 'B') return { readUnits: reads, writeUnits: writes };
  // Its message still fires: received and deleted in a batch, a function's share, one read of the record.
  const firing = calls.dispatch_of_cancelled;
  return {
    readUnits: reads + callsLike(firing, READS),
    writeUnits: writes,
    sqsRequests: 2 / SCHEDULED_DISPATCH.batchSize,
    lambdaRequests: 1 / SCHEDULED_DISPATCH.batchSize,
    gbSeconds: gbSeconds(firing.p50_ms),
  };
}

const perMillion = (lines: Record<string, Units>, schedulerBillable = 1) =>
  Object.values(lines).reduce((sum, units) => sum + usd(units, schedulerBillable), 0) * MILLION;

function costFigures(calls: CallFigures, lateness: Record<string, number | object>): Record<string, unknown> {
  const freeShare = Math.min(1, prices.eventbridge_scheduler_free_invocations_per_month / SCHEDULED_PER_MONTH);
  const mechanisms = {
    'A beyond 13 min: due-time index + minute drain + SQS delay (built)': {
      lines: mechanismA(calls, true),
      cancel: cancelUnits(calls, 'A beyond'),
    },
    'A within 13 min: SQS delay at accept (built)': {
      lines: mechanismA(calls, false),
      cancel: cancelUnits(calls, 'A within'),
    },
    'B: EventBridge Scheduler, one-time schedule per send (considered)': {
      lines: mechanismB(calls),
      cancel: cancelUnits(calls, 'B'),
    },
  };
  const p99 = round(Number(lateness.dispatch_lateness_p99_ms) / 1000, 1);
  const precision = {
    A: `to the second (SQS DelaySeconds, rounded up to whole seconds); p99 ${p99} s late here`,
    B: `${prices.eventbridge_scheduler_precision_seconds} s: invoked within the minute of its time`,
  };
  const partition = prices.quota_dynamodb_partition_write_units_per_second;
  const quotas = {
    A: `index: ${n(partition)} WCU/s a partition x ${DUE_INDEX_SHARDS} shards = ${n(partition * DUE_INDEX_SHARDS)} schedules/s into one due minute; table ${n(prices.quota_dynamodb_table_on_demand_write_units_per_second)} WCU/s`,
    B: `CreateSchedule ${n(prices.quota_eventbridge_scheduler_create_schedule_tps)}/s (us-east-1), invocations ${n(prices.quota_eventbridge_scheduler_invocations_tps)}/s, ${n(prices.quota_eventbridge_scheduler_schedules_per_region)} schedules a Region`,
  };
  return {
    assumptions: {
      scheduled_sends_per_month: SCHEDULED_PER_MONTH,
      dispatch_batch_size: SCHEDULED_DISPATCH.batchSize,
      memory_mb: MEMORY_GB * 1024,
      drain_runs_per_month: DRAIN_RUNS_PER_MONTH,
      empty_query_read_units: 0.5,
      index_entry_bytes: INDEX_ENTRY_BYTES,
      record_bytes: calls.record_bytes,
      eventbridge_scheduler_free_invocations_per_month: prices.eventbridge_scheduler_free_invocations_per_month,
      scheduled_rule_invocations_usd: prices.eventbridge_scheduled_rule_per_million_invocations,
    },
    drain_usd_per_month: round(usd(drainMonthly(calls)), 4),
    mechanisms: Object.fromEntries(
      Object.entries(mechanisms).map(([name, { lines, cancel }]) => [
        name,
        {
          usd_per_million_sends: round(perMillion(lines), 3),
          usd_per_million_sends_with_free_tier: round(perMillion(lines, 1 - freeShare), 3),
          usd_per_million_cancels: round(usd(cancel) * MILLION, 3),
          precision: name.startsWith('B') ? precision.B : precision.A,
          quotas: name.startsWith('B') ? quotas.B : quotas.A,
          lines: Object.fromEntries(
            Object.entries(lines).map(([line, units]) => [line, round(usd(units) * MILLION, 4)]),
          ),
        },
      ]),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The report

function callsTable(calls: CallFigures): string {
  const row = (name: string, counted: Counted) => [
    name,
    counted.total,
    Object.entries(counted.calls)
      .map(([operation, count]) => `${operation.replace(/Command$/, '')} ${count}`)
      .join(', '),
    counted.p50_ms,
  ];
  return markdownTable(
    ['operation', 'calls', 'by operation', 'p50 ms'],
    [
      row(`accept, due in ${LOOKAHEAD_SEND_SECONDS} s (within the lookahead)`, calls.accept_within_lookahead),
      row('accept, due in 2 days (beyond the lookahead)', calls.accept_beyond_lookahead),
      row('dispatch of one due notification', calls.dispatch),
      row('dispatch, a batch of 10 (calls per notification, ms per batch)', calls.dispatch_batch_of_10),
      row('dispatch of a cancelled one (its message still comes)', calls.dispatch_of_cancelled),
      row('cancel, scheduled within the lookahead', calls.cancel_scheduled_within_lookahead),
      row('cancel, scheduled beyond the lookahead', calls.cancel_scheduled_beyond_lookahead),
      row('cancel, dispatched (email job still queued)', calls.cancel_dispatched),
      row('drain run, nothing due', calls.drain_idle_run),
      row(`drain run moving ${calls.drain_moving.moved}`, calls.drain_moving.run),
      row('drain, per notification moved', calls.drain_moving.per_moved),
    ],
  );
}

function costTable(cost: Record<string, unknown>): string {
  const mechanisms = cost.mechanisms as Record<string, Record<string, unknown>>;
  return markdownTable(
    ['mechanism', '$ / M sends', '$ / M sends, free tier', '$ / M cancels', 'precision', 'quotas'],
    Object.entries(mechanisms).map(([name, figures]) => [
      name,
      figures.usd_per_million_sends,
      figures.usd_per_million_sends_with_free_tier,
      figures.usd_per_million_cancels,
      figures.precision,
      figures.quotas,
    ]),
  );
}

function linesTable(cost: Record<string, unknown>): string {
  const mechanisms = cost.mechanisms as Record<string, { lines: Record<string, number> }>;
  return markdownTable(
    ['mechanism', 'part', '$ / M sends'],
    Object.entries(mechanisms).flatMap(([name, { lines }]) =>
      Object.entries(lines).map(([line, dollars]) => [name.split(':')[0], line, dollars]),
    ),
  );
}

function perScheduledSend(calls: CallFigures): Record<string, number> {
  return {
    within_lookahead: round(calls.accept_within_lookahead.total + calls.dispatch.total, 3),
    beyond_lookahead: round(
      calls.accept_beyond_lookahead.total + calls.drain_moving.per_moved.total + calls.dispatch.total,
      3,
    ),
  };
}

function report(results: {
  machine: Record<string, unknown>;
  lateness: Record<string, number | object>;
  calls: CallFigures;
  per_scheduled_send: Record<string, number>;
  due_now: Record<string, unknown>;
  local_scheduler: Record<string, number>;
  cost: Record<string, unknown>;
}): string {
  const { machine, lateness, calls, cost } = results;
  const drainCalls = calls.drain_idle_run;
  return [
    `machine: ${machine.cores} cores, ${machine.platform}, Node ${machine.node}; 1-minute load average ${machine.load_average_1m_at_start} at the start, ${machine.load_average_1m_at_end} at the end`,
    '',
    `## Lateness: ${lateness.scheduled} scheduled ${AHEAD_MS.from / 1000}-${AHEAD_MS.to / 1000} s ahead, email only, ${USERS.length} people`,
    '',
    `dispatched ${lateness.dispatched}; still scheduled at give-up ${lateness.still_scheduled_at_give_up}; refused at accept ${lateness.refused_at_accept}; dispatched before send_at ${lateness.dispatched_before_send_at}`,
    `firings the dispatch queue handed over before their time (the dispatch sent them back to wait): ${results.local_scheduler.early_firings_sent_back}`,
    `send_at -> dispatched_at: p50 ${lateness.dispatch_lateness_p50_ms} ms, p99 ${lateness.dispatch_lateness_p99_ms} ms, max ${lateness.dispatch_lateness_max_ms} ms, min ${lateness.dispatch_lateness_min_ms} ms`,
    `send_at -> email sent: p50 ${lateness.sent_lateness_p50_ms} ms, p99 ${lateness.sent_lateness_p99_ms} ms, max ${lateness.sent_lateness_max_ms} ms (${lateness.email_sent} sent)`,
    `notification statuses ${JSON.stringify(lateness.notification_statuses)}; email statuses ${JSON.stringify(lateness.email_statuses)}`,
    '',
    "## AWS calls (the handlers' own clients, per operation)",
    '',
    callsTable(calls),
    '',
    `per drain run: ${drainCalls.total} calls (${DUE_INDEX_SHARDS} shard queries when nothing is due); the runtime's own drain (every ${LOCAL_DRAIN_INTERVAL_MS / 1000} s) made ${results.local_scheduler.drain_queries} index queries in the ${results.local_scheduler.seconds} s of the lateness run, not counted above`,
    `per scheduled send (accept + dispatch): ${results.per_scheduled_send.within_lookahead} within the lookahead, ${results.per_scheduled_send.beyond_lookahead} beyond it (the drain's calls per notification moved included); due-now send: ${results.due_now.aws_calls_per_notification} with ${results.due_now.queued_channels} channels (${results.due_now.from})`,
    '',
    `## Cost per million scheduled sends (list prices of ${prices.as_of}, ${prices.region})`,
    '',
    costTable(cost),
    '',
    linesTable(cost),
    '',
    `The drain costs $${cost.drain_usd_per_month} a month whatever it moves (${DUE_INDEX_SHARDS} Query a minute at 0.5 RRU, ${n(DRAIN_RUNS_PER_MONTH)} invocations a month); the EventBridge rule's invocations: no AWS price found, counted 0.`,
    `Free tier: EventBridge Scheduler's ${prices.eventbridge_scheduler_free_invocations_per_month / MILLION} M invocations a month, at ${SCHEDULED_PER_MONTH / MILLION} M scheduled sends a month; other services' free tiers are account-wide and left out.`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

const platform = await startLocalPlatform({
  port: 0,
  demo: false,
  prefix: `bench-sched-${Date.now().toString(36)}`,
  localApiKey: KEY,
  log: () => {},
});
try {
  // Lateness on a busy machine is the machine's: the load it ran under is recorded beside the figures.
  const loadAtStart = round(loadavg()[0] ?? Number.NaN, 2);
  const api = localApi(platform.url);
  const counter = new AwsCallCounter();
  counter.attach(documentClient, 'dynamodb');
  counter.attach(sqsClient, 'sqs');
  const background = watchBackground(platform.resources.dispatchQueue.url);
  const handlers = await loadHandlers();
  await seed(api);

  say(`1/3 lateness: scheduling ${SCHEDULES} notifications ${AHEAD_MS.from / 1000}-${AHEAD_MS.to / 1000} s ahead`);
  const started = Date.now();
  const [queriesBefore, sendsBefore] = [background.drainQueries(), background.dispatchSends()];
  const { scheduled, refused } = await scheduleSpread(api, SCHEDULES);
  const lastSendAt = Math.max(...scheduled.map(({ sendAt }) => sendAt));
  say(
    `1/3 lateness: following them until dispatched and sent (at most until ${GIVE_UP_AFTER_MS / 1000} s past the last)`,
  );
  const observed = await watch(api, scheduled, lastSendAt + GIVE_UP_AFTER_MS);
  const lateness = latenessFigures(observed, refused);
  const localScheduler = {
    seconds: Math.round((Date.now() - started) / 1000),
    drain_queries: background.drainQueries() - queriesBefore,
    // Each accept sent one; any more were firings SQS handed over before their time, which the dispatch sent back.
    early_firings_sent_back: background.dispatchSends() - sendsBefore - scheduled.length,
  };

  say('2/3 AWS calls per operation');
  const calls = await measureCalls(platform, handlers, counter, background);
  say('3/3 cost');
  const cost = costFigures(calls, lateness);

  const results = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cores: availableParallelism(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      load_average_1m_at_start: loadAtStart,
      load_average_1m_at_end: round(loadavg()[0] ?? Number.NaN, 2),
    },
    prices_as_of: prices.as_of,
    dispatch_lookahead_seconds: DISPATCH_LOOKAHEAD_SECONDS,
    lateness,
    calls,
    per_scheduled_send: perScheduledSend(calls),
    due_now: dueNowReference(),
    local_scheduler: localScheduler,
    cost,
  };
  writeFileSync(new URL('./scheduler-results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(report(results));
  say('wrote bench/scheduler-results.json');
} finally {
  await platform.stop();
}
