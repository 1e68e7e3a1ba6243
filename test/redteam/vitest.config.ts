import { defineConfig } from 'vitest/config';

// Red-team reproductions: each asserts the required behaviour and fails while the fault stands.
// Run alone: npx vitest run --config test/redteam/vitest.config.ts
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    globalSetup: ['test/setup/temp-root.ts'],
    include: ['test/redteam/**/*.redteam.test.ts'],
    testTimeout: 20_000,
  },
});
