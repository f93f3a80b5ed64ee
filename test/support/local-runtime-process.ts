/**
 * Runs `npm start`'s program (local/start.ts) as a child process on a free port, as a developer would,
 * with its own resource prefix so it never touches another test's tables and queues.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ProgressBound } from './progress-bound.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningLocalPlatform {
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function spawnLocalPlatform(
  port: number,
  args: string[] = [],
  env: Record<string, string> = {},
): { process: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: PROJECT,
    env: { ...process.env, PORT: String(port), LOCAL_RESOURCE_PREFIX: `it-local-${randomUUID().slice(0, 8)}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { process: child, output: () => output };
}

/**
 * Until the spawned platform prints its banner ('serving') or exits first ('exited'). It says each step of its start
 * as it takes it (emulators, provisioning, workers): it fails only when it printed nothing new for two minutes (or
 * ten minutes passed in all), with what it printed.
 */
export async function untilServing(child: ChildProcess, output: () => string): Promise<'serving' | 'exited'> {
  const bound = new ProgressBound(120_000, 600_000);
  while (!output().includes('Notification platform running at')) {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited';
    bound.observe(`${output().length} characters of output`);
    if (bound.passed) throw new Error(`the local platform did not start (${bound.describe()}):\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 'serving';
}

export async function startLocalPlatformProcess(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningLocalPlatform> {
  const port = await freePort();
  const { process: child, output } = spawnLocalPlatform(port, args, env);
  const url = `http://127.0.0.1:${port}`;
  try {
    if ((await untilServing(child, output)) === 'exited')
      throw new Error(`the local platform exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    process: child,
    output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGINT');
      }),
  };
}
