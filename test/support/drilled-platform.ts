/**
 * The local platform (`npm start`'s program) under a fault drill. The platform supervises its channel workers as
 * Lambda supervises a function: when the drill kills one, a new one starts, and what the dead one held comes back
 * to it through SQS's visibility timeout. The platform's own process must never die.
 */
import type { ChildProcess } from 'node:child_process';
import { FAULT_DRILL_VARIABLE, type FaultDrill } from '../../local/fault-drill.js';
import { freePort, spawnLocalPlatform, untilServing } from './local-runtime-process.js';

export class DrilledPlatform {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    readonly output: () => string,
  ) {}

  static async start(drill: Partial<FaultDrill>, prefix: string): Promise<DrilledPlatform> {
    const port = await freePort();
    const { process: child, output } = spawnLocalPlatform(port, [], {
      [FAULT_DRILL_VARIABLE]: JSON.stringify(drill),
      LOCAL_RESOURCE_PREFIX: prefix,
      // The worker's warnings (each retry, with its reason) are what the suite counts and scans.
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    if ((await untilServing(child, output)) === 'exited')
      throw new Error(`the drilled platform exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    return new DrilledPlatform(`http://127.0.0.1:${port}`, child, output);
  }

  /** How many times the drill killed a channel worker and the platform started it again. */
  get restarts(): number {
    return this.output().split('"event":"worker_restarted"').length - 1;
  }

  /** Whether the platform's own process is still running (only its workers may die). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    await new Promise((resolve) => {
      this.child.once('exit', resolve);
      this.child.kill('SIGINT');
    });
  }
}
