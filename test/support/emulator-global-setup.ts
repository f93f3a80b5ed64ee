/**
 * Vitest global setup for the integration suite: makes sure every endpoint answers before a test runs,
 * starting the local emulators only where nothing answers, and stopping only what it started.
 */
import { integrationEnvironment } from '../../local/emulator-environment.js';
import { ensureEmulators, localEmulatorEndpoints, runEmulatorScript } from '../../local/emulators.js';

export default async function setup(): Promise<() => void> {
  Object.assign(process.env, integrationEnvironment(process.env, localEmulatorEndpoints()));
  const started = await ensureEmulators(process.env);
  return () => {
    if (started.length > 0) runEmulatorScript('stop', ...started);
  };
}
