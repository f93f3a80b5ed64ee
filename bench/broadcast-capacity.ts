/**
 * docs/capacity.md's section on broadcasts: what a broadcast to a million subscribers takes on AWS at the shipped
 * settings (how long, which limit binds first) and what it costs per recipient against a million single sends, from
 * the broadcast benchmark (bench/broadcast-results.json), the main benchmark (bench/results.json), the shipped
 * platform.config.ts and the prices in bench/aws-prices.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { FAN_OUT_CHUNK_SIZE } from '../lambdas/shared/domain/broadcast.js';
import { bulkLanePace } from '../lambdas/shared/domain/bulk-lane.js';
import { CHANNEL_QUEUES } from '../lambdas/shared/platform/resources.js';
import { validatePlatformSettings } from '../lib/settings.js';
import shippedSettings from '../platform.config.js';
import { markdownTable, round } from './measure.js';

const PRICES = JSON.parse(readFileSync(new URL('./aws-prices.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const price = (key: string) => Number(PRICES[key]);
const settings = validatePlatformSettings(structuredClone(shippedSettings));
const RECIPIENTS = 1_000_000;
const MEMORY_GB = 0.5;
/** A broadcast's outcome count takes one write a job: DynamoDB's limit on one item. */
const ITEM_WRITES_PER_SECOND = price('quota_dynamodb_partition_write_units_per_second');

interface BroadcastResults {
  readonly date: string;
  readonly quick: boolean;
  readonly critical_latency: Record<string, number | boolean | Record<string, number>>;
  readonly broadcast: {
    readonly audience: number;
    readonly fan_out_seconds: number;
    readonly drain_seconds: number;
    readonly sent_per_second: number;
    readonly fan_out_calls_per_recipient: number;
    readonly fan_out_calls_by_operation_per_100_recipients: Record<string, number>;
    readonly peak_rss_mb: Record<string, number>;
  };
}
interface MainResults {
  readonly ingest: { readonly p50_ms: number; readonly calls_by_operation: Record<string, number> };
  readonly worker: {
    readonly stream_batch_p50_ms: number;
    readonly calls_by_operation_per_batch: Record<string, number>;
  };
}

const perHundred = (counts: Record<string, number>, pattern: RegExp) =>
  Object.entries(counts)
    .filter(([operation]) => pattern.test(operation))
    .reduce((sum, [, value]) => sum + value, 0) / 100;
const usd = (value: number) => value.toFixed(2);
const duration = (seconds: number) =>
  seconds >= 7_200
    ? `${round(seconds / 3_600, 1)} h`
    : seconds >= 120
      ? `${Math.round(seconds / 60)} min`
      : `${Math.round(seconds)} s`;

/** USD per million email recipients, part by part: a broadcast's, and the same emails sent one request each. */
function costPerMillion(measured: BroadcastResults['broadcast'], main: MainResults) {
  const million = 1_000_000;
  const lane = bulkLanePace(settings.channels.email.bulk, CHANNEL_QUEUES.email.workerTimeoutSeconds);
  const lambdaSecond = MEMORY_GB * price('lambda_arm_per_gb_second');
  const write = price('dynamodb_on_demand_per_million_write_request_units') / million;
  const read = price('dynamodb_on_demand_per_million_read_request_units') / million;
  const sqs = price('sqs_standard_per_million_requests') / million;
  const fanOut = measured.fan_out_calls_by_operation_per_100_recipients;
  const worker = main.worker.calls_by_operation_per_batch;
  // A worker's own calls a job, consistent reads; its batch's time shared by the batch.
  const workerDynamo =
    (perHundred(worker, /PutItem|UpdateItem/) * 10 * write + perHundred(worker, /GetItem/) * 10 * read) * million;
  const workerLambda = million * (main.worker.stream_batch_p50_ms / 1000 / 10) * lambdaSecond;
  const ses = (million / 1000) * price('ses_per_thousand_emails');

  // The fan-out: its measured calls (each Put and Update one unit, a chunk's count four: a transaction of two small
  // items; each key a BatchGetItem or GetItem reads one consistent unit; the topic's page a few), its time as this
  // machine took it (an upper bound: the chunks fanned out two at a time here), the chunks' own messages; then each
  // job's outcome counted, one unit on a small item of the broadcast's.
  const fanOutWrites = perHundred(fanOut, /PutItem|UpdateItem/) + 4 * perHundred(fanOut, /TransactWrite/) + 1;
  const fanOutReads = perHundred(fanOut, /GetItem/) + (3 * FAN_OUT_CHUNK_SIZE) / 100 + 0.03;
  const chunkSeconds = (measured.fan_out_seconds * 2) / Math.ceil(measured.audience / FAN_OUT_CHUNK_SIZE);
  const broadcast = {
    api_gateway: 0,
    lambda_fan_out: (million / FAN_OUT_CHUNK_SIZE) * chunkSeconds * lambdaSecond,
    // The bulk lane's pacing is billed: an invocation spans its batch at the lane's share of the rate.
    lambda_workers: workerLambda + million * (1 / lane.sendsPerSecondPerInvocation) * lambdaSecond,
    sqs: million * (perHundred(fanOut, /SendMessage/) + 2 / lane.batchSize + 3 / FAN_OUT_CHUNK_SIZE) * sqs,
    dynamodb: million * (fanOutWrites * write + fanOutReads * read) + workerDynamo,
    ses,
  };
  const ingestCalls = main.ingest.calls_by_operation;
  // The main benchmark's ingest measured 600 notifications of two channels: per notification, one channel.
  const single = {
    api_gateway: price('api_gateway_rest_per_million_requests'),
    lambda_fan_out: million * (main.ingest.p50_ms / 1000) * lambdaSecond + price('lambda_per_million_requests'),
    lambda_workers: workerLambda,
    sqs: million * (1 + 2 / 10) * sqs,
    dynamodb:
      million *
        ((perHundred(ingestCalls, /PutItem/) / 6) * write + (perHundred(ingestCalls, /GetItem/) / 6) * 0.75 * read) +
      workerDynamo,
    ses,
  };
  return { broadcast, single, lane };
}

