/**
 * A consumer of the platform's state events, as a team on AWS would be one: a rule of its own on the bus, with an SQS
 * queue as its target. It counts each event id it receives, to say what arrived and what twice.
 */
import {
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { EVENT_SOURCE, type StateEvent } from '../../lambdas/shared/domain/state-events.js';
import { sqs } from './emulator-clients.js';

const events = new EventBridgeClient({});

/** An event as EventBridge delivers it to a target. */
export interface EventEnvelope {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: StateEvent;
}

export class EventConsumer {
  /** Each event id received, and how often. */
  readonly received = new Map<string, number>();
  /** Every event received, in the order it came, with the message's body as it was. */
  readonly arrivals: { readonly envelope: EventEnvelope; readonly body: string }[] = [];

  private constructor(
    private readonly bus: string,
    private readonly name: string,
    private readonly queueUrl: string,
  ) {}

  static async subscribe(bus: string, name: string): Promise<EventConsumer> {
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }) }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }] }),
    );
    return new EventConsumer(bus, name, queueUrl);
  }

  /** Reads what the queue holds now; answers how many events it read. */
  async read(): Promise<number> {
    let read = 0;
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) return read;
      for (const { Body = '{}' } of Messages) {
        const envelope = JSON.parse(Body) as EventEnvelope;
        this.received.set(envelope.detail.event_id, (this.received.get(envelope.detail.event_id) ?? 0) + 1);
        this.arrivals.push({ envelope, body: Body });
      }
      read += Messages.length;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: Messages.map(({ ReceiptHandle }, index) => ({ Id: String(index), ReceiptHandle })),
        }),
      );
    }
  }

  async remove(): Promise<void> {
    await events.send(new RemoveTargetsCommand({ Rule: this.name, EventBusName: this.bus, Ids: ['queue'] }));
    await events.send(new DeleteRuleCommand({ Name: this.name, EventBusName: this.bus }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl }));
  }
}
