/**
 * What the fault drill (local/fault-drill.ts) does to the real handlers, from outside them:
 * - in the API's process, the ingest path's DynamoDB calls are throttled, attempt by attempt, so the SDK's retries
 *   run first (IngestFaults);
 * - in the same process, a broadcast's fan-out dies half-way through a chunk: from its Nth recipient record on, every
 *   DynamoDB and SQS call of that invocation fails, as nothing of a killed function runs on (FanOutFaults);
 * - in a channel worker's process (WorkerFaults), through the workers' decorate hook: the provider's SDK calls fail
 *   (throttling or 5xx) through a middleware on the worker's provider clients (SES's and SNS's; Twilio is failed by
 *   the drill's proxy), and the process kills itself (SIGKILL) just before or just after a delivery, after the claim
 *   was taken. Before dying it writes, to the journal, every delivery the provider has taken and
 *   the worker has not yet recorded: the at-least-once window in which a redelivery may send again.
 * Install WorkerFaults before the worker's handler module is imported: the hook wraps the worker built then.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import type { Channel } from '../lambdas/channels/registry.js';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import type { ChannelDeliverer } from '../lambdas/shared/delivery/channel-deliverer.js';
import { decorateChannelWorkers, type WorkerParts } from '../lambdas/shared/delivery/worker-handler.js';
import type { FaultDrill } from './fault-drill.js';

/**
 * A line of the journal: the process died at `point`. `unrecorded` lists the deliveries the provider may have
 * taken that no worker recorded: those it answered, and those still in flight, which it may finish on its own.
 */
export interface CrashReport {
  readonly at: string;
  readonly point: 'before_send' | 'after_send';
  readonly channel: Channel;
  readonly unrecorded: readonly { readonly notification_id: string; readonly channel: Channel }[];
}

type Middleware = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>;
interface Instrumentable {
  middlewareStack: { add(middleware: Middleware, options: object): void };
}

const ingestScope = new AsyncLocalStorage<true>();
const fanOutScope = new AsyncLocalStorage<{ records: number; dead: boolean }>();

/** Kills fan-out invocations half-way through their chunk: run each through `fanOut`. */
export class FanOutFaults {
  private crashes = 0;

  constructor(
    private readonly drill: FaultDrill,
    private readonly log: (line: Record<string, unknown>) => void,
  ) {}

  install(): void {
    const crashAt = this.drill.crashFanOutAtRecord;
    if (crashAt === undefined) return;
    const middleware =
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const invocation = fanOutScope.getStore();
        if (!invocation) return next(args);
        if (invocation.dead) throw new Error('the fan-out was killed (by the fault drill)');
        const recording = /^Put(Item)?Command$/.test(context.commandName ?? '');
        if (recording && ++invocation.records >= crashAt && this.crashes < this.drill.fanOutCrashes) {
          this.crashes++;
          invocation.dead = true;
          this.log({ event: 'fault_drill_fan_out_killed', records: invocation.records - 1 });
          throw new Error('the fan-out was killed (by the fault drill)');
        }
        return next(args);
      };
    for (const client of [documentClient, sqsClient] as unknown as InstrumentableWithContext[]) {
      client.middlewareStack.add(middleware, { step: 'initialize', name: 'faultDrillFanOutKill', priority: 'high' });
    }
  }

  fanOut<T>(invocation: () => Promise<T>): Promise<T> {
    return fanOutScope.run({ records: 0, dead: false }, invocation);
  }
}

interface InstrumentableWithContext {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: object,
    ): void;
  };
}

/** Throttles the ingest path's DynamoDB calls, and only those: run each ingest invocation through `ingest`. */
export class IngestFaults {
  constructor(
    private readonly drill: FaultDrill,
    private readonly random: () => number = Math.random,
  ) {}

