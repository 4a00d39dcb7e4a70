// Which workers process does a work that is one process's at a time. Every workers process runs the
// BullMQ workers (the queues spread their jobs over all of them), and reacts to its share of the
// shops' event partitions (event-partitions.ts); but the reconciler and the sweeps are one process's
// at a time, the one holding this lease, and so is the computing of the shops' evenings
// (evening-owner.ts, a lease of its own). A second process waits beside the holder, trying the lease
// every LEASE_RETRY_MS, and takes over when the holder goes away: what it does again is harmless, as
// after a restart (job ids, message claims).
//
// The lease is a session advisory lock held on a connection of its own. A holder that stops or is
// killed closes that connection and Postgres lets the lock go at once. A holder whose machine
// vanishes without closing it (power, network) would keep it until Postgres notices the dead
// connection, which can take hours: so the holder runs a query on it every LEASE_HEARTBEAT_MS, a
// waiting process cuts off a holder whose connection has been silent for LEASE_STALE_MS, and a
// holder that could not run its heartbeat for half of that steps down by itself first.
//
// The work the lease is for needs Redis too (the queues the reactor feeds): a holder whose own Redis
// has been away for half of LEASE_STALE_MS steps down as well (its `healthy` says so), and a process
// whose Redis is away does not take the lease, so that one whose Redis answers follows the events.
import pg from 'pg';
import type { Logger } from 'pino';

/** How often a waiting process tries to take the lease. */
export const LEASE_RETRY_MS = 1000;
/** How often the holder shows it is alive, on the lease's own connection. */
export const LEASE_HEARTBEAT_MS = 1000;
/** A holder whose lease connection has run nothing for this long is cut off by a waiting process. */
export const LEASE_STALE_MS = 10_000;
// first half of the advisory lock id, beside the dispatch (7242002) and idempotency (7242005) locks
const LEASE_LOCK = 7242010;

export interface LeaseOptions {
  databaseUrl: string;
  /** What the lease is for: processes sharing a name (and a database) share one lease. */
  name: string;
  log: Logger;
  /** Called when this process takes the lease: it starts the work the lease is for. */
  onAcquired: () => Promise<void>;
  /**
   * What the logs say when this process takes the lease and when it loses it; absent: the order
   * events' (the operations guide §10.8 has the operator look for them).
   */
  says?: { taken: string; lost: string };
  /** Called when it loses the lease or lets it go: it stops that work (before the lock is released on a close). */
  onLost: () => Promise<void>;
  /** Whether what the work needs besides Postgres answers now (this process's Redis); absent: always. */
  healthy?: () => boolean;
}

export interface Lease {
  /** Whether this process holds the lease now. */
  readonly holding: boolean;
  /** Stops the work, lets the lease go (another process takes it within LEASE_RETRY_MS) and stops trying. */
  close(): Promise<void>;
}

/**
 * Tries the lease at once (resolving once that first try, and the work it started, is done), then
 * keeps trying while another process holds it.
 */
export async function startLease(opts: LeaseOptions): Promise<Lease> {
  const lease = new AdvisoryLease(opts);
  await lease.round();
  return lease;
}

