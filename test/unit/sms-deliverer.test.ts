import { describe, expect, it, vi } from 'vitest';
import { SmsDeliverer } from '../../lambdas/channels/sms/deliverer.js';
import type { TemplateRenderer } from '../../lambdas/shared/templates/render.js';

const job = { notification_id: 'n-1', user_id: 'ada', type: 'password_reset', payload: {} } as never;
const user = { user_id: 'ada', phone_number: '+4915112345678' };
const template = { type: 'password_reset', critical: false, sms: { body: 'Your code' } } as never;
const renderer = {
  render: async () => ({ body: 'Your code', segments: 1, encoding: 'GSM-7' }),
} as unknown as TemplateRenderer;

/** Senders that send with `send`, and none afresh (the credentials did not change). */
function sending(send: (to: string, body: string) => Promise<string>) {
  return { current: async () => ({ send }), afterAuthFailure: async () => undefined };
}

function twilioRefusal(code: number, status = 400) {
  return Object.assign(new Error('refused'), { status, code });
}

describe('the SMS deliverer', () => {
  it("turns the person's SMS off when Twilio says they unsubscribed (21610), and fails the text for good", async () => {
    const unsubscribed = vi.fn(async () => undefined);
    const deliverer = new SmsDeliverer(
      sending(async () => Promise.reject(twilioRefusal(21610))),
      renderer,
      unsubscribed,
    );

    expect(await deliverer.deliver(job, user, template)).toEqual({
      kind: 'permanent',
      reason: 'twilio_21610_unsubscribed',
    });
    expect(unsubscribed).toHaveBeenCalledWith('ada');
  });

  it('leaves the switch alone for any other refusal', async () => {
    const unsubscribed = vi.fn(async () => undefined);
    const deliverer = new SmsDeliverer(
      sending(async () => Promise.reject(twilioRefusal(21211))),
      renderer,
      unsubscribed,
    );

    expect(await deliverer.deliver(job, user, template)).toMatchObject({ kind: 'permanent' });
    expect(unsubscribed).not.toHaveBeenCalled();
  });

  it('answers the message sid of a text sent', async () => {
    const deliverer = new SmsDeliverer(
      sending(async () => 'SM123'),
      renderer,
      vi.fn(),
    );

    expect(await deliverer.deliver(job, user, template)).toEqual({ kind: 'sent', providerMessageId: 'SM123' });
  });

  it('ends the text with the opt-out line it is given, and counts the segments again', async () => {
    let sent = '';
    const deliverer = new SmsDeliverer(
      sending(async (_to: string, body: string) => {
        sent = body;
        return 'SM1';
      }),
      renderer,
      vi.fn(),
      () => 'Reply STOP to opt out.',
    );

    await deliverer.deliver(job, user, template);

    expect(sent).toBe('Your code\nReply STOP to opt out.');
  });

  it('sends once more with credentials read afresh when Twilio refuses the ones it holds (a rotated token)', async () => {
    const attempts: string[] = [];
    const deliverer = new SmsDeliverer(
      {
        current: async () => ({
          send: async () => {
            attempts.push('old token');
            throw twilioRefusal(20003, 401);
          },
        }),
        afterAuthFailure: async () => ({
          send: async () => {
            attempts.push('new token');
            return 'SM9';
          },
        }),
      },
      renderer,
      vi.fn(),
    );

    expect(await deliverer.deliver(job, user, template)).toEqual({ kind: 'sent', providerMessageId: 'SM9' });
    expect(attempts).toEqual(['old token', 'new token']);
  });

  it('fails a refusal of the credentials as transient when none newer are there, so the job is retried', async () => {
    const deliverer = new SmsDeliverer(
      sending(async () => Promise.reject(twilioRefusal(20003, 401))),
      renderer,
      vi.fn(),
    );

    expect(await deliverer.deliver(job, user, template)).toMatchObject({
      kind: 'transient',
      reason: 'twilio_20003_authentication',
    });
  });

  it('never cuts a text: one too long with its opt-out line fails for good, saying so, and is not sent', async () => {
    const send = vi.fn(async () => 'SM1');
    const long = { render: async () => ({ body: 'x'.repeat(1_590), segments: 11, encoding: 'GSM-7' }) };
    const deliverer = new SmsDeliverer(
      { current: async () => ({ send }), afterAuthFailure: async () => undefined },
      long as unknown as TemplateRenderer,
      vi.fn(),
      () => 'Reply STOP to opt out.',
    );

    expect(await deliverer.deliver(job, user, template)).toEqual({
      kind: 'permanent',
      reason: 'body_too_long_with_opt_out_line',
    });
    expect(send).not.toHaveBeenCalled();
  });
});
