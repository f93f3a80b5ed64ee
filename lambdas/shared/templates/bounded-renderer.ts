/**
 * Renders templates in render processes (render-process.ts) whose cost is bounded: CPU time and memory per render, and
 * heap per process. Templates are written by producers; a hostile one ({% assign a=(1..5000000) %}, a string doubling itself
 * in a capture) would otherwise take a worker's memory and CPU, and with them the whole batch it is part of.
 *
 * Why processes, not worker threads: a worker thread's resourceLimits do not hold. Measured here (Node.js 20), a
 * thread capped at a 64 MB heap that grows an array or concatenates strings takes the whole process down with a
 * fatal out-of-memory error past 190 MB. A process's --max-old-space-size takes down only that process.
 *
 * Why CPU time, not wall-clock time: a render that lost the CPU to its neighbours (a busy machine, a throttled
 * Lambda) is not the template's fault. A render that used its CPU budget is, and fails for good
 * (RenderLimitExceeded); one that merely waited too long is given up and retried (RenderInterrupted). CPU time is
 * read from /proc (Linux, as in Lambda); elsewhere the budget is applied to wall-clock time instead.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { logger } from '../observability.js';
import { type TemplatePart, TemplateRenderError, type TemplateRenderer } from './render.js';
import type { RenderReply, RenderRequest } from './render-protocol.js';

export interface RenderBounds {
  /** CPU time one render may use, in milliseconds. */
  readonly cpuMs: number;
  /** A render process's JavaScript heap, in MB (V8's own limit: past it, the process dies). */
  readonly heapMb: number;
  /**
   * What one render may add to its process's resident memory, in MB, checked as often as its CPU time. V8 lets a
   * single allocation (a string flattened at once) pass its heap limit before it dies; this catches that too.
   */
  readonly memoryMb: number;
  /** A render still short of its CPU time after this many milliseconds was starved: it is given up and retried. */
  readonly starvedAfterMs: number;
  /** Render processes at most; they start when renders wait, and stay warm. */
  readonly processes: number;
}

export const RENDER_BOUNDS: RenderBounds = {
  // A real template renders in about a millisecond.
  cpuMs: 250,
  // The engine, a 100 000-character template and a 16 KiB payload fit in a few MB.
  heapMb: 64,
  memoryMb: 128,
  starvedAfterMs: 10_000,
  // Two, so that while one is replaced after a kill the rest of the batch renders on the other.
  processes: 2,
};

/** The render needed more CPU time or memory than a render may have: the template's fault, for good. */
export class RenderLimitExceeded extends Error {
  constructor(
    readonly field: string,
    readonly limit: 'cpu_time' | 'memory' | 'engine',
  ) {
    super(`rendering ${field} exceeded the ${limit} limit`);
    this.name = 'RenderLimitExceeded';
  }
}

/** The render did not finish for a reason that is not the template's (starved of CPU, process lost): retry. */
export class RenderInterrupted extends Error {
  constructor(readonly reason: 'starved' | 'process_exited') {
    super(`the render was interrupted: ${reason}`);
    this.name = 'RenderInterrupted';
  }
}

// A render is watched from its start: a real one is over long before the first look.
const FIRST_CHECK_MS = 10;
const CHECK_EVERY_MS = 10;
// Linux reports a process's CPU time in clock ticks of USER_HZ, which is 100 on every architecture Lambda runs.
const MS_PER_CLOCK_TICK = 10;

