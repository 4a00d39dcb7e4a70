// Which workers process reacts to which shops' events. The shops are hashed into EVENT_PARTITIONS
// partitions (db/migrations/0114); each partition is one process's at a time, through a lease of
// its own: a session advisory lock, all of a process's taken on one connection of its own. Every
// process also holds a shared "present" lock on it, so each can count the processes present and
// take its share, ceil(partitions / present): the first process takes every partition, a second one
// makes the first hand half of them over (its place written down first), and when a process dies its
// connection closes, Postgres lets its locks go at once and the others take its partitions within
// LEASE_RETRY_MS. As for the single lease (reactor-lease.ts): a holder silent for LEASE_STALE_MS (its
// machine gone, its connection still open) is cut off by another process, a holder that could not
// show it is alive for half of that lets its partitions go by itself, and a process whose Redis is
// away (the reactor's queues) lets them go and is not counted present.
import pg from 'pg';
import type { Logger } from 'pino';
import { EVENT_PARTITIONS } from '../src/lib/server/events/events.ts';
import { LEASE_HEARTBEAT_MS, LEASE_RETRY_MS, LEASE_STALE_MS } from './reactor-lease.ts';

// first halves of the advisory lock ids, beside the reactor's lease (7242010)
const PARTITION_LOCK = 7242011;
const PRESENT_LOCK = 7242012;

export interface PartitionLeaseOptions {
  databaseUrl: string;
  /** What the partitions are for: processes sharing a name (and a database) share them. */
  name: string;
  log: Logger;
  /** A partition taken: its work starts (from its written place). */
  onTaken: (part: number) => Promise<void>;
  /** A partition handed over: its work stops and its place is written down, before its lock goes. */
  onGiven: (part: number) => Promise<void>;
  /** Partitions lost with the connection (another process may hold them already): their work stops at once. */
  onLost: (part: number) => Promise<void>;
  /** Whether what the work needs besides Postgres answers now (this process's Redis); absent: always. */
  healthy?: () => boolean;
  /** How many partitions (tests: fewer). */
  partitions?: number;
}

export interface PartitionLeases {
  /** The partitions this process holds now. */
  readonly held: ReadonlySet<number>;
  /** Hands every partition over (their places written down) and stops trying. */
  close(): Promise<void>;
}

/** Takes this process's share at once (resolving once that first round is done), then keeps it every LEASE_RETRY_MS. */
export async function startPartitionLeases(opts: PartitionLeaseOptions): Promise<PartitionLeases> {
  const leases = new AdvisoryPartitions(opts);
  await leases.round();
  return leases;
}

class AdvisoryPartitions implements PartitionLeases {
  private client: pg.Client | null = null;
  readonly held = new Set<number>();
  private closed = false;
  private lastBeat = 0;
  private unhealthySince = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly count: number;
  /** Where this process starts looking for free partitions: processes starting together try different ones first. */
  private readonly offset: number;

  constructor(private readonly opts: PartitionLeaseOptions) {
    this.count = opts.partitions ?? EVENT_PARTITIONS;
    this.offset = Math.floor(Math.random() * this.count);
  }

  private key = (part: number) => `${this.opts.name}:${part}`;

