/**
 * The channel workers of the local platform, one process each (channel-worker-process.ts), supervised as Lambda
 * supervises a function: a worker that dies is started again, and what it held comes back through SQS's visibility
 * timeout. Under a fault drill, a worker that the drill killed is started with its crash budget one smaller.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ENV } from '../lambdas/shared/environment.js';
import type { PlatformSettings } from '../lib/config/platform-settings.js';
import { CHANNEL_QUEUES, CHANNELS, type Channel } from '../lib/platform-config.js';
import {
  CHANNEL_WORKER_VARIABLE,
  type ChannelWorkerCommand,
  type ChannelWorkerMessage,
  type ChannelWorkerSettings,
} from './channel-worker-protocol.js';
import { FAULT_DRILL_VARIABLE, type FaultDrill } from './fault-drill.js';
import type { LocalResources } from './provision.js';

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

interface Worker {
  readonly channel: Channel;
  child?: ChildProcess;
  crashes: number;
  failedStarts: number;
  paused: boolean;
}

export class ChannelWorkers {
  /** How many times a worker died and was started again, over all channels. */
  restarts = 0;
  private stopping = false;
  private readonly workers: Worker[];

  private constructor(private readonly options: ChannelWorkersOptions) {
    this.workers = CHANNELS.map((channel) => ({ channel, crashes: 0, failedStarts: 0, paused: false }));
  }

  /** Starts a worker per channel; resolves when every one is polling its queue. */
  static async start(options: ChannelWorkersOptions): Promise<ChannelWorkers> {
    const workers = new ChannelWorkers(options);
    try {
      await Promise.all(workers.workers.map((worker) => workers.spawn(worker)));
    } catch (error) {
      await workers.stop();
      throw error;
    }
    return workers;
  }

  /** Paused, the workers receive nothing: what is queued waits, as when an event source mapping is disabled. */
  pause(paused: boolean): void {
    for (const worker of this.workers) {
      worker.paused = paused;
      worker.child?.send({ pause: paused } satisfies ChannelWorkerCommand);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.workers.map(({ child }) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
        return new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        });
      }),
    );
  }

  /** Starts the channel's worker; resolves when it is ready, rejects when it dies first. */
  private spawn(worker: Worker): Promise<void> {
    const { channel } = worker;
    const { settings, resources, drill, log } = this.options;
    const queue = CHANNEL_QUEUES[channel];
    const workerSettings: ChannelWorkerSettings = {
      channel,
      queueUrl: resources.queues[channel].url,
      batchSize: settings.channels[channel].batchSize,
      concurrency: settings.channels[channel].maxConcurrency,
    };
    // Once the channel has crashed as often as the drill allows, its workers stop crashing.
    const workerDrill =
      drill && worker.crashes >= drill.crashesPerChannel ? { ...drill, crashAtCall: undefined } : drill;
    const child = fork(ENTRY, [], {
      cwd: PROJECT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        [ENV.channel]: channel,
        [ENV.deliveryAttempts]: String(queue.deliveryAttempts),
        [ENV.claimLeaseSeconds]: String(drill?.claimLeaseSeconds ?? queue.claimLeaseSeconds),
        [CHANNEL_WORKER_VARIABLE]: JSON.stringify(workerSettings),
        ...(workerDrill ? { [FAULT_DRILL_VARIABLE]: JSON.stringify(workerDrill) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches the platform, which stops its workers itself.
      detached: true,
    });
    worker.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => log(asLogLine(line, channel)));
    }
    return new Promise((resolve, reject) => {
      let ready = false;
      child.on('message', (message: ChannelWorkerMessage) => {
        if (!message.ready) return;
        ready = true;
        worker.failedStarts = 0;
        if (worker.paused) child.send({ pause: true } satisfies ChannelWorkerCommand);
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (this.stopping) return resolve();
        if (!ready && ++worker.failedStarts >= FAILED_STARTS_BEFORE_GIVING_UP) {
          const failure = new Error(`the ${channel} worker exited (${code ?? signal}) before it was ready`);
          log({ event: 'worker_failed', channel, code, signal });
          return reject(failure);
        }
        // Killed by the drill (SIGKILL) or dead of its own accord: a new one takes over, as Lambda's would.
        if (signal === 'SIGKILL') worker.crashes++;
        this.restarts++;
        log({ event: 'worker_restarted', channel, code, signal });
        setTimeout(() => {
          if (!this.stopping) this.spawn(worker).then(resolve, reject);
        }, RESTART_DELAY_MS);
      });
    });
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
