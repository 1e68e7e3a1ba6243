import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The red team's reproductions, run alone: `npx vitest run --config test/redteam/vitest.config.ts`.
// Each asserts the REQUIRED behaviour, so each fails while its finding stands.
export default defineConfig({
  test: {
    globalSetup: [fileURLToPath(new URL('../setup/temp-root.ts', import.meta.url))],
    include: ['test/redteam/**/*.redteam.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
