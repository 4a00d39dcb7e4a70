import { defineConfig } from 'vitest/config';

// Tests run outside Vite's SvelteKit plugin: the code they reach uses relative imports only.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/lib/**/*.ts', 'server/**/*.ts', 'workers/**/*.ts', 'db/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.svelte.ts', 'server/vite-dev-hub.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    hookTimeout: 60_000,
  },
});