export function broadcastSection(): string {
  const resultsUrl = new URL('./broadcast-results.json', import.meta.url);
  if (!existsSync(resultsUrl)) return '## Broadcasts\n\nRun `npm run bench:broadcast` for this section.';
  const results = JSON.parse(readFileSync(resultsUrl, 'utf8')) as BroadcastResults;
  const main = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8')) as MainResults;
  const measured = results.broadcast;
  const { broadcast, single, lane } = costPerMillion(measured, main);
  const email = settings.channels.email;
  const workerBatchSeconds = main.worker.stream_batch_p50_ms / 1000;
  const limits = [
    {
      name: `the email bulk lane (channels.email.bulk.ratePerSecond ${email.bulk.ratePerSecond})`,
      perSecond: email.bulk.ratePerSecond,
      moves: 'bulk.ratePerSecond, below providerRatePerSecond',
    },
    {
      name: `SES's sending rate (channels.email.providerRatePerSecond ${email.providerRatePerSecond}, the account's quota)`,
      perSecond: email.providerRatePerSecond,
      moves: 'an SES sending quota increase, then providerRatePerSecond',
    },
    {
      name: `the bulk lane's workers (${email.bulk.maxConcurrency} invocations × batch ${lane.batchSize} / ${main.worker.stream_batch_p50_ms} ms)`,
      perSecond: (email.bulk.maxConcurrency * lane.batchSize) / workerBatchSeconds,
      moves: 'bulk.maxConcurrency',
    },
    {
      name: "the broadcast's outcome count (one write a job to one small item: DynamoDB's writes to one item)",
      perSecond: ITEM_WRITES_PER_SECOND,
      moves: 'nothing: above it, the counts would need sharding',
    },
    {
      name: `the fan-out as this machine ran it (${measured.audience.toLocaleString('en-US')} recipients in ${measured.fan_out_seconds} s on the emulators, two chunks at a time, beside the drain): a floor, not AWS's`,
      perSecond: measured.audience / measured.fan_out_seconds,
      moves: "on AWS, the fan-out's event source runs as many chunks at once as are queued (no maximum as shipped)",
    },
  ].sort((a, b) => a.perSecond - b.perSecond);
  const binding = limits[0];
  const seconds = RECIPIENTS / (binding?.perSecond ?? 1);
  const parts = Object.keys(broadcast) as (keyof typeof broadcast)[];
  const total = (costs: Record<string, number>) => Object.values(costs).reduce((sum, value) => sum + value, 0);
  return `## Broadcasts

A broadcast to ${RECIPIENTS.toLocaleString('en-US')} subscribers, one email each, with the shipped settings: from
\`npm run bench:broadcast\` of ${results.date}${results.quick ? ' (quick)' : ''} (\`bench/broadcast-results.json\`), the
main benchmark's worker and ingest figures, and the prices below.

${markdownTable(
  ['limit', 'emails/s it allows', `${RECIPIENTS.toLocaleString('en-US')} take`, 'what moves it'],
  limits.map((limit) => [
    limit.name,
    Math.round(limit.perSecond).toLocaleString('en-US'),
    duration(RECIPIENTS / limit.perSecond),
    limit.moves,
  ]),
)}

**How long:** ${duration(seconds)}, bound by ${binding?.name}. The bulk lane is paced on purpose, below SES's rate, so
that a password reset keeps the rest: with SES's quota raised (a production account is often granted hundreds a
second), raise \`providerRatePerSecond\` and \`bulk.ratePerSecond\` with it, and \`bulk.maxConcurrency\` once the lane's
workers bind. Past about ${ITEM_WRITES_PER_SECOND.toLocaleString('en-US')} jobs a second the broadcast's outcome
count (one counter update a job, on one item) is the limit.

**What it costs**, USD per million recipients, against the same emails sent as a million single requests:

${markdownTable(
  ['part', 'broadcast', 'single sends'],
  [
    ...parts.map((part) => [
      part === 'lambda_fan_out' ? 'Lambda: fan-out / ingest' : part.replace('_', ' '),
      usd(broadcast[part]),
      usd(single[part]),
    ]),
    ['**total**', `**${usd(total(broadcast))}**`, `**${usd(total(single))}**`],
    ['total without SES', usd(total(broadcast) - broadcast.ses), usd(total(single) - single.ses)],
  ],
)}

A broadcast pays no API Gateway request and no ingest per recipient; it pays the fan-out's reads of its people and
records in batches (${measured.fan_out_calls_per_recipient} AWS calls a recipient, measured), one conditional write a
recipient, each job's outcome counted (one write unit on a small item beside the broadcast's record, whatever the
size of its payload), and the bulk lane's pacing: an invocation is billed
while it spaces its batch at its share of the lane's rate (${round(lane.sendsPerSecondPerInvocation, 2)} a second).
Lambda's fan-out time is this machine's, an upper bound. Memory stays flat as the audience grows: a chunk holds a
hundred people, and the peak resident set of each process in the run is in \`bench/broadcast-results.json\`.`;
}
