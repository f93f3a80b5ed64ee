import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../lambdas/channels/registry.js';
import { API_FUNCTIONS } from '../../lambdas/shared/platform/operations.js';
import { DAX_CLIENT_PACKAGE } from '../../lambdas/shared/platform/resources.js';
import { loadChannelInfrastructure } from '../../lib/channel-infrastructure.js';
import { DEFAULT_STAGE, stackName } from '../../lib/stage.js';

// The real app, as `npx cdk synth` runs it: platform.config.ts validated, every function bundled by esbuild,
// cdk-nag's AwsSolutions checks on. Any unacknowledged finding makes the command fail.
const outdir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
// The same, with the preferences cache (DAX) on.
const daxOutdir = mkdtempSync(join(tmpdir(), 'cdk-synth-dax-'));
const TEMPLATE = `${stackName(DEFAULT_STAGE)}.template.json`;
let output: string;

/** Runs `npx cdk synth --quiet` into a folder; what it printed, both streams. */
function synth(into: string, ...context: string[]): string {
  const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', into, '--no-notices', ...context], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
  });
  if (run.status !== 0) throw new Error(`cdk synth failed (exit ${run.status}):\n${run.stdout}${run.stderr}`);
  return `${run.stdout}${run.stderr}`;
}

/** The folders of a cloud assembly that hold a function's bundle. */
function bundleFolders(assembly: string): string[] {
  return readdirSync(assembly).filter(
    (entry) => entry.startsWith('asset.') && readdirSync(join(assembly, entry)).includes('index.mjs'),
  );
}

/** The code of every function's bundle in a cloud assembly. */
function bundlesOf(assembly: string): string[] {
  return bundleFolders(assembly).map((bundle) => readFileSync(join(assembly, bundle, 'index.mjs'), 'utf8'));
}

beforeAll(() => {
  output = synth(outdir);
  synth(daxOutdir, '-c', 'dax=true');
}, 360_000);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(daxOutdir, { recursive: true, force: true });
});

describe('npx cdk synth', () => {
  it('succeeds offline with no credentials and writes the template', () => {
    const template = JSON.parse(readFileSync(join(outdir, TEMPLATE), 'utf8'));

    expect(output).not.toContain('ERROR');
    expect(Object.keys(template.Resources).length).toBeGreaterThan(100);
  });

  it("bundles each function (one per API function, a worker per channel, its feedback, the erasure's follow-up, the scheduler's dispatch and due drain, the broadcasts' fan-out, the events' publisher, the webhooks' fan-out and delivery) into an ESM module with its source map", async () => {
    const bundles = bundleFolders(outdir);

    const feedback = Object.values(await loadChannelInfrastructure()).filter((channel) => channel.addFeedback);
    expect(bundles).toHaveLength(API_FUNCTIONS.length + CHANNELS.length + feedback.length + 7);
    for (const bundle of bundles) expect(readdirSync(join(outdir, bundle))).toContain('index.mjs.map');
  });

  it('prints no report of each bundle: esbuild says only its warnings', () => {
    expect(output).not.toMatch(/Done in \d+ms|index\.mjs\.map\s+\d/);
  });

  it('maps each bundle to its sources by file and line, without the sources themselves', () => {
    const maps = readdirSync(outdir)
      .filter((entry) => entry.startsWith('asset.'))
      .flatMap((asset) =>
        readdirSync(join(outdir, asset))
          .filter((file) => file.endsWith('.mjs.map'))
          .map((file) => join(outdir, asset, file)),
      );

    expect(maps.length).toBeGreaterThan(bundleFolders(outdir).length);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(file, 'utf8'));
      expect(map.sourcesContent, file).toBeUndefined();
      expect(map.sources.length).toBeGreaterThan(0);
      expect(map.mappings.length).toBeGreaterThan(0);
    }
  });

  it('bundles the render process beside the handler of each function that renders templates: the workers and templates', () => {
    const rendering = readdirSync(outdir).filter(
      (entry) => entry.startsWith('asset.') && readdirSync(join(outdir, entry)).includes('render-process.mjs'),
    );

    expect(rendering).toHaveLength(CHANNELS.length + 1);
    for (const bundle of rendering) {
      const code = readFileSync(join(outdir, bundle, 'index.mjs'), 'utf8');
      expect(code).toContain('render-process.');
      expect(readdirSync(join(outdir, bundle))).toContain('render-process.mjs.map');
    }
  });

  it('ships no part of the fault drill: no function reads LOCAL_FAULT_DRILL or sets it', () => {
    const template = readFileSync(join(outdir, TEMPLATE), 'utf8');

    expect(template).not.toContain('LOCAL_FAULT_DRILL');
    for (const code of bundlesOf(outdir)) {
      expect(code).not.toContain('LOCAL_FAULT_DRILL');
      expect(code).not.toContain('fault drill');
    }
  });

  it("bundles of the twilio package only the parts a function calls: the SMS worker and the erasures have the Messages API, and none has Twilio's other products", () => {
    const code = bundlesOf(outdir);

    // The worker sends texts; the erasure's two passes delete them.
    expect(code.filter((bundle) => bundle.includes('/Messages.json'))).toHaveLength(3);
    // The package's entry point would bring every product (Verify, Voice, Conversations, ...): 3.3 MB a bundle.
    for (const bundle of code) expect(bundle).not.toContain('verify.twilio.com');
  });

  it('bundles the DAX client only into a stack with the preferences cache, and there only into ingest', () => {
    // A class of the DAX client that minifying keeps by name.
    const withDaxClient = (assembly: string) => bundlesOf(assembly).filter((code) => code.includes('DaxClient'));
    const daxImport = `import("${DAX_CLIENT_PACKAGE}")`;

    expect(withDaxClient(outdir)).toHaveLength(0);
    // Without the cache, ingest still names the package, left out of its bundle and never loaded.
    expect(bundlesOf(outdir).filter((code) => code.includes(daxImport))).toHaveLength(1);
    expect(withDaxClient(daxOutdir)).toHaveLength(1);
    expect(bundlesOf(daxOutdir).filter((code) => code.includes(daxImport))).toHaveLength(0);
  });
});
