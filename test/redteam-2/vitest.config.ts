import { defineConfig } from 'vitest/config';

// Red-team round 2 reproductions: kept out of CI (the root config's projects do not include this folder).
// Run: npm run build && npx vitest run --config test/redteam-2/vitest.config.ts
export default defineConfig({
  test: {
    globalSetup: ['test/setup/temp-root.ts'],
    include: ['test/redteam-2/**/*.redteam.test.ts'],
    testTimeout: 30_000,
  },
});
