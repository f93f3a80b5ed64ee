import type { DestinationPolicy } from '../shared/domain/webhooks.js';
import { ENV, optionalEnv } from '../shared/platform/environment.js';

/** Where webhooks may go: `any` only where the local runtime says so; deployed, https to public addresses. */
export function destinationPolicyFromEnv(): DestinationPolicy {
  const policy = optionalEnv(ENV.webhookDestinations) ?? 'public-https';
  if (policy !== 'public-https' && policy !== 'any')
    throw new Error(`${ENV.webhookDestinations} must be public-https or any, not "${policy}"`);
  return policy;
}

/** The local runtime's retry schedule, or undefined for the standard one. */
export function retryScheduleFromEnv(): number[] | undefined {
  const raw = optionalEnv(ENV.webhookRetrySchedule);
  if (raw === undefined) return undefined;
  const schedule = raw.split(',').map(Number);
  if (schedule.some((seconds) => !Number.isInteger(seconds) || seconds < 0))
    throw new Error(`${ENV.webhookRetrySchedule} must be whole seconds, comma-separated, not "${raw}"`);
  return schedule;
}
