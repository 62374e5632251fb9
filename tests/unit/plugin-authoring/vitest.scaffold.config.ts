import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Runs only the tests the scaffold tests generate under `tests/scaffold-out/` (which the main config excludes). */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../../', import.meta.url)),
    include: ['tests/scaffold-out/**/*.test.ts'],
    testTimeout: 20_000,
    pool: 'forks',
  },
});
