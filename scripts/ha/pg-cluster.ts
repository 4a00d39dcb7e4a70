// A Postgres cluster as production runs it, on one machine, from Debian's packages: etcd (the
// leader key), two Patroni nodes (a leader and a synchronous standby) and HAProxy in front, which
// sends connections to the node whose Patroni answers `GET /primary` with 200. The failover tests
// and the drill start it; `killLeader()` is the machine that dies.
//
// Ports, from basePort: +0 etcd clients, +1 etcd peers, +2/+3 Patroni REST APIs, +4/+5 Postgres,
// +6 HAProxy (the leader), +7 HAProxy's stats page.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chownSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** What the cluster needs on this machine; empty when everything is there. */
export function missingClusterBinaries(): string[] {
  const missing: string[] = [];
  for (const cmd of ['patroni', 'etcd', 'haproxy']) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      missing.push(cmd);
    }
  }
  if (!existsSync(join(PG_BIN_DIR, 'postgres'))) missing.push(`${PG_BIN_DIR}/postgres`);
  return missing;
}

export interface PgClusterOptions {
  /** A directory of the cluster's own (data, configurations, logs); made if missing. */
  dir: string;
  basePort: number;
  /** Patroni's timings: the leader key lives `ttl` seconds (how long a dead leader keeps it). */
  ttl?: number;
  loopWait?: number;
  /** false: the standby follows asynchronously (a commit is answered before the standby has it), as a cluster set up without synchronous mode. */
  synchronous?: boolean;
  /** Where the processes' output goes (default: files in `dir`). */
  log?: (line: string) => void;
}

