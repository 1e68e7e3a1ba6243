import { defineConfig } from 'vitest/config';

// Red-team reproductions: each test asserts the REQUIRED behaviour and fails while the fault it shows is there.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/temp-root.ts'],
    include: ['test/redteam/**/*.redteam.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
