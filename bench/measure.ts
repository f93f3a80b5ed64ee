import { AsyncLocalStorage } from 'node:async_hooks';

/** Small measuring tools shared by the benchmarks. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Markdown table: its header row, then one row per entry. */
export const markdownTable = (header: readonly string[], rows: readonly (readonly unknown[])[]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input?: object }) => Promise<unknown>,
        context: { commandName?: string; clientName?: string },
      ) => (args: { input?: object }) => Promise<unknown>,
      options: object,
    ): void;
  };
}

/** One AWS request as a client sent it: its command, and its input as the service reads it (DynamoDB's marshalled). */
export interface RecordedCall {
  readonly service: string;
  readonly command: string;
  readonly input: object;
  readonly startedAt: number;
  finishedAt: number;
}

/**
 * Counts the AWS calls a client makes, by operation: attached to the very clients the handlers use, so the
 * count is what the code does, not an estimate. It can also record the requests themselves, to make them again bare.
 */
export class AwsCallCounter {
  private readonly counts = new Map<string, number>();
  /** Only calls made inside `measure` count: the same clients serve other functions in this process. */
  private readonly measuring = new AsyncLocalStorage<boolean>();
  private readonly recording = new AsyncLocalStorage<RecordedCall[]>();

  measure<T>(work: () => Promise<T>): Promise<T> {
    return this.measuring.run(true, work);
  }

  /** Runs `work` and answers the requests it made, in the order they were sent. */
  async record<T>(work: () => Promise<T>): Promise<{ result: T; calls: RecordedCall[] }> {
    const calls: RecordedCall[] = [];
    const result = await this.recording.run(calls, work);
    return { result, calls };
  }

  attach(client: unknown, service: string): void {
    const { middlewareStack } = client as MiddlewareClient;
    middlewareStack.add(
      (next, context) => async (args) => {
        if (this.measuring.getStore()) {
          const name = `${service}:${context.commandName ?? 'unknown'}`;
          this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
        }
        return next(args);
      },
      { step: 'initialize', name: `countAwsCalls-${service}` },
    );
    // At the build step the input is what goes on the wire (the document client has marshalled it by then).
    middlewareStack.add(
      (next, context) => async (args) => {
        const calls = this.recording.getStore();
        if (!calls) return next(args);
        const call: RecordedCall = {
          service,
          command: context.commandName ?? 'unknown',
          input: structuredClone(args.input ?? {}),
          startedAt: performance.now(),
          finishedAt: Number.NaN,
        };
        calls.push(call);
        try {
          return await next(args);
        } finally {
          call.finishedAt = performance.now();
        }
      },
      { step: 'build', name: `recordAwsCalls-${service}` },
    );
  }

  reset(): void {
    this.counts.clear();
  }

  total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  byOperation(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }
}

/** Runs `task` `total` times with at most `concurrency` at once; answers each run's duration in ms. */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const started = performance.now();
        await task(index);
        durations.push(performance.now() - started);
      }
    }),
  );
  return durations;
}

/** Calls in the order they were sent, grouped where they overlapped: each group was in flight at once. */
export function concurrentGroups(calls: readonly RecordedCall[]): RecordedCall[][] {
  const groups: RecordedCall[][] = [];
  let groupEnds = Number.NEGATIVE_INFINITY;
  for (const call of [...calls].sort((a, b) => a.startedAt - b.startedAt)) {
    const current = groups.at(-1);
    if (current && call.startedAt < groupEnds) {
      current.push(call);
      groupEnds = Math.max(groupEnds, call.finishedAt);
    } else {
      groups.push([call]);
      groupEnds = call.finishedAt;
    }
  }
  return groups;
}

/**
 * A producer's call to the local platform's API (`url` its root, without /v1) with `key`: the answer's JSON, or an
 * error naming the call when the answer is not a success.
 */
export function producerApi(url: string, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/v1${path}`, {
      method,
      headers: { 'x-api-key': key, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}`);
    return (await response.json()) as { notification_id: string };
  };
}
