/**
 * The channel workers of the local platform, as Lambda runs them: each lane of a channel (its queue, and the bulk lane
 * of broadcasts) has a worker process of its own (channel-worker-process.ts), polled here, outside it, as Lambda's
 * event source mappings poll (queue-pollers.ts), handing each batch to the worker. In Lambda every invocation has an
 * execution environment of its own, so a broadcast's batches never share a CPU with a password reset's; two processes
 * are the nearest one machine comes to that, and the bulk lane's starts on its first batch, as a cold start would.
 * A worker that dies takes only the batches it held, which come back through SQS's visibility timeout; a new worker
 * is started, and the next batches go to it. Under a fault drill, a channel's worker that the drill killed starts
 * again with the channel's crash budget one smaller.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { bulkLanePace } from '../lambdas/shared/domain/bulk-lane.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { CHANNEL_QUEUES } from '../lambdas/shared/platform/resources.js';
import type { PlatformSettings } from '../lib/settings.js';
import { lambdaContext } from './api-gateway-emulation.js';
import { CHANNEL_WORKER_VARIABLE, type Invocation, type WorkerMessage } from './channel-worker-protocol.js';
import { FAULT_DRILL_VARIABLE, type FaultDrill } from './fault-drill.js';
import { pollingSqsClient } from './lambda-handler.js';
import type { LocalResources } from './provision.js';
import { QueuePoller } from './queue-pollers.js';

const ENTRY = fileURLToPath(new URL('./channel-worker-process.ts', import.meta.url));
const PROJECT = fileURLToPath(new URL('../', import.meta.url));
// A worker that dies this many times in a row before it is ready will not start: say so instead of looping.
const FAILED_STARTS_BEFORE_GIVING_UP = 3;
const RESTART_DELAY_MS = 100;

export interface ChannelWorkersOptions {
  readonly settings: PlatformSettings;
  readonly resources: LocalResources;
  readonly drill?: FaultDrill;
  readonly log: (line: Record<string, unknown>) => void;
}

/** One lane of a channel: the queue it polls and how, as its event source mapping says. */
interface Lane {
  /** The channel's queue, or its bulk lane. */
  readonly kind: 'jobs' | 'bulk';
  readonly queueUrl: string;
  readonly batchSize: number;
  readonly concurrency: number;
}

/** How often the drill has killed a channel's workers, whichever lane's: the budget is the channel's. */
interface CrashCount {
  count: number;
}

