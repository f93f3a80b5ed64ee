/**
 * Cold start: each function bundled as the stack bundles it (esbuild, ESM, minified), its size, and the time a fresh
 * Node process takes to import it (median of several), as a ratio to importing bare clients of the AWS SDK packages it
 * holds, bundled the same way (and, as before, to a bare SQS client).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { CHANNELS } from '../lambdas/channels/registry.js';
import {
  BULK_QUEUE_URL_VARIABLE,
  DEAD_LETTER_QUEUE_URL_VARIABLE,
  QUEUE_URL_VARIABLE,
} from '../lambdas/shared/platform/environment.js';
import { API_FUNCTIONS } from '../lambdas/shared/platform/operations.js';
import { DAX_CLIENT_PACKAGE, HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
import { categoryCatalogue, validatePlatformSettings } from '../lib/settings.js';
import shippedSettings from '../platform.config.js';
import { median, round } from './measure.js';

const PROJECT = fileURLToPath(new URL('../', import.meta.url));
/** Every function of the stack, by name, and its handler module under lambdas/. */
export const FUNCTIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(API_FUNCTIONS.map((name) => [name, HANDLER_MODULES.api(name)])),
  ...Object.fromEntries(CHANNELS.map((channel) => [`${channel}-worker`, HANDLER_MODULES.worker(channel)])),
};

// What the modules read when they load; the values only have to exist.
const ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  USERS_TABLE: 'users',
  DEVICES_TABLE: 'devices',
  NOTIFICATIONS_TABLE: 'notifications',
  TEMPLATES_TABLE: 'templates',
  SUPPRESSIONS_TABLE: 'suppressions',
  TOPICS_TABLE: 'topics',
  PUBLIC_API_URL: 'https://api.example.test/v1',
  ...Object.fromEntries(
    CHANNELS.flatMap((channel) => [
      [QUEUE_URL_VARIABLE[channel], 'http://127.0.0.1:1/q'],
      [DEAD_LETTER_QUEUE_URL_VARIABLE[channel], 'http://127.0.0.1:1/q'],
      [BULK_QUEUE_URL_VARIABLE[channel], 'http://127.0.0.1:1/q'],
    ]),
  ),
  ERASURE_QUEUE_URL: 'http://127.0.0.1:1/q',
  DISPATCH_QUEUE_URL: 'http://127.0.0.1:1/q',
  FAN_OUT_QUEUE_URL: 'http://127.0.0.1:1/q',
  PRODUCERS: '[]',
  CATEGORIES: JSON.stringify(categoryCatalogue(validatePlatformSettings(shippedSettings))),
  DELIVERY_ATTEMPTS: '8',
  CLAIM_LEASE_SECONDS: '120',
  MAX_DEVICES_PER_USER: '10',
  SES_SENDER: 'bench@example.com',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/** The AWS SDK's clients, by package, as a function's baseline constructs them. */
const SDK_CLIENTS: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-ses': 'SESClient',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-sqs': 'SQSClient',
};

/** Powertools' Tracer as a no-op, for the one measurement of what tracing every AWS call costs a cold start. */
const NO_TRACER: Plugin = {
  name: 'no-tracer',
  setup(build) {
    build.onResolve({ filter: /^@aws-lambda-powertools\/tracer(\/middleware)?$/ }, ({ path }) => ({
      path,
      namespace: 'no-tracer',
    }));
    build.onLoad({ filter: /.*/, namespace: 'no-tracer' }, () => ({
      contents:
        'export class Tracer { captureAWSv3Client(client) { return client; } }\n' +
        'export const captureLambdaHandler = () => ({ before: () => {} });\n',
    }));
  },
};

/** Bundles as the stack does; the packages bundled, from esbuild's metafile. */
async function bundle(
  entry: string | { contents: string },
  outfile: string,
  { project, external }: Required<Checkout>,
  plugins: Plugin[] = [],
): Promise<{ bytes: number; packages: Set<string> }> {
  const { metafile } = await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: project } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    external: [...external],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    plugins,
    logLevel: 'error',
  });
  const packages = new Set(
    Object.keys(metafile.inputs).flatMap((input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []),
  );
  return { bytes: statSync(outfile).size, packages };
}

/**
 * A bare client of each AWS SDK package a function's bundle holds, constructed, and the document client when it
 * holds that: the least a function that calls those services loads. The function's own cost is what it adds to this.
 */
export function sdkBaseline(packages: ReadonlySet<string>): { clients: string[]; contents: string } {
  const unknown = [...packages].filter((name) => name.startsWith('@aws-sdk/client-') && !(name in SDK_CLIENTS));
  if (unknown.length > 0) throw new Error(`bench/coldstart.ts: name the client class of ${unknown.join(', ')}`);
  const held = Object.entries(SDK_CLIENTS).filter(([name]) => packages.has(name));
  // A function that calls no AWS service (the API description) is held to a bare SQS client, as all were before.
  const clients: [string, string][] = held.length > 0 ? held : [['@aws-sdk/client-sqs', 'SQSClient']];
  const document = packages.has('@aws-sdk/lib-dynamodb');
  const contents = [
    ...clients.map(([name, client]) => `import { ${client} } from '${name}';`),
    ...(document ? ["import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';"] : []),
    ...clients.map(([, client]) =>
      client === 'DynamoDBClient' && document
        ? 'export const documentClient = DynamoDBDocument.from(new DynamoDBClient({}));'
        : `export const ${client.charAt(0).toLowerCase()}${client.slice(1)} = new ${client}({});`,
    ),
  ].join('\n');
  return { clients: held.length > 0 ? held.map(([, client]) => client.replace(/Client$/, '')) : ['none'], contents };
}

