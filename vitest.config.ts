import { defineConfig } from 'vitest/config';

// Tests run outside Vite's SvelteKit plugin: the code they reach uses relative imports only.
// Two projects: the unit tests (src/, pure: no database, no Redis, no server; `npm run test:unit`)
// and the integration and browser tests (tests/: a fresh database and queue prefix per run, made by
// tests/global-setup.ts, one file at a time since they share them).
export default defineConfig({
  test: {
    coverage: {
      provider: 'v8',
      include: ['src/lib/**/*.ts', 'server/**/*.ts', 'workers/**/*.ts', 'db/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.svelte.ts', 'server/vite-dev-hub.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts'], isolate: false, pool: 'threads' } },
      {
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
