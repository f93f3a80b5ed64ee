/**
 * The capacity and cost model (docs/capacity.md), from the last benchmark's figures (bench/results.json), the dated
 * prices and quotas in bench/aws-prices.json and the shipped platform.config.ts. `npm run bench` writes it after each
 * run; `npm run capacity` writes it again from the last results.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { validatePlatformSettings } from '../lib/settings.js';
import shippedSettings from '../platform.config.js';
import { broadcastSection } from './broadcast-capacity.js';
import { JOBS_PER_NOTIFICATION, MIX, shareOf } from './cost.js';
import { markdownTable } from './measure.js';

type Figures = Record<string, unknown>;
/** The figures of a benchmark run this reads (bench/results.json). */
interface Results {
  readonly date: string;
  readonly ingest: Readonly<Record<string, unknown>>;
  readonly worker: Readonly<Record<string, unknown>>;
  readonly cost: Readonly<Record<string, number>>;
}

const PRICES = JSON.parse(readFileSync(new URL('./aws-prices.json', import.meta.url), 'utf8')) as Figures & {
  sources: Record<string, [string, string]>;
};
const price = (key: string) => Number(PRICES[key]);
const settings = validatePlatformSettings(structuredClone(shippedSettings));

const RATES = [1_000, 10_000, 100_000];
const VOLUMES = [1_000_000, 10_000_000, 100_000_000];
const HOURS_A_MONTH = 730;

// Measured by the benchmark's call counts: ingest writes the notification once; a worker claims (PutItem), completes
// the claim and records the status (two UpdateItems) for each job. Items are under 1 KB: one unit each.
const WRITE_UNITS_PER_NOTIFICATION = 1 + 3 * JOBS_PER_NOTIFICATION;
// Ingest reads the user eventually consistently (half a unit) and the suppression list consistently (one unit for
// up to two addresses); each job's worker reads the user and the suppression list consistently.
const USER_READ_UNITS_PER_NOTIFICATION = 0.5 + JOBS_PER_NOTIFICATION;

const usd = (value: number) =>
  value >= 100 ? `${Math.round(value).toLocaleString('en-US')}` : value.toFixed(value >= 1 ? 2 : 3);
const count = (value: number) => Math.round(value).toLocaleString('en-US');
const source = (key: string) => {
  const [where, when] = PRICES.sources[key] ?? ['?', '?'];
  return `${where}, ${when}`;
};

interface Limit {
  readonly name: string;
  /** Notifications a second at which this limit is reached. */
  readonly capacity: number;
  readonly moves: string;
  /** The short name the binding order uses. */
  readonly short: string;
  /** A limit of one producer (or one of its addresses), or of one person, not of the platform. */
  readonly scope?: 'producer' | 'person';
}

