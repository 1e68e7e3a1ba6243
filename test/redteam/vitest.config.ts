import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Red-team reproductions: each asserts the REQUIRED behaviour and fails while the fault stands.
// Run alone: npx vitest run --config test/redteam/vitest.config.ts (not part of `npm test`).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    globalSetup: [fileURLToPath(new URL('../setup/temp-root.ts', import.meta.url))],
    include: ['test/redteam/**/*.redteam.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
