import { defineConfig } from 'vitest/config';

// Projects split the suite by what it needs: `unit` needs nothing; each integration project starts (or finds)
// its real broker once in its global setup and shares the address with its tests through `provide`/`inject`.
// `npx vitest run --project unit` runs the fast part alone.
export default defineConfig({
  test: {
    // Real brokers are slow to start on a 2-core machine; individual tests set tighter limits.
    testTimeout: 30_000,
    hookTimeout: 180_000,
    passWithNoTests: true,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts', 'src/**/index.ts', 'src/**/types.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 90 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/chaos/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'nats',
          include: ['test/integration/nats/**/*.test.ts'],
          globalSetup: ['test/support/nats-global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'kafka',
          include: ['test/integration/kafka/**/*.test.ts'],
          globalSetup: ['test/support/kafka-global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'stores',
          include: ['test/integration/stores/**/*.test.ts'],
          globalSetup: ['test/support/stores-global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Fault injection against real brokers and stores (issue 12): one file at a time, since scenarios kill,
          // freeze and restart servers; `--expose-gc` lets the slow-consumer scenario measure settled heap.
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          globalSetup: ['test/chaos/support/global-setup.ts'],
          fileParallelism: false,
          execArgv: ['--expose-gc'],
        },
      },
    ],
  },
});
