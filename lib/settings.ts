import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { CATEGORY_NAME, type CategoryCatalogue } from '../lambdas/shared/domain/categories.js';
import { CAP_WINDOW_SECONDS } from '../lambdas/shared/domain/frequency-caps.js';
import { LANGUAGES } from '../lambdas/shared/domain/language.js';
import { SCOPES, TYPE_PATTERN } from '../lambdas/shared/domain/producer.js';
import { DEFAULT_MAX_SCHEDULE_DAYS } from '../lambdas/shared/domain/schedule.js';
import * as z from '../lambdas/shared/schemas/zod.js';

/**
 * What a team sets for its installation: producers and their limits, senders, the preferences cache,
 * per-channel throughput and alarm thresholds. Validated when the app is synthesized, so a typo fails
 * `cdk synth` with the field named, not a deployment half an hour later.
 */
const producerSchema = z.strictObject({
  name: z.string().check(z.regex(/^[a-z0-9-]{1,64}$/, 'must be 1 to 64 characters of a-z 0-9 -')),
  scopes: z.array(z.enum(SCOPES)).check(z.minLength(1, 'must grant at least one scope')),
  /**
   * The notification types it owns: it may send these and write their templates, and no others. A type's name,
   * a prefix ending in "*" ("order.*"), or "*" for every type.
   */
  types: z
    .array(
      z
        .string()
        .check(z.regex(TYPE_PATTERN, 'must be a type ("order_shipped"), a prefix ending in "*" ("order.*"), or "*"')),
    )
    .check(z.minLength(1, 'must name at least one type or prefix')),
  /** Steady requests per second (API Gateway usage plan). */
  rateLimit: z.number().check(z.positive('must be a positive number of requests per second')),
  burstLimit: z.int().check(z.positive('must be a positive whole number of requests')),
  dailyQuota: z.int().check(z.positive('must be a positive whole number of requests per day')),
});

const categoryLabel = z.string().check(z.minLength(1), z.maxLength(80));

const categorySchema = z.strictObject({
  /** What the person reads on their preference page, e.g. "Security alerts". */
  label: categoryLabel,
  /** The label in the other languages the preference page speaks, e.g. { de: 'Sicherheitswarnungen' }. */
  labels: z._default(z.partialRecord(z.enum(LANGUAGES), categoryLabel), {}),
  /** A person cannot turn a required category off (security, legal); critical types must belong to one. */
  required: z._default(z.boolean(), false),
  /**
   * A frequency cap: at most `limit` messages of the category in any `windowSeconds`, per person and channel (e.g.
   * marketing: { limit: 3, windowSeconds: 7 * 86400 }). Over it, the channel is skipped as `throttled`. A required
   * category is never capped.
   */
  throttle: z.optional(
    z.strictObject({
      limit: z.int().check(z.gte(1), z.lte(10_000)),
      windowSeconds: z.int().check(z.gte(CAP_WINDOW_SECONDS.min), z.lte(CAP_WINDOW_SECONDS.max)),
    }),
  ),
  /** Whether each channel is on for the category until the person chooses; a channel left out is on. */
  defaults: z._default(
    z.strictObject(
      Object.fromEntries(CHANNELS.map((channel) => [channel, z.optional(z.boolean())])) as Record<
        Channel,
        z.ZodMiniOptional<z.ZodMiniBoolean>
      >,
    ),
    {},
  ),
});

const channelThroughputSchema = z
  .strictObject({
    /** Records per worker invocation (1 to 10 for SQS with partial batch responses). */
    batchSize: z.int().check(z.gte(1), z.lte(10)),
    batchingWindowSeconds: z.int().check(z.gte(0), z.lte(300)),
    /** Concurrent invocations the event source may drive (SQS maximum concurrency, at least 2). */
    maxConcurrency: z.int().check(z.gte(2), z.lte(1000)),
    /**
     * Reserve maxConcurrency for the channel's worker, so that no other function can starve it (or it them). An account
     * must keep 100 executions unreserved (10 on a new account with a quota of 10): one whose quota is below the workers'
     * reservations plus that refuses the stack. false: no reservation; the event source's maximum still caps the worker.
     */
    reserveConcurrency: z._default(z.boolean(), true),
    /**
     * The provider's sending rate, messages a second: SES's maximum send rate of the account (email; 14 on a new
     * production account), the Twilio sender's messages per second (sms: 1 for a long code, 3 toll-free, 100 a short
     * code), SNS's mobile push rate (push). The bulk lane stays below it, so a critical message always finds room.
     */
    providerRatePerSecond: z.number().check(z.positive()),
    /**
     * The bulk lane: a broadcast's jobs, on a queue of their own whose worker invocations (at most maxConcurrency) pace
     * themselves to ratePerSecond together, below providerRatePerSecond.
     */
    bulk: z.strictObject({
      ratePerSecond: z.number().check(z.positive()),
      maxConcurrency: z.int().check(z.gte(2), z.lte(1000)),
    }),
  })
  .check(
    z.refine((throughput) => throughput.bulk.ratePerSecond < throughput.providerRatePerSecond, {
      message: 'must be below providerRatePerSecond, so that the bulk lane leaves room for critical messages',
      path: ['bulk', 'ratePerSecond'],
    }),
  );

