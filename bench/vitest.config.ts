import { defineConfig } from 'vitest/config';

// `npm run bench:resolve`: tinybench through vitest, figures and ratios printed.
export default defineConfig({
  test: {
    root: '.',
    benchmark: { include: ['bench/**/*.bench.ts'] },
  },
});
