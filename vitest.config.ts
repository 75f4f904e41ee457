import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    environment: 'node',
    // Synth tests load cdktf and provider classes; the 2-core machine needs headroom.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // In CI, also a machine-readable result, summarized by .ci/run.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
