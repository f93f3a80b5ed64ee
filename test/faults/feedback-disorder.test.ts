/**
 * Provider events duplicated and reordered: the local platform under the fault drill's disorderFeedback (every batch
 * of SES and SNS events handed to its feedback function twice, its records in a random order each time), with the
 * Twilio-compatible server calling each text's status callback twice and in a random order. A stream of
 * notifications to addresses that are delivered, bounce or complain, and to numbers that are delivered or
 * unreachable: each channel must end where its provider's last word puts it, with each event listed once, and every
 * bounced or complained-of address must be suppressed. The verdict waits on progress, not on time: what is not
 * final when the bound passes is named.
 *
 * FAULT_NOTIFICATIONS scales it as it scales the other scenarios: a sixth of it (50 in `npm test`).
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_RESOURCE_NAMES, TABLES, type TableKey } from '../../lambdas/shared/platform/resources.js';
import { startTwilioSandbox, type TwilioSandbox, UNREACHABLE_NUMBER } from '../../local/twilio-sandbox.js';
import { drillClient, inParallel, newTally, pause } from '../support/drill-producer.js';
import { DrilledPlatform } from '../support/drilled-platform.js';
import { dynamoDb } from '../support/emulator-clients.js';
import { ProgressBound } from '../support/progress-bound.js';

const NOTIFICATIONS = Math.ceil(Number(process.env.FAULT_NOTIFICATIONS ?? 2_000) / 6);

/** What each address does at SES's mailbox simulator, and where its email must end. */
const EMAIL_KINDS = [
  { local: 'success', final: 'delivered' },
  { local: 'bounce', final: 'bounced' },
  { local: 'complaint', final: 'complained' },
] as const;

interface Sent {
  readonly notificationId: string;
  readonly address: string;
  readonly email: string;
  readonly sms: string;
}

let sandbox: TwilioSandbox;
beforeAll(async () => {
  sandbox = await startTwilioSandbox();
});
afterAll(() => sandbox?.stop());

describe(`provider events duplicated and reordered: ${NOTIFICATIONS} notifications`, () => {
  it('ends every channel where its last word puts it, each event once, and loses no suppression', async () => {
    const prefix = `drill-${randomUUID().slice(0, 8)}`;
    sandbox.disorderCallbacks(true);
    const platform = await DrilledPlatform.start(
      { disorderFeedback: true, twilioUrl: sandbox.url, retryBaseSeconds: 1 },
      prefix,
    );
    try {
      const producer = drillClient(platform, newTally());
      await producer.putTemplate({
        path: { type: 'drill' },
        body: { email: { subject: 'Drill', body: '<p>Drill</p>' }, sms: { body: 'Drill' } },
      });
      const sent: Sent[] = [];
      await inParallel(
        Array.from({ length: NOTIFICATIONS }, (_, index) => index),
        6,
        async (index) => {
          const kind = EMAIL_KINDS[index % EMAIL_KINDS.length] ?? EMAIL_KINDS[0];
          const userId = `drill-feedback-${index}-${randomUUID().slice(0, 8)}`;
          // A label keeps each address its own, as SES's simulator allows.
          const address = `${kind.local}+${randomUUID().slice(0, 8)}@simulator.amazonses.com`;
          const unreachable = index % 2 === 1;
          const phone = unreachable ? UNREACHABLE_NUMBER : `+4915${String(10_000_000 + index)}`;
          await producer.putContacts({
            path: { user_id: userId },
            body: { email_address: address, phone_number: phone },
          });
          const accepted = await producer.sendNotification({
            body: { user_id: userId, type: 'drill', payload: {}, channels: ['email', 'sms'] },
            idempotencyKey: randomUUID(),
          });
          sent.push({
            notificationId: accepted.notification_id,
            address,
            email: kind.final,
            sms: unreachable ? 'undelivered' : 'delivered',
          });
        },
      );

      // Until every channel says what its provider's last word says, and stays so; bounded by progress (fewer not
      // final), naming what was not when nothing moved for the bound.
      const bound = new ProgressBound(180_000, 1_800_000);
      let notFinal = sent;
      let steady = 0;
      while (steady < 2 && !bound.passed) {
        await pause(1_000);
        const states = await Promise.all(
          notFinal.map(async (one) => ({
            one,
            channels: (await producer.getNotification({ path: { notification_id: one.notificationId } })).channels,
          })),
        );
        notFinal = states
          .filter(({ one, channels }) => channels.email?.status !== one.email || channels.sms?.status !== one.sms)
          .map(({ one }) => one);
        bound.observe(`${notFinal.length} not final`);
        steady = notFinal.length === 0 ? steady + 1 : 0;
        if (notFinal.length === 0) notFinal = sent;
      }
      expect(
        steady >= 2 ? [] : notFinal.map((one) => one.notificationId),
        `notifications whose channels had not reached their final status when the bound passed (${bound.describe()})`,
      ).toEqual([]);

      for (const one of sent) {
        const { channels } = await producer.getNotification({ path: { notification_id: one.notificationId } });
        for (const channel of ['email', 'sms'] as const) {
          const events = channels[channel]?.events ?? [];
          const keys = events.map((event) => `${event.status}@${event.at}`);
          expect(new Set(keys).size, `${channel} events of ${one.notificationId} listed more than once`).toBe(
            keys.length,
          );
          expect(events.filter((event) => event.status === channels[channel]?.status)).toHaveLength(1);
        }
        if (one.email !== 'delivered') {
          const suppression = await producer.findSuppression({ body: { channel: 'email', address: one.address } });
          expect(suppression.reason).toBe(one.email === 'bounced' ? 'bounce' : 'complaint');
        }
      }
      // The faults were really there: batches handed over twice, callbacks made twice.
      expect(platform.output().split('"event":"fault_drill_disordered"').length - 1).toBeGreaterThan(0);
      const callbacks = sandbox.statusCallbacks.map((callback) => `${callback.sid}/${callback.status}`);
      expect(callbacks.length - new Set(callbacks).size, 'status callbacks made twice').toBeGreaterThan(0);
    } finally {
      await platform.stop();
      await Promise.allSettled(
        Object.keys(TABLES).map((key) =>
          dynamoDb.send(new DeleteTableCommand({ TableName: LOCAL_RESOURCE_NAMES.table(prefix, key as TableKey) })),
        ),
      );
    }
  }, 1_800_000);
});
