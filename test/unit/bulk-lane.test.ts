import { describe, expect, it } from 'vitest';
import type { BroadcastOutcome } from '../../lambdas/shared/adapters/broadcast-progress.js';
import { BroadcastWatch } from '../../lambdas/shared/delivery/broadcast-watch.js';
import { bulkLanePace, bulkStartDelayMs } from '../../lambdas/shared/domain/bulk-lane.js';

describe('bulkLanePace', () => {
  it("gives each invocation its share of the lane's rate, and a full batch when it can send it in time", () => {
    expect(bulkLanePace({ ratePerSecond: 10, maxConcurrency: 2 }, 30)).toEqual({
      sendsPerSecondPerInvocation: 5,
      batchSize: 10,
    });
  });

  it('takes fewer jobs at a time on a slow lane, so that a batch is sent within a third of the timeout', () => {
    // Half a text a second from one long code, two invocations: a quarter a second each, 2 jobs in 10 s.
    expect(bulkLanePace({ ratePerSecond: 0.5, maxConcurrency: 2 }, 30)).toEqual({
      sendsPerSecondPerInvocation: 0.25,
      batchSize: 2,
    });
    expect(bulkLanePace({ ratePerSecond: 0.05, maxConcurrency: 2 }, 30).batchSize).toBe(1);
  });

  it('starts the jobs of a batch one share apart: together the lane never passes its rate', () => {
    const { sendsPerSecondPerInvocation } = bulkLanePace({ ratePerSecond: 10, maxConcurrency: 2 }, 30);

    expect([0, 1, 9].map((index) => bulkStartDelayMs(index, sendsPerSecondPerInvocation))).toEqual([0, 200, 1800]);
  });
});

describe('BroadcastWatch', () => {
  function watch() {
    let now = 0;
    const reads: string[] = [];
    const counted: BroadcastOutcome[] = [];
    let cancelled = false;
    const watcher = new BroadcastWatch(
      {
        isCancelled: async (id) => {
          reads.push(id);
          return cancelled;
        },
        countOutcome: async (_id, outcome) => {
          counted.push(outcome);
          throw new Error('throttled');
        },
      },
      () => now,
    );
    return {
      watcher,
      reads,
      counted,
      cancel: () => {
        cancelled = true;
      },
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('reads whether a broadcast was cancelled at most every two seconds, and sees a cancel after that', async () => {
    const { watcher, reads, cancel, advance } = watch();

    expect(await watcher.cancelled('b-1')).toBe(false);
    cancel();
    expect(await watcher.cancelled('b-1')).toBe(false);
    advance(2_000);
    expect(await watcher.cancelled('b-1')).toBe(true);
    expect(reads).toEqual(['b-1', 'b-1']);
  });

  it('never fails a job because its outcome could not be counted', async () => {
    const { watcher, counted } = watch();

    await expect(watcher.countOutcome('b-1', 'sent', new Date())).resolves.toBeUndefined();
    expect(counted).toEqual(['sent']);
  });
});
