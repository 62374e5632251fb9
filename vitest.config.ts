import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'tests/**/*.test.ts',
      'core/**/*.test.ts',
      'stores/**/*.test.ts',
      'plugins/**/*.test.ts',
      'gateway/**/*.test.ts',
      'clients/**/*.test.ts',
      'platform/**/*.test.ts',
      'demo-backends/**/*.test.ts',
      'http-problem/**/*.test.ts',
      'scaffold/**/*.test.ts',
      'otel/**/*.test.ts',
      'examples/**/*.test.ts',
    ],
    // Written and removed by the scaffold tests, which run them with their own config.
    exclude: [...configDefaults.exclude, 'tests/scaffold-out/**'],
    // A Redis for the tests that need one (tests/setup/redis.ts).
    globalSetup: ['tests/setup/redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
