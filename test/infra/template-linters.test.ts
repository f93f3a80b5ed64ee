/**
 * The linters AWS users run on CloudFormation templates, on every variant of the stack a team can synthesize: cfn-lint
 * (AWS's, against the resource specification) and checkov (policy checks). Both are installed once, pinned, by
 * scripts/template-lint.sh. A finding either is fixed or is acknowledged in the template with its reason
 * (lib/template-acknowledgements.ts); none is left standing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_STAGE } from '../../lib/stage.js';
import { settingsWith, synthStack } from './stack-fixture.js';

const LINT_SCRIPT = fileURLToPath(new URL('../../scripts/template-lint.sh', import.meta.url));

/**
 * What `cdk synth` can produce, with cdk.json's feature flags as the CLI has them: as shipped (no DAX), each of its
 * switches (-c dax=true, -c waf=false), both, production, and the API fenced by allowedSources: by CIDRs, with a
 * custom domain, and private behind VPC endpoints (the keyless routes then on a public API of their own).
 */
const withDax = () => settingsWith((settings) => (settings.preferencesCache.enabled = true));
const VARIANTS = {
  'as-shipped': () => synthStack(settingsWith(), { projectContext: true }),
  'dax-true': () => synthStack(withDax(), { projectContext: true }),
  'waf-false': () => synthStack(settingsWith(), { firewall: false, projectContext: true }),
  'dax-true-waf-false': () => synthStack(withDax(), { firewall: false, projectContext: true }),
  production: () => synthStack(settingsWith(), { stage: PRODUCTION_STAGE, projectContext: true }),
  'allowed-cidrs-domain': () =>
    synthStack(
      settingsWith((settings) => {
        settings.api.allowedSources = { cidrs: ['203.0.113.0/24'] };
        settings.api.domainName = {
          name: 'notify.example.com',
          certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b1a2c3d-0000-4000-8000-000000000000',
        };
      }),
      { projectContext: true },
    ),
  'private-api': () =>
    synthStack(
      settingsWith((settings) => (settings.api.allowedSources = { vpcEndpoints: ['vpce-0123456789abcdef0'] })),
      { projectContext: true },
    ),
};

const outdir = mkdtempSync(join(tmpdir(), 'template-lint-'));
const files = Object.keys(VARIANTS).map((variant) => join(outdir, `${variant}.template.json`));

function lint(...args: string[]): string {
  const run = spawnSync('bash', [LINT_SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  // Both linters exit non-zero when they find something: what they could not do shows as no answer, or status 2.
  const failed = args[0] === 'install' ? run.status !== 0 : run.stdout.trim() === '';
  if (failed) throw new Error(`template-lint.sh ${args[0]} failed (exit ${run.status}):\n${run.stderr}`);
  return run.stdout;
}

beforeAll(() => {
  for (const [variant, synth] of Object.entries(VARIANTS)) {
    writeFileSync(join(outdir, `${variant}.template.json`), JSON.stringify(synth().toJSON()));
  }
  // The first use installs both linters (about half a minute).
  lint('install');
}, 600_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('cfn-lint', () => {
  interface Match {
    Filename: string;
    Level: string;
    Message: string;
    Rule: { Id: string };
  }

  it('finds no error and no warning in any variant, nor a queue without a retention period of its own', () => {
    const matches: Match[] = JSON.parse(lint('cfn-lint', '--include-checks', 'I3013', '--format', 'json', ...files));

    expect(matches.map((match) => `${basename(match.Filename)} ${match.Rule.Id} ${match.Message}`)).toEqual([]);
  });
});

describe('checkov', () => {
  interface Check {
    check_id: string;
    resource: string;
    file_path: string;
    check_result: { suppress_comment?: string };
  }
  interface Report {
    results: { passed_checks: Check[]; failed_checks: Check[]; skipped_checks: Check[] };
  }
  let checks: Report['results'];

  beforeAll(() => {
    const report: Report | Report[] = JSON.parse(
      lint('checkov', '--directory', outdir, '--framework', 'cloudformation', '--compact', '--output', 'json'),
    );
    // One framework gives one report (a list only when several frameworks ran).
    checks = ([report].flat()[0] as Report).results;
  }, 300_000);

  it('passes every check in every variant, or the template acknowledges the finding', () => {
    expect(
      checks.failed_checks.map((check) => `${basename(check.file_path)} ${check.check_id} ${check.resource}`),
    ).toEqual([]);
    const count = (list: Check[], file: string) => list.filter((check) => basename(check.file_path) === basename(file));
    console.log(
      `checkov: ${files
        .map(
          (file) =>
            `${basename(file, '.template.json')} ${count(checks.passed_checks, file).length} passed, ${count(checks.skipped_checks, file).length} acknowledged`,
        )
        .join('; ')}`,
    );
  });

  it('gives every acknowledgement its reason', () => {
    expect(checks.skipped_checks.length).toBeGreaterThan(0);
    for (const check of checks.skipped_checks)
      expect(check.check_result.suppress_comment ?? '', check.check_id).toMatch(/\w{3,}.{30,}/);
  });
});
