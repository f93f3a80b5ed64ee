/**
 * This installation's settings: edit this file, then `npx cdk deploy`. The CDK app and the local runtime
 * both read it (lib/config/platform-settings.ts says what each field means and checks it at synth time).
 */
export default {
  environment: 'dev',
  producers: [
    { name: 'order-service', scopes: ['notifications:send'], rateLimit: 50, burstLimit: 100, dailyQuota: 1_000_000 },
    { name: 'auth-service', scopes: ['notifications:send'], rateLimit: 20, burstLimit: 50, dailyQuota: 200_000 },
    {
      name: 'admin-console',
      scopes: ['notifications:send', 'preferences:write', 'templates:write'],
      rateLimit: 5,
      burstLimit: 10,
      dailyQuota: 10_000,
    },
  ],
  api: { rateLimit: 200, burstLimit: 400 },
  email: { sender: 'notifications@example.com' },
  sms: {},
  push: {},
  preferencesCache: { enabled: true, nodeType: 'dax.t3.small', nodes: 3, itemTtlSeconds: 60, queryTtlSeconds: 60 },
  channels: {
    email: { batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 20 },
    sms: { batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 10 },
    push: { batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 20 },
  },
  alarms: { oldestJobAgeSeconds: 300, api5xxPerFiveMinutes: 5, workerErrorsPerFiveMinutes: 5 },
};
