/**
 * Runs `npm start`'s program (local/start.ts) as a child process on a free port, as a developer would,
 * with its own resource prefix so it never touches another test's tables and queues.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

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

export async function startLocalPlatformProcess(args: string[] = []): Promise<RunningLocalPlatform> {
  const port = await freePort();
  const { process: child, output } = spawnLocalPlatform(port, args);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (!output().includes('Notification platform running at')) {
    if (child.exitCode !== null) throw new Error(`the local platform exited with ${child.exitCode}:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the local platform did not start within 90 s:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
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
