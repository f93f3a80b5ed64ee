/**
 * Runs scripts/emulator.sh for the test runner and the local runtime, and checks whether each endpoint answers.
 * The script is the one place that knows the local emulators' ports; this module asks it.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { awsClientDefaults } from '../lambdas/shared/aws/client-defaults.js';
import {
  EMULATED_SERVICES,
  type EmulatedService,
  EmulatorUnreachableError,
  emulatorFor,
  endpointFor,
} from './emulator-environment.js';

const EMULATOR_SCRIPT = fileURLToPath(new URL('../scripts/emulator.sh', import.meta.url));

export function runEmulatorScript(...args: string[]): string {
  return execFileSync('bash', [EMULATOR_SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The local emulators' endpoints, as `scripts/emulator.sh env` prints them (NAME=value lines). */
export function localEmulatorEndpoints(): Record<string, string> {
  const endpoints: Record<string, string> = {};
  for (const line of runEmulatorScript('env').split('\n')) {
    const [name, value] = line.split('=', 2);
    if (name && value) endpoints[name] = value;
  }
  return endpoints;
}

/** Whether the service answers at its endpoint, healthy: LocalStack must report the service up. */
export async function isServing(service: EmulatedService, env: NodeJS.ProcessEnv): Promise<boolean> {
  const endpoint = endpointFor(service, env);
  if (!endpoint) return false;
  try {
    if (service === 'DYNAMODB') {
      const client = new DynamoDBClient({ ...awsClientDefaults, maxAttempts: 1, endpoint });
      await client.send(new ListTablesCommand({ Limit: 1 }));
      client.destroy();
      return true;
    }
    const response = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(10_000) });
    const health = (await response.json()) as { services?: Record<string, string> };
    // LocalStack names each service as its API does: secretsmanager, not secrets_manager.
    const state = health.services?.[service.toLowerCase().replace('_', '')];
    return state === 'running' || state === 'available';
  } catch {
    return false;
  }
}

/**
 * Makes every endpoint answer: starts a local emulator only for a service that does not answer at the local
 * emulators' own endpoint, and fails at once for an endpoint the user chose that does not answer. Answers
 * the emulators it started, which are the only ones the caller may stop.
 */
export async function ensureEmulators(env: NodeJS.ProcessEnv): Promise<string[]> {
  const localUrls = new Set(Object.values(localEmulatorEndpoints()));
  const toStart = new Set<string>();
  for (const service of EMULATED_SERVICES) {
    if (await isServing(service, env)) continue;
    const endpoint = endpointFor(service, env);
    if (!endpoint || !localUrls.has(endpoint)) {
      throw new EmulatorUnreachableError(service, endpoint, new Error('not answering, and not a local emulator'));
    }
    toStart.add(emulatorFor(service));
  }
  const started = [...toStart];
  try {
    if (started.length > 0) runEmulatorScript('start', ...started);
    for (const service of EMULATED_SERVICES) {
      if (!(await isServing(service, env))) {
        throw new EmulatorUnreachableError(service, endpointFor(service, env), new Error('not healthy after start'));
      }
    }
  } catch (error) {
    if (started.length > 0) runEmulatorScript('stop', ...started);
    if (error instanceof EmulatorUnreachableError) throw error;
    throw new Error(`could not start the local emulators (${started.join(', ')}); scripts/emulator.sh said why above`, {
      cause: error,
    });
  }
  return started;
}
