import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'operators/index': 'src/operators/index.ts',
    'redis/index': 'src/redis/index.ts',
    'testing/index': 'src/testing/index.ts',
    'dashboard/index': 'src/dashboard/index.ts',
    'otel/index': 'src/otel/index.ts',
    'p-queue/index': 'src/p-queue/index.ts',
  },
  format: ['esm', 'cjs'],
  // Members marked @internal (the broker's member API) stay out of the published declarations.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: 'node20',
});
