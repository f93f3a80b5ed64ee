import type { PlatformConfig } from './lib/settings.js';

/**
 * This installation's settings: edit this file, then `npm run deploy`. The CDK app and the local runtime
 * both read it (lib/settings.ts says what each field means; an editor checks it as you type, `cdk synth` again).
 * Every stage without a platform.config.<stage>.ts of its own deploys with these (docs/stages.md).
 */
export default {
  producers: [
    {
      name: 'order-service',
      scopes: ['notifications:send'],
      types: ['order_*', 'order.*'],
      rateLimit: 50,
      burstLimit: 100,
      dailyQuota: 1_000_000,
    },
    {
      name: 'auth-service',
      scopes: ['notifications:send'],
      types: ['password_reset', 'auth.*'],
      rateLimit: 20,
      burstLimit: 50,
      dailyQuota: 200_000,
    },
    {
      // Owns people's accounts: where their email and texts go, their devices, their choices, and erasing them.
      name: 'account-service',
      scopes: ['notifications:send', 'users:read', 'preferences:write', 'contacts:write', 'users:erase'],
      types: ['account.*'],
      rateLimit: 20,
      burstLimit: 50,
      dailyQuota: 200_000,
    },
    {
      name: 'admin-console',
      scopes: [
        'notifications:send',
        'notifications:read_all',
        'users:read',
        'preferences:write',
        'contacts:write',
        'users:erase',
        'templates:write',
        'topics:write',
        'webhooks:write',
        'admin',
      ],
      types: ['*'],
      rateLimit: 5,
      burstLimit: 10,
      dailyQuota: 10_000,
    },
  ],
  // One address may use the stage's whole rate (200/s for five minutes) and no more; allowedSources (e.g.
  // { cidrs: ['203.0.113.0/24'] }) limits the producers' routes to your producers' addresses (recipients' links and
  // Twilio's webhooks stay reachable from anywhere). The routes without a key have lower limits of their own: 100/s
  // each, so that all of them together never take more than 500/s of the account's, and 3,000 requests from one
  // address in five minutes (Twilio calls back about three times a text: raise both if you send more than 30 texts a
  // second). domainName: { name, certificateArn } gives the API a domain of yours.
  api: {
    rateLimit: 200,
    burstLimit: 400,
    requestsPerSourceIpPer5Minutes: 60_000,
    keyless: { rateLimit: 100, burstLimit: 200, requestsPerSourceIpPer5Minutes: 3_000 },
  },
  // A link in an email opens the person's preference page with every choice for 30 days; until a year it may still
  // unsubscribe (never re-subscribe), so a forwarded email does not hand over someone's choices for good.
  links: { changeAnythingForDays: 30, unsubscribeForDays: 365 },
  // How far ahead a producer may schedule a send (send_at), in days.
  schedule: { maxDaysAhead: 366 },
  // What messages are about: each template names one. A person turns categories on and off per channel, except
  // the required ones; `defaults` says what holds until they choose (marketing texts need their yes first).
  // `throttle: { limit: 3, windowSeconds: 7 * 86400 }` caps a category per person and channel (docs/scheduling.md).
  categories: {
    security: { label: 'Security alerts', labels: { de: 'Sicherheitswarnungen' }, required: true },
    orders: { label: 'Your orders', labels: { de: 'Ihre Bestellungen' } },
    marketing: {
      label: 'News and offers',
      labels: { de: 'Neuigkeiten und Angebote' },
      defaults: { sms: false, push: false },
    },
  },
  defaultCategory: 'orders',
  email: { sender: 'notifications@example.com' },
  // helpText answers HELP texted to your number: name your service and say how to stop. optOutLine ends each text
  // of a category a person may leave. translations: the same in the other languages the platform speaks.
  sms: {
    helpText:
      'Notifications from Example Inc. Reply STOP to unsubscribe, START to subscribe again. Msg & data rates may apply.',
    optOutLine: 'Reply STOP to opt out.',
    translations: {
      de: {
        helpText: 'Benachrichtigungen von Example Inc. Antworten Sie STOP zum Abmelden, START zum erneuten Anmelden.',
        optOutLine: 'Abmelden: Antwort STOP.',
      },
    },
  },
  push: { maxDevicesPerUser: 10 },
  // Every change of a notification's state is an event on the stack's bus (docs/events.md). Other accounts of yours
  // that should put rules on it (a data account, another team's), by id: '123456789012'.
  events: { subscriberAccounts: [] },
  // DAX before ingest's user reads: off, since on cost it pays for itself only past about 1.6 billion notifications a
  // month (docs/capacity.md); turn it on for lower read latency or a person who receives hundreds a second
  // (enabled: true here, or `npx cdk deploy -c dax=true`).
  preferencesCache: { enabled: false, nodeType: 'dax.t3.small', nodes: 3, itemTtlSeconds: 60, queryTtlSeconds: 60 },
  // Each worker reserves maxConcurrency (reserveConcurrency: false reserves nothing): cdk synth says how much quota
  // the account needs.
  // providerRatePerSecond is your provider's: SES's maximum send rate (14 a second on a new production account; ask
  // for more), your Twilio sender's messages per second (1 for a long code), SNS's push rate. Broadcasts go through
  // each channel's bulk lane, paced below it, so that a password reset never waits behind them.
  channels: {
    email: {
      batchSize: 10,
      batchingWindowSeconds: 0,
      maxConcurrency: 20,
      providerRatePerSecond: 14,
      bulk: { ratePerSecond: 10, maxConcurrency: 2 },
    },
    sms: {
      batchSize: 10,
      batchingWindowSeconds: 0,
      maxConcurrency: 10,
      providerRatePerSecond: 1,
      bulk: { ratePerSecond: 0.5, maxConcurrency: 2 },
    },
    push: {
      batchSize: 10,
      batchingWindowSeconds: 0,
      maxConcurrency: 20,
      providerRatePerSecond: 300,
      bulk: { ratePerSecond: 200, maxConcurrency: 2 },
    },
  },
  alarms: { oldestJobAgeSeconds: 300, api5xxPerFiveMinutes: 5, workerErrorsPerFiveMinutes: 5 },
} satisfies PlatformConfig;