/** Every limit on the path, as the notifications a second each allows with the shipped settings and default quotas. */
function limits(results: Results): Limit[] {
  const ingestP50 = Number(results.ingest.p50_ms);
  const batchP50 = Number(results.worker.stream_batch_p50_ms);
  const producerRate = settings.producers.reduce((sum, producer) => sum + producer.rateLimit, 0);
  const batchSeconds = batchP50 / 1000;
  const ingestSeconds = ingestP50 / 1000;
  const reserved = Object.values(settings.channels).reduce(
    (sum, channel) => sum + (channel.reserveConcurrency ? channel.maxConcurrency + channel.bulk.maxConcurrency : 0),
    0,
  );
  const workerLimit = (channel: 'email' | 'sms' | 'push'): Limit => ({
    short: `the ${channel} workers' maximum concurrency`,
    name: `${channel} workers: maxConcurrency ${settings.channels[channel].maxConcurrency} × batch ${settings.channels[channel].batchSize} / ${results.worker.stream_batch_p50_ms} ms a batch (${Math.round(shareOf(channel) * 100)}% of notifications)`,
    capacity:
      (settings.channels[channel].maxConcurrency * settings.channels[channel].batchSize) /
      batchSeconds /
      shareOf(channel),
    moves: `channels.${channel}.maxConcurrency (up to ${price('quota_sqs_event_source_max_concurrency')}), within the account's Lambda quota`,
  });
  return [
    {
      short: 'the API stage throttle',
      name: `API stage throttle (api.rateLimit ${settings.api.rateLimit}/s)`,
      capacity: settings.api.rateLimit,
      moves: 'api.rateLimit and api.burstLimit in platform.config.ts',
    },
    {
      short: "a producer's usage plan",
      name: `producers' usage plans (sum of their rateLimit: ${producerRate}/s)`,
      capacity: producerRate,
      moves: "each producer's rateLimit, burstLimit and dailyQuota",
      scope: 'producer',
    },
    {
      short: 'the WAF rate of one address',
      name: `WAF, one source address (api.requestsPerSourceIpPer5Minutes ${count(settings.api.requestsPerSourceIpPer5Minutes)})`,
      capacity: settings.api.requestsPerSourceIpPer5Minutes / 300,
      moves: 'api.requestsPerSourceIpPer5Minutes, or producers calling from several addresses',
      scope: 'producer',
    },
    {
      short: "API Gateway's account rate",
      name: `API Gateway, account and Region (${count(price('quota_api_gateway_account_rps'))} requests/s)`,
      capacity: price('quota_api_gateway_account_rps'),
      moves: 'a Service Quotas request (L-8A5B8E43)',
    },
    {
      short: "Lambda's account concurrency (ingest)",
      name: `Lambda concurrency, ingest: ${results.ingest.p50_ms} ms a request within ${count(price('quota_lambda_concurrent_executions') - reserved)} unreserved`,
      capacity: (price('quota_lambda_concurrent_executions') - reserved) / ingestSeconds,
      moves: 'a Service Quotas request ("Concurrent executions")',
    },
    workerLimit('email'),
    workerLimit('sms'),
    workerLimit('push'),
    {
      short: "the notifications table's write quota",
      name: `DynamoDB, notifications table writes (${WRITE_UNITS_PER_NOTIFICATION.toFixed(1)} units a notification, ${count(price('quota_dynamodb_table_on_demand_write_units_per_second'))}/s a table)`,
      capacity: price('quota_dynamodb_table_on_demand_write_units_per_second') / WRITE_UNITS_PER_NOTIFICATION,
      moves: "a Service Quotas request (the table's on-demand maximum throughput)",
    },
    {
      short: "one person's partition",
      scope: 'person',
      name: `DynamoDB, one person's item (${USER_READ_UNITS_PER_NOTIFICATION.toFixed(1)} read units a notification, ${count(price('quota_dynamodb_partition_read_units_per_second'))}/s a partition)`,
      capacity: price('quota_dynamodb_partition_read_units_per_second') / USER_READ_UNITS_PER_NOTIFICATION,
      moves: "nothing for one person: a hot user is capped here (DAX absorbs ingest's share of the reads)",
    },
    {
      short: 'SES',
      name: "SES sending rate (the account's own: AWS publishes no default out of the sandbox)",
      capacity: Number.NaN,
      moves: 'an SES sending quota increase (SES console, Account dashboard)',
    },
    {
      short: 'Twilio (A2P 10DLC, high trust)',
      name: `Twilio, SMS (${Math.round(shareOf('sms') * 100)}% of notifications): A2P 10DLC ${price('quota_twilio_10dlc_mps_low_trust')}-${price('quota_twilio_10dlc_mps_high_trust')} MPS a campaign, toll-free ${price('quota_twilio_toll_free_mps')}, short code ${price('quota_twilio_short_code_mps')}`,
      capacity: price('quota_twilio_10dlc_mps_high_trust') / shareOf('sms'),
      moves: 'a higher trust score, more campaigns or a short code; Twilio queues up to 10 hours of segments a sender',
    },
  ];
}

function capacitySection(results: Results): string {
  const all = limits(results);
  const rows = all.map((limit) => [
    limit.scope ? `${limit.name} (per ${limit.scope})` : limit.name,
    Number.isNaN(limit.capacity) ? "the account's quota" : count(limit.capacity),
    ...RATES.map((rate) =>
      Number.isNaN(limit.capacity)
        ? `${count(rate * shareOf('email'))} emails/s needed`
        : `${Math.round((rate / limit.capacity) * 100)}%`,
    ),
    limit.moves,
  ]);
  const binding = RATES.map((rate) => {
    const over = all
      .filter((limit) => !limit.scope && !Number.isNaN(limit.capacity) && limit.capacity < rate)
      .sort((a, b) => a.capacity - b.capacity);
    const order = over.map((limit) => `${limit.short} at ${count(limit.capacity)}`).join('; then ');
    return `- **${count(rate)} a second**: ${over.length === 0 ? 'no platform limit above is reached' : `in the order they bind: ${order}`}. And SES must allow ${count(rate * shareOf('email'))} emails a second.`;
  });
  return `## Capacity: which limit binds first

Each row is a limit on a notification's path, with the shipped \`platform.config.ts\` and AWS's default quotas; the
columns give how much of it 1,000, 10,000 and 100,000 notifications a second would use (over 100%: that limit binds).
The mix is the benchmark's (${MIX.map((mix) => `${Math.round(mix.share * 100)}% ${mix.channels.join(' + ')}`).join(', ')}: ${JOBS_PER_NOTIFICATION.toFixed(1)} jobs a notification). Durations are the benchmark's,
against emulators slower than AWS (ingest p50 ${results.ingest.p50_ms} ms, a worker batch ${results.worker.stream_batch_p50_ms} ms with the provider at
${results.worker.provider_latency_ms} ms): on AWS the same concurrency carries more.

${markdownTable(['limit', 'notifications/s it allows', ...RATES.map((rate) => `at ${count(rate)}/s`), 'what moves it'], rows)}

${binding.join('\n')}

The rows marked per producer bound one producer, not the platform: its usage plan, and the WAF's rate for one source
address (a producer sending from one address is capped there, whatever its plan). The row marked per person bounds
the notifications one person can receive at once: their item's partition.

Not limits at these rates: SQS standard queues ("nearly unlimited" calls a second; about 120,000 messages in flight a
queue); Lambda's scaling rate (${count(price('quota_lambda_scaling_environments_per_10_seconds'))} environments every 10 s a function); an idempotency key's item (one write a request). Not found:
SNS's mobile push rate quota (its quotas page was not readable here); check it for push above a few thousand a second.`;
}

