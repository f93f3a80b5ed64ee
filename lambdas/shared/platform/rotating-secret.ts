/**
 * A secret that may be rotated under a running function: read through Powertools' cache (five minutes), and read
 * again at once when what it holds was just refused (a signature made with a newer key, a provider saying the
 * credentials are wrong). Such a read is made at most once per REREAD_INTERVAL_MS, so that a flood of refused
 * requests cannot become a flood of reads. Deployed, the secret is in Secrets Manager (its ARN in `arnVariable`);
 * locally and in tests, its JSON may be in the environment instead.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { optionalEnv } from './environment.js';

/** How long a read may be trusted: a rotation reaches every instance within this. */
export const SECRET_CACHE_SECONDS = 300;
/** The least time between two reads forced by a refusal. */
export const REREAD_INTERVAL_MS = 10_000;

export interface SecretSource {
  /** The variable that holds the secret's ARN, deployed. */
  readonly arnVariable: string;
  /** Where its value comes from when there is no ARN (local and tests). */
  readonly fallback: () => unknown;
}

export class RotatingSecret<Value> {
  private lastForcedRead = Number.NEGATIVE_INFINITY;
  private parsed: { readonly raw: unknown; readonly value: Value } | undefined;

  constructor(
    private readonly source: SecretSource,
    private readonly parse: (raw: unknown) => Value,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The value, from the cache while it is younger than SECRET_CACHE_SECONDS. */
  value(): Promise<Value> {
    return this.read(false);
  }

  /**
   * The value read again past the cache, after what it held was refused; undefined when there is nothing new to try
   * (no store behind it, or a read was forced less than REREAD_INTERVAL_MS ago).
   */
  async reread(): Promise<Value | undefined> {
    if (!optionalEnv(this.source.arnVariable)) return undefined;
    if (this.clock() - this.lastForcedRead < REREAD_INTERVAL_MS) return undefined;
    this.lastForcedRead = this.clock();
    return this.read(true);
  }

  /**
   * What `check` makes of the value, or, when it makes nothing of it (a signature made with a key this instance does
   * not hold yet), what it makes of the value read afresh.
   */
  async withFreshOnRefusal<Result>(check: (value: Value) => Result | undefined): Promise<Result | undefined> {
    const cached = check(await this.value());
    if (cached !== undefined) return cached;
    const fresh = await this.reread();
    return fresh === undefined ? undefined : check(fresh);
  }

  private async read(forceFetch: boolean): Promise<Value> {
    const arn = optionalEnv(this.source.arnVariable);
    // Powertools answers the same object while it is cached: it is checked once, not at every call.
    const raw = arn
      ? await getSecret(arn, { transform: 'json', maxAge: SECRET_CACHE_SECONDS, forceFetch })
      : (this.parsed?.raw ?? this.source.fallback());
    const parsed = this.parsed;
    if (parsed && parsed.raw === raw) return parsed.value;
    const value = this.parse(raw);
    this.parsed = { raw, value };
    return value;
  }
}
