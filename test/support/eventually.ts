/**
 * Polls `probe` until it returns a value that is not undefined. Emulators and the platform's processes deliver
 * asynchronously, as AWS does, and a busy machine delivers later, so the bound is generous and measured in time, not
 * in attempts: `withinMs` (60 s by default, or longer when the caller's attempts asked for more). A probe that throws
 * (an emulator not ready, a page not served yet) is tried again. When the bound passes, the failure says what was
 * awaited, for how long, and what the probe last said: the state still under way, not merely that time ran out.
 */
export interface EventuallyOptions {
  /** Tries at least this many times (an old way to say the bound: attempts × intervalMs). */
  readonly attempts?: number;
  readonly intervalMs?: number;
  /** The bound, in milliseconds. */
  readonly withinMs?: number;
  /** What the state is while waiting, for the failure's message (the probe's last thrown error otherwise). */
  readonly describe?: () => Promise<string> | string;
}

export const EVENTUALLY_BOUND_MS = 60_000;

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { attempts = 0, intervalMs = 250, withinMs, describe }: EventuallyOptions = {},
): Promise<T> {
  const bound = withinMs ?? Math.max(EVENTUALLY_BOUND_MS, attempts * intervalMs);
  const started = Date.now();
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started >= bound && attempt >= attempts) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const state = describe ? await describe() : lastError ? `the probe last threw: ${(lastError as Error).message}` : '';
  throw new Error(
    `gave up waiting for ${what} after ${Math.round((Date.now() - started) / 1000)} s${state ? `; ${state}` : ''}`,
  );
}
