// A process's event loop, watched (src/lib/server/kernel/loop-watch.ts): a hold-up is seen, and a
// loop that never turns again kills its process, as a real stuck process, in a process of its own.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchLoop } from '../../src/lib/server/kernel/loop-watch.ts';

const root = join(import.meta.dirname, '..', '..');

/** Runs a script that watches its loop (exit after 1 s of silence), then does `then`; resolves with how it ended. */
function child(then: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string; ms: number }> {
  const script = `
    import { watchLoop } from './src/lib/server/kernel/loop-watch.ts';
    watchLoop({ name: 'test', stallMs: 200, exitAfterMs: 1000 });
    setTimeout(() => { ${then} }, 200);
  `;
  const started = Date.now();
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  // a watch that failed to end it: the test ends it (never a busy loop left behind), and says so
  const limit = setTimeout(() => {
    err += 'still running after 10 s: killed by the test';
    p.kill('SIGTERM');
  }, 10_000);
  return new Promise((resolve) => p.on('exit', (code, signal) => {
    clearTimeout(limit);
    resolve({ code, signal, err, ms: Date.now() - started });
  }));
}

describe('the event loop watched', () => {
  it('sees a hold-up for a while after it, and a smooth loop as healthy', async () => {
    const loop = watchLoop({ name: 'test', stallMs: 300, exitAfterMs: 0 });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(loop.healthy()).toBe(true);
      const until = Date.now() + 800;
      while (Date.now() < until) { /* held */ }
      await new Promise((r) => setTimeout(r, 250));
      expect(loop.recentStallMs()).toBeGreaterThanOrEqual(600);
      expect(loop.healthy()).toBe(false);
    } finally {
      await loop.stop();
    }
  });

  it('a loop that never turns again is killed within its limit, saying why; one that idles is left alone', async () => {
    const stuck = await child('for (;;) {}');
    expect(stuck.signal).toBe('SIGKILL');
    expect(stuck.ms).toBeLessThan(5_000);
    expect(stuck.err).toMatch(/the event loop has not turned for \d+ ms: exiting/);
    const idle = await child('setTimeout(() => process.exit(0), 2500)');
    expect(idle).toMatchObject({ code: 0, signal: null });
    expect(idle.err).toBe('');
  }, 30_000);
});
