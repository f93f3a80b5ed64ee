import { describe, expect, it, vi } from 'vitest';
import { SmsDeliverer } from '../../lambdas/channels/sms/deliverer.js';
import type { TemplateRenderer } from '../../lambdas/shared/templates/render.js';

const job = { notification_id: 'n-1', user_id: 'ada', type: 'password_reset', payload: {} } as never;
const user = { user_id: 'ada', phone_number: '+4915112345678' };
const template = { type: 'password_reset', critical: false, sms: { body: 'Your code' } } as never;
const renderer = {
  render: async () => ({ body: 'Your code', segments: 1, encoding: 'GSM-7' }),
} as unknown as TemplateRenderer;

function twilioRefusal(code: number, status = 400) {
  return Object.assign(new Error('refused'), { status, code });
}

describe('the SMS deliverer', () => {
  it("turns the person's SMS off when Twilio says they unsubscribed (21610), and fails the text for good", async () => {
    const unsubscribed = vi.fn(async () => undefined);
    const deliverer = new SmsDeliverer(
      async () => ({ send: async () => Promise.reject(twilioRefusal(21610)) }),
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
      async () => ({ send: async () => Promise.reject(twilioRefusal(21211)) }),
      renderer,
      unsubscribed,
    );

    expect(await deliverer.deliver(job, user, template)).toMatchObject({ kind: 'permanent' });
    expect(unsubscribed).not.toHaveBeenCalled();
  });

  it('answers the message sid of a text sent', async () => {
    const deliverer = new SmsDeliverer(async () => ({ send: async () => 'SM123' }), renderer, vi.fn());

    expect(await deliverer.deliver(job, user, template)).toEqual({ kind: 'sent', providerMessageId: 'SM123' });
  });

  it('ends the text with the opt-out line it is given, and counts the segments again', async () => {
    let sent = '';
    const deliverer = new SmsDeliverer(
      async () => ({
        send: async (_to: string, body: string) => {
          sent = body;
          return 'SM1';
        },
      }),
      renderer,
      vi.fn(),
      () => 'Reply STOP to opt out.',
    );

    await deliverer.deliver(job, user, template);

    expect(sent).toBe('Your code\nReply STOP to opt out.');
  });
});
