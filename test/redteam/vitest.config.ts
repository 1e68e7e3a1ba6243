// Red-team reproductions: NOT part of CI (no project in the root vitest.config.ts
// includes test/redteam/). Run: npx vitest run --config test/redteam/vitest.config.ts
// Each test asserts the REQUIRED behaviour, so a failing test is an open finding.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/temp-root.ts'],
    include: ['test/redteam/**/*.redteam.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
