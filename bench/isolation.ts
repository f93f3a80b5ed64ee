/**
 * Channel isolation: a steady stream of notifications for users with email and SMS on, first with the
 * Twilio server answering, then with it stalled (every SMS request held). Email latency (POST accepted ->
 * the email in the emulator's SES record) should not move.
 */
import { partsOf, type SesRecord } from '../lambdas/channels/email/outbox.js';
import type { LocalPlatform } from '../local/runtime.js';
import { percentile, round, sleep } from './measure.js';

export interface IsolationOptions {
  readonly ratePerSecond: number;
  readonly seconds: number;
}

export interface IsolationResult {
  readonly normal: number[];
  readonly stalled: number[];
  readonly figures: Record<string, number>;
}

export async function measureIsolation(
  platform: LocalPlatform,
  localStackUrl: string,
  call: (
    method: string,
    path: string,
    body?: unknown,
  ) => Promise<{ status: number; json: { notification_id?: string } }>,
  options: IsolationOptions,
): Promise<IsolationResult> {
  await call('PUT', '/v1/templates/bench_isolation', {
    email: { subject: 'bench {{ n }}', body: '<p>Order {{ n }}</p>' },
    sms: { body: 'Order {{ n }}' },
  });
  const users: string[] = [];
  for (let index = 0; index < 10; index++) {
    const userId = `bench-user-${index}`;
    await call('PUT', `/v1/users/${userId}/contacts`, {
      email_address: `${userId}@example.com`,
      phone_number: '+4915112345678',
    });
    users.push(userId);
  }

  let missing = 0;
  const phase = async (label: string, seconds = options.seconds): Promise<number[]> => {
    await fetch(`${localStackUrl}/_aws/ses`, { method: 'DELETE' });
    const acceptedAt = new Map<string, number>();
    const latencies: number[] = [];
    let sending = true;
    // Emails are sent raw (MIME): each message's subject is read once, and kept.
    const subjects = new Map<string, string>();
    const watcher = (async () => {
      while (sending || acceptedAt.size > 0) {
        const { messages } = (await (await fetch(`${localStackUrl}/_aws/ses`)).json()) as { messages: SesRecord[] };
        const now = performance.now();
        for (const message of messages) {
          let subject = subjects.get(message.Id);
          if (subject === undefined) {
            subject = (await partsOf(message)).subject;
            subjects.set(message.Id, subject);
          }
          const started = acceptedAt.get(subject);
          if (started === undefined) continue;
          latencies.push(now - started);
          acceptedAt.delete(subject);
        }
        await sleep(20);
      }
    })();
    const total = Math.round(options.ratePerSecond * seconds);
    const interval = 1000 / options.ratePerSecond;
    const began = performance.now();
    const sends: Promise<void>[] = [];
    for (let index = 0; index < total; index++) {
      const wait = began + index * interval - performance.now();
      if (wait > 0) await sleep(wait);
      const n = `${label}-${index}`;
      sends.push(
        call('POST', '/v1/notifications', {
          user_id: users[index % users.length],
          type: 'bench_isolation',
          payload: { n },
        }).then((answer) => {
          if (answer.status === 202) acceptedAt.set(`bench ${n}`, performance.now());
        }),
      );
    }
    await Promise.all(sends);
    sending = false;
    await Promise.race([watcher, sleep(60_000)]);
    // An email still not seen a minute after the last send is counted, not silently left out of the latencies.
    missing += acceptedAt.size;
    acceptedAt.clear();
    return latencies;
  };

  // A short warm-up, not counted: the first deliveries pay for module and connection set-up. Then the two
  // conditions alternate in rounds (normal, stalled, normal, stalled, ...), so that whatever drifts during a
  // run (garbage collection, the emulator's growing records) weighs on both alike.
  await phase('warmup', 2);
  const normal: number[] = [];
  const stalled: number[] = [];
  const rounds = Math.max(2, Math.round(options.seconds / 10));
  for (let round = 0; round < rounds; round++) {
    normal.push(...(await phase(`normal${round}`, options.seconds / rounds)));
    platform.twilio.stall();
    stalled.push(...(await phase(`stalled${round}`, options.seconds / rounds)));
    platform.twilio.unstall();
  }

  const p = (samples: number[], q: number) => round(percentile(samples, q), 1);
  return {
    normal,
    stalled,
    figures: {
      email_p50_ms_normal: p(normal, 50),
      email_p99_ms_normal: p(normal, 99),
      email_p50_ms_stalled: p(stalled, 50),
      email_p99_ms_stalled: p(stalled, 99),
      email_p50_ratio: round(percentile(stalled, 50) / percentile(normal, 50), 3),
      email_p99_ratio: round(percentile(stalled, 99) / percentile(normal, 99), 3),
      emails_missing: missing,
      samples_normal: normal.length,
      samples_stalled: stalled.length,
    },
  };
}
