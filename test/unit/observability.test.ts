import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

// Powertools reads these when the function's metrics are created, as the function construct sets them.
vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'ingest');
vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'NotificationPlatform');
vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');

let countWith: typeof import('../../lambdas/shared/observability.js').countWith;

beforeAll(async () => {
  ({ countWith } = await import('../../lambdas/shared/observability.js'));
});
afterEach(() => vi.restoreAllMocks());

/** The CloudWatch embedded-metric documents written to stdout while `work` runs. */
function emitted(work: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  work();
  vi.restoreAllMocks();
  return lines
    .flatMap((line) => line.split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('countWith', () => {
  it('publishes each count at once, under its own dimensions and none of the count before it', () => {
    const documents = emitted(() => {
      countWith('ChannelDecisions', { channel: 'email', decision: 'queued' });
      countWith('ChannelDecisions', { channel: 'sms', decision: 'skipped' }, 2);
      countWith('FeedbackDropped', { reason: 'unknown_message' });
    });

    expect(documents).toHaveLength(3);
    expect(documents.map(({ _aws, ...values }) => values)).toEqual([
      { service: 'ingest', channel: 'email', decision: 'queued', ChannelDecisions: 1 },
      { service: 'ingest', channel: 'sms', decision: 'skipped', ChannelDecisions: 2 },
      { service: 'ingest', reason: 'unknown_message', FeedbackDropped: 1 },
    ]);
    const dimensions = documents.map(
      (document) =>
        (document._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions,
    );
    expect(dimensions).toEqual([
      [['service', 'channel', 'decision']],
      [['service', 'channel', 'decision']],
      [['service', 'reason']],
    ]);
  });
});
