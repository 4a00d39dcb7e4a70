// The fiscal journal's follower in the workers. The product's own processes seal every sale,
// payment and refund in the transaction that makes it (src/lib/server/fiscal/seal.ts, through the
// orders' events): no sale is ever committed without its signed entry. This follower comes behind,
// with a place of its own in the events (event_cursors 'fiscal'), a second behind at most, many
// orders a statement: it finds those orders noted and writes nothing, unless an order's money was
// changed by a process without the seal (a script) or after its event in the same transaction.
// Nothing is lost: its place moves on only once the entries are committed (a kill -9 reads the
// events again, and the source keys make that harmless); Redis plays no part; and a sweep every
// minute looks for orders of the last two days whose money changed without an event (a sale missed
// is journaled; a sale sealed and changed since is an anomaly, never a correction:
// src/lib/server/fiscal/anomalies.ts), then anchors the heads that moved (a checkpoint in the JET
// and a line of the anchor file: src/lib/server/fiscal/anchors.ts).
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { journalEventsAfter, journalPlace, saveJournalPlace } from '../src/lib/server/fiscal/events.ts';
import { checkpoint } from '../src/lib/server/fiscal/anchors.ts';
import { recordKeyInUse } from '../src/lib/server/fiscal/jet.ts';
import { clockBehind, checkClock, journalMigrations, journalSettings, recordClockBackwards, recordStart, recordStop, type ProcessInfo, type SettingValue } from '../src/lib/server/fiscal/jet-events.ts';
import type { FiscalKey } from '../src/lib/server/fiscal/keys.ts';
import { sweepChanged } from '../src/lib/server/fiscal/anomalies.ts';
import { ordersNotJournaled } from '../src/lib/server/fiscal/order-facts.ts';

/**
 * How long the journal gathers events announced before reading them: the orders sold meanwhile go
 * in one run, two statements (in a rush, a second's worth of the whole chain's: a run costs about
 * 0.6 ms of CPU whatever it holds, each order sold a further 0.2 ms or so; npm run bench:fiscal).
 */
export const JOURNAL_GATHER_MS = 1000;
/** After a failure (Postgres away), the next try. */
export const JOURNAL_RETRY_MS = 5000;
/**
 * How often the journal writes its place down (and when it stops): not after every run (a commit of
 * its own each time). A crash reads at most this much again, which writes nothing twice.
 */
export const JOURNAL_PLACE_SAVE_MS = 1000;

/** The journal's place in the events: written down at most every JOURNAL_PLACE_SAVE_MS, and soon after a quiet spell begins. */
function createPlaceKeeper(db: Db, log: Logger) {
  let place: number | null = null;
  let saved: { place: number; at: number } | null = null;
  let timer: NodeJS.Timeout | null = null;
  async function save() {
    if (place === null || place === saved?.place) return;
    const upTo = place;
    await saveJournalPlace(db, upTo);
    saved = { place: upTo, at: Date.now() };
  }
  return {
    async read(): Promise<number> {
      if (place === null) {
        place = await journalPlace(db);
        saved = { place, at: Date.now() };
      }
      return place;
    },
    /** The place reached; `written`: the place the run wrote down itself with its entries (null: none). */
    async reached(p: number, closing: boolean, written: number | null = null) {
      place = p;
      if (written === p && p !== saved?.place) saved = { place: p, at: Date.now() };
      if (p === saved?.place) return;
      if (closing || Date.now() - saved!.at >= JOURNAL_PLACE_SAVE_MS) return save();
      timer ??= setTimeout(() => {
        timer = null;
        save().catch((err) => log.warn({ err }, 'fiscal journal: writing its place failed, trying again later'));
      }, JOURNAL_PLACE_SAVE_MS);
      timer.unref();
    },
    async close() {
      if (timer) clearTimeout(timer);
      await save().catch((err) => log.error({ err }, 'fiscal journal: writing its place failed (the next start reads the events again)'));
    },
  };
}

/**
 * What the journal writes at its first run, before the events: the clock read against the journal's
 * last time (before this process writes anything: its own entries would be the last time after),
 * the key in the JET, this start, the migrations applied and the fiscal settings changed since.
 * Returns whether the start was written.
 */