function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...ENVIRONMENT },
  });
  return Number(output);
}

/** Medians of `runs` fresh imports of each file, taken in turn so that the machine's drift falls on both alike. */
function alternatingImportMs(files: readonly string[], runs: number): number[] {
  const samples = files.map((): number[] => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, file] of files.entries()) samples[index]?.push(importMs(file));
  }
  return samples.map((times) => median(times));
}

export interface ColdStart {
  readonly bundle_bytes: number;
  readonly import_ms_p50: number;
  /** The AWS SDK clients it holds, which its baseline constructs bare (e.g. DynamoDB, SQS). */
  readonly sdk_clients?: string;
  readonly sdk_baseline_bytes?: number;
  readonly sdk_baseline_ms_p50?: number;
  /** Import time over its own baseline's, measured in turn: the goal's ratio. */
  readonly init_ratio: number;
  /** Bundle over its own baseline's. */
  readonly bundle_ratio?: number;
  /** Import time over a bare SQS client's, as earlier reports gave it. */
  readonly init_ratio_sqs?: number;
}

/** This checkout, bundled as shipped: without the preferences cache, the stack leaves out the DAX client. */
const AS_SHIPPED: Required<Checkout> = { project: PROJECT, external: [DAX_CLIENT_PACKAGE] };

/** Whose functions to measure: this checkout by default, or another commit's (for a before), bundled as it shipped. */
export interface Checkout {
  readonly project?: string;
  /** Left out of the bundles. As shipped, without the preferences cache, the stack leaves out the DAX client. */
  readonly external?: readonly string[];
}

/**
 * Each function's bundle and import time, against a bare SQS client and against a baseline of its own: bare clients
 * of the SDK packages it holds.
 */
export async function measureColdStart(runs: number, checkout: Checkout = {}): Promise<Record<string, ColdStart>> {
  const options = { ...AS_SHIPPED, ...checkout };
  const { project } = options;
  return inScratchDirectory(async (dir) => {
    const sqsFile = join(dir, 'baseline.mjs');
    const sqs = await bundle(
      { contents: "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const client = new SQSClient({});\n" },
      sqsFile,
      options,
    );
    const [sqsMs = Number.NaN] = alternatingImportMs([sqsFile], runs);

    // The functions that render start their render process from the file beside them, as deployed.
    await bundle(join(project, 'lambdas/shared/templates/render-process.ts'), join(dir, 'render-process.mjs'), options);
    const results: Record<string, ColdStart> = {
      baseline_sqs_client: { bundle_bytes: sqs.bytes, import_ms_p50: round(sqsMs, 1), init_ratio: 1 },
    };
    for (const [name, module] of Object.entries(FUNCTIONS)) {
      const file = join(dir, `${name}.mjs`);
      const measured = await bundle(join(project, 'lambdas', module), file, options);
      const baseline = sdkBaseline(measured.packages);
      const baselineFile = join(dir, `${name}.baseline.mjs`);
      const baselineBundle = await bundle({ contents: baseline.contents }, baselineFile, options);
      const [ms = Number.NaN, baselineMs = Number.NaN] = alternatingImportMs([file, baselineFile], runs);
      results[name] = {
        bundle_bytes: measured.bytes,
        import_ms_p50: round(ms, 1),
        sdk_clients: baseline.clients.join(', '),
        sdk_baseline_bytes: baselineBundle.bytes,
        sdk_baseline_ms_p50: round(baselineMs, 1),
        init_ratio: round(ms / baselineMs, 2),
        bundle_ratio: round(measured.bytes / baselineBundle.bytes, 2),
        init_ratio_sqs: round(ms / sqsMs, 2),
      };
    }
    return results;
  });
}

/**
 * What Powertools' Tracer (the X-Ray SDK under it, a subsegment for every AWS call) costs one function's cold start:
 * the function as shipped and with the Tracer a no-op, each against its SDK baseline, in turn.
 */
export async function measureTracerShare(runs: number, name = 'contacts'): Promise<Record<string, number | string>> {
  const module = FUNCTIONS[name];
  if (!module) throw new Error(`bench/coldstart.ts: no function ${name}`);
  return inScratchDirectory(async (dir) => {
    const [shipped, untraced, baseline] = ['shipped', 'untraced', 'baseline'].map((file) => join(dir, `${file}.mjs`));
    const entry = join(PROJECT, 'lambdas', module);
    const withTracer = await bundle(entry, shipped as string, AS_SHIPPED);
    const withoutTracer = await bundle(entry, untraced as string, AS_SHIPPED, [NO_TRACER]);
    await bundle({ contents: sdkBaseline(withTracer.packages).contents }, baseline as string, AS_SHIPPED);
    const [ms = Number.NaN, untracedMs = Number.NaN, baselineMs = Number.NaN] = alternatingImportMs(
      [shipped, untraced, baseline] as string[],
      runs,
    );
    return {
      function: name,
      bundle_bytes: withTracer.bytes,
      bundle_bytes_without_tracer: withoutTracer.bytes,
      import_ms_p50: round(ms, 1),
      import_ms_p50_without_tracer: round(untracedMs, 1),
      init_ratio: round(ms / baselineMs, 2),
      init_ratio_without_tracer: round(untracedMs / baselineMs, 2),
    };
  });
}

/** Runs `work` with a directory of its own for bundles, removed after. */
async function inScratchDirectory<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
