import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { NOTIFICATION_TAG } from './feedback.js';
import type { RenderedEmail } from './render.js';

/**
 * Sends one rendered email through SES, from the configured sender, in the configuration set whose events tell the
 * platform what became of it; answers SES's message id. The notification's id goes with it as a message tag, so that
 * each event names its notification without a lookup.
 */
export class EmailSender {
  constructor(
    private readonly client: SESClient,
    private readonly sender: string,
    private readonly configurationSet?: string,
  ) {}

  async send(to: string, email: RenderedEmail, notificationId: string): Promise<string> {
    const { MessageId } = await this.client.send(
      new SendEmailCommand({
        Source: this.sender,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: this.configurationSet,
        // A UUID: within what SES allows in a tag's value (letters, digits, _ and -).
        Tags: [{ Name: NOTIFICATION_TAG, Value: notificationId }],
      }),
    );
    if (!MessageId) throw new Error('SES returned no MessageId');
    return MessageId;
  }
}
