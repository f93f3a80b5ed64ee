import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_TAG, parseSesFeedback } from '../../lambdas/channels/email/feedback.js';

const NOTIFICATION = '6f1c2f4e-8a43-4c1e-9a43-2b6a1f0e9d11';
// As AWS documents the event publishing JSON (mail abridged), and as LocalStack 4.13.1 publishes it (+00:00 times).
const mail = (timestamp = '2026-11-25T10:00:00.000Z') => ({
  timestamp,
  source: 'notifications@example.com',
  messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
  destination: ['ada@example.com'],
  tags: { 'ses:configuration-set': ['notification-platform'], [NOTIFICATION_TAG]: [NOTIFICATION] },
});
const event = (body: object) => JSON.stringify({ mail: mail(), ...body });

describe('SES feedback', () => {
  it('reads a delivery, naming the notification by its tag', () => {
    expect(
      parseSesFeedback(event({ eventType: 'Delivery', delivery: { timestamp: '2026-11-25T10:00:01.000Z' } })),
    ).toEqual({
      providerMessageId: mail().messageId,
      notificationId: NOTIFICATION,
      outcome: 'delivered',
      at: '2026-11-25T10:00:01.000Z',
      detail: {},
      suppress: [],
      softBounced: [],
      feedbackId: `${mail().messageId}/Delivery`,
    });
  });

  it('suppresses the address of a permanent bounce, and only counts a transient or undetermined one', () => {
    const bounce = (bounceType: string, bounceSubType: string) =>
      parseSesFeedback(
        event({
          eventType: 'Bounce',
          bounce: {
            bounceType,
            bounceSubType,
            bouncedRecipients: [{ emailAddress: 'ada@example.com', status: '5.1.1', diagnosticCode: 'smtp; 550' }],
            timestamp: '2026-11-25T10:00:02.000Z',
            feedbackId: '0100-example',
          },
        }),
      );
    expect(bounce('Permanent', 'General')).toMatchObject({
      outcome: 'bounced',
      detail: { bounce_type: 'Permanent', bounce_sub_type: 'General' },
      suppress: ['ada@example.com'],
      softBounced: [],
      feedbackId: '0100-example',
    });
    expect(bounce('Transient', 'MailboxFull')).toMatchObject({ suppress: [], softBounced: ['ada@example.com'] });
    expect(bounce('Undetermined', 'Undetermined')).toMatchObject({ suppress: [], softBounced: ['ada@example.com'] });
  });

  it('suppresses the address of a complaint', () => {
    expect(
      parseSesFeedback(
        event({
          eventType: 'Complaint',
          complaint: {
            complainedRecipients: [{ emailAddress: 'ada@example.com' }],
            complaintFeedbackType: 'abuse',
            timestamp: '2026-11-25T11:00:00.000Z',
          },
        }),
      ),
    ).toMatchObject({ outcome: 'complained', detail: { complaint_type: 'abuse' }, suppress: ['ada@example.com'] });
  });

  it('reads a reject, a rendering failure and a delay', () => {
    expect(parseSesFeedback(event({ eventType: 'Reject', reject: { reason: 'Bad content' } }))).toMatchObject({
      outcome: 'rejected',
      detail: { reason: 'Bad content' },
    });
    expect(parseSesFeedback(event({ eventType: 'Rendering Failure', failure: {} }))).toMatchObject({
      outcome: 'rejected',
    });
    expect(
      parseSesFeedback(event({ eventType: 'DeliveryDelay', deliveryDelay: { delayType: 'MailboxFull' } })),
    ).toMatchObject({ outcome: 'delayed', detail: { delay_type: 'MailboxFull' } });
  });

  it('reads the event inside an SNS envelope too (a subscription without raw delivery)', () => {
    const envelope = JSON.stringify({
      Type: 'Notification',
      MessageId: 'a1cb',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:ses-events',
      Message: event({ eventType: 'Delivery', delivery: {} }),
    });
    expect(parseSesFeedback(envelope)).toMatchObject({ outcome: 'delivered', notificationId: NOTIFICATION });
  });

  it('changes nothing for a Send, an Open or a Click: the worker recorded the send already', () => {
    for (const eventType of ['Send', 'Open', 'Click', 'Subscription'])
      expect(parseSesFeedback(event({ eventType, send: {} }))).toBe('event_without_outcome');
  });

  it('drops what is not an SES event, naming why', () => {
    expect(parseSesFeedback('Successfully validated SNS topic for Amazon SES event publishing.')).toBe(
      'destination_validated',
    );
    expect(parseSesFeedback('plain text')).toBe('not_json');
    expect(parseSesFeedback('{"notificationType":"AmazonSnsSubscriptionSucceeded"}')).toBe('not_an_ses_event');
    expect(parseSesFeedback(event({ eventType: 'Bounce' }))).toBe('no_outcome_details');
    expect(parseSesFeedback(JSON.stringify({ eventType: 'Delivery', mail: { timestamp: 'x' } }))).toBe(
      'not_an_ses_event',
    );
  });

  it('never throws, whatever the queue holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => JSON.stringify({ mail: value })),
        ),
        (body) => {
          expect(() => parseSesFeedback(body)).not.toThrow();
        },
      ),
    );
  });
});