export interface PgNode {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
}

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<haproxy>/postgres: the leader, whichever node it is. */
  url: string;
  /** The same address for another database. */
  urlFor(database: string): string;
  nodes: PgNode[];
  /** Patroni's REST API of a node that answers (for /cluster, /primary). */
  restUrls: string[];
  /** The leader's name (pg1 or pg2), as Patroni says. */
  leader(): Promise<string>;
  /**
   * The leader's machine lost: `vanish` (default), every process of it at once, as a machine gone;
   * `freeze`, every process stopped (SIGSTOP) and left so, its connections open and silent, as a
   * machine that hangs; `one-by-one`, its Patroni and its postmaster killed (-9), its backends left to
   * notice and end on their own. restartNode brings it back in each case.
   */
  killLeader(how?: LeaderLoss): Promise<{ killed: string; killedAt: number }>;
  /** The leader's WAL senders held still (SIGSTOP): what it commits from now on stays on its machine. Only this cluster's. */
  holdWalSenders(): Promise<void>;
  /** Resolves with the leader's name once a leader answers through HAProxy (writes accepted). */
  waitForLeader(timeoutMs?: number, not?: string): Promise<string>;
  /** The synchronous standby's name, or null when there is none in sync. */
  syncStandby(): Promise<string | null>;
  /** Starts a node again that was killed (it comes back as a standby of the new leader). */
  restartNode(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** How the leader's machine is lost (PgCluster.killLeader). */
export type LeaderLoss = 'vanish' | 'freeze' | 'one-by-one';

interface Member {
  name: string;
  role: string;
  state: string;
  timeline?: number;
  lag?: number | string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A signal to a process that may be gone already. */
function signal(pid: number, sig: NodeJS.Signals) {
  try { process.kill(pid, sig); } catch { /* gone already */ }
}

async function getJson(url: string, timeoutMs = 1000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Postgres refuses to run as root: when this process is root, the nodes run as `postgres`. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function patroniConfig(o: { dir: string; node: PgNode; peer: PgNode; etcdPort: number; ttl: number; loopWait: number; synchronous: boolean }): string {
  // YAML written as JSON (a subset of YAML): no quoting surprises
  const cfg = {
    scope: 'ocpizza',
    name: o.node.name,
    log: { level: process.env.PG_CLUSTER_LOG_LEVEL ?? 'WARNING' },
    restapi: { listen: `127.0.0.1:${o.node.restPort}`, connect_address: `127.0.0.1:${o.node.restPort}` },
    etcd3: { hosts: [`127.0.0.1:${o.etcdPort}`] },
    bootstrap: {
      dcs: {
        ttl: o.ttl,
        loop_wait: o.loopWait,
        retry_timeout: Math.max(2, Math.floor((o.ttl - o.loopWait) / 2)),
        maximum_lag_on_failover: 1048576,
        synchronous_mode: o.synchronous,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          // an old leader that cannot be rewound is cloned again from the new one
          remove_data_directory_on_rewind_failure: true,
          remove_data_directory_on_diverged_timelines: true,
          parameters: {
            wal_level: 'replica',
            hot_standby: 'on',
            max_connections: 200,
            max_wal_senders: 5,
            max_replication_slots: 5,
            wal_log_hints: 'on',
            wal_keep_size: '128MB',
            fsync: 'off', // one machine, test data: a crash of the whole machine is not what is tested
            shared_buffers: '32MB',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }],
    },
    postgresql: {
      listen: `127.0.0.1:${o.node.pgPort}`,
      connect_address: `127.0.0.1:${o.node.pgPort}`,
      data_dir: o.node.dataDir,
      bin_dir: PG_BIN_DIR,
      pgpass: join(o.dir, `${o.node.name}.pgpass`),
      authentication: {
        superuser: { username: 'postgres', password: 'postgres' },
        replication: { username: 'replicator', password: 'replicator' },
        rewind: { username: 'postgres', password: 'postgres' },
      },
      parameters: { unix_socket_directories: o.dir },
      pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication replicator 127.0.0.1/32 trust'],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return JSON.stringify(cfg, null, 2);
}

function haproxyConfig(o: { nodes: PgNode[]; port: number; statsPort: number }): string {
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    // LISTEN connections stay idle for long: they are checked by the product itself
    '  timeout client 24h',
    '  timeout server 24h',
    '  timeout check 1s',
    'listen stats',
    '  mode http',
    `  bind 127.0.0.1:${o.statsPort}`,
    '  stats enable',
    '  stats uri /',
    'listen primary',
    `  bind 127.0.0.1:${o.port}`,
    '  option httpchk GET /primary',
    '  http-check expect status 200',
    // a node that stops being the leader loses its connections at once: clients reconnect to the new one
    '  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...o.nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} maxconn 500 check port ${n.restPort}`),
    '',
  ].join('\n');
}

export async function startPgCluster(opts: PgClusterOptions): Promise<PgCluster> {
  const missing = missingClusterBinaries();
  if (missing.length) throw new Error(`the Postgres cluster needs ${missing.join(', ')} (apt-get install -y patroni etcd-server haproxy postgresql-15)`);
  const h = new PgHarness(opts);
  mkdirSync(opts.dir, { recursive: true });
  if (h.owner) chownSync(opts.dir, h.owner.uid, h.owner.gid);
  try {
    await h.startEtcd();
    // the first node makes the database (initdb, once); the second is cloned from it
    h.startNode(h.nodes[0]);
    const firstDeadline = Date.now() + 60_000;
    while ((await h.leader().catch(() => '')) !== h.nodes[0].name) {
      if (Date.now() > firstDeadline) throw new Error(`the first Patroni node did not become leader (see ${join(opts.dir, 'pg1.log')})`);
      await sleep(200);
    }
    h.startNode(h.nodes[1]);
    const cfgFile = join(opts.dir, 'haproxy.cfg');
    writeFileSync(cfgFile, haproxyConfig({ nodes: h.nodes, port: h.haproxyPort, statsPort: opts.basePort + 7 }));
    h.start('haproxy', 'haproxy', ['-db', '-f', cfgFile], null);
    await h.waitForLeader(30_000);
    await h.standbyFollowing();
  } catch (err) {
    await h.stop();
    throw err;
  }
  return h.cluster();
}

/** The cluster's processes as they run, and how to ask its nodes. */
class PgHarness {
  readonly opts: PgClusterOptions;
  readonly dir: string;
  readonly ttl: number;
  readonly loopWait: number;
  readonly synchronous: boolean;
  readonly owner = runAs();
  readonly etcdPort: number;
  readonly haproxyPort: number;
  readonly nodes: PgNode[];
  readonly procs = new Map<string, ChildProcess>();
  readonly exited = new Map<string, Promise<void>>();
  /** A lost node's processes that may still be there (frozen, or backends left to die): ended when it is restarted. */
  readonly leftOf = new Map<string, number[]>();
  stopping = false;

  constructor(opts: PgClusterOptions) {
    const { dir, basePort } = opts;
    this.opts = opts;
    this.dir = dir;
    this.ttl = opts.ttl ?? 6;
    this.loopWait = opts.loopWait ?? 1;
    this.synchronous = opts.synchronous ?? true;
    this.etcdPort = basePort;
    this.haproxyPort = basePort + 6;
    this.nodes = [0, 1].map((i) => ({
      name: `pg${i + 1}`,
      restPort: basePort + 2 + i,
      pgPort: basePort + 4 + i,
      dataDir: join(dir, `pg${i + 1}`),
    }));
  }

  start(name: string, cmd: string, args: string[], as: { uid: number; gid: number } | null) {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    if (as) chownSync(logFile, as.uid, as.gid);
    const child = spawn(cmd, args, {
      cwd: this.dir,
      stdio: ['ignore', fd, fd],
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
      env: { ...process.env, ...(as ? { HOME: this.dir, USER: 'postgres' } : {}), PATH: `${PG_BIN_DIR}:${process.env.PATH}` },
    });
    closeSync(fd);
    this.procs.set(name, child);
    this.exited.set(name, new Promise<void>((resolve) => child.once('exit', () => resolve())));
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.opts.log?.(`${name} exited (${code ?? signal})`);
    });
    return child;
  }

  async kill(name: string, signal: NodeJS.Signals) {
    const p = this.procs.get(name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(signal);
    await Promise.race([this.exited.get(name), sleep(10_000)]);
  }

  postmasterPid(node: PgNode): number | null {
    try {
      return Number(readFileSync(join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  }

  async stop() {
    this.stopping = true;
    // a lost node's processes first: a frozen one would not hear SIGTERM
    for (const name of [...this.leftOf.keys()]) await this.endLeftOf(name);
    await this.kill('haproxy', 'SIGTERM');
    // Patroni stops its Postgres (fast shutdown) on SIGTERM; a node killed earlier may have left one behind
    await Promise.all(this.nodes.map((n) => this.kill(n.name, 'SIGTERM')));
    for (const n of this.nodes) {
      const pid = this.postmasterPid(n);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
    }
    await this.kill('etcd', 'SIGTERM');
  }

  startNode(n: PgNode) {
    const { dir, etcdPort, ttl, loopWait, synchronous, owner } = this;
    const peer = this.nodes.find((x) => x !== n)!;
    const cfgFile = join(dir, `${n.name}.yml`);
    writeFileSync(cfgFile, patroniConfig({ dir, node: n, peer, etcdPort, ttl, loopWait, synchronous }));
    if (owner) chownSync(cfgFile, owner.uid, owner.gid);
    this.start(n.name, 'patroni', [cfgFile], owner);
  }

  /** etcd, a single member, answering its health check. */
  async startEtcd() {
    const { dir, etcdPort } = this;
    const basePort = this.opts.basePort;
    mkdirSync(join(dir, 'etcd'), { recursive: true });
    this.start(
      'etcd',
      'etcd',
      [
        '--name', 'etcd1',
        '--data-dir', join(dir, 'etcd'),
        '--listen-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${basePort + 1}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${basePort + 1}`,
        '--initial-cluster', `etcd1=http://127.0.0.1:${basePort + 1}`,
        '--initial-cluster-state', 'new',
        // a single member on a busy machine: elections answered fast
        '--heartbeat-interval', '100',
        '--election-timeout', '1000',
      ],
      null,
    );
    const etcdDeadline = Date.now() + 20_000;
    for (;;) {
      const ok = await getJson(`http://127.0.0.1:${etcdPort}/health`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > etcdDeadline) throw new Error(`etcd did not start (see ${join(dir, 'etcd.log')})`);
      await sleep(100);
    }
  }

  /** The standby in sync (synchronous), or streaming from the leader (asynchronous). */
  async standbyFollowing() {
    const { dir, synchronous } = this;
    const syncDeadline = Date.now() + 60_000;
    while (synchronous && !(await this.syncStandby())) {
      if (Date.now() > syncDeadline) throw new Error(`no synchronous standby (see ${join(dir, 'pg2.log')})`);
      await sleep(200);
    }
    // an asynchronous standby: streaming from the leader
    while (!synchronous && !(await this.members()).some((m) => m.role === 'replica' && (m.state === 'streaming' || m.state === 'running'))) {
      if (Date.now() > syncDeadline) throw new Error(`no standby streaming (see ${join(dir, 'pg2.log')})`);
      await sleep(200);
    }
  }

  async members(): Promise<Member[]> {
    for (const n of this.nodes) {
      try {
        const { status, body } = await getJson(`http://127.0.0.1:${n.restPort}/cluster`);
        if (status === 200) return (body as { members: Member[] }).members;
      } catch {
        /* this node is down: ask the other */
      }
    }
    return [];
  }

  async leader(): Promise<string> {
    const m = (await this.members()).find((x) => x.role === 'leader' && x.state === 'running');
    if (!m) throw new Error('no leader');
    return m.name;
  }

  /** A leader that answers /primary and accepts a write through HAProxy. */
  async waitForLeader(timeoutMs = 60_000, not?: string): Promise<string> {
    const pg = (await import('pg')).default;
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const name = await this.leader();
        if (name !== not) {
          const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${this.haproxyPort}/postgres`, connectionTimeoutMillis: 1000 });
          c.on('error', () => {});
          try {
            await c.connect();
            const { rows } = await c.query('SELECT pg_is_in_recovery() AS standby, inet_server_port() AS port');
            const node = this.nodes.find((x) => x.pgPort === Number(rows[0].port));
            if (!rows[0].standby && node?.name === name) return name;
          } finally {
            await c.end().catch(() => {});
          }
        }
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`no leader reachable through HAProxy after ${timeoutMs} ms (${last})`);
  }

  async syncStandby(): Promise<string | null> {
    return (await this.members()).find((m) => m.role === 'sync_standby' && (m.state === 'running' || m.state === 'streaming'))?.name ?? null;
  }

  async killLeader(how: LeaderLoss = 'vanish') {
    const name = await this.leader();
    const node = this.nodes.find((n) => n.name === name)!;
    const pid = this.postmasterPid(node);
    const patroni = this.procs.get(name);
    const killedAt = Date.now();
    // the postmaster is stopped first (it starts no one), then its children: the list cannot change under us
    if (pid) signal(pid, 'SIGSTOP');
    const children = pid ? spawnSync('pgrep', ['-P', String(pid)]).stdout.toString().split(/\s+/).filter(Boolean).map(Number) : [];
    const all = [...(patroni?.pid ? [patroni.pid] : []), ...(pid ? [pid] : []), ...children];
    this.leftOf.set(name, all);
    // freeze: a machine that hangs, nothing of it answers or closes a connection. one-by-one: its Patroni
    // and postmaster die, each backend lives on until it notices. vanish: the machine is gone, every
    // process of it at once (a backend that outlived its postmaster would stop waiting for the standby)
    if (how !== 'one-by-one') for (const p of all) signal(p, 'SIGSTOP');
    if (how === 'freeze') return { killed: name, killedAt };
    patroni?.kill('SIGKILL');
    for (const p of how === 'vanish' ? all : all.slice(0, pid ? 2 : 1)) signal(p, 'SIGKILL');
    await this.exited.get(name);
    return { killed: name, killedAt };
  }

  async holdWalSenders() {
    const name = await this.leader();
    const pid = this.postmasterPid(this.nodes.find((n) => n.name === name)!);
    for (const p of pid ? spawnSync('pgrep', ['-P', String(pid), '-f', 'walsender']).stdout.toString().split(/\s+/).filter(Boolean) : []) signal(Number(p), 'SIGSTOP');
  }

  /** Before a lost node starts again: whatever of it is still there ends, as a machine that reboots. */
  async endLeftOf(name: string) {
    for (const p of this.leftOf.get(name) ?? []) signal(p, 'SIGKILL');
    this.leftOf.delete(name);
    await this.exited.get(name);
  }

  /** What the tests and the drill hold. */
  cluster(): PgCluster {
    const { nodes, haproxyPort } = this;
    const url = `postgres://postgres@127.0.0.1:${haproxyPort}/postgres`;
    return {
      url,
      urlFor: (database) => `postgres://postgres@127.0.0.1:${haproxyPort}/${database}`,
      nodes,
      restUrls: nodes.map((n) => `http://127.0.0.1:${n.restPort}`),
      leader: () => this.leader(),
      killLeader: (how) => this.killLeader(how),
      holdWalSenders: () => this.holdWalSenders(),
      waitForLeader: (timeoutMs, not) => this.waitForLeader(timeoutMs, not),
      syncStandby: () => this.syncStandby(),
      restartNode: async (name) => {
        const node = nodes.find((n) => n.name === name);
        if (!node) throw new Error(`no node ${name}`);
        await this.endLeftOf(name);
        // the postmaster's children end once they see it gone; Patroni starts it again (rewound if needed)
        this.startNode(node);
      },
      stop: () => this.stop(),
    };
  }
}

// `tsx scripts/ha/pg-cluster.ts <dir> <basePort>`: a cluster to try by hand, stopped with Ctrl-C
if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = '/tmp/ocpizza-pg-cluster', port = '15000'] = process.argv.slice(2);
  const t0 = Date.now();
  const cluster = await startPgCluster({ dir, basePort: Number(port), log: (l) => console.log(l) });
  console.log(`cluster up in ${Date.now() - t0} ms: ${cluster.url} (leader ${await cluster.leader()}, sync standby ${await cluster.syncStandby()})`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cluster.stop().then(() => process.exit(0)));
}
