import { defineConfig } from 'tsup';

// One entry per public subpath; later issues add `nats`, `kafka`, `redis`, `postgres` and `testing`.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
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