  install(): void {
    // Inside the retry middleware: every attempt may be throttled, and the SDK backs off and retries as it would.
    (documentClient as unknown as Instrumentable).middlewareStack.add(
      (next) => async (args) => {
        if (ingestScope.getStore() && this.random() < this.drill.ingestThrottleRate) {
          throw awsError('ProvisionedThroughputExceededException', 400, { throttling: true });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'faultDrillIngestThrottling', priority: 'low' },
    );
  }

  ingest<T>(invocation: () => Promise<T>): Promise<T> {
    return ingestScope.run(true, invocation);
  }
}

/** Fails and crashes one channel worker's process around its provider calls, through the workers' decorate hook. */
export class WorkerFaults {
  /** Deliveries handed to a provider whose claim is not completed yet, as `notification_id/channel`. */
  private readonly unrecorded = new Set<string>();
  private providerCalls = 0;

  constructor(
    private readonly drill: FaultDrill,
    private readonly random: () => number = Math.random,
  ) {}

  /** Wraps the parts of the worker built next. Call once, before its handler module is imported. */
  install(): void {
    decorateChannelWorkers((parts) => {
      for (const client of parts.providerClients) this.failProviderCalls(client as Instrumentable);
      return { ...parts, deliverer: this.aroundDelivery(parts.deliverer), claims: this.trackCompletions(parts.claims) };
    });
  }

  private failProviderCalls(client: Instrumentable): void {
    // At initialize: outside the SDK's own retries, so each failure reaches the worker as the call's outcome.
    client.middlewareStack.add(
      (next) => async (args) => {
        if (this.random() < this.drill.providerFailureRate) throw providerFault(this.random() < 0.5);
        return next(args);
      },
      { step: 'initialize', name: 'faultDrillProviderFailures', priority: 'high' },
    );
  }

  /**
   * Each delivery is a provider call: from the Nth on, the process dies just before it (nothing sent) or just after
   * it (sent, not yet recorded). A call that fails before its "after" point passes the crash on to the next one.
   */
  private aroundDelivery(deliverer: ChannelDeliverer): ChannelDeliverer {
    return {
      channel: deliverer.channel,
      deliver: async (job, user, template) => {
        const key = `${job.notification_id}/${job.channel}`;
        const crash = ++this.providerCalls >= (this.drill.crashAtCall ?? Number.POSITIVE_INFINITY);
        const point = this.random() < 0.5 ? 'before_send' : 'after_send';
        if (crash && point === 'before_send') this.die(point, job.channel);
        this.unrecorded.add(key);
        const result = await deliverer.deliver(job, user, template);
        // Refused: the provider took nothing. (A timeout stays: the provider may have sent it all the same.)
        if (result.kind !== 'sent' && !result.reason.includes('timeout')) this.unrecorded.delete(key);
        if (crash && point === 'after_send' && result.kind === 'sent') this.die(point, job.channel);
        return result;
      },
    };
  }

  private trackCompletions(claims: WorkerParts['claims']): WorkerParts['claims'] {
    return {
      claim: (...args) => claims.claim(...args),
      release: (...args) => claims.release(...args),
      complete: async (notificationId, channel, token) => {
        const completed = await claims.complete(notificationId, channel, token);
        this.unrecorded.delete(`${notificationId}/${channel}`);
        return completed;
      },
    };
  }

  private die(point: CrashReport['point'], channel: Channel): never {
    if (this.drill.journal) {
      const report: CrashReport = {
        at: new Date().toISOString(),
        point,
        channel,
        unrecorded: [...this.unrecorded].map((key) => {
          const [notification_id = '', unrecordedChannel] = key.split('/');
          return { notification_id, channel: unrecordedChannel as Channel };
        }),
      };
      appendFileSync(this.drill.journal, `${JSON.stringify(report)}\n`);
    }
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable: the process was killed');
  }
}

/** A provider throttling or failing, as an AWS SDK error: what the channel's error rules classify is its shape. */
function providerFault(throttled: boolean): Error {
  if (throttled) return awsError('ThrottlingException', 400, { throttling: true });
  return awsError('ServiceUnavailable', 503, {}, 'server');
}

/** An error shaped as the SDK's service exceptions are: what the platform classifies is the shape. */
function awsError(
  name: string,
  httpStatusCode: number,
  retryable: { throttling?: boolean },
  fault: 'client' | 'server' = 'client',
): Error {
  return Object.assign(new Error(`${name} (injected by the fault drill)`), {
    name,
    $fault: fault,
    $retryable: retryable,
    $metadata: { httpStatusCode, attempts: 1 },
  });
}
