import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Red-team reproductions for the rules API and the cluster follower: kept out of CI (the root
// vitest.config.ts projects do not include test/redteam-api). Run: npx vitest run -c test/redteam-api/vitest.config.ts
export default defineConfig({
  test: {
    // Absolute, so it resolves the same from the repo root (vitest) and from this folder (knip).
    globalSetup: [fileURLToPath(new URL('../setup/temp-root.ts', import.meta.url))],
    include: ['test/redteam-api/**/*.redteam.test.ts'],
    testTimeout: 20_000,
  },
});