/** One lane's worker process, and the invocations it has not answered yet. */
class WorkerProcess {
  private failedStarts = 0;
  private child?: ChildProcess;
  private ready?: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  private readonly pending = new Map<
    number,
    { resolve: (response: SQSBatchResponse) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private stopped = false;

  constructor(
    readonly channel: Channel,
    readonly lane: Lane,
    private readonly crashes: CrashCount,
    private readonly options: ChannelWorkersOptions,
  ) {}

  /** Starts the process; resolves when it can be invoked. */
  start(): Promise<void> {
    let resolve = () => {};
    let reject: (error: Error) => void = () => {};
    const promise = new Promise<void>((onReady, onFailure) => {
      resolve = onReady;
      reject = onFailure;
    });
    promise.catch(() => undefined);
    this.ready = { promise, resolve, reject };
    this.spawn();
    return promise;
  }

  /**
   * Invokes the worker with a batch, as Lambda invokes a function; a worker that dies fails the batch. One not started
   * yet, or that could not start, is started first, as Lambda starts an execution environment on demand.
   */
  async invoke(event: SQSEvent): Promise<SQSBatchResponse> {
    if (!this.ready || this.failedStarts >= FAILED_STARTS_BEFORE_GIVING_UP) {
      this.failedStarts = 0;
      this.start().catch(() => undefined);
    }
    await this.ready?.promise;
    const child = this.child;
    if (!child?.connected) throw new Error(`the ${this.channel} ${this.lane.kind} worker is not running`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A worker dying at this very moment fails the send: the batch fails with it, as it would in Lambda.
      child.send({ id, event } satisfies Invocation, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }

  private spawn(): void {
    const { channel } = this;
    const lane = this.lane.kind;
    const { drill, log } = this.options;
    const queue = CHANNEL_QUEUES[channel];
    // Once the channel has crashed as often as the drill allows, its workers stop crashing.
    const workerDrill =
      drill && this.crashes.count >= drill.crashesPerChannel ? { ...drill, crashAtCall: undefined } : drill;
    const child = fork(ENTRY, [], {
      cwd: PROJECT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        [CHANNEL_WORKER_VARIABLE]: channel,
        [ENV.channel]: channel,
        [ENV.deliveryAttempts]: String(queue.deliveryAttempts),
        [ENV.claimLeaseSeconds]: String(drill?.claimLeaseSeconds ?? queue.claimLeaseSeconds),
        [ENV.bulkSendsPerSecond]: String(
          bulkLanePace(this.options.settings.channels[channel].bulk, queue.workerTimeoutSeconds)
            .sendsPerSecondPerInvocation,
        ),
        ...(workerDrill ? { [FAULT_DRILL_VARIABLE]: JSON.stringify(workerDrill) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches the platform, which stops its workers itself.
      detached: true,
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => log(asLogLine(line, channel)));
    }
    let started = false;
    // Sending to a worker that just died fails; its exit, below, is what counts.
    child.on('error', () => {});
    child.on('message', (message: WorkerMessage) => {
      if ('ready' in message) {
        started = true;
        this.failedStarts = 0;
        log({ event: 'worker_started', channel, lane, pid: child.pid });
        this.ready?.resolve();
        return;
      }
      const invocation = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('error' in message) invocation?.reject(new Error(message.error));
      else invocation?.resolve(message.response ?? { batchItemFailures: [] });
    });
    child.once('exit', (code, signal) => {
      // What it held comes back through the visibility timeout, as a crashed Lambda's batch does.
      for (const invocation of this.pending.values())
        invocation.reject(new Error(`the ${channel} ${lane} worker died`));
      this.pending.clear();
      if (this.stopped) return;
      if (!started && ++this.failedStarts >= FAILED_STARTS_BEFORE_GIVING_UP) {
        log({ event: 'worker_failed', channel, lane, code, signal });
        this.ready?.reject(new Error(`the ${channel} ${lane} worker exited (${code ?? signal}) before it was ready`));
        return;
      }
      // Killed by the drill (SIGKILL) or dead of its own accord: a new one takes over, as Lambda's would.
      if (signal === 'SIGKILL') this.crashes.count++;
      log({ event: 'worker_restarted', channel, lane, code, signal });
      if (started) this.start().catch(() => undefined);
      else setTimeout(() => this.spawn(), RESTART_DELAY_MS);
    });
  }
}

export class ChannelWorkers {
  private readonly workers: WorkerProcess[] = [];
  private readonly pollers: QueuePoller[] = [];

  private constructor(private readonly options: ChannelWorkersOptions) {
    const { settings, resources } = options;
    for (const channel of CHANNELS) {
      const { batchSize, maxConcurrency, bulk } = settings.channels[channel];
      const crashes = { count: 0 };
      // The channel's two lanes, as its two event source mappings: the bulk lane with its own, lower, concurrency and
      // batch (domain/bulk-lane.ts).
      const lanes: Lane[] = [
        { kind: 'jobs', queueUrl: resources.queues[channel].url, batchSize, concurrency: maxConcurrency },
        {
          kind: 'bulk',
          queueUrl: resources.bulkQueues[channel],
          batchSize: bulkLanePace(bulk, CHANNEL_QUEUES[channel].workerTimeoutSeconds).batchSize,
          concurrency: bulk.maxConcurrency,
        },
      ];
      for (const lane of lanes) this.workers.push(new WorkerProcess(channel, lane, crashes, options));
    }
  }

  /**
   * Starts the worker of each channel's queue, then the pollers that feed every lane; resolves when those workers can
   * be invoked. A bulk lane's worker starts on its first batch: most runs broadcast nothing.
   */
  static async start(options: ChannelWorkersOptions): Promise<ChannelWorkers> {
    const workers = new ChannelWorkers(options);
    try {
      await Promise.all(workers.workers.filter(({ lane }) => lane.kind === 'jobs').map((worker) => worker.start()));
    } catch (error) {
      await workers.stop();
      throw error;
    }
    workers.poll();
    return workers;
  }

  /** Paused, the workers receive nothing: what is queued waits, as when an event source mapping is disabled. */
  pause(paused: boolean): void {
    for (const poller of this.pollers) poller.pause(paused);
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((poller) => poller.stop()));
    await Promise.all(this.workers.map((worker) => worker.stop()));
  }

  private poll(): void {
    const { drill, log } = this.options;
    const client = pollingSqsClient();
    for (const worker of this.workers) {
      const { channel, lane } = worker;
      this.pollers.push(
        new QueuePoller(client, {
          name: lane.kind === 'bulk' ? `${channel}-bulk-worker` : `${channel}-worker`,
          queueUrl: lane.queueUrl,
          batchSize: lane.batchSize,
          concurrency: lane.concurrency,
          handler: (event) => worker.invoke(event),
          context: lambdaContext,
          duplicateDeliveries: drill?.duplicateDeliveries ?? false,
          onDuplicated: (records, concurrently) =>
            log({ event: 'fault_drill_duplicated', channel, records: records.length, concurrently }),
          onRecord: (record, outcome) =>
            log({
              event: 'delivery',
              channel,
              outcome,
              notification_id: record.messageAttributes.notification_id?.stringValue,
              attempt: Number(record.attributes.ApproximateReceiveCount),
            }),
          onError: (error) => log({ event: 'poller_error', channel, error: error.message }),
        }),
      );
    }
  }
}

/** A worker's output line as a log line: its own JSON, or the text (a stack trace) under its channel. */
function asLogLine(line: string, channel: Channel): Record<string, unknown> {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: below.
  }
  return { event: 'worker_output', channel, text: line };
}
