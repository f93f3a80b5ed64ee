import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotificationItem, NotificationsStore } from '../../lambdas/shared/adapters/notifications-store.js';
import type { ChannelJob } from '../../lambdas/shared/schemas/channel-job.js';
import { dynamoDb, sqs } from '../support/emulator-clients.js';
import { messagesIn } from '../support/queue-inspection.js';
import { provisionTestPlatform, type TestPlatform } from '../support/test-platform.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const REASON = 'dead_lettered_after_8_attempts:twilio_429';
let platform: TestPlatform;
let prefix: string;
const sentBefore = Date.now();

async function dlq(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'ops/dlq.ts', ...args], {
      cwd: PROJECT,
      env: process.env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function smsJob(notificationId: string): ChannelJob {
  return {
    notification_id: notificationId,
    channel: 'sms',
    user_id: 'user-1',
    type: 'order_shipped',
    producer: 'order-service',
    critical: false,
    payload: { order_id: 'A-1' },
    accepted_at: new Date().toISOString(),
  };
}

/** A notification whose SMS job was queued, as ingest records it. */
function queuedSmsNotification(notificationId: string): NotificationItem {
  const now = new Date();
  return {
    notification_id: notificationId,
    user_id: 'user-1',
    type: 'order_shipped',
    producer: 'order-service',
    critical: false,
    created_at: now.toISOString(),
    channels: { sms: { status: 'queued', updated_at: now.toISOString() } },
    expires_at: Math.floor(now.getTime() / 1000) + 3600,
  };
}

beforeAll(async () => {
  platform = await provisionTestPlatform('dlq');
  prefix = platform.resources.tables.notifications.replace(/-notifications$/, '');
  const notifications = new NotificationsStore(
    platform.resources.tables.notifications,
    DynamoDBDocument.from(dynamoDb),
  );
  const deadLetterUrl = platform.resources.queues.sms.deadLetterUrl;
  for (const notificationId of [randomUUID(), randomUUID()]) {
    await notifications.create(queuedSmsNotification(notificationId));
    await notifications.recordChannelState(notificationId, 'sms', {
      status: 'failed',
      reason: REASON,
      updated_at: new Date().toISOString(),
    });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: deadLetterUrl, MessageBody: JSON.stringify(smsJob(notificationId)) }),
    );
  }
  await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterUrl, MessageBody: '{"not":"a job"}' }));
  // Moved by a worker, which attached its reason (its notification has expired since).
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterUrl,
      MessageBody: JSON.stringify(smsJob(randomUUID())),
      MessageAttributes: { dead_letter_reason: { DataType: 'String', StringValue: REASON } },
    }),
  );
  // Moved by SQS's backstop redrive: the notification still says queued.
  const unfinished = randomUUID();
  await notifications.create(queuedSmsNotification(unfinished));
  await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterUrl, MessageBody: JSON.stringify(smsJob(unfinished)) }));
});
afterAll(() => platform.remove());

describe('npm run dlq', () => {
  it('list: counts what rests in each DLQ, since when and why, and leaves it there', async () => {
    const listed = await dlq('list', '--prefix', prefix, '--json');

    expect(listed.code).toBe(0);
    const summaries = JSON.parse(listed.stdout) as {
      channel: string;
      count: number;
      oldestSentAt: string;
      reasons: unknown;
    }[];
    expect(summaries.map(({ channel, count }) => [channel, count])).toEqual([
      ['email', 0],
      ['sms', 5],
      ['push', 0],
    ]);
    const sms = summaries[1];
    expect(sms?.reasons).toEqual([
      { reason: REASON, count: 3 },
      { reason: 'no verdict: moved by SQS after its receive limit (status queued)', count: 1 },
      { reason: 'poison: not a channel job', count: 1 },
    ]);
    expect(new Date(sms?.oldestSentAt ?? 0).getTime()).toBeGreaterThanOrEqual(sentBefore - 1_000);
    expect(new Date(sms?.oldestSentAt ?? 0).getTime()).toBeLessThanOrEqual(Date.now());
    // Peeking hands every message back at once: all three are visible again.
    const resting = await messagesIn(platform.resources.queues.sms.deadLetterUrl);
    expect(resting).toHaveLength(5);
  });

  it('list: prints a table for people', async () => {
    const listed = await dlq('list', 'sms', '--prefix', prefix);

    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^sms: 5 jobs, oldest sent \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ s ago\)\n/);
    expect(listed.stdout).toContain(`     3  ${REASON}\n`);
    expect(listed.stdout).toContain('     1  poison: not a channel job\n');
    expect(listed.stdout).not.toContain('email');
  });

  it('redrive: moves every job back to the channel queue, bodies unchanged', async () => {
    const bodies = (await messagesIn(platform.resources.queues.sms.deadLetterUrl)).map(({ Body }) => Body).sort();

    const redriven = await dlq('redrive', 'sms', '--prefix', prefix, '--json');

    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toEqual({ channel: 'sms', moved: 5 });
    expect(await messagesIn(platform.resources.queues.sms.deadLetterUrl)).toEqual([]);
    const back = (await messagesIn(platform.resources.queues.sms.url)).map(({ Body }) => Body).sort();
    expect(back).toEqual(bodies);
    expect((await dlq('list', 'sms', '--prefix', prefix)).stdout).toBe('sms: empty\n');
  });

  it.each([
    [['list', 'fax'], /unknown channel "fax": one of email, sms, push/],
    [['redrive'], /redrive needs a channel/],
    [['purge', 'sms'], /usage: npm run dlq -- list/],
    [['list', '--stack', 'x', '--prefix', 'y'], /give --stack or --prefix, not both/],
    [['list', '--bogus'], /Unknown option '--bogus'/],
  ])(
    'refuses %j with exit code 2 and says why',
    async (args, message) => {
      const refused = await dlq(...args);

      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(message);
      expect(refused.stdout).toBe('');
    },
    60_000,
  );

  it('names the missing queue when the prefix has no platform', async () => {
    const missing = await dlq('list', '--prefix', `nothing-${randomUUID().slice(0, 8)}`);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no queue nothing-[0-9a-f]{8}-email: start the platform with `npm start`/);
  });
});