export const platformSettingsSchema = z
  .strictObject({
    /** Scheduled sends (send_at): how far ahead a producer may schedule, in days (default 366). */
    schedule: z._default(z.strictObject({ maxDaysAhead: z.int().check(z.gte(1), z.lte(3650)) }), {
      maxDaysAhead: DEFAULT_MAX_SCHEDULE_DAYS,
    }),
    producers: z.array(producerSchema).check(
      z.minLength(1, 'must name at least one producer'),
      z.refine((producers) => new Set(producers.map((producer) => producer.name)).size === producers.length, {
        message: 'must not name a producer twice',
      }),
    ),
    api: z.strictObject({
      /** Stage-wide defaults, above every producer's own plan. */
      rateLimit: z.number().check(z.positive()),
      burstLimit: z.int().check(z.positive()),
      /**
       * Where requests may come from, enforced by the API's resource policy: anything else gets 403 at the edge.
       * Leave out to accept any source that holds a key (API keys identify producers; they are not an access control).
       */
      allowedSources: z.optional(
        z
          .strictObject({
            /** IPv4 or IPv6 ranges, e.g. "10.0.0.0/8" (the public addresses of your NAT gateways, for a regional API). */
            cidrs: z.optional(z.array(z.union([z.cidrv4(), z.cidrv6()])).check(z.minLength(1))),
            /** Interface VPC endpoints for execute-api ("vpce-..."); with them, the API becomes a private API. */
            vpcEndpoints: z.optional(
              z
                .array(
                  z
                    .string()
                    .check(
                      z.regex(/^vpce-[0-9a-f]{8,17}$/, 'must be a VPC endpoint id such as vpce-0123456789abcdef0'),
                    ),
                )
                .check(z.minLength(1)),
            ),
          })
          .check(
            z.refine((sources) => sources.cidrs || sources.vpcEndpoints, {
              message: 'must name cidrs, vpcEndpoints or both; leave allowedSources out to accept any source',
            }),
          ),
      ),
      /**
       * AWS WAF's rate-based rule: requests one source IP may make in any five minutes before WAF answers 429.
       * Set it above the busiest producer's rate behind one address (a NAT gateway is one address).
       */
      requestsPerSourceIpPer5Minutes: z.int().check(z.gte(10), z.lte(2_000_000_000)),
      /**
       * The routes that carry no API key (a recipient's links, Twilio's webhooks), which anyone on the internet can
       * reach: their own throttle (each method its own rate and burst), and a per-address limit of their own in WAF,
       * far below the producers', so that garbage posted at them never takes a producer's capacity.
       */
      keyless: z.strictObject({
        rateLimit: z.number().check(z.positive()),
        burstLimit: z.int().check(z.positive()),
        requestsPerSourceIpPer5Minutes: z.int().check(z.gte(10), z.lte(2_000_000_000)),
      }),
      /**
       * A custom domain for the API (regional, with an ACM certificate for it in the stack's region): recipients' links
       * and Twilio's callbacks use it, and Twilio's signatures are checked against it. Point the domain's DNS at the
       * stack's ApiDomainTarget output (a CNAME, or a Route 53 alias).
       */
      domainName: z.optional(
        z.strictObject({
          name: z
            .string()
            .check(
              z.regex(
                /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
                'must be a domain name such as notify.example.com',
              ),
            ),
          certificateArn: z
            .string()
            .check(
              z.regex(
                /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
                'must be an ACM certificate ARN',
              ),
            ),
        }),
      ),
    }),
    /** What a link in an email (one-click unsubscribe, the preference page) may do, until what age. */
    links: z
      .strictObject({
        /** Days a link opens the preference page with every choice, re-subscribing and quiet hours included. */
        changeAnythingForDays: z.int().check(z.gte(1), z.lte(3650)),
        /**
         * Days a link may still unsubscribe (one-click, or turning things off on the page), never re-subscribe. At
         * least 30: CAN-SPAM asks an opt-out to work that long after the email was sent.
         */
        unsubscribeForDays: z.int().check(z.gte(30, 'must be at least 30 days (CAN-SPAM)'), z.lte(3650)),
      })
      .check(
        z.refine((links) => links.changeAnythingForDays <= links.unsubscribeForDays, {
          message: 'must not be longer than unsubscribeForDays: an old link does less, not more',
          path: ['changeAnythingForDays'],
        }),
      ),
    /** What messages are about, as a person chooses what to receive (lambdas/shared/domain/categories.ts). */
    categories: z
      .record(
        z.string().check(z.regex(CATEGORY_NAME, 'must be 1 to 32 characters of a-z 0-9 _, starting with a letter')),
        categorySchema,
      )
      .check(
        z.refine((categories) => Object.values(categories).some((category) => category.required), {
          message: 'must have a required category (security, for instance): critical types belong to one',
        }),
      ),
    /** The category of a non-critical type whose template names none. */
    defaultCategory: z.string(),
    // Each channel's own block (sender, credentials, applications), as its definition declares it.
    ...channelSettingsSchemas(),
    /**
     * Keep the tables (people, their choices, notifications, templates, suppressions, topics) when the stack is
     * deleted, and turn on their deletion protection. Defaults to true in the stage `production` only: set it for any
     * stage whose data matters, whatever its name.
     */
    protectData: z.optional(z.boolean()),
    /**
     * State events (docs/events.md): the AWS accounts, besides the stack's, that may put rules of their own on its event
     * bus and so receive its events (the bus's policy lets each manage only the rules it created).
     */
    events: z._default(
      z.strictObject({
        subscriberAccounts: z._default(
          z.array(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'))),
          [],
        ),
      }),
      { subscriberAccounts: [] },
    ),
    preferencesCache: z.strictObject({
      enabled: z.boolean(),
      nodeType: z.string().check(z.startsWith('dax.')),
      /** Nodes in the cluster; 3 or more spreads it over availability zones. */
      nodes: z.int().check(z.gte(1), z.lte(10)),
      itemTtlSeconds: z.int().check(z.gte(1), z.lte(3600)),
      queryTtlSeconds: z.int().check(z.gte(1), z.lte(3600)),
    }),
    channels: z.strictObject(
      Object.fromEntries(CHANNELS.map((channel) => [channel, channelThroughputSchema])) as Record<
        Channel,
        typeof channelThroughputSchema
      >,
    ),
    alarms: z.strictObject({
      /** Alarm when a channel's oldest job has waited longer than this. */
      oldestJobAgeSeconds: z.int().check(z.positive()),
      /** Alarm when the API answers this many 5xx in five minutes. */
      api5xxPerFiveMinutes: z.int().check(z.positive()),
      /** Alarm when a worker's invocations fail this many times in five minutes. */
      workerErrorsPerFiveMinutes: z.int().check(z.positive()),
      /** Where alarms are emailed; leave out to subscribe to the ops topic yourself. */
      notifyEmail: z.optional(z.email()),
    }),
  })
  .check(
    z.refine((settings) => settings.categories[settings.defaultCategory] !== undefined, {
      message: 'must name one of the categories',
      path: ['defaultCategory'],
    }),
  );

/** The block of platform.config.ts each channel declares, under the channel's name. */
function channelSettingsSchemas() {
  return Object.fromEntries(CHANNELS.map((channel) => [channel, CHANNEL_DEFINITIONS[channel].settings])) as {
    [Name in Channel]: (typeof CHANNEL_DEFINITIONS)[Name]['settings'];
  };
}

/** What platform.config.ts is written as (defaults may be left out): `export default { ... } satisfies PlatformConfig`. */
export type PlatformConfig = z.input<typeof platformSettingsSchema>;
/** The settings as validated, defaults filled in: what the stack is built from. */
export type PlatformSettings = z.infer<typeof platformSettingsSchema>;
export type ProducerSettings = PlatformSettings['producers'][number];

/** The categories as the functions read them (CATEGORIES): each channel's default spelled out. */
export function categoryCatalogue(settings: PlatformSettings): CategoryCatalogue {
  return {
    categories: Object.fromEntries(
      Object.entries(settings.categories).map(([name, category]) => [
        name,
        {
          label: category.label,
          labels: category.labels,
          required: category.required,
          defaults: Object.fromEntries(
            CHANNELS.map((channel) => [channel, category.defaults[channel] ?? true]),
          ) as Record<Channel, boolean>,
          ...(category.throttle && !category.required ? { throttle: category.throttle } : {}),
        },
      ]),
    ),
    defaultCategory: settings.defaultCategory,
  };
}

/** The links' lifetimes as the consent function reads them (LINK_LIFETIMES). */
export function linkLifetimesVariable(settings: PlatformSettings) {
  return {
    change_anything_seconds: settings.links.changeAnythingForDays * 24 * 3600,
    unsubscribe_seconds: settings.links.unsubscribeForDays * 24 * 3600,
  };
}

export class InvalidPlatformSettings extends Error {
  constructor(
    readonly problems: readonly string[],
    source = 'platform.config.ts',
  ) {
    super(`${source} is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidPlatformSettings';
  }
}

/** What a setting that was moved out of the file has become, said instead of "is not a known setting". */
const MOVED_SETTINGS: Readonly<Record<string, string>> = {
  environment: 'is now the stage: deploy with -c stage=<name>, its settings in platform.config.<name>.ts',
};

/**
 * Validates the settings, or throws an error that names every bad field (e.g. "producers.0.rateLimit") and the file
 * they came from.
 */
export function validatePlatformSettings(raw: unknown, source?: string): PlatformSettings {
  const result = platformSettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new InvalidPlatformSettings(
    result.error.issues.flatMap((issue) => {
      const path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map(
          (key) =>
            `${[...path, key].join('.')}: ${(path.length === 0 && MOVED_SETTINGS[key]) || 'is not a known setting'}`,
        );
      return [`${path.join('.') || '(root)'}: ${issue.message}`];
    }),
    source,
  );
}
