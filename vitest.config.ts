import { defineConfig } from 'vitest/config';

// Tests run outside Vite's SvelteKit plugin: the code they reach uses relative imports only.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
