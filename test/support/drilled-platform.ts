/**
 * The local platform (`npm start`'s program) under a fault drill, supervised as Lambda supervises a function: when
 * the drill kills the process, a new one starts on the same port and the same tables and queues, and what the dead
 * one held comes back to the new one through SQS's visibility timeout.
 */
import type { ChildProcess } from 'node:child_process';
import { FAULT_DRILL_VARIABLE, type FaultDrill } from '../../local/fault-drill.js';
import { freePort, spawnLocalPlatform, untilServing } from './local-runtime-process.js';

export class DrilledPlatform {
  /** How many times the drill killed the process and it was started again. */
  restarts = 0;
  private child: ChildProcess | undefined;
  private outputs: (() => string)[] = [];
  private stopping = false;
  private ready: Promise<void> = Promise.resolve();

  private constructor(
    readonly url: string,
    private readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(drill: Partial<FaultDrill>, prefix: string): Promise<DrilledPlatform> {
    const port = await freePort();
    const platform = new DrilledPlatform(`http://127.0.0.1:${port}`, port, {
      [FAULT_DRILL_VARIABLE]: JSON.stringify(drill),
      LOCAL_RESOURCE_PREFIX: prefix,
      // The worker's warnings (each retry, with its reason) are what the suite counts and scans.
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    platform.spawn();
    await platform.ready;
    return platform;
  }

  /** Everything every process wrote, in order. */
  output(): string {
    return this.outputs.map((output) => output()).join('');
  }

  /** Resolves when a process is serving (at once, unless one is starting after a crash). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.ready.catch(() => undefined);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGINT');
    });
  }

  private spawn(): void {
    const { process: child, output } = spawnLocalPlatform(this.port, [], this.env);
    this.child = child;
    this.outputs.push(output);
    // When the process dies first, the exit handler below takes over.
    this.ready = untilServing(child, output).then(() => undefined);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (signal !== 'SIGKILL') {
        this.ready = Promise.reject(new Error(`the platform exited (${code ?? signal}) unasked:\n${output()}`));
        this.ready.catch(() => undefined);
        return;
      }
      this.restarts++;
      this.spawn();
    });
  }
}
