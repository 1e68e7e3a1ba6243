import { defineConfig } from 'vitest/config';

// Red-team reproductions for the rules API and the cluster follower: kept out of CI (the root
// vitest.config.ts projects do not include test/redteam-api). Run: npx vitest run -c test/redteam-api/vitest.config.ts
export default defineConfig({
  test: {
    globalSetup: ['test/setup/temp-root.ts'],
    include: ['test/redteam-api/**/*.redteam.test.ts'],
    testTimeout: 20_000,
  },
});