async function journalStart(db: Db, key: FiscalKey, log: Logger, opts: { process?: ProcessInfo; settings?: Record<string, SettingValue> }, started: boolean): Promise<boolean> {
  const behind = await clockBehind(db);
  const change = await recordKeyInUse(db, key);
  if (change) log.info({ keyId: key.keyId, seq: change.seq }, 'fiscal journal: signing key recorded in the technical events journal');
  if (behind) {
    await recordClockBackwards(db, key, behind);
    log.error(behind, 'fiscal journal: the clock is behind the last time the journal wrote down; written in the technical events journal');
  }
  if (opts.process && !started) await recordStart(db, key, opts.process);
  const migrations = await journalMigrations(db, key);
  if (migrations.length) log.info({ migrations: migrations.length }, 'fiscal journal: migrations applied, written in the technical events journal');
  if (opts.settings) {
    const changed = await journalSettings(db, key, opts.settings);
    if (changed.length) log.info({ settings: changed.map((e) => e.body.setting) }, 'fiscal journal: fiscal settings changed, written in the technical events journal');
  }
  return !!opts.process;
}

/**
 * The minute's sweep: the clock checked; orders whose money changed with no event (a sale the
 * journal missed is written; money changed after the journal sealed it is an anomaly, never a
 * correction: anomalies.ts); then the heads that moved, anchored.
 */
async function sweep(db: Db, key: FiscalKey, place: number, anchorFile: string | null | undefined, log: Logger) {
  const clock = await checkClock(db, key);
  if (clock) log.error(clock.body, 'fiscal journal: the clock went backwards; written in the technical events journal');
  const { journaled, anomalies } = await sweepChanged(db, key, await ordersNotJournaled(db), place);
  if (journaled.length) log.warn({ entries: journaled.length }, 'fiscal journal: orders whose money changed without an event, journaled by the sweep');
  for (const a of anomalies) log.error({ seq: a.seq, ...(a.body.order as object) }, 'fiscal journal: an order\'s money changed outside the product after it was sealed: an anomaly in the technical events journal');
  await anchorHeads(db, key, anchorFile, log);
}

/** The heads that moved since the last checkpoint, anchored (a failure to write the file is said, the checkpoint stands). */
async function anchorHeads(db: Db, key: FiscalKey, file: string | null | undefined, log: Logger) {
  try {
    await checkpoint(db, key, file);
  } catch (err) {
    log.error({ err, file }, 'fiscal journal: anchoring the chains\' heads failed, trying again at the next sweep');
  }
}

export function createFiscalJournal(opts: {
  db: Db;
  key: FiscalKey;
  log: Logger;
  gatherMs?: number;
  /** This process, as its start and stop in the JET name it (none: neither is written). */
  process?: ProcessInfo;
  /** The fiscal settings it runs with: a change since the JET last recorded them is written at start. */
  settings?: Record<string, SettingValue>;
  /** Where each checkpoint's heads are written down outside the database (FISCAL_ANCHOR_FILE; none: the JET's checkpoints only). */
  anchorFile?: string | null;
}) {
  const { db, key, log } = opts;
  const place = createPlaceKeeper(db, log);
  const startedAt = Date.now();
  let keyRecorded = false;
  let started = false;
  let sweepWanted = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  /** At the first run (and until it is done) journalStart; then what the events brought, then the sweep if asked (with the clock checked again). */
  async function catchUp() {
    if (!keyRecorded) {
      started = (await journalStart(db, key, log, opts, started)) || started;
      keyRecorded = true;
    }
    const reached = await journalEventsAfter(db, key, await place.read(), { stopped: () => closed, save: false });
    await place.reached(reached.place, closed, reached.saved);
    if (!sweepWanted) return;
    sweepWanted = false;
    await sweep(db, key, await place.read(), opts.anchorFile, log);
  }

  /** One run at a time; asked for during a run, another one follows it. */
  function run(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    if (running) {
      again = true;
      return running;
    }
    running = catchUp()
      .catch((err) => {
        log.error({ err }, 'fiscal journal: writing failed, trying again shortly');
        if (!closed) timer ??= setTimeout(() => void run(), JOURNAL_RETRY_MS);
      })
      .finally(() => {
        running = null;
        if (again && !closed) {
          again = false;
          void run();
        }
      });
    return running;
  }

  return {
    /** Events were published: read them soon, with whatever else comes meanwhile. */
    nudge() {
      if (closed) return;
      if (running) again = true;
      else timer ??= setTimeout(() => void run(), opts.gatherMs ?? JOURNAL_GATHER_MS);
    },
    /** Reads every event after the journal's place now (at start; tests); resolves once a run that started after the call is done. */
    async catchUp() {
      if (running) await running;
      await run();
    },
    /** Journals, besides, the recent orders whose money changed without an event (the minute's sweep). */
    async sweep() {
      sweepWanted = true;
      await this.catchUp();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
      await place.close();
      if (started && opts.process) {
        await recordStop(db, key, opts.process, startedAt).catch((err) => log.error({ err }, 'fiscal journal: writing the stop failed'));
      }
    },
  };
}
export type FiscalJournal = ReturnType<typeof createFiscalJournal>;
