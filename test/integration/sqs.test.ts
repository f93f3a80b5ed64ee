import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqs } from '../support/emulator-clients.js';
import { eventually } from '../support/eventually.js';

const suffix = randomUUID().slice(0, 8);
const queueUrls: string[] = [];

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `it-${name}-${suffix}`, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  queueUrls.push(QueueUrl);
  return QueueUrl;
}

const DELAY_SECONDS = 3;

async function receiveOne(queueUrl: string, visibilityTimeout = 1) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      VisibilityTimeout: visibilityTimeout,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
    }),
  );
  return Messages?.[0];
}

describe('SQS emulator', () => {
  let deadLetterQueueUrl: string;
  let jobQueueUrl: string;

  beforeAll(async () => {
    deadLetterQueueUrl = await createQueue('dlq');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    jobQueueUrl = await createQueue('jobs', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 }),
    });
  });

  afterAll(async () => {
    await Promise.all(queueUrls.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))));
  });

  it('moves a message received twice and never deleted to the dead-letter queue', async () => {
    // Prepare
    const body = JSON.stringify({ job: randomUUID() });
    await sqs.send(new SendMessageCommand({ QueueUrl: jobQueueUrl, MessageBody: body }));

    // Act: two receives that never delete, each waiting out the visibility timeout
    for (const receive of [1, 2]) {
      await eventually(`receive ${receive} of the job`, () => receiveOne(jobQueueUrl));
    }

    // Assess: the next receive finds the job gone to the DLQ
    const deadLetter = await eventually('the job in the DLQ', async () => {
      await receiveOne(jobQueueUrl);
      return receiveOne(deadLetterQueueUrl, 30);
    });
    expect(deadLetter.Body).toBe(body);
    expect(await receiveOne(jobQueueUrl)).toBeUndefined();
  });

  it('holds back a message sent with DelaySeconds until the delay has passed', async () => {
    // Prepare
    const queueUrl = await createQueue('delayed');
    const body = JSON.stringify({ deferred: randomUUID() });
    const sentAt = Date.now();

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: DELAY_SECONDS }));
    const early = await receiveOne(queueUrl);
    const earlyAfterMs = Date.now() - sentAt;
    const late = await eventually('the delayed message', () => receiveOne(queueUrl));

    // Assess: by SQS's own clock, not by how fast this machine asked
    if (earlyAfterMs < DELAY_SECONDS * 1000) expect(early).toBeUndefined();
    expect(late.Body).toBe(body);
    const { SentTimestamp, ApproximateFirstReceiveTimestamp } = late.Attributes ?? {};
    expect(Number(ApproximateFirstReceiveTimestamp) - Number(SentTimestamp)).toBeGreaterThanOrEqual(
      DELAY_SECONDS * 1000 - 1000,
    );
  });
});
