/**
 * Cold start: each function bundled as the stack bundles it (esbuild, ESM, minified), its size, and the time
 * a fresh Node process takes to import it (median of several), as a ratio to importing a bare SQS client
 * bundled the same way.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CHANNELS } from '../lambdas/channels/registry.js';
import { DEAD_LETTER_QUEUE_URL_VARIABLE, QUEUE_URL_VARIABLE } from '../lambdas/shared/platform/environment.js';
import { API_FUNCTIONS } from '../lambdas/shared/platform/operations.js';
import { HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
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
  PUBLIC_API_URL: 'https://api.example.test/v1',
  ...Object.fromEntries(
    CHANNELS.flatMap((channel) => [
      [QUEUE_URL_VARIABLE[channel], 'http://127.0.0.1:1/q'],
      [DEAD_LETTER_QUEUE_URL_VARIABLE[channel], 'http://127.0.0.1:1/q'],
    ]),
  ),
  PRODUCERS: '[]',
  CATEGORIES: JSON.stringify(categoryCatalogue(validatePlatformSettings(shippedSettings))),
  DELIVERY_ATTEMPTS: '8',
  CLAIM_LEASE_SECONDS: '120',
  MAX_DEVICES_PER_USER: '10',
  SES_SENDER: 'bench@example.com',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

async function bundle(entry: string | { contents: string }, outfile: string): Promise<number> {
  await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: PROJECT } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  return statSync(outfile).size;
}

function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...ENVIRONMENT },
  });
  return Number(output);
}

export async function measureColdStart(runs: number): Promise<Record<string, Record<string, number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const baselineFile = join(dir, 'baseline.mjs');
    const baselineBytes = await bundle(
      { contents: "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const client = new SQSClient({});\n" },
      baselineFile,
    );
    const baselineMs = median(Array.from({ length: runs }, () => importMs(baselineFile)));

    // The functions that render start their render process from the file beside them, as deployed.
    await bundle(join(PROJECT, 'lambdas/shared/templates/render-process.ts'), join(dir, 'render-process.mjs'));
    const results: Record<string, Record<string, number>> = {
      baseline_sqs_client: { bundle_bytes: baselineBytes, import_ms_p50: round(baselineMs, 1), init_ratio: 1 },
    };
    for (const [name, module] of Object.entries(FUNCTIONS)) {
      const file = join(dir, `${name}.mjs`);
      const bytes = await bundle(join(PROJECT, 'lambdas', module), file);
      const ms = median(Array.from({ length: runs }, () => importMs(file)));
      results[name] = { bundle_bytes: bytes, import_ms_p50: round(ms, 1), init_ratio: round(ms / baselineMs, 2) };
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
