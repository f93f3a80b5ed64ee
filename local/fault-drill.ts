/**
 * The fault drill's settings: the local platform, made to fail on purpose, for the fault-injection suite
 * (test/faults). LOCAL_FAULT_DRILL holds them as JSON; only local/runtime.ts reads it, and nothing under lambdas/
 * knows about it: the deployed functions are bundled from lambdas/ alone, so no setting of the stack can turn
 * the drill on. local/fault-injection.ts does what they say.
 */
import * as z from '../lambdas/shared/schemas/zod.js';

const rate = z.number().check(z.gte(0), z.lte(1));
const atLeastOne = z.int().check(z.gte(1));
export const faultDrillSchema = z.strictObject({
  /** Share of SES SendRawEmail and SNS Publish calls that fail, half throttled and half 5xx. */
  providerFailureRate: z._default(rate, 0),
  /** Share of the ingest path's DynamoDB request attempts that are throttled. */
  ingestThrottleRate: z._default(rate, 0),
  /**
   * A channel worker's process kills itself at its Nth provider call (SES, SNS or Twilio), just before or just after
   * it: once per process, so a worker restarted after each crash crashes about once every N calls...
   */
  crashAtCall: z.optional(atLeastOne),
  /**
   * ...and at most this many times per channel: each crash sends jobs round again, and re-sends must not feed more
   * crashes, or how long a drill takes would depend on the machine's speed.
   */
  crashesPerChannel: z._default(atLeastOne, 2),
  /**
   * A broadcast's fan-out dies at its Nth recipient record of a chunk, at most `fanOutCrashes` times: every call it
   * makes after that point fails, as a killed function's would, and the chunk comes back after its visibility timeout.
   */
  crashFanOutAtRecord: z.optional(atLeastOne),
  fanOutCrashes: z._default(atLeastOne, 2),
  /** Every SQS batch is handed to the worker twice, at once or one after the other (the fan-out's chunks too). */
  duplicateDeliveries: z._default(z.boolean(), false),
  /**
   * Every batch of provider events (the feedback queues) is handed to its feedback function twice, its records in a
   * random order each time: events arrive twice and out of order, as SES and SNS say they may.
   */
  disorderFeedback: z._default(z.boolean(), false),
  /**
   * Every schedule fires twice: each dispatch batch is handed over twice, and the due drain queues each due
   * notification twice, the second up to ten seconds late (local/scheduler.ts).
   */
  duplicateSchedules: z._default(z.boolean(), false),
  /** Where the SMS worker sends: a Twilio-compatible server that outlives this process. */
  twilioUrl: z.optional(z.url()),
  /** A file the process appends its crash reports to (JSON lines). */
  journal: z.optional(z.string().check(z.minLength(1))),
  // The drill's clock runs fast: the same rules, with shorter waits.
  visibilityTimeoutSeconds: z.optional(atLeastOne),
  claimLeaseSeconds: z.optional(atLeastOne),
  retryBaseSeconds: z.optional(atLeastOne),
});

export type FaultDrill = z.infer<typeof faultDrillSchema>;

export const FAULT_DRILL_VARIABLE = 'LOCAL_FAULT_DRILL';

export function faultDrillFromEnv(env: NodeJS.ProcessEnv): FaultDrill | undefined {
  const text = env[FAULT_DRILL_VARIABLE];
  if (!text) return undefined;
  const parsed = faultDrillSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${FAULT_DRILL_VARIABLE} is not a fault drill: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
