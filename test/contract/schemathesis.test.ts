/**
 * The contract test: Schemathesis (a tool nobody here wrote) reads the OpenAPI description `npm start` serves, checks it
 * is valid OpenAPI 3.1, and sends every operation requests the description allows and requests it forbids, checking
 * every answer: no server error, a documented status, a documented body and headers, forbidden input refused. The
 * platform is seeded with the demo (templates and a user) so that valid requests can find something.
 * CONTRACT_MAX_EXAMPLES sets the cases per operation (scripts/contract.sh).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const LOCAL_KEY = 'local-dev-key';

let platform: RunningLocalPlatform;
beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo']);
});
afterAll(async () => {
  await platform?.stop();
});

describe('the API against its own OpenAPI description (Schemathesis)', () => {
  it('passes every check on every operation, with valid and invalid requests', async () => {
    const { code, output } = await run('bash', ['scripts/contract.sh', 'run', platform.url, LOCAL_KEY]);
    const summary = output
      .split('\n')
      .filter((line) => /Operations:|Tested:|\d+ generated|Scenarios:|Seed:|No issues found|failures? in/.test(line))
      .map((line) => line.trim());
    console.log(`contract (Schemathesis):\n  ${summary.join('\n  ')}`);

    expect(code, output.slice(-12_000)).toBe(0);
    // Every operation but the one the document was read from (GET /openapi.json), which Schemathesis leaves out.
    const tested = OPERATION_LIST.length - 1;
    expect(output).toMatch(new RegExp(`Operations:\\s+${tested} selected / ${tested} total`));
    expect(Number(/Tested: (\d+)/.exec(output)?.[1])).toBe(tested);
  });
});

/** Runs a command to its end (bounded: 15 minutes), with its output. */
function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scripts/contract.sh was still running after 15 minutes; its output so far:\n${output}`));
    }, 15 * 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
