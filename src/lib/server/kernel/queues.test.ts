import { describe, expect, it } from 'vitest';
import { prepSweepFor } from './queues.ts';

describe('preparation timers', () => {
  const now = Date.parse('2026-11-26T19:00:00.000Z');
  const target = 15 * 60_000;

  it('pizzas of one shop falling due in the same second share a timer, due at that second', () => {
    const a = prepSweepFor(3, now + 10, target, now)!;
    const b = prepSweepFor(3, now + 900, target, now)!;
    expect(a.opts.jobId).toBe(b.opts.jobId);
    expect(a.dueMs).toBe(now + target + 1000);
    expect(a.opts.delay).toBe(target + 1000);
    // it covers both starts, and not a pizza started after the second
    expect(Date.parse(a.data.startedBy)).toBe(now + 1000);
    expect(prepSweepFor(3, now + 1000, target, now)!.opts.jobId).not.toBe(a.opts.jobId);
  });

  it('another shop, or another target, is another timer', () => {
    const a = prepSweepFor(3, now + 10, target, now)!;
    expect(prepSweepFor(4, now + 10, target, now)!.opts.jobId).not.toBe(a.opts.jobId);
    // a target changed on the back office: the same starts fall due at another time
    const longer = prepSweepFor(3, now + 10, target + 5000, now)!;
    expect(longer.opts.jobId).not.toBe(a.opts.jobId);
    expect(longer.dueMs).toBe(a.dueMs + 5000);
  });

  it('a start on a whole millisecond is still covered: the database keeps microseconds', () => {
    const s = prepSweepFor(3, now, 60_000, now)!;
    expect(Date.parse(s.data.startedBy)).toBeGreaterThan(now);
  });

  it('a pizza already past its time has no shared timer: it is checked on its own, at once', () => {
    expect(prepSweepFor(3, now - target - 5000, target, now)).toBeNull();
    expect(prepSweepFor(3, now - target, target, now)!.dueMs).toBe(now + 1000);
  });
});
