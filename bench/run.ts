/**
 * `npm run bench` (`-- --quick` for a shorter run): measures the design's promises on this machine, in one
 * run, against the local platform, and writes bench/results.json, bench/REPORT.md and bench/email-latency.svg.
 * Benchmarks print figures; they fail nothing because a machine is slow.
 */
import './quiet-functions.js';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { CHANNEL_QUEUES } from '../lambdas/shared/platform/resources.js';
import { validatePlatformSettings } from '../lib/settings.js';
import { endpointFor } from '../local/emulator-environment.js';
import { startLocalPlatform } from '../local/runtime.js';
import shippedSettings from '../platform.config.js';
import prices from './aws-prices.json' with { type: 'json' };
import { measureBatch } from './batch.js';
import { capacityDocument } from './capacity.js';
import { measureColdStart, measureTracerShare } from './coldstart.js';
import { costPerMillion } from './cost.js';
import { measureIngest } from './ingest.js';
import { measureIsolation } from './isolation.js';
import { AwsCallCounter } from './measure.js';
import { measureRendering } from './render.js';
import { latencyChart, report } from './report.js';
import { measureWorker } from './workers.js';

const quick = process.argv.includes('--quick');
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const KEY = 'local-dev-key';

const platform = await startLocalPlatform({
  port: 0,
  demo: false,
  prefix: `bench-${Date.now().toString(36)}`,
  localApiKey: KEY,
  log: () => {},
});
try {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: { 'x-api-key': KEY, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as { notification_id?: string } };
  };
  // The handlers' own clients, counted where they are: the runtime loaded the API's handlers in this process, and
  // the SMS worker is loaded here too (the platform's own workers run in processes of their own), with the
  // settings its function has in the stack.
  const counter = new AwsCallCounter();
  counter.attach(documentClient, 'dynamodb');
  counter.attach(sqsClient, 'sqs');
  Object.assign(process.env, {
    [ENV.channel]: 'sms',
    [ENV.deliveryAttempts]: String(CHANNEL_QUEUES.sms.deliveryAttempts),
    [ENV.claimLeaseSeconds]: String(CHANNEL_QUEUES.sms.claimLeaseSeconds),
  });
  const { handler: ingestHandler } = await import('../lambdas/ingest/handler.js');
  const { handler: smsWorker } = await import('../lambdas/channels/sms/handler.js');

  // Three runs, each its own alternation of normal and stalled rounds: a p99 ratio is a tail, and one run's tail is
  // noise as often as it is signal. The report gives every run and their spread; the goal holds only if every run meets it.
  const isolationRuns = [];
  for (let run = 1; run <= 3; run++) {
    say(`1/6 channel isolation, run ${run} of 3 (email latency, SMS provider normal, then stalled)`);
    isolationRuns.push(
      await measureIsolation(platform, endpointFor('SES', process.env) ?? '', call, {
        ratePerSecond: quick ? 5 : 10,
        seconds: quick ? 8 : 30,
      }),
    );
  }
  const isolation = isolationRuns[0] as (typeof isolationRuns)[number];
  const ratios = isolationRuns.map((run) => run.figures.email_p99_ratio ?? Number.NaN);
  say('2/6 ingest');
  const ingest = await measureIngest(platform, ingestHandler, counter, { requests: quick ? 150 : 600, concurrency: 8 });
  say('3/6 workers');
  const worker = await measureWorker(platform, smsWorker, counter, call, { batches: quick ? 5 : 30 });
  say('4/6 cold start');
  // Fresh processes on a quiet machine: the platform's own workers must not be delivering meanwhile.
  platform.pauseDeliveries(true);
  const coldstart = await measureColdStart(quick ? 3 : 7);
  const tracer = await measureTracerShare(quick ? 3 : 7);
  platform.pauseDeliveries(false);
  say('5/6 template rendering (normal, then hostile)');
  const rendering = await measureRendering(quick ? 300 : 2_000);
  say('6/6 batches: 100 notifications in one request against 100 requests');
  const batch = await measureBatch(platform, ingestHandler, counter, call, { rounds: quick ? 3 : 9 });

  const notificationsPerMonth = 10_000_000;
  // The preferences cache as shipped (off: docs/capacity.md says when it pays).
  const cache = validatePlatformSettings(shippedSettings).preferencesCache;
  const daxNodes = cache.enabled ? cache.nodes : 0;
  const cost: Record<string, number> = {
    ...costPerMillion({
      ingestCalls: ingest.calls_by_operation as Record<string, number>,
      ingestNotifications: quick ? 150 : 600,
      ingestP50Ms: ingest.p50_ms as number,
      workerCallsPerBatch: worker.calls_by_operation_per_batch as Record<string, number>,
      workerBatchMs: worker.stream_batch_p50_ms as number,
      memoryMb: 512,
      notificationsPerMonth,
      daxNodes,
    }),
    dax_nodes: daxNodes,
    notifications_per_month: notificationsPerMonth,
  };

  const results = {
    date: new Date().toISOString(),
    quick,
    machine: { cores: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` },
    prices_as_of: prices.as_of,
    isolation: {
      ...isolation.figures,
      runs: isolationRuns.map((run) => run.figures),
      p99_ratio_worst: Math.max(...ratios),
      p99_ratio_spread: Math.round((Math.max(...ratios) - Math.min(...ratios)) * 1000) / 1000,
    },
    ingest,
    worker,
    coldstart,
    coldstart_tracer: tracer,
    rendering,
    batch,
    cost,
  };
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(new URL('./email-latency.svg', import.meta.url), latencyChart(isolation.normal, isolation.stalled));
  writeFileSync(new URL('./REPORT.md', import.meta.url), report(results, quick));
  writeFileSync(new URL('../docs/capacity.md', import.meta.url), capacityDocument(results));
  say('wrote bench/results.json, bench/REPORT.md, bench/email-latency.svg, docs/capacity.md');
  process.stdout.write(
    `${JSON.stringify(
      {
        'isolation.email_p99_ratio_worst': Math.max(...ratios),
        'ingest.aws_calls_per_notification': ingest.aws_calls_per_notification,
        'ingest.by_concurrency': ingest.by_concurrency,
        'ingest.rps': ingest.rps,
        'worker.batch_to_limit_ratio': worker.batch_to_limit_ratio,
        'worker.aws_calls_per_message': worker.aws_calls_per_message,
        'rendering.overhead_p50_ms': rendering.figures.overhead_p50_ms,
        'batch.batch_over_single': (batch.without_keys as { batch_over_single: unknown }).batch_over_single,
        'cost.usd_per_million': cost.usd_per_million,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await platform.stop();
}
