import { describe, expect, it } from 'vitest';
import { signedByTwilio, twilioSignature } from '../../lambdas/channels/sms/twilio-signature.js';

// Twilio's own example (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMETERS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
};

describe("Twilio's webhook signature", () => {
  it("accepts Twilio's own example", () => {
    expect(signedByTwilio(TOKEN, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', URL, PARAMETERS)).toBe(true);
    expect(twilioSignature(TOKEN, URL, PARAMETERS)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('refuses a changed parameter, another URL, another token, or no signature at all', () => {
    const signature = twilioSignature(TOKEN, URL, PARAMETERS);
    expect(signedByTwilio(TOKEN, signature, URL, { ...PARAMETERS, Digits: '4321' })).toBe(false);
    expect(signedByTwilio(TOKEN, signature, URL, { ...PARAMETERS, Extra: 'x' })).toBe(false);
    expect(signedByTwilio(TOKEN, signature, 'https://mycompany.com/myapp.php?foo=1&bar=3', PARAMETERS)).toBe(false);
    expect(signedByTwilio('54321', signature, URL, PARAMETERS)).toBe(false);
    expect(signedByTwilio(TOKEN, undefined, URL, PARAMETERS)).toBe(false);
    expect(signedByTwilio(TOKEN, 'AAAA', URL, PARAMETERS)).toBe(false);
  });
});