interface Job {
  readonly request: RenderRequest;
  readonly resolve: (rendered: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface RenderProcess {
  readonly child: ChildProcess;
  ready: boolean;
  /** Settles when the process is ready to render, or has exited without being so. */
  readonly started: Promise<void>;
  /** Its resident memory when it became ready, in MB: what a render adds is measured from here. */
  residentAtReady?: number;
  stderr: string;
  current?: Job & { readonly id: number; readonly startedAt: number; readonly cpuAtStart?: number };
  timer?: NodeJS.Timeout;
}

export class BoundedRenderer implements TemplateRenderer {
  private readonly processes = new Set<RenderProcess>();
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly bounds: RenderBounds = RENDER_BOUNDS,
    private readonly onEvent: (event: string, details: Record<string, unknown>) => void = () => {},
  ) {}

  render<Rendered>(
    channel: string,
    part: TemplatePart,
    payload: Record<string, unknown>,
    locale?: string,
  ): Promise<Rendered> {
    return this.renderRequest({ channel, part, payload, ...(locale ? { locale } : {}) }) as Promise<Rendered>;
  }

  /**
   * Starts every render process ahead of the first render (at a function's initialisation, so that a cold start
   * pays for them, not the first jobs); resolves when each is ready or gone.
   */
  warm(): Promise<void> {
    while (!this.closed && this.processes.size < this.bounds.processes) this.spawn();
    return Promise.all([...this.processes].map((runner) => runner.started)).then(() => undefined);
  }

  /** The render processes' ids, for a benchmark that reads their memory. */
  pids(): number[] {
    return [...this.processes].flatMap(({ child }) => (child.pid === undefined ? [] : [child.pid]));
  }

  /** Stops every render process for good (a benchmark's or a test's end; a function's ends with its process). */
  close(): void {
    this.closed = true;
    for (const runner of this.processes) runner.child.kill('SIGKILL');
    this.processes.clear();
  }

  private renderRequest(request: RenderRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const free = [...this.processes].find((runner) => runner.ready && !runner.current);
      if (!free) {
        const starting = [...this.processes].some((runner) => !runner.ready);
        if (!starting && this.processes.size < this.bounds.processes) this.spawn();
        break;
      }
      this.start(free, this.waiting.shift() as Job);
    }
    this.holdOpen();
  }

  /**
   * A render process keeps this process alive only while a render depends on it (one rendering, or one starting
   * while renders wait), so that its answer or its exit is heard. An idle one never keeps a function (or a test)
   * from ending.
   */
  private holdOpen(): void {
    for (const runner of this.processes) {
      const needed = runner.current !== undefined || (!runner.ready && this.waiting.length > 0);
      const stderr = runner.child.stderr as (NodeJS.ReadableStream & { ref(): void; unref(): void }) | null;
      for (const handle of [runner.child, runner.child.channel, stderr]) {
        if (needed) handle?.ref();
        else handle?.unref();
      }
    }
  }

  private start(runner: RenderProcess, job: Job): void {
    const id = this.nextId++;
    runner.current = { ...job, id, startedAt: performance.now(), cpuAtStart: cpuMsOf(runner.child.pid) };
    runner.child.send({ id, request: job.request });
    runner.timer = setTimeout(() => this.watch(runner), FIRST_CHECK_MS);
    runner.timer.unref();
  }

  /** Kills the render that used its CPU time (the template's fault) or was starved too long (the machine's). */
  private watch(runner: RenderProcess): void {
    const current = runner.current;
    if (!current) return;
    const wall = performance.now() - current.startedAt;
    const cpu = cpuMsOf(runner.child.pid);
    const used = cpu === undefined || current.cpuAtStart === undefined ? wall : cpu - current.cpuAtStart;
    const resident = residentMbOf(runner.child.pid);
    if (used >= this.bounds.cpuMs) {
      this.kill(runner, new RenderLimitExceeded(current.request.channel, 'cpu_time'));
    } else if (resident !== undefined && resident - (runner.residentAtReady ?? resident) > this.bounds.memoryMb) {
      this.kill(runner, new RenderLimitExceeded(current.request.channel, 'memory'));
    } else if (wall >= this.bounds.starvedAfterMs) {
      this.kill(runner, new RenderInterrupted('starved'));
    } else {
      runner.timer = setTimeout(() => this.watch(runner), CHECK_EVERY_MS);
      runner.timer.unref();
    }
  }

  private kill(runner: RenderProcess, error: Error): void {
    this.onEvent('render process killed', { reason: error.message });
    this.finish(runner, undefined, error);
    this.processes.delete(runner);
    runner.child.kill('SIGKILL');
    this.replace();
  }

