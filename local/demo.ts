/**
 * `--demo`: the example templates of templates/ (an order, a password reset, an offer: one of each shipped category),
 * pushed as `npm run templates -- push --force` pushes them, and one example user, so the README's curl commands work
 * at once. Written through the real handlers, as a producer would write them.
 */
import { fileURLToPath } from 'node:url';
import { createNotificationClient } from '@notification-platform/client';
import { readTemplateFolder } from '../ops/template-folder.js';
import { pushTemplates } from '../ops/template-transfer.js';
import type { ApiGatewayEmulation } from './api-gateway-emulation.js';

export const DEMO_USER = 'ada';

const TEMPLATES_FOLDER = fileURLToPath(new URL('../templates/', import.meta.url));

export async function seedDemo(gateway: ApiGatewayEmulation, apiKey: string): Promise<void> {
  // The API client, its requests answered by the gateway in this process rather than over a port.
  const client = createNotificationClient({
    baseUrl: 'http://demo.invalid/v1',
    apiKey,
    fetch: async (url, init) => {
      const answer = await gateway.answer({
        method: init.method ?? 'GET',
        url: new URL(url).pathname,
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        body: Buffer.from(typeof init.body === 'string' ? init.body : ''),
      });
      return new Response(answer.body || null, { status: answer.statusCode, headers: answer.headers });
    },
  });
  // The examples as the folder has them, whatever was done to them since.
  const outcomes = await pushTemplates(client, await readTemplateFolder(TEMPLATES_FOLDER), { force: true });
  for (const outcome of outcomes)
    if (outcome.outcome === 'failed') throw new Error(`demo: template ${outcome.type}: ${outcome.reason}`);

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
