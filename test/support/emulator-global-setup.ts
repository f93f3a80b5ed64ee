/**
 * Vitest global setup for the integration suite: makes sure every endpoint answers before a test runs.
 * Starts a local emulator only for a service that does not answer at the local emulators' own endpoint,
 * and stops only what it started. An endpoint the user chose that does not answer fails the run at once.
 */
import {
  EMULATED_SERVICES,
  EmulatorUnreachableError,
  emulatorFor,
  endpointFor,
  integrationEnvironment,
} from '../../local/emulator-environment.js';
import { isServing, localEmulatorEndpoints, runEmulatorScript } from '../../local/emulators.js';

export default async function setup(): Promise<() => void> {
  const localEndpoints = localEmulatorEndpoints();
  Object.assign(process.env, integrationEnvironment(process.env, localEndpoints));
  const localUrls = new Set(Object.values(localEndpoints));

  const toStart = new Set<string>();
  for (const service of EMULATED_SERVICES) {
    if (await isServing(service, process.env)) continue;
    const endpoint = endpointFor(service, process.env);
    if (!endpoint || !localUrls.has(endpoint)) {
      throw new EmulatorUnreachableError(service, endpoint, new Error('not answering before the tests started'));
    }
    toStart.add(emulatorFor(service));
  }

  const started = [...toStart];
  try {
    if (started.length > 0) runEmulatorScript('start', ...started);
    for (const service of EMULATED_SERVICES) {
      if (!(await isServing(service, process.env))) {
        throw new EmulatorUnreachableError(
          service,
          endpointFor(service, process.env),
          new Error('not healthy after start'),
        );
      }
    }
  } catch (error) {
    if (started.length > 0) runEmulatorScript('stop', ...started);
    if (error instanceof EmulatorUnreachableError) throw error;
    throw new Error(`could not start the local emulators (${started.join(', ')}); scripts/emulator.sh said why above`, {
      cause: error,
    });
  }

  return () => {
    if (started.length > 0) runEmulatorScript('stop', ...started);
  };
}
