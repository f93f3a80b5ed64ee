import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

let platform: RunningLocalPlatform;
let browser: Browser;

beforeAll(async () => {
  const executablePath = execFileSync('bash', [fileURLToPath(new URL('../../scripts/browser.sh', import.meta.url))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  platform = await startLocalPlatformProcess(['--demo']);
  // The flags that keep Chromium from reaching for the network at start-up (there is none here).
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('the outbox page, in headless Chromium', () => {
  it('shows the rendered subject of an email just sent', async () => {
    const orderId = `A-${randomUUID().slice(0, 6)}`;
    const sent = await fetch(`${platform.url}/v1/notifications`, {
      method: 'POST',
      headers: { 'x-api-key': 'local-dev-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: 'ada', type: 'order_shipped', payload: { order_id: orderId } }),
    });
    expect(sent.status).toBe(202);
    const page = await browser.newPage();

    // The page reloads itself; wait for the delivery to show rather than for a fixed time.
    await page.goto(`${platform.url}/_local/outbox`);
    await eventually(
      'the subject on the page',
      async () => {
        await page.reload();
        return (await page.getByText(`Your order ${orderId} has shipped`).count()) > 0 ? true : undefined;
      },
      { attempts: 30, intervalMs: 500 },
    );

    expect(await page.title()).toContain('Outbox');
    await page.screenshot({ path: fileURLToPath(new URL('../../.emulator/outbox.png', import.meta.url)) });
  });
});
