import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOCTOR = new URL('../../scripts/doctor.mjs', import.meta.url).pathname;

/** Runs `npm run doctor`'s program as a newcomer's shell would, with the environment given (asynchronously: a test
 * below serves HTTP from this process while the doctor probes it). */
async function doctor(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [DOCTOR, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [status] = (await once(child, 'exit')) as [number];
  return { status, output };
}

/** Only this Node.js on PATH, no pyenv, no PYTHON313: a machine with nothing else installed. */
const bareMachine = (): NodeJS.ProcessEnv => ({
  PATH: dirname(process.execPath),
  PYENV_ROOT: '/nonexistent',
  HOME: '/nonexistent',
});

describe('the one Node.js version', () => {
  it('is the one the tests run on: .nvmrc, engines and the functions agree', () => {
    const nvmrc = readFileSync(new URL('../../.nvmrc', import.meta.url), 'utf8').trim();
    const major = nvmrc.split('.')[0];
    console.log(`tests run on node --version ${process.version} (.nvmrc ${nvmrc})`);
    expect(process.versions.node.split('.')[0]).toBe(major);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.engines.node).toBe(`>=${major}`);
    const functions = readFileSync(new URL('../../lib/notification-function.ts', import.meta.url), 'utf8');
    expect(functions).toContain(`Runtime.NODEJS_${major}_X`);
  });
});

describe('npm run doctor', () => {
  it('names every missing prerequisite at once, each with how to get it, and fails', async () => {
    const { status, output } = await doctor(['--for', 'deploy'], bareMachine());
    expect(status, output).toBe(1);
    expect(output).toContain('Python 3.13 not found');
    expect(output).toContain('`pyenv install 3.13`');
    expect(output).toContain('java not found');
    expect(output).toContain('openjdk-17-jdk-headless');
    expect(output).toContain('mvn not found');
    expect(output).toContain('curl not found');
    expect(output).toMatch(/doctor: 4 of \d+ prerequisites missing for deploy/);
    // Every missing one is followed by its remedy.
    expect(output.match(/ {2}MISS /g)).toHaveLength(4);
    expect(output.match(/ {8}how: /g)).toHaveLength(4);
  });

  it('passes a suite whose prerequisites are all there, and says nothing with --quiet', async () => {
    const { status, output } = await doctor(['--for', 'unit', '--quiet'], bareMachine());
    expect(status, output).toBe(0);
    expect(output).toBe('');
  });

  it('refuses an emulator port that something else holds, since the suites would take it for the emulator', async () => {
    const impostor = createServer((_request, response) => response.end('not LocalStack'));
    impostor.listen(0, '127.0.0.1');
    await once(impostor, 'listening');
    const port = (impostor.address() as AddressInfo).port;
    try {
      const { status, output } = await doctor(['--for', 'integration'], {
        ...process.env,
        LOCALSTACK_PORT: String(port),
      });
      expect(status, output).toBe(1);
      expect(output).toContain(`port ${port} is taken by something that is not LocalStack`);
      expect(output).toContain('LOCALSTACK_PORT');
    } finally {
      impostor.close();
    }
  });

  it('says which suites it knows when --for names another', () => {
    const { status, stderr } = spawnSync(process.execPath, [DOCTOR, '--for', 'everything'], { encoding: 'utf8' });
    expect(status).toBe(2);
    expect(stderr).toContain('--for must be one of unit, infra, integration, contract, deploy, faults, start');
  });
});
