import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Token lifetimes are computed from frozen clocks; no test waits on real time.
    testTimeout: 20_000,
    pool: 'forks',
  },
});
