import { randomUUID } from 'node:crypto';
import { DeleteIdentityCommand, SendEmailCommand, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { afterAll, describe, expect, it } from 'vitest';
import { readFromLocalStack, ses } from '../support/emulator-clients.js';
import { eventually } from '../support/eventually.js';

interface SentEmail {
  Id: string;
  Source: string;
  Destination: { ToAddresses: string[] };
  Subject: string;
  Body: { text_part: string | null; html_part: string | null };
}

const sender = `notifications-${randomUUID()}@example.com`;

describe('SES emulator', () => {
  afterAll(async () => {
    await ses.send(new DeleteIdentityCommand({ Identity: sender }));
  });

  it('sends an email from a verified sender and keeps it where a test can read it back', async () => {
    // Prepare
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: sender }));
    const subject = `Your order ${randomUUID()} has shipped`;

    // Act
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        Source: sender,
        Destination: { ToAddresses: ['ada@example.com'] },
        Message: {
          Subject: { Data: subject },
          Body: { Text: { Data: 'It is on its way.' }, Html: { Data: '<p>It is on its way.</p>' } },
        },
      }),
    );

    // Assess
    expect(MessageId).toBeTruthy();
    const sent = await eventually('the email in LocalStack', async () => {
      const { messages } = await readFromLocalStack<{ messages: SentEmail[] }>(
        'SES',
        `/_aws/ses?email=${encodeURIComponent(sender)}`,
      );
      return messages.find((message) => message.Id === MessageId);
    });
    expect(sent).toMatchObject({
      Source: sender,
      Destination: { ToAddresses: ['ada@example.com'] },
      Subject: subject,
      Body: { text_part: 'It is on its way.', html_part: '<p>It is on its way.</p>' },
    });
  });

  it('refuses to send from an address that was never verified', async () => {
    const unverified = `nobody-${randomUUID()}@example.com`;

    const attempt = ses.send(
      new SendEmailCommand({
        Source: unverified,
        Destination: { ToAddresses: ['ada@example.com'] },
        Message: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' } } },
      }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'MessageRejected' });
  });
});
