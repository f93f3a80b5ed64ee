/**
 * `--demo`: three example templates (an order, a password reset, an offer: one of each shipped category) and one
 * example user, so the README's curl commands work at once.
 * Written through the real handlers, as a producer would write them.
 */
import type { ApiGatewayEmulation } from './api-gateway-emulation.js';

export const DEMO_USER = 'ada';

export async function seedDemo(gateway: ApiGatewayEmulation, apiKey: string): Promise<void> {
  const put = async (method: string, path: string, body: unknown) => {
    const answer = await gateway.answer({
      method,
      url: path,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
    });
    if (answer.statusCode >= 300)
      throw new Error(`demo: ${method} ${path} answered ${answer.statusCode}: ${answer.body}`);
  };
  await put('PUT', '/v1/templates/order_shipped', {
    category: 'orders',
    email: {
      subject: 'Your order {{ order_id }} has shipped',
      body: '<p>Hello {{ name | default: "there" }},</p><p>your order <b>{{ order_id }}</b> is on its way.</p>',
    },
    sms: { body: 'Order {{ order_id }} has shipped.' },
    push: { title: 'Order shipped', body: 'Order {{ order_id }} is on its way' },
  });
  await put('PUT', '/v1/templates/password_reset', {
    critical: true,
    category: 'security',
    email: { subject: 'Reset your password', body: '<p>Your code is <b>{{ code }}</b>. It expires in 10 minutes.</p>' },
    sms: { body: 'Your password reset code is {{ code }}' },
  });
  await put('PUT', '/v1/templates/spring_sale', {
    category: 'marketing',
    email: {
      subject: 'Spring sale: {{ discount | default: 20 }}% off',
      body: '<p>Hello {{ name | default: "there" }},</p><p>everything is <b>{{ discount | default: 20 }}% off</b> this week.</p>',
    },
    sms: { body: 'Spring sale: {{ discount | default: 20 }}% off this week.' },
  });
  await put('PUT', `/v1/users/${DEMO_USER}/contacts`, {
    email_address: 'ada@example.com',
    phone_number: '+4915112345678',
    locale: 'en-GB',
  });
  await put('POST', `/v1/users/${DEMO_USER}/devices`, {
    platform: 'fcm',
    token:
      'demo-fcm-token:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZuJAEcl7B338qju59zJMjw2DELjzEvxwYv7hH5Ynpc1ODQ0aT4U4OFEeco8ohsN5PjL1iC2dNtk2BAokeMCg2ZXKqpc8FXKmhX94kIxQ',
  });
}
