import type * as z from '../shared/schemas/zod.js';

/** Whom the platform can reach: their contacts (by field of the contacts document) and how many devices they hold. */
export interface Reachability {
  readonly contacts: Readonly<Record<string, string | undefined>>;
  readonly deviceCount: number;
}

/**
 * What the rest of the platform knows of a channel, and all it knows: the channel's folder (lambdas/channels/<name>/)
 * holds the rest (worker handler, deliverer, provider adapter and its error rules, rendering, infrastructure, local
 * outbox). Pure: no AWS SDK, no template engine, so that every function may load it.
 */
export interface ChannelDefinition<Name extends string = string> {
  /** Its name everywhere: preferences, templates, queues, statuses. */
  readonly name: Name;
  /** Its part of a template: each field a Liquid source (e.g. email's subject and body). */
  readonly templatePart: z.ZodMiniObject;
  /** Where a person is reached on it, in their contacts; none for a channel that reaches devices instead. */
  readonly contact?: { readonly field: string; readonly schema: z.ZodMiniType<string, string> };
  /** Whether a person can be reached on it; by default, whether they have its contact. */
  readonly reachable?: (person: Reachability) => boolean;
  /**
   * For a channel added after producers began writing preferences: a PUT that leaves its switch out (a client that
   * predates it) keeps working, and the switch is this. Left out, the switch is required, as the first channels' are.
   */
  readonly switchDefault?: boolean;
  /** Whether quiet hours hold it back when the person names no channels (a text wakes people; an email does not). */
  readonly quietByDefault: boolean;
  /** Its block of platform.config.ts (sender, credentials, applications), checked at synth. */
  readonly settings: z.ZodMiniObject;
}
