// What the abuse benchmark's parts share (scripts/bench-abuse.ts, bench-abuse-limits.ts): its pools
// and its child processes (the server and the hostile client run scripts/bench-abuse.ts in a mode).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import pg from 'pg';

/** A pool of this process's own: a connection cut (a database dropped at the end) is said, not thrown. */
export function benchPool(connectionString: string, max: number, name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', (err) => writeSync(2, `(${name} pool: ${err.message})\n`));
  return pool;
}

/** scripts/bench-abuse.ts in another process (`--serve`, `--hostile`), at a lower priority when `niceness` is given. */
export function startChild(args: string[], env: Record<string, string>, niceness = 0): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', 'scripts/bench-abuse.ts', ...args];
  return spawn(niceness ? 'nice' : node[0], niceness ? ['-n', String(niceness), ...node] : node.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The port a server started with `--serve` says it listens on. */
export function portOf(server: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('message', (m: { port: number }) => resolve(m.port));
    server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

/** A POST from a given address (forwarded by the trusted proxy). */
export type PostFrom = (path: string, ip: string, body?: unknown) => Promise<{ status: number; body: any }>;
