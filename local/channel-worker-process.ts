/**
 * One channel's worker in a process of its own, as in AWS each channel's worker is a function of its own. The local
 * platform (channel-workers.ts) polls the channel's queue and invokes this process with each batch, as Lambda's
 * event source mapping invokes the function; a crash takes down this channel's batches and nothing else, and the
 * platform starts a new process, as Lambda would start a new instance.
 */
import { CHANNELS } from '../lambdas/channels/registry.js';
import { HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
import * as z from '../lambdas/shared/schemas/zod.js';
import { lambdaContext } from './api-gateway-emulation.js';
import { CHANNEL_WORKER_VARIABLE, type Invocation, type WorkerMessage } from './channel-worker-protocol.js';
import { faultDrillFromEnv } from './fault-drill.js';
import type { SqsHandler } from './queue-pollers.js';

const channel = z.enum(CHANNELS).parse(process.env[CHANNEL_WORKER_VARIABLE]);
const drill = faultDrillFromEnv(process.env);

// The drill wraps the worker through its decorate hook, which the handler's module applies as it loads.
if (drill) {
  const { WorkerFaults } = await import('./fault-injection.js');
  new WorkerFaults(drill).install();
}
// The handler reads its configuration when its module loads, as in Lambda.
const module = `../lambdas/${HANDLER_MODULES.worker(channel).replace(/\.ts$/, '.js')}`;
const { handler } = (await import(module)) as { handler: SqsHandler };

const reply = (message: WorkerMessage) => process.send?.(message);

process.on('message', async ({ id, event }: Invocation) => {
  try {
    // A context per invocation, as Lambda gives: its request id is each invocation's own.
    reply({ id, response: (await handler(event, lambdaContext(`${channel}-worker`))) ?? undefined });
  } catch (error) {
    // A handler that throws fails the whole batch, as in Lambda.
    reply({ id, error: (error as Error).message });
  }
});
// The platform is gone: so is the reason to run.
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
