import { defineConfig } from 'vitest/config';

// The red team's reproductions, run alone: `npx vitest run --config test/redteam/vitest.config.ts`.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/temp-root.ts'],
    include: ['test/redteam/**/*.redteam.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
