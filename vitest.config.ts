import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Tests run outside Vite's SvelteKit plugin: the code they reach uses relative imports only.
// Five tiers, by what a test needs (each has its script: `npm run test:<tier>`):
// - unit: pure (src/**, beside the code), no database, no Redis, no server;
// - services: a database of the file's own and the service functions or in-process fakes (tests/services);
// - road: the app in-process, over HTTP, sockets and the relay, with its workers when asked (tests/road);
// - browser: the built app driven by Chromium (tests/browser);
// - ops: other processes and engines: HA clusters, fresh installs, restarts, Nginx, the CLIs, and the
//   checks that read the tree (lint, docs) (tests/ops).
// Every tier but unit gives each file a database cloned from the run's template and a queue prefix
// of its own (tests/global-setup.ts, tests/setup-file.ts), so files run in parallel, in any order.
// TEST_WORKERS sets how many at once: the machine's cores by default.
const workers = Number(process.env.TEST_WORKERS) || availableParallelism();

/**
 * TEST_ORDER=reverse runs the files in reverse order of their paths (z to a): no file may depend on
 * another having run before it. By default vitest runs the slowest (by the last run) or largest first.
 */
class ReverseOrder extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => b.moduleId.localeCompare(a.moduleId));
  }
}

/**
 * A tier's files: tests/<name>/, each in a fresh process unless `isolate` is false (then one after
 * the other in a process that keeps the modules loaded); `files`/`except` pick some of the folder.
 */
const tier = (
  name: string,
  timeouts: { testTimeout: number; hookTimeout: number },
  o: { isolate?: boolean; files?: string[]; except?: string[] } = {},
) => ({
  test: {
    name,
    isolate: o.isolate ?? true,
    include: o.files ?? [`tests/${name}/**/*.test.ts`],
    // (a project's own exclude would set aside the command line's: only where files are set apart)
    ...(o.except ? { exclude: [...configDefaults.exclude, ...o.except] } : {}),
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-file.ts'],
    // a poll waits for what a user would wait for on a busy machine (two cores shared by Postgres,
    // the servers, Chromium and the other files), not vitest's default second
    expect: { poll: { timeout: 10_000 } },
    ...timeouts,
  },
});

/**
 * Services and road files that need a process of their own (the tier 'alone', run with them): the
 * built pages two of them load read their settings (the database, the queues) once a process, the
 * error reporting SDK another starts is the process's, and one mocks a module the others load.
 */
const ALONE = ['tests/services/publishing.test.ts', 'tests/road/api-guards.test.ts', 'tests/road/hostile-input.test.ts', 'tests/road/error-reporting.test.ts'];

/**
 * The ops files whose clusters and processes fail over or restart on timers (the tier 'quiet'): run
 * a file at a time, in a process each, with the machine to themselves (scripts/test.mjs): under the
 * load of other files their timers fail (a takeover past its wait, two drills at once).
 */
const QUIET = ['tests/ops/ha-*.test.ts', 'tests/ops/drill-*.test.ts', 'tests/ops/hubs.test.ts', 'tests/ops/restart.test.ts', 'tests/ops/simulator.test.ts'];

export default defineConfig({
  test: {
    fileParallelism: true,
    ...(process.env.TEST_ORDER === 'reverse' ? { sequence: { sequencer: ReverseOrder } } : {}),
    maxWorkers: workers,
    coverage: {
      provider: 'v8',
      include: ['src/lib/**/*.ts', 'server/**/*.ts', 'workers/**/*.ts', 'db/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.svelte.ts', 'server/vite-dev-hub.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts'], isolate: false, pool: 'threads' } },
      // Timeouts are not speed checks (the benchmarks measure speed): they stop a test that hangs. They
      // are set for CI's slowest 2-core host, where the browser files ran 3-5 times as long as on a
      // quiet machine (the storefront's accessibility check, 5 s a screen size on the quiet one, went
      // past 90 s for three sizes there): a test that waits on a real limit says so itself, with its
      // own shorter wait
      // The services and road files run one after the other in a process that keeps the app's
      // modules loaded (isolate false): loading them again for each file took 364 s of the 1,266 s
      // of CI's longest lane (2026-11-30), 15 s this way. Each file still has its own database,
      // queues and app; what a file could leave set for the whole process is set back by the setup
      // file (tests/setup-file.ts), and the app's caches are kept per database (its pool).
      tier('services', { testTimeout: 60_000, hookTimeout: 120_000 }, { isolate: false, except: ALONE }),
      tier('road', { testTimeout: 60_000, hookTimeout: 120_000 }, { isolate: false, except: ALONE }),
      tier('alone', { testTimeout: 60_000, hookTimeout: 120_000 }, { files: ALONE }),
      // the browser and ops files load the test helpers (the app's modules) once a worker, one file
      // after the other (isolate false): they drive the app in processes of its own and set nothing
      // in the test process a next file would meet (the setup file sets back what could be)
      tier('browser', { testTimeout: 150_000, hookTimeout: 180_000 }, { isolate: false }),
      tier('ops', { testTimeout: 60_000, hookTimeout: 120_000 }, { isolate: false, except: QUIET }),
      tier('quiet', { testTimeout: 60_000, hookTimeout: 120_000 }, { files: QUIET }),
    ],
  },
});
