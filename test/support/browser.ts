/**
 * Headless Chromium for the page tests: Debian's chromium (scripts/browser.sh installs it, or says what to install),
 * driven by playwright-core, which downloads no browser.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export function launchBrowser(): Promise<Browser> {
  const executablePath = execFileSync('bash', [fileURLToPath(new URL('../../scripts/browser.sh', import.meta.url))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  // The flags that keep Chromium from reaching for the network at start-up (there is none here).
  return chromium.launch({
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
}
