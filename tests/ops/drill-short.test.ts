// The failover drill in a short form (`npm run drill`, scripts/drill.ts): the whole system as
// production runs it (Patroni, etcd, HAProxy, Redis with Sentinel, two servers behind Nginx, two
// workers processes: Debian's packages and the built app), an evening through Nginx (an order a
// second: CI's other tests share the cores), and its four machine losses 6 s apart instead of 20.
// A message held by the workers process it kills mid-send goes out when its claim lapses: 30 s
// here (MESSAGE_CLAIM_LEASE_SECONDS), 120 s by default and in the long drill. It must end with its table, exit 0 (nothing lost, doubled, missing, late or refused, judged by
// the drill against the database, the provider and the mail server) and leave none of the
// processes it started behind. The longer scenarios (three Postgres
// failovers, five Redis kills) are `npm run drill -- --scenario postgres|redis`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingClusterBinaries } from '../../scripts/ha/pg-cluster.ts';

const engines = missingClusterBinaries().length === 0 && ['/usr/bin/redis-sentinel', '/usr/sbin/nginx'].every((p) => existsSync(p));

/** The drill's machines listen from port 18000 up (etcd, Postgres, HAProxy, Redis, sentinels, Nginx, servers). */
const DRILL_PORTS = [18_000, 18_060];
/** What still listens on the drill's ports, with its process (ss): empty once the drill stopped everything. */
const listening = () =>
  spawnSync('ss', ['-Hltnp']).stdout.toString().split('\n').filter((line) => {
    const port = Number(/:(\d+)\s/.exec(line)?.[1]);
    return port >= DRILL_PORTS[0] && port <= DRILL_PORTS[1];
  });

describe.skipIf(!engines)('the failover drill, short', () => {
  it('loses the Postgres leader, the Redis master, a server and a workers process, 6 s apart: exit 0, its table printed, nothing left running', async () => {
    expect(existsSync(join(process.cwd(), 'dist/server/index.js')), 'npm run build first (npm test does)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'ocpizza-drill-short-'));
    expect(listening(), 'the drill\'s ports are free').toEqual([]);
    try {
      const drill = spawn(process.execPath, ['--import', 'tsx', 'scripts/drill.ts', '--gap', '6', '--every', '1', '--claim-lease', '30', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      drill.stdout.on('data', (b) => (out += b));
      drill.stderr.on('data', (b) => (out += b));
      const code = await new Promise<number | null>((resolve) => drill.once('exit', resolve));
      // the drill's verdict first (its table and accounts), then the tail of what it printed: a
      // failure reads from its first lines
      const verdict = out.includes('## Failover drill') ? out.slice(out.indexOf('## Failover drill')) : '';
      expect(code, `${verdict.slice(0, 3000)}\n--- the drill's last lines:\n${out.slice(-1500)}`).toBe(0);
      for (const fault of ['Postgres leader killed', 'Redis master killed', 'a server killed', 'a workers process killed']) expect(out).toMatch(new RegExp(`\\| ${fault}[^|]*\\| \\d+\\.\\d s \\| \\d+\\.\\d s \\|`));
      expect(out).toMatch(/0 of them lost, 0 duplicated; 0 refused/);
      expect(out).toMatch(/0 sent twice \(under two Message-IDs\), 0 missing/);
      expect(listening()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  // the drill's two minutes, and up to one more when a message was held by the workers process it killed mid-send (its claim lapses in 30 s here)
  }, 480_000);
});