class AdvisoryLease implements Lease {
  private client: pg.Client | null = null;
  private held = false;
  private closed = false;
  private lastBeat = 0;
  /** Since when `healthy` has said no (0: it says yes). */
  private unhealthySince = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Taking and losing happen one at a time, in the order they were decided. */
  private changing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaseOptions) {}

  get holding() {
    return this.held;
  }

  private change(f: () => Promise<void>) {
    const run = this.changing.then(f);
    this.changing = run.catch(() => undefined);
    return run;
  }

  private drop(c: pg.Client | null) {
    if (!c) return;
    if (this.client === c) this.client = null;
    void c.end().catch(() => undefined);
  }

  private stepDown(why: string) {
    if (!this.held) return;
    this.held = false;
    const { log, name, onLost } = this.opts;
    log.warn({ lease: name, why }, this.opts.says?.lost ?? 'lease lost: this process stops following the order events, another takes over');
    const c = this.client;
    void this.change(async () => {
      await onLost().catch((err) => log.error({ err }, 'lease: stopping the work failed'));
      this.drop(c);
    });
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: 'ocpizza-workers-lease', keepAlive: true });
    c.on('error', (err) => {
      this.opts.log.debug({ err }, 'lease connection error');
      if (this.client === c) this.stepDown('its connection was lost');
      this.drop(c);
    });
    c.on('end', () => {
      if (this.client !== c) return;
      this.stepDown('its connection ended');
      this.client = null;
    });
    this.client = c;
    await c.connect();
    return c;
  }

  /** A try to take the lease; cutting off a holder that has been silent too long. */
  private async tryTake() {
    const { log, name } = this.opts;
    const c = await this.connect();
    const { rows } = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [LEASE_LOCK, name]);
    if (rows[0].got) return this.took(c);
    const holder = await c.query<{ pid: number; silent_ms: number }>(
      `SELECT a.pid, extract(epoch FROM now() - greatest(a.state_change, a.query_start)) * 1000 AS silent_ms
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = $1 AND l.objid = hashtext($2)::oid AND l.objsubid = 2`,
      [LEASE_LOCK, name],
    );
    const h = holder.rows[0];
    if (h && Number(h.silent_ms) > LEASE_STALE_MS) {
      log.warn({ lease: name, pid: h.pid, silentMs: Math.round(Number(h.silent_ms)) }, 'lease holder silent too long: its connection is cut off');
      await c.query('SELECT pg_terminate_backend($1)', [h.pid]);
    }
  }

  private async took(c: pg.Client) {
    const { log, name, onAcquired, onLost } = this.opts;
    if (this.closed) return this.drop(c);
    this.held = true;
    this.lastBeat = Date.now();
    log.info({ lease: name }, this.opts.says?.taken ?? 'lease taken: this process follows the order events');
    try {
      await this.change(onAcquired);
    } catch (err) {
      // the work could not start (Postgres or Redis away): the lease goes back, and is tried again
      log.error({ err }, 'lease: starting the work failed, letting the lease go');
      this.held = false;
      await this.change(onLost).catch(() => undefined);
      this.drop(c);
    }
  }

  private async beat() {
    const c = this.client;
    if (!c) return this.stepDown('no connection');
    // a heartbeat that does not come back in time: step down before a waiting process cuts us off
    const late = setTimeout(() => this.stepDown('its heartbeat did not come back'), LEASE_STALE_MS / 2);
    try {
      await c.query('SELECT 1');
      this.lastBeat = Date.now();
    } catch {
      this.stepDown('its heartbeat failed');
    } finally {
      clearTimeout(late);
    }
  }

  /** One heartbeat (holding) or one try (waiting), then the next one after its pause. */
  async round() {
    this.timer = null;
    if (this.closed) return;
    const healthy = this.opts.healthy?.() ?? true;
    this.unhealthySince = healthy ? 0 : this.unhealthySince || Date.now();
    try {
      if (!this.held) {
        await this.changing;
        // its Redis away: the lease is left to a process whose Redis answers
        if (healthy) await this.tryTake();
        else this.drop(this.client);
      } else if (Date.now() - this.lastBeat > LEASE_STALE_MS / 2) this.stepDown('its heartbeat is overdue');
      else if (this.unhealthySince && Date.now() - this.unhealthySince > LEASE_STALE_MS / 2) this.stepDown('its Redis has been away');
      else await this.beat();
    } catch (err) {
      this.opts.log.debug({ err }, 'lease: try failed, trying again shortly');
      if (!this.held) this.drop(this.client);
    }
    if (this.closed) return;
    this.timer = setTimeout(() => void this.round(), this.held ? LEASE_HEARTBEAT_MS : LEASE_RETRY_MS);
    this.timer.unref();
  }

  async close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (this.held) {
      this.held = false;
      await this.change(this.opts.onLost).catch((err) => this.opts.log.error({ err }, 'lease: stopping the work failed'));
    }
    await this.changing;
    // the lock goes with the connection: the work stopped first, so its place is written down
    await c?.end().catch(() => undefined);
  }
}
