import { defineConfig } from 'vitest/config';

// One command runs every suite; each folder is its own project so a single
// layer can be run alone (`npm run test:unit`).
export default defineConfig({
  test: {
    // A temporary root of the run's own, which must be empty at the end (test/setup/temp-root.ts).
    globalSetup: ['test/setup/temp-root.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/setup/fast-check.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      // Short form by default; MIRRORGATE_LOAD=long for the full 1,000 pulls.
      { test: { name: 'load', include: ['test/load/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 60_000 } },
    ],
  },
});
