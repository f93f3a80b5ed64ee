import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ChannelQueues } from '../shared/adapters/channel-queues.js';
import { CoalescedChannelQueues } from '../shared/adapters/coalesced-channel-queues.js';
import { CoalescedDispatchQueue } from '../shared/adapters/coalesced-dispatch-queue.js';
import { CoalescedUserReads } from '../shared/adapters/coalesced-user-reads.js';
import type { DispatchQueue } from '../shared/adapters/dispatch-queue.js';
import type { UsersStore } from '../shared/adapters/users-store.js';
import type { AcceptedNotification } from '../shared/domain/notification.js';
import type { Producer } from '../shared/domain/producer.js';
import { type FieldProblem, invalidRequest } from '../shared/http/api-error.js';
import { asApiError } from '../shared/http/api-handler.js';
import { requireTypeOwnership } from '../shared/http/producer.js';
import { validate } from '../shared/http/request.js';
import { inParallel } from '../shared/in-parallel.js';
import { logger } from '../shared/observability.js';
import { OPERATIONS } from '../shared/platform/operations.js';
import type { batchItemErrorSchema } from '../shared/schemas/answers.js';
import { batchNotificationSchema, notificationBatch } from '../shared/schemas/notification-batch.js';
import type * as z from '../shared/schemas/zod.js';
import { type IntakeDependencies, NotificationIntake } from './notification-intake.js';

/**
 * How many of a batch's notifications are accepted at once: half a full batch, so that their calls coalesce into full
 * SendMessageBatch calls of ten, and no more requests are in flight than the SDK's pool of 50 sockets a client holds
 * (a request waiting for a socket would spend its 5 s timeout waiting).
 */
export const BATCH_CONCURRENCY = 50;

export type BatchItemError = z.infer<typeof batchItemErrorSchema>;
export type BatchResult = AcceptedNotification | BatchItemError;

/** What a batch is accepted with: the one intake, over this request's coalescing adapters. */
export interface BatchIntake {
  readonly intake: Pick<NotificationIntake, 'accept'>;
  /** Reads the people of the notifications due now in one go, before each is decided. */
  readonly readAhead?: (userIds: readonly string[]) => Promise<void>;
  readonly concurrency?: number;
}

/**
 * For one batch request: NotificationIntake (the single send's path, and the one dispatch path behind it) over adapters
 * that gather what the batch's notifications ask of DynamoDB and SQS into BatchGetItem and SendMessageBatch calls.
 * Built per request, so that nothing read for one request is used by another.
 */
export function batchIntake(
  dependencies: IntakeDependencies & {
    readonly users: Pick<UsersStore, 'findMany' | 'findManyFresh'>;
    readonly queues: Pick<ChannelQueues, 'message'>;
    readonly dispatchQueue: Pick<DispatchQueue, 'sendAll'>;
  },
  request: {
    /** The client the channel jobs' SendMessageBatch calls go through. */
    readonly sqs: Pick<SQSClient, 'send'>;
    /** The request's own suppression list, whose reads are coalesced (CoalescedSuppressionList). */
    readonly suppressions: IntakeDependencies['suppressions'];
  },
): BatchIntake {
  const users = new CoalescedUserReads(dependencies.users);
  return {
    intake: new NotificationIntake({
      ...dependencies,
      users,
      suppressions: request.suppressions,
      queues: new CoalescedChannelQueues(dependencies.queues, request.sqs),
      dispatchQueue: new CoalescedDispatchQueue(dependencies.dispatchQueue),
    }),
    readAhead: (userIds) => users.readAhead(userIds),
  };
}

/**
 * Accepts each notification of a batch as POST /v1/notifications would accept it alone, and answers each one's result
 * in the batch's order: its answer, or the error it would have been refused with, its fields named from the body
 * (`notifications[7].user_id`). A notification refused does not stop the others. They are accepted concurrently, and
 * Powertools' log keys are the invocation's: a line the intake writes for one may carry another's notification_id, so
 * the lines written here name each one by its index.
 */
export async function acceptBatch(items: readonly unknown[], producer: Producer, batch: BatchIntake) {
  const submissions = items.map((item, index) => {
    try {
      return checkedItem(item, index, producer);
    } catch (error) {
      return error as Error;
    }
  });
  // A scheduled one's person is read when it is sent, not now.
  const dueNow = submissions.flatMap((submission) =>
    submission instanceof Error || submission.request.send_at !== undefined ? [] : [submission.request.user_id],
  );
  await batch.readAhead?.(dueNow);
  return inParallel(submissions, batch.concurrency ?? BATCH_CONCURRENCY, async (submission, index) => {
    if (submission instanceof Error) return refused(submission, index);
    try {
      const accepted = await batch.intake.accept({ ...submission, producer });
      logger.info('notification accepted', {
        index,
        notification_id: accepted.notification_id,
        status: accepted.status,
        type: submission.request.type,
        user_id: submission.request.user_id,
      });
      return accepted as BatchResult;
    } catch (error) {
      return refused(error, index);
    }
  });
}

/**
 * One item of the body, checked as POST /v1/notifications checks its body and its Idempotency-Key; a problem is an
 * ApiError naming the field from the body.
 */
function checkedItem(item: unknown, index: number, producer: Producer) {
  const at = itemPath(index);
  if (typeof item === 'object' && item !== null && !Array.isArray(item) && 'topic' in item) {
    throw invalidRequest([
      {
        field: `${at}.topic`,
        message: `a broadcast to a topic is sent on its own, with POST /v1${OPERATIONS.sendNotification.path}`,
      },
    ]);
  }
  const { idempotency_key: idempotencyKey, ...request } = validate(batchNotificationSchema, item, at);
  requireTypeOwnership(producer, request.type);
  return { request, idempotencyKey };
}

const itemPath = (index: number) => `${notificationBatch.field}[${index}]`;

/** The fields an item has in place of a single send's headers. */
const ITEM_FIELDS: Readonly<Record<string, string>> = { 'Idempotency-Key': 'idempotency_key' };

/** An item's error: what a single send would have answered, its fields named from the batch's body. */
function refused(error: unknown, index: number): BatchItemError {
  const refusal = asApiError(error);
  const at = itemPath(index);
  const details = refusal.details?.map(
    (problem): FieldProblem =>
      problem.field === at || problem.field.startsWith(`${at}.`)
        ? problem
        : { ...problem, field: `${at}.${ITEM_FIELDS[problem.field] ?? problem.field}` },
  );
  const message =
    refusal.code === 'invalid_request' && details ? invalidRequest(details).message : inItemTerms(refusal.message);
  logger.info('notification refused', { index, code: refusal.code, status: refusal.statusCode });
  return {
    error: {
      code: refusal.code,
      message,
      ...(details ? { details } : {}),
      status: refusal.statusCode,
      ...(refusal.retryAfterSeconds === undefined ? {} : { retry_after: refusal.retryAfterSeconds }),
    },
  };
}

/** A single send's message as an item's: its Idempotency-Key is the item's idempotency_key. */
function inItemTerms(message: string): string {
  return Object.entries(ITEM_FIELDS).reduce((text, [header, field]) => text.replaceAll(header, field), message);
}
