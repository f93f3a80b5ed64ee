/**
 * What the fault drill (local/fault-drill.ts) does to the real handlers, from outside them:
 * - in the API's process, the ingest path's DynamoDB calls are throttled, attempt by attempt, so the SDK's retries
 *   run first (IngestFaults);
 * - in a channel worker's process (WorkerFaults), SES and SNS calls fail (throttling or 5xx) through a middleware on
 *   the workers' own SDK clients, and the process kills itself (SIGKILL) just before or just after a provider call,
 *   after the claim was taken. Before dying it writes, to the journal, every delivery the provider has taken and
 *   the worker has not yet recorded: the at-least-once window in which a redelivery may send again.
 * Import it only after the handlers' environment is set: it loads their modules.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { DeliveryClaims } from '../lambdas/shared/adapters/delivery-claims.js';
import { EmailSender } from '../lambdas/shared/adapters/email-sender.js';
import { PushSender } from '../lambdas/shared/adapters/push-sender.js';
import { SmsSender } from '../lambdas/shared/adapters/sms-sender.js';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sesClient } from '../lambdas/shared/aws/ses.js';
import { pushClient } from '../lambdas/shared/aws/sns.js';
import { EmailDeliverer } from '../lambdas/shared/delivery/email-deliverer.js';
import { PushDeliverer } from '../lambdas/shared/delivery/push-deliverer.js';
import { SmsDeliverer } from '../lambdas/shared/delivery/sms-deliverer.js';
import type { Channel } from '../lambdas/shared/domain/channel.js';
import type { ChannelJob } from '../lambdas/shared/schemas/channel-job.js';
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

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;
interface Instrumentable {
  middlewareStack: { add(middleware: Middleware, options: object): void };
}

/** The delivery a piece of worker code is working on, so a provider call can be tied to its job. */
const currentDelivery = new AsyncLocalStorage<{ readonly notificationId: string; readonly channel: Channel }>();
const ingestScope = new AsyncLocalStorage<true>();

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

/** Fails and crashes one channel worker's process around its provider calls. */
export class WorkerFaults {
  /** Deliveries handed to a provider whose claim is not completed yet, as `notification_id/channel`. */
  private readonly unrecorded = new Set<string>();
  private providerCalls = 0;

  constructor(
    private readonly drill: FaultDrill,
    private readonly random: () => number = Math.random,
  ) {}

  /** Instruments the clients and classes the worker uses. Call once, after its handler is imported. */
  install(): void {
    this.failProviderCalls(sesClient as unknown as Instrumentable, 'ses', new Set(['SendEmailCommand']));
    this.failProviderCalls(pushClient as unknown as Instrumentable, 'sns', new Set(['PublishCommand']));
    this.trackDeliveries();
  }

  private failProviderCalls(client: Instrumentable, service: 'ses' | 'sns', commands: Set<string>): void {
    // At initialize: outside the SDK's own retries, so each failure reaches the worker as the call's outcome.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!commands.has(context.commandName ?? '')) return next(args);
        if (this.random() < this.drill.providerFailureRate) throw providerFault(service, this.random() < 0.5);
        return next(args);
      },
      { step: 'initialize', name: 'faultDrillProviderFailures', priority: 'high' },
    );
  }

  /** Ties each provider call to its job, keeps the set of unrecorded sends, and crashes at provider calls. */
  private trackDeliveries(): void {
    for (const Deliverer of [EmailDeliverer, SmsDeliverer, PushDeliverer]) {
      const deliver = Deliverer.prototype.deliver;
      Deliverer.prototype.deliver = function (this: InstanceType<typeof Deliverer>, job: ChannelJob, ...rest) {
        return currentDelivery.run({ notificationId: job.notification_id, channel: job.channel }, () =>
          deliver.call(this, job, ...rest),
        );
      } as typeof deliver;
    }
    this.aroundSend(EmailSender.prototype, 'send');
    this.aroundSend(SmsSender.prototype, 'send');
    this.aroundSend(PushSender.prototype, 'publish');

    const complete = DeliveryClaims.prototype.complete;
    const unrecorded = this.unrecorded;
    DeliveryClaims.prototype.complete = async function (this: DeliveryClaims, notificationId, channel, token) {
      const completed = await complete.call(this, notificationId, channel, token);
      unrecorded.delete(`${notificationId}/${channel}`);
      return completed;
    };
  }

  private aroundSend<Name extends string>(prototype: Record<Name, (...args: never[]) => Promise<string>>, name: Name) {
    const send = prototype[name];
    const injection = this;
    prototype[name] = async function (this: unknown, ...args: never[]) {
      const delivery = currentDelivery.getStore();
      // From the Nth call on: a call that fails before the "after" point passes the crash on to the next one.
      const crash = delivery && ++injection.providerCalls >= (injection.drill.crashAtCall ?? Number.POSITIVE_INFINITY);
      const point = injection.random() < 0.5 ? 'before_send' : 'after_send';
      if (crash && point === 'before_send') injection.die(point, delivery.channel);
      const key = delivery && `${delivery.notificationId}/${delivery.channel}`;
      if (key) injection.unrecorded.add(key);
      try {
        const answer = await send.apply(this, args);
        if (crash && point === 'after_send') injection.die(point, delivery.channel);
        return answer;
      } catch (error) {
        // Refused: the provider took nothing. (A timeout stays: the provider may have sent it all the same.)
        if (key && !isTimeout(error)) injection.unrecorded.delete(key);
        throw error;
      }
    } as (typeof prototype)[Name];
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

function isTimeout(error: unknown): boolean {
  const { code, name } = error as { code?: string; name?: string };
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || name === 'TimeoutError';
}

function providerFault(service: 'ses' | 'sns', throttled: boolean): Error {
  if (throttled) return awsError(service === 'ses' ? 'Throttling' : 'ThrottledException', 400, { throttling: true });
  return awsError(service === 'ses' ? 'ServiceUnavailable' : 'InternalErrorException', 503, {}, 'server');
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
