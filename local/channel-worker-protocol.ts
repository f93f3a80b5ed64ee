/** What the local platform and a channel worker's process (channel-worker-process.ts) tell each other. */
import { z } from 'zod';
import { CHANNELS } from '../lambdas/shared/domain/channel.js';

/** The variable that carries the worker's settings into its process. */
export const CHANNEL_WORKER_VARIABLE = 'LOCAL_CHANNEL_WORKER';

export const channelWorkerSettingsSchema = z.strictObject({
  channel: z.enum(CHANNELS),
  queueUrl: z.string().min(1),
  batchSize: z.int().min(1),
  concurrency: z.int().min(1),
});
export type ChannelWorkerSettings = z.infer<typeof channelWorkerSettingsSchema>;

/** What the process tells the platform. */
export type ChannelWorkerMessage = { readonly ready: true };
/** What the platform tells the process. */
export type ChannelWorkerCommand = { readonly pause: boolean };
