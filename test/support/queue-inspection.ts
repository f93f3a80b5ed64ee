/**
 * Reads every message of a queue, delayed and in flight too, without receiving it: LocalStack's SQS
 * developer endpoint (/_aws/sqs/messages). A test can count jobs exactly and see a deferred job's body.
 */
import { readFromLocalStack } from './emulator-clients.js';

export interface QueuedMessage {
  readonly MessageId: string;
  readonly Body: string;
  readonly Attributes?: Record<string, string>;
  readonly MessageAttributes?: Record<string, { StringValue?: string; DataType: string }>;
}

export async function messagesIn(queueUrl: string): Promise<QueuedMessage[]> {
  // Path-style queue URLs end in /<region>/<account>/<name>, which is what the endpoint takes.
  const [region, account, name] = new URL(queueUrl).pathname.split('/').slice(-3);
  const { Messages } = await readFromLocalStack<{ Messages?: QueuedMessage[] }>(
    'SQS',
    `/_aws/sqs/messages/${region}/${account}/${name}?ShowDelayed=true&ShowInvisible=true`,
    // The endpoint answers in the protocol the request names; JSON is the one a test can read.
    { 'Content-Type': 'application/x-amz-json-1.0' },
  );
  return Messages ?? [];
}