  /** The connection lost or cut: every partition's work stops at once (the locks went with it). */
  private loseAll(why: string) {
    const c = this.client;
    this.client = null;
    if (c) void c.end().catch(() => undefined);
    if (!this.held.size) return;
    const parts = [...this.held];
    this.held.clear();
    this.opts.log.warn({ lease: this.opts.name, partitions: parts, why }, 'partitions lost: this process stops reacting to them, another takes them over');
    for (const p of parts) void this.opts.onLost(p).catch((err) => this.opts.log.error({ err }, 'partitions: stopping the work failed'));
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: 'ocpizza-workers-partitions', keepAlive: true });
    c.on('error', (err) => {
      this.opts.log.debug({ err }, 'partitions connection error');
      if (this.client === c) this.loseAll('its connection was lost');
    });
    c.on('end', () => {
      if (this.client === c) this.loseAll('its connection ended');
    });
    this.client = c;
    await c.connect();
    await c.query('SELECT pg_advisory_lock_shared($1, hashtext($2))', [PRESENT_LOCK, this.opts.name]);
    this.lastBeat = Date.now();
    return c;
  }

  /** This process's share: every partition over the processes present (counted by their shared lock). */
  private async share(c: pg.Client): Promise<number> {
    const { rows } = await c.query<{ present: number }>(
      `SELECT count(DISTINCT pid)::int AS present FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = $1 AND objid = hashtext($2)::oid AND objsubid = 2`,
      [PRESENT_LOCK, this.opts.name],
    );
    this.lastBeat = Date.now();
    return Math.ceil(this.count / Math.max(1, rows[0].present));
  }

  /** Hands over what is above this process's share (the others are short), then takes free partitions up to it. */
  private async balance(c: pg.Client) {
    const share = await this.share(c);
    const { log, name } = this.opts;
    for (const p of [...this.held].sort((a, b) => b - a).slice(0, Math.max(0, this.held.size - share))) {
      this.held.delete(p);
      await this.opts.onGiven(p).catch((err) => log.error({ err, part: p }, 'partitions: stopping the work failed'));
      await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PARTITION_LOCK, this.key(p)]);
      log.info({ lease: name, part: p }, 'partition handed over');
    }
    const taken: number[] = [];
    for (let i = 0; i < this.count && this.held.size < share && !this.closed; i++) {
      const p = (this.offset + i) % this.count;
      if (this.held.has(p)) continue;
      const { rows } = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [PARTITION_LOCK, this.key(p)]);
      if (!rows[0].got) continue;
      this.held.add(p);
      taken.push(p);
      try {
        await this.opts.onTaken(p);
      } catch (err) {
        // its work could not start (Postgres or Redis away): the partition goes back, and is tried again
        log.error({ err, part: p }, 'partitions: starting the work failed, letting the partition go');
        this.held.delete(p);
        await this.opts.onLost(p).catch(() => undefined);
        await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PARTITION_LOCK, this.key(p)]);
      }
    }
    if (taken.length) log.info({ lease: name, partitions: taken, holding: this.held.size, share }, 'partitions taken: this process reacts to their shops\' events');
    if (this.held.size < share) await this.cutSilentHolders(c);
  }

  /** Cuts off the connection of a holder silent for LEASE_STALE_MS (its machine gone): its partitions come free. */
  private async cutSilentHolders(c: pg.Client) {
    const keys = Array.from({ length: this.count }, (_, p) => this.key(p));
    const { rows } = await c.query<{ pid: number; silent_ms: number }>(
      `SELECT DISTINCT a.pid, extract(epoch FROM now() - greatest(a.state_change, a.query_start)) * 1000 AS silent_ms
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = $1 AND l.objsubid = 2 AND l.objid = ANY(ARRAY(SELECT hashtext(k)::oid FROM unnest($2::text[]) k))
          AND a.pid <> pg_backend_pid()`,
      [PARTITION_LOCK, keys],
    );
    for (const h of rows) {
      if (Number(h.silent_ms) <= LEASE_STALE_MS) continue;
      this.opts.log.warn({ lease: this.opts.name, pid: h.pid, silentMs: Math.round(Number(h.silent_ms)) }, 'partitions holder silent too long: its connection is cut off');
      await c.query('SELECT pg_terminate_backend($1)', [h.pid]);
    }
  }

  private current: Promise<void> = Promise.resolve();

  /** One round: balance (which shows this process alive), then the next one after its pause. */
  round(): Promise<void> {
    this.current = this.roundOnce();
    return this.current;
  }

  private async roundOnce() {
    this.timer = null;
    if (this.closed) return;
    const healthy = this.opts.healthy?.() ?? true;
    this.unhealthySince = healthy ? 0 : this.unhealthySince || Date.now();
    try {
      if (this.held.size && Date.now() - this.lastBeat > LEASE_STALE_MS / 2) this.loseAll('its heartbeat is overdue');
      // its Redis away for a while: the partitions are left to processes whose Redis answers (their
      // places not written down: their batches may wait for Redis; the next owner reacts again to at
      // most a second, harmlessly), and this process is not counted present
      else if (this.unhealthySince && Date.now() - this.unhealthySince > LEASE_STALE_MS / 2) this.loseAll('its Redis has been away');
      // away a moment: kept, and shown alive, but nothing more taken
      else if (this.unhealthySince) {
        if (this.held.size) await this.share(await this.connect());
      } else await this.balanceWithin(await this.connect());
    } catch (err) {
      this.opts.log.debug({ err }, 'partitions: round failed, trying again shortly');
      if (!this.held.size && this.client) this.loseAll('a round failed');
    }
    if (this.closed) return;
    this.timer = setTimeout(() => void this.round(), this.held.size ? LEASE_HEARTBEAT_MS : LEASE_RETRY_MS);
    this.timer.unref();
  }

  /** A round's balance; one that does not come back in time lets the partitions go before another process cuts this one off. */
  private async balanceWithin(c: pg.Client) {
    const late = setTimeout(() => this.loseAll('its heartbeat did not come back'), LEASE_STALE_MS / 2);
    try {
      await this.balance(c);
    } finally {
      clearTimeout(late);
    }
  }

  private async giveAll() {
    const parts = [...this.held];
    this.held.clear();
    for (const p of parts) await this.opts.onGiven(p).catch((err) => this.opts.log.error({ err }, 'partitions: stopping the work failed'));
    if (parts.length) this.opts.log.info({ lease: this.opts.name, partitions: parts }, 'partitions handed over');
  }

  async close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
    await this.giveAll();
    // the locks go with the connection: each partition's place was written down first
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
