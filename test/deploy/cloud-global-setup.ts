/**
 * Vitest global setup for the deploy test: the deploy emulator (scripts/emulator.sh's `cloud`: LocalStack with
 * CloudFormation and what a deploy calls, on its own port and filesystem), started when nothing answers there and
 * stopped only if started here. Its address reaches the test as CLOUD_EMULATOR_URL.
 */
import { runEmulatorScript } from '../../local/emulators.js';

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(new URL('/_localstack/health', url), { signal: AbortSignal.timeout(10_000) })).ok;
  } catch {
    return false;
  }
}

export default async function setup(): Promise<() => void> {
  const url = runEmulatorScript('url', 'cloud').trim();
  const started = !(await answers(url));
  if (started) runEmulatorScript('start', 'cloud');
  process.env.CLOUD_EMULATOR_URL = url;
  return () => {
    if (started) runEmulatorScript('stop', 'cloud');
  };
}
