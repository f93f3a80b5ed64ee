/**
 * What a million notifications cost, from the call counts and durations measured in this run and the dated
 * list prices in bench/aws-prices.json. Twilio's per-SMS price is reported apart: it dwarfs the rest and
 * depends on the country.
 */
import { readFileSync } from 'node:fs';
import { round } from './measure.js';

const prices = JSON.parse(readFileSync(new URL('./aws-prices.json', import.meta.url), 'utf8')) as Record<
  string,
  number | string
>;
const price = (key: string) => Number(prices[key]);

/** The mix the figure is for: what share of notifications go to which channels. */
export const MIX = [
  { share: 0.6, channels: ['email', 'push'] },
  { share: 0.3, channels: ['email'] },
  { share: 0.1, channels: ['email', 'sms', 'push'] },
] as const;

/** The share of notifications that go to `channel`. */
export function shareOf(channel: string): number {
  return MIX.reduce((sum, mix) => sum + ((mix.channels as readonly string[]).includes(channel) ? mix.share : 0), 0);
}

/** Channel jobs a notification makes, on average over the mix. */
export const JOBS_PER_NOTIFICATION = MIX.reduce((sum, mix) => sum + mix.share * mix.channels.length, 0);

export interface CostInputs {
  /** Measured AWS calls per accepted notification, by operation (for two queued channels). */
  readonly ingestCalls: Record<string, number>;
  readonly ingestNotifications: number;
  readonly ingestP50Ms: number;
  /** Measured worker calls for one batch of ten, by operation. */
  readonly workerCallsPerBatch: Record<string, number>;
  readonly workerBatchMs: number;
  readonly memoryMb: number;
  /** Notifications a month, to spread the DAX cluster's fixed cost over. */
  readonly notificationsPerMonth: number;
  readonly daxNodes: number;
}

const WRITES = /PutItem|UpdateItem|DeleteItem/;
const READS = /GetItem|Query/;

export function costPerMillion(inputs: CostInputs): Record<string, number> {
  const million = 1_000_000;
  const emails = shareOf('email') * million;
  const pushes = shareOf('push') * million;
  const sms = shareOf('sms') * million;

  const perNotification = (counts: Record<string, number>, divisor: number, pattern: RegExp) =>
    Object.entries(counts)
      .filter(([operation]) => pattern.test(operation))
      .reduce((sum, [, count]) => sum + count, 0) / divisor;
  // The ingest measurement queued two jobs a notification: its SendMessage count scales with the jobs.
  const ingestSends = perNotification(inputs.ingestCalls, inputs.ingestNotifications, /SendMessage/) / 2;
  const ingestReads = perNotification(inputs.ingestCalls, inputs.ingestNotifications, READS);
  const ingestWrites = perNotification(inputs.ingestCalls, inputs.ingestNotifications, WRITES);
  const workerReads = perNotification(inputs.workerCallsPerBatch, 10, READS);
  const workerWrites = perNotification(inputs.workerCallsPerBatch, 10, WRITES);

  const gbSeconds = (ms: number) => (ms / 1000) * (inputs.memoryMb / 1024);
  const apiGateway = price('api_gateway_rest_per_million_requests');
  const lambdaIngest =
    million * (gbSeconds(inputs.ingestP50Ms) * price('lambda_arm_per_gb_second')) +
    price('lambda_per_million_requests');
  const workerInvocations = (million * JOBS_PER_NOTIFICATION) / 10;
  const lambdaWorkers =
    workerInvocations * gbSeconds(inputs.workerBatchMs) * price('lambda_arm_per_gb_second') +
    (workerInvocations / million) * price('lambda_per_million_requests');
  // Ingest sends; the event source receives and deletes once a batch.
  const sqsRequests = million * JOBS_PER_NOTIFICATION * ingestSends + workerInvocations * 2;
  const sqs = (sqsRequests / million) * price('sqs_standard_per_million_requests');
  const dynamoWrites = million * ingestWrites + million * JOBS_PER_NOTIFICATION * workerWrites;
  // Eventually consistent reads are half a read unit; the workers read consistently.
  const dynamoReads = million * ingestReads * 0.5 + million * JOBS_PER_NOTIFICATION * workerReads;
  const dynamodb =
    (dynamoWrites / million) * price('dynamodb_on_demand_per_million_write_request_units') +
    (dynamoReads / million) * price('dynamodb_on_demand_per_million_read_request_units');
  const dax = ((inputs.daxNodes * price('dax_t3_small_per_node_hour') * 730) / inputs.notificationsPerMonth) * million;
  const ses = (emails / 1000) * price('ses_per_thousand_emails');
  const sns = (pushes / million) * price('sns_mobile_push_per_million');
  const total = apiGateway + lambdaIngest + lambdaWorkers + sqs + dynamodb + dax + ses + sns;
  return {
    usd_per_million: round(total, 2),
    api_gateway: round(apiGateway, 2),
    lambda_ingest: round(lambdaIngest, 2),
    lambda_workers: round(lambdaWorkers, 2),
    sqs: round(sqs, 2),
    dynamodb: round(dynamodb, 2),
    dax_at_volume: round(dax, 2),
    ses: round(ses, 2),
    sns_push: round(sns, 2),
    sms_messages_per_million: sms,
    twilio_sms_usd_per_million_reference: round(sms * price('twilio_us_sms_per_segment_reference'), 2),
  };
}
