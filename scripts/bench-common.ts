// What the benchmarks share: output, statistics, process readings and cleaning up after a run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import { Redis } from 'ioredis';

export const say = (msg: string) => process.stdout.write(msg + '\n');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const BASE_DB = (process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The p-th percentile of values sorted in ascending order (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * CPU time a process has used so far, in seconds: the time the scheduler ran each of its threads,
 * in nanoseconds (/proc/<pid>/task/<tid>/schedstat), or where the kernel keeps no such count the
 * user + system ticks of /proc/<pid>/stat. The ticks are 10 ms apart: a short stretch of a
 * Postgres backend (twenty handovers, some 30 ms of CPU) read in ticks is off by a third either way,
 * which moved bench:fiscal's per-order figures by ±0.1 ms from one run to the next.
 */
export function cpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended between the listing and the read: its time is no longer counted
        // anywhere but in the process's ticks; a benchmark reads long-lived processes
      }
    }
    if (ns > 0) return ns / 1e9;
  } catch {
    // no schedstat here: the ticks below
  }
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory now (VmRSS), in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Peak resident memory of a process so far (VmHWM), in MiB (Linux). */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Drops a benchmark's database (ending its sessions first) and empties its queue prefix in Redis. */
export async function dropBenchData(admin: pg.Client, dbName: string, queuePrefix: string): Promise<void> {
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    /* nothing of ours there */
  } finally {
    redis.disconnect();
  }
}

/** Builds the project (npm run build) if the built server or pages are missing: the benchmarks run what is deployed. */
export function ensureBuilt() {
  if (existsSync('dist/server/index.js') && existsSync('dist/workers/index.js') && existsSync('build/handler.js')) return;
  say('building (dist/ or build/ missing): npm run build');
  const b = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('npm run build failed');
}
