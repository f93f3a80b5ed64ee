/**
 * SES's mailbox simulator, on loopback. In AWS, an email to bounce@simulator.amazonses.com bounces, one to
 * complaint@ is delivered and then complained of, and SES publishes those events to the configuration set's
 * destination. LocalStack publishes Send and Delivery only, and knows nothing of these addresses. This watches the
 * same topic and, for a message delivered to a simulator address, publishes what SES would have, in SES's documented
 * JSON, to that topic: from there on, the feedback path is the deployed one.
 * https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EmailFeedbackResources } from './email-feedback.js';

type Outcome = (address: string, mail: Record<string, unknown>) => Record<string, unknown> | undefined;

const at = () => new Date().toISOString();
const bounce =
  (bounceSubType: string): Outcome =>
  (address) => ({
    eventType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType,
      bouncedRecipients: [
        { emailAddress: address, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
      ],
      timestamp: at(),
      feedbackId: randomUUID(),
      reportingMTA: 'dsn; local-mailbox-simulator',
    },
  });

/** What each simulator address does after delivery, by its local part (labels such as bounce+x@ included). */
const SIMULATED: Readonly<Record<string, Outcome>> = {
  bounce: bounce('General'),
  suppressionlist: bounce('OnAccountSuppressionList'),
  complaint: (address) => ({
    eventType: 'Complaint',
    complaint: {
      complainedRecipients: [{ emailAddress: address }],
      timestamp: at(),
      feedbackId: randomUUID(),
      complaintFeedbackType: 'abuse',
    },
  }),
};

/** How many outcomes the simulator remembers, to publish the same again for a Delivery it is handed twice. */
const REMEMBERED_OUTCOMES = 10_000;

export class SesMailboxSimulator {
  private running = true;
  /**
   * Each outcome published, by message and address: a Delivery handed over again (SQS delivers at least once) gets
   * the very same event again, as SES's own duplicates are, not a second bounce with a time and id of its own.
   */
  private readonly published = new Map<string, string>();
  private readonly loop: Promise<void>;

  private constructor(
    private readonly clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
    private readonly topicArn: string,
    private readonly queueUrl: string,
    private readonly onError: (error: Error) => void,
  ) {
    this.loop = this.watch();
  }

  static async start(
    clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
    feedback: EmailFeedbackResources,
    onError: (error: Error) => void,
  ): Promise<SesMailboxSimulator> {
    const { QueueUrl = '' } = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: `mailbox-simulator-${randomUUID().slice(0, 8)}` }),
    );
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: feedback.topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    return new SesMailboxSimulator(clients, feedback.topicArn, QueueUrl, onError);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl })).catch(() => undefined);
  }

  private async watch(): Promise<void> {
    while (this.running) {
      try {
        const { Messages = [] } = await this.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) await this.simulate(message.Body ?? '');
        if (Messages.length > 0)
          await this.clients.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
            }),
          );
      } catch (error) {
        if (this.running) this.onError(error as Error);
      }
    }
  }

  /** For a Delivery to simulator addresses, the events SES would publish next, with the message's `mail`. */
  private async simulate(body: string): Promise<void> {
    let event: { eventType?: string; mail?: { destination?: string[] } & Record<string, unknown> };
    try {
      event = JSON.parse(body);
    } catch {
      return;
    }
    if (event.eventType !== 'Delivery' || !event.mail) return;
    for (const address of event.mail.destination ?? []) {
      const [local = '', domain = ''] = address.toLowerCase().split('@');
      if (domain !== 'simulator.amazonses.com') continue;
      const key = `${String(event.mail.messageId)}/${address}`;
      let message = this.published.get(key);
      if (message === undefined) {
        const outcome = SIMULATED[local.split('+')[0] ?? '']?.(address, event.mail);
        if (!outcome) continue;
        message = JSON.stringify({ ...outcome, mail: event.mail });
        this.published.set(key, message);
        if (this.published.size > REMEMBERED_OUTCOMES) this.published.delete(this.published.keys().next().value ?? '');
      }
      await this.clients.sns.send(new PublishCommand({ TopicArn: this.topicArn, Message: message }));
    }
  }
}