interface CostRow {
  readonly name: string;
  readonly monthly: (notifications: number) => number;
  readonly fixed: boolean;
}

function costRows(results: Results, sesPlan: 'a_la_carte' | 'essentials'): CostRow[] {
  const perMillion = (key: string) => (notifications: number) => (results.cost[key] ?? 0) * (notifications / 1e6);
  const ses = (notifications: number) => {
    const emails = notifications * shareOf('email');
    if (sesPlan === 'a_la_carte') return (emails / 1000) * price('ses_per_thousand_emails');
    const tier = (from: number, to: number, key: string) =>
      (Math.max(0, Math.min(emails, to) - from) / 1000) * price(key);
    return (
      tier(0, 10e6, 'ses_essentials_per_thousand_emails_first_10m') +
      tier(10e6, 100e6, 'ses_essentials_per_thousand_emails_10m_to_100m') +
      tier(100e6, Number.POSITIVE_INFINITY, 'ses_essentials_per_thousand_emails_over_100m')
    );
  };
  const cache = settings.preferencesCache;
  return [
    { name: 'API Gateway', monthly: perMillion('api_gateway'), fixed: false },
    {
      name: 'Lambda (ingest and workers)',
      monthly: (n) => perMillion('lambda_ingest')(n) + perMillion('lambda_workers')(n),
      fixed: false,
    },
    { name: 'SQS', monthly: perMillion('sqs'), fixed: false },
    { name: 'DynamoDB', monthly: perMillion('dynamodb'), fixed: false },
    { name: `SES (${sesPlan === 'a_la_carte' ? 'a la carte' : 'Essentials plan'})`, monthly: ses, fixed: false },
    { name: 'SNS mobile push', monthly: perMillion('sns_push'), fixed: false },
    { name: 'WAF requests', monthly: (n) => (n / 1e6) * price('waf_per_million_requests'), fixed: false },
    {
      name: `DAX (${cache.nodes} × ${cache.nodeType}, when on) and the SQS endpoint of its VPC (2 AZs)`,
      monthly: () =>
        cache.nodes * price('dax_t3_small_per_node_hour') * HOURS_A_MONTH +
        2 * price('vpc_interface_endpoint_per_az_hour') * HOURS_A_MONTH,
      fixed: true,
    },
    {
      name: 'WAF web ACL and its 5 rules',
      monthly: () => price('waf_web_acl_per_month') + 5 * price('waf_rule_per_month'),
      fixed: true,
    },
    {
      name: 'CloudWatch: 13 alarms (10 free), a dashboard (3 free: counted), KMS keys (2), secrets (3)',
      monthly: () =>
        3 * price('cloudwatch_alarm_per_month') +
        price('cloudwatch_dashboard_per_month') +
        2 * price('kms_key_per_month') +
        3 * price('secrets_manager_secret_per_month'),
      fixed: true,
    },
  ];
}

