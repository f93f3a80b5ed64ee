import { describe, expect, it } from 'vitest';
import { parseTwilioStatus } from '../../lambdas/channels/sms/feedback.js';

const AT = '2026-11-25T12:00:00.000Z';
const callback = (status: string, extra: Record<string, string> = {}) => ({
  AccountSid: 'AC00000000000000000000000000000001',
  MessageSid: 'SM00000000000000000000000000000001',
  SmsSid: 'SM00000000000000000000000000000001',
  MessageStatus: status,
  SmsStatus: status,
  To: '+4915112345678',
  From: '+15005550006',
  ApiVersion: '2010-04-01',
  ...extra,
});

describe("Twilio's status callbacks", () => {
  it('make a text delivered', () => {
    expect(parseTwilioStatus(callback('delivered'), AT)).toEqual({
      providerMessageId: 'SM00000000000000000000000000000001',
      event: { status: 'delivered', at: AT },
    });
  });

  it('make a text undelivered, with Twilio’s status and error code', () => {
    expect(parseTwilioStatus(callback('undelivered', { ErrorCode: '30003' }), AT)).toMatchObject({
      event: { status: 'undelivered', detail: { twilio_status: 'undelivered', error_code: '30003' } },
    });
    expect(parseTwilioStatus(callback('failed', { ErrorCode: '30008' }), AT)).toMatchObject({
      event: { status: 'undelivered', detail: { twilio_status: 'failed', error_code: '30008' } },
    });
  });

  it('change nothing while the text is on its way', () => {
    for (const status of ['queued', 'accepted', 'sending', 'sent'])
      expect(parseTwilioStatus(callback(status), AT)).toBe('status_without_outcome');
  });

  it('are dropped without a message sid, with a status never heard of, and keep no odd error code', () => {
    expect(parseTwilioStatus({ MessageStatus: 'delivered' }, AT)).toBe('no_message_sid');
    expect(parseTwilioStatus(callback('teleported'), AT)).toBe('unknown_status');
    expect(parseTwilioStatus(callback('failed', { ErrorCode: '<script>' }), AT)).toMatchObject({
      event: { detail: { twilio_status: 'failed' } },
    });
  });
});
