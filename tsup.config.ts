import { defineConfig } from 'tsup';

// One entry per public subpath. Backends and the test suites live behind their own entries so the root never
// imports a broker client or vitest.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    nats: 'src/transport/nats/index.ts',
    kafka: 'src/transport/kafka/index.ts',
    redis: 'src/redis/index.ts',
    postgres: 'src/postgres/index.ts',
    testing: 'src/testing/index.ts',
    saga: 'src/saga/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  outDir: 'dist',
});
