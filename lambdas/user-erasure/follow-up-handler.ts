import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { sqsClient } from '../shared/aws/sqs.js';
import { jsonOrUndefined, queueRecordsHandler } from '../shared/delivery/record-handler.js';
import { retryDelaySeconds } from '../shared/domain/retry-policy.js';
import { logger, metrics } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { ERASURE_FOLLOW_UP } from '../shared/platform/resources.js';
import { followUpSchema, personErasure } from './erasure.js';

const queueUrl = requiredEnv(ENV.erasureQueueUrl);

/** An erasure pass not finished: its record comes back after the backoff. */
class ErasureUnfinished extends Error {
  constructor(pending: number) {
    super(`${pending} records wait for their provider copies to be deleted`);
    this.name = 'ErasureUnfinished';
  }
}

/**
 * The later passes of an erasure, from the erasure queue: each makes the erasure again (person-erasure.ts); one that
 * leaves a provider copy it could not delete yet comes back with backoff, up to ERASURE_FOLLOW_UP.passes, then rests in
 * the DLQ, with an alarm.
 */
async function followUp(record: SQSRecord): Promise<void> {
  const parsed = followUpSchema.safeParse(jsonOrUndefined(record.body));
  if (!parsed.success) {
    // Only a hand-made message can be one: nothing to erase, and nothing a retry could change.
    logger.error('not an erasure: dropped', { message_id: record.messageId });
    metrics.addMetric('ErasuresUnreadable', MetricUnit.Count, 1);
    return;
  }
  const { user_id, requested_at } = parsed.data;
  logger.appendKeys({ user_id });
  const pass = await personErasure.pass(user_id);
  const receives = Number(record.attributes.ApproximateReceiveCount) || 1;
  logger.info('erasure made again', { ...pass, requested_at, pass: receives + 1 });
  if (pass.records > 0) metrics.addMetric('ErasureRecordsFoundLate', MetricUnit.Count, pass.records);
  if (pass.pending === 0) return;
  await sqsClient.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: retryDelaySeconds(receives, Math.random, undefined, ERASURE_FOLLOW_UP.firstAfterSeconds),
    }),
  );
  throw new ErasureUnfinished(pass.pending);
}

export const handler = queueRecordsHandler(followUp);
