/**
 * What the local platform and a channel worker's process (channel-worker-process.ts) say to each other: the
 * platform polls the queue, as Lambda's event source mapping does, and invokes the worker with each batch.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** The variable that names the process's channel. */
export const CHANNEL_WORKER_VARIABLE = 'LOCAL_CHANNEL_WORKER';

/** The platform to the process: invoke the handler with this batch. */
export interface Invocation {
  readonly id: number;
  readonly event: SQSEvent;
}

/** The process to the platform: ready to be invoked, or an invocation's outcome. */
export type WorkerMessage =
  | { readonly ready: true }
  | { readonly id: number; readonly response: SQSBatchResponse | undefined }
  | { readonly id: number; readonly error: string };
