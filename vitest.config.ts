import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 30_000,
    // GitHub's workflow parser imports its JSON schemas without import attributes, which Node refuses;
    // let Vite load it instead.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The bundle's entry point runs only as dist/index.js, which the end-to-end suite spawns.
      exclude: ['src/index.ts'],
      reporter: ['text-summary', 'lcov'],
      // Per file, so that no module can hide at 0 % behind well-tested ones; e2e runs of dist/ count for
      // nothing here, so every file must be reached in-process.
      thresholds: { perFile: true, lines: 80, branches: 70 }
    }
  }
})