function costSection(results: Results): string {
  const sections = (['a_la_carte', 'essentials'] as const).map((plan) => {
    const rows = costRows(results, plan);
    const daxRow = rows.find((row) => row.name.startsWith('DAX'));
    const total = (n: number, withDax: boolean) =>
      rows.filter((row) => withDax || row !== daxRow).reduce((sum, row) => sum + row.monthly(n), 0);
    return markdownTable(
      ['USD a month', ...VOLUMES.map((volume) => `${count(volume / 1e6)}M notifications`)],
      [
        ...rows.map((row) => [`${row.name}${row.fixed ? ' (fixed)' : ''}`, ...VOLUMES.map((v) => usd(row.monthly(v)))]),
        ['**total, DAX off**', ...VOLUMES.map((v) => `**${usd(total(v, false))}**`)],
        ['**per million, DAX off**', ...VOLUMES.map((v) => `**${usd(total(v, false) / (v / 1e6))}**`)],
        ['total, DAX on', ...VOLUMES.map((v) => usd(total(v, true)))],
      ],
    );
  });
  const daxFixed =
    settings.preferencesCache.nodes * price('dax_t3_small_per_node_hour') * HOURS_A_MONTH +
    2 * price('vpc_interface_endpoint_per_az_hour') * HOURS_A_MONTH;
  // The reads DAX would take off DynamoDB: ingest's one eventually consistent user read a notification.
  const savedPerMillion = 0.5 * price('dynamodb_on_demand_per_million_read_request_units');
  const breakEven = daxFixed / savedPerMillion;
  const sms = (results.cost.sms_messages_per_million ?? 0) * price('twilio_us_sms_per_segment_reference');
  return `## Cost

Per message, from the benchmark's measured calls and durations (512 MB functions; Lambda's share is an upper bound,
the emulators being slower than AWS) and the list prices below; fixed costs apart. Twilio is not in the totals: at
${Math.round(shareOf('sms') * 100)}% SMS it adds about ${usd(sms)} USD a million notifications in the US (${price('twilio_us_sms_per_segment_reference')} USD a segment plus carrier fees).

SES sells plans since 2026-07-21: an account that has sent since 2025-06-01 keeps the a la carte price; a new
account is on Essentials. Both:

**A la carte SES**

${sections[0]}

**SES Essentials**

${sections[1]}

### When DAX pays for itself

DAX (${settings.preferencesCache.nodes} × ${settings.preferencesCache.nodeType}) and the SQS endpoint its VPC needs cost ${usd(daxFixed)} USD a month. What they take off
DynamoDB is ingest's user read, half a read unit a notification: ${savedPerMillion.toFixed(4)} USD a million. DAX pays for
itself at ${count(breakEven)} million notifications a month (${count((breakEven * 1e6) / 30 / 86_400)} a second on average), above every volume priced
here. Below that, what it buys is latency (microseconds rather than milliseconds for the user read) and a shield for
one person's item read by many notifications at once (the per-person row above). So it is off unless asked for:
\`preferencesCache.enabled: true\` in \`platform.config.ts\`, or \`npx cdk deploy -c dax=true\`.`;
}

function competitorSection(): string {
  return `## Beside Knock, Courier and Novu Cloud

Their published list prices per month (provider costs, such as SES or Twilio, are extra with all three), against this
platform's totals above (a la carte SES, DAX off). Each bills a different unit: Knock a message per channel per person,
Courier a send per channel, Novu a workflow run (one per notification, whatever its channels). A notification here is
${JOBS_PER_NOTIFICATION.toFixed(1)} channel messages.

| USD a month | 1M | 10M | 100M | what was priced | source |
|---|---|---|---|---|---|
| Knock (Starter: 250 USD for 50,000 messages, then 0.005 a message) | 9,000 | 90,000 | 900,000 | ${JOBS_PER_NOTIFICATION.toFixed(1)} messages a notification | billable unit: https://docs.knock.app/manage-your-account/managing-usage (undated); prices: api-evangelist/knock-app plans, reconciled with knock.app/pricing, 2026-05-25 (the page itself was not readable here) |
| Courier (Business: 0.005 a send, one send a channel) | 9,000 | 90,000 | 900,000 | ${JOBS_PER_NOTIFICATION.toFixed(1)} sends a notification | billable unit: https://www.courier.com/blog/notification-cost-at-scale (2026-07-20); rate: third-party copies of courier.com/pricing, undated (Resend's blog of 2025-05-30 says 0.0005, a tenth of this) |
| Novu Cloud (Team: 250 USD for 250,000 runs, then 1.20 a thousand) | 1,150 | 11,950 | 119,950 | one run a notification | novuhq/novu's own plan definitions (its repository), matching api-evangelist/novu plans of 2026-05-25; billable unit: Novu's billing docs |
| this platform | see above | | | one notification | |

All three move volumes like these to an enterprise plan whose price is not published; read the rows as list
prices, not quotes.`;
}

export function capacityDocument(results: Results): string {
  const prices = Object.keys(PRICES.sources).map((key) => [key, String(PRICES[key]), source(key)]);
  return `# Capacity and cost

Generated by \`npm run capacity\` (and by \`npm run bench\`) from the benchmark run of ${results.date} (\`bench/results.json\`),
the shipped \`platform.config.ts\`, and the prices and quotas in \`bench/aws-prices.json\` (us-east-1, as of ${String(PRICES.as_of)}):
edit those, not this file.

${capacitySection(results)}

${costSection(results)}

${broadcastSection()}

${competitorSection()}

## Prices and quotas used

${markdownTable(['figure', 'value', 'source, date'], prices)}
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8')) as Results;
  writeFileSync(new URL('../docs/capacity.md', import.meta.url), capacityDocument(results));
  process.stderr.write('capacity: wrote docs/capacity.md\n');
}
