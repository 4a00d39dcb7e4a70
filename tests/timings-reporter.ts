// Writes how long each test file took, whole (its setup file, its imports, its tests and hooks),
// with its tier, to test-results/timings.json (or TEST_TIMINGS): scripts/test.mjs prints the slowest files and each
// tier's time from it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

interface FileTiming {
  file: string;
  tier: string;
  /** Milliseconds: setting up the file (its database), importing it, then its tests and hooks. */
  ms: number;
  tests: number;
  failed: number;
}

export default class TimingsReporter implements Reporter {
  private readonly files: FileTiming[] = [];
  private readonly started = Date.now();

  onTestModuleEnd(module: TestModule) {
    const d = module.diagnostic();
    const tests = [...module.children.allTests()];
    this.files.push({
      file: relative(process.cwd(), module.moduleId),
      tier: module.project.name,
      ms: Math.round(d.prepareDuration + d.setupDuration + d.collectDuration + d.duration),
      tests: tests.length,
      failed: tests.filter((t) => t.result().state === 'failed').length,
    });
  }

  onTestRunEnd() {
    const out = process.env.TEST_TIMINGS ?? 'test-results/timings.json';
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ wallMs: Date.now() - this.started, files: this.files }, null, 1));
  }
}