  /** A process gone after it had started is replaced at once: the next batch finds as many warm as the last. */
  private replace(): void {
    if (!this.closed && this.processes.size < this.bounds.processes) this.spawn();
    this.dispatch();
  }

  private finish(runner: RenderProcess, rendered: unknown, error?: Error): void {
    const current = runner.current;
    clearTimeout(runner.timer);
    runner.current = undefined;
    this.holdOpen();
    if (!current) return;
    if (error) current.reject(error);
    else current.resolve(rendered);
  }

  private spawn(): void {
    const source = import.meta.url.endsWith('.ts');
    const child = fork(fileURLToPath(new URL(`./render-process.${source ? 'ts' : 'mjs'}`, import.meta.url)), [], {
      // From source (tests, `npm start`), TypeScript through tsx; deployed, the bundled render-process.mjs.
      execArgv: [...(source ? ['--import', 'tsx'] : []), `--max-old-space-size=${this.bounds.heapMb}`],
      ...(source ? { cwd: fileURLToPath(new URL('../../../', import.meta.url)) } : {}),
      // Nothing of the function's environment: a template has no business with its credentials.
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let started = () => {};
    const runner: RenderProcess = {
      child,
      ready: false,
      started: new Promise((resolve) => {
        started = resolve;
      }),
      stderr: '',
    };
    this.processes.add(runner);
    // A process started ahead of its first render (warm) must not keep a function, or a test, from ending.
    this.holdOpen();
    child.stderr?.on('data', (chunk: Buffer) => {
      runner.stderr = (runner.stderr + chunk.toString()).slice(-4_096);
    });
    child.on('message', (message: RenderReply | { ready: true }) => {
      if ('ready' in message) {
        runner.ready = true;
        runner.residentAtReady = residentMbOf(child.pid);
        started();
        this.dispatch();
        return;
      }
      if (message.id !== runner.current?.id) return;
      if ('rendered' in message) this.finish(runner, message.rendered);
      else {
        const { field, message: text, limitExceeded } = message.failed;
        this.finish(
          runner,
          undefined,
          limitExceeded ? new RenderLimitExceeded(field, 'engine') : new TemplateRenderError(field, text),
        );
      }
      this.dispatch();
    });
    child.on('exit', (code, signal) => {
      started();
      if (!this.processes.delete(runner)) return; // killed on purpose: already answered
      const outOfMemory = /heap out of memory|Reached heap limit/.test(runner.stderr);
      this.onEvent('render process exited', {
        code,
        signal,
        out_of_memory: outOfMemory,
        started: runner.ready,
        error: runner.ready ? undefined : runner.stderr.split('\n').find((line) => /Error/.test(line)),
      });
      const kind = runner.current?.request.channel ?? 'template';
      this.finish(
        runner,
        undefined,
        outOfMemory ? new RenderLimitExceeded(kind, 'memory') : new RenderInterrupted('process_exited'),
      );
      if (!runner.ready) {
        // It could not even start: starting another at once would only fail again. What waits is retried later.
        for (const job of this.waiting.splice(0)) job.reject(new RenderInterrupted('process_exited'));
        return;
      }
      this.replace();
    });
    child.on('error', () => {
      // A process that could not start: 'exit' follows and says so.
    });
  }
}

/** The CPU time (user and system) the process has used, in ms, or undefined where /proc does not tell. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may itself hold spaces: utime and stime
    // are the 14th and 15th fields of the line, the 12th and 13th after the name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_CLOCK_TICK;
  } catch {
    return undefined;
  }
}

/** The process's resident memory, in MB, or undefined where /proc does not tell. */
function residentMbOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kilobytes === undefined ? undefined : Number(kilobytes) / 1024;
  } catch {
    return undefined;
  }
}

/** One renderer per process, shared by the handlers it holds; its render processes start on first use. */
export const templateRenderer = new BoundedRenderer(RENDER_BOUNDS, (event, details) => logger.warn(event, details));
