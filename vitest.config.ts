import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Starts the run's own redis-server on an ephemeral port and checks Prometheus and Chromium are installed.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests start real servers on ephemeral ports; isolation by process keeps them apart.
    pool: 'forks',
    // In CI a JSON report lets .ci/run print a plain "N passed, N failed" summary line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
