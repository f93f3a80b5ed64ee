import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The handlers' structured logs would bury the test report; errors still show.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

// Six suites, each with its own script (npm run test:unit | test:infra | test:integration | test:contract |
// test:deploy | test:faults).
// The repository tests the typed client's source; the package others install is its build (clients/typescript).
const CLIENT_SOURCE = fileURLToPath(new URL('./clients/typescript/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { '@notification-platform/client': CLIENT_SOURCE } },
  test: {
    projects: [
      {
        // Pure rules, but some (the render limits, property tests) take seconds on a busy machine.
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'clients/typescript/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Synthesizing a stack takes seconds on 2 cores, and much longer on a busy one: hooks synthesize too. These are
        // bounds for a machine that has stopped, not for a slow one.
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000 },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts the local emulators when nothing answers, stops what it started.
          globalSetup: ['test/support/emulator-global-setup.ts'],
          // Each wait inside a test is bounded by what it waits for (test/support/eventually.ts) and says what was still
          // under way; these outer bounds only catch a wait that has none.
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          globalSetup: ['test/support/emulator-global-setup.ts'],
          hookTimeout: 600_000,
          // Bounded by the test itself (15 minutes), which then says what was still running.
          testTimeout: 16 * 60_000,
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          // Starts the deploy emulator (LocalStack with CloudFormation) when nothing answers, stops what it started.
          globalSetup: ['test/deploy/cloud-global-setup.ts'],
          // Each cdk command is bounded by the test itself (10 minutes), which then says which one was running.
          hookTimeout: 21 * 60_000,
          testTimeout: 11 * 60_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          // One drill at a time: each runs the whole platform.
          fileParallelism: false,
          globalSetup: ['test/support/emulator-global-setup.ts'],
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
