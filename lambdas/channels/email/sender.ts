import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { RenderedEmail } from './render.js';

/** Sends one rendered email through SES, from the configured sender; answers SES's message id. */
export class EmailSender {
  constructor(
    private readonly client: SESClient,
    private readonly sender: string,
    private readonly configurationSet?: string,
  ) {}

  async send(to: string, email: RenderedEmail): Promise<string> {
    const { MessageId } = await this.client.send(
      new SendEmailCommand({
        Source: this.sender,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: this.configurationSet,
      }),
    );
    if (!MessageId) throw new Error('SES returned no MessageId');
    return MessageId;
  }
}
