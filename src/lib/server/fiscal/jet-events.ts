// The technical events the JET keeps besides key changes and closings (jet.ts writes them): the
// workers' start and stop, the migrations applied, the clock gone backwards, a fiscal setting
// changed, a verification that failed, a backup restored. Each is one call; each writes once what
// it saw once (its source key), so a start repeated or two processes at once write no double.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { isoTime, JET_CHAIN, type CanonicalValue, type Entry, type SessionKind } from '../../domain/fiscal-chain.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { appendJet, appendJetIn } from './jet.ts';
import { appendEntries, lockChain } from './journal.ts';
import type { FiscalKey } from './keys.ts';
import type { JournalReport } from './verify.ts';

/** How far behind the last time the journal wrote down the clock may be before it is journaled (clocks of two machines differ a little). */
export const CLOCK_TOLERANCE_MS = 2000;

/** A process of the system, as its start and stop name it. */
export interface ProcessInfo {
  /** `workers`, `server`. */
  role: string;
  /** This run's own id (a start and its stop share it). */
  instance: string;
  version: string;
}

export const newInstance = (role: string, version: string): ProcessInfo => ({ role, instance: randomUUID(), version });

const processBody = (p: ProcessInfo): { [key: string]: CanonicalValue } => ({ role: p.role, instance: p.instance, version: p.version, host: hostname(), pid: process.pid });

/** The system started (the workers: before they journal anything). */
export const recordStart = (db: Db, key: FiscalKey, p: ProcessInfo): Promise<Entry | null> =>
  appendJet(db, key, { kind: 'start', sourceKey: `start:${p.instance}`, operator: 'system', body: { ...processBody(p), keyId: key.keyId } });

/** The system stopped (the workers: once what they had to journal is written). */
export const recordStop = (db: Db, key: FiscalKey, p: ProcessInfo, startedAt: number): Promise<Entry | null> =>
  appendJet(db, key, { kind: 'stop', sourceKey: `stop:${p.instance}`, operator: 'system', body: { ...processBody(p), upSeconds: Math.round((Date.now() - startedAt) / 1000) } });

/** How far the clock is behind the last time the journal wrote down (any chain's last entry), beyond CLOCK_TOLERANCE_MS; null when it is not. */
export async function clockBehind(q: Queryable, now = Date.now()): Promise<{ lastRecordedAt: string; clockAt: string; behindMs: number } | null> {
  const { rows } = await q.query<{ at: Date | null }>(
    'SELECT max(e.recorded_at) AS at FROM fiscal_chains c JOIN fiscal_entries e ON e.chain = c.chain AND e.seq = c.last_seq',
  );
  const last = rows[0]?.at;
  if (!last || now >= last.getTime() - CLOCK_TOLERANCE_MS) return null;
  return { lastRecordedAt: isoTime(last), clockAt: isoTime(now), behindMs: last.getTime() - now };
}

/** The clock gone backwards, journaled once per last time found ahead of it. */
export const recordClockBackwards = (db: Db, key: FiscalKey, b: { lastRecordedAt: string; clockAt: string; behindMs: number }): Promise<Entry | null> =>
  appendJet(db, key, { kind: 'clock_backwards', sourceKey: `clock_backwards:${b.lastRecordedAt}`, operator: 'system', occurredAt: b.clockAt, body: { ...b, host: hostname() } });

/** The clock checked (clockBehind) and, when behind, journaled (recordClockBackwards). Returns the entry, or null. */
export async function checkClock(db: Db, key: FiscalKey, now = Date.now()): Promise<Entry | null> {
  const behind = await clockBehind(db, now);
  return behind ? recordClockBackwards(db, key, behind) : null;
}

/**
 * The migrations the database applied (node-pg-migrate's pgmigrations) that the JET does not have
 * yet, one `migration` event each, in the order applied. Returns the entries written.
 */
export async function journalMigrations(db: Db, key: FiscalKey): Promise<Entry[]> {
  const { rows } = await db.query<{ name: string; run_on: Date }>(
    'SELECT name, run_on FROM pgmigrations ORDER BY id',
  ).catch(() => ({ rows: [] as { name: string; run_on: Date }[] })); // no migrations table: a database not made by db:migrate
  if (!rows.length) return [];
  return transaction(db, async (tx) => {
    const head = await lockChain(tx, JET_CHAIN);
    const { entries } = await appendEntries(tx, JET_CHAIN, head, rows.map((m) => ({
      kind: 'migration',
      sourceKey: `jet:migration:${m.name}`,
      occurredAt: isoTime(m.run_on),
      operator: 'system',
      orderId: null,
      body: { migration: m.name, appliedAt: isoTime(m.run_on) },
      salesCents: 0,
      vatCents: 0,
      moneyCents: 0,
    })), key);
    return entries;
  });
}

/** A fiscal setting's value as the JET keeps it: null when unset. */
export type SettingValue = string | number | boolean | null;

export interface SettingChange {
  /** Its name: `FISCAL_PUBLIC_KEYS`, `shop:3:siret`, `closing_hour`. */
  setting: string;
  from: SettingValue;
  to: SettingValue;
  /** Who: `manager:4`, `admin:1`, or `system` (seen at a start). */
  actor: string;
  /** This change's own key (the row or request that made it); a new one each call otherwise. */
  sourceKey?: string;
}

/**
 * A fiscal setting changed, written in the caller's transaction (the one that changes it, so
 * neither is without the other). Any feature that keeps a fiscal setting calls this.
 */
export const recordSettingChangeIn = (tx: Tx, key: FiscalKey, c: SettingChange): Promise<Entry | null> =>
  appendJetIn(tx, key, {
    kind: 'setting_change',
    sourceKey: `setting:${c.setting}:${c.sourceKey ?? randomUUID()}`,
    operator: c.actor,
    body: { setting: c.setting, from: c.from, to: c.to },
  });

/** The last value the JET recorded for each setting named. */
async function recordedSettings(q: Queryable, names: string[]): Promise<Map<string, { value: SettingValue; seq: number }>> {
  const { rows } = await q.query<{ setting: string; value: SettingValue; seq: string }>(
    `SELECT DISTINCT ON (body->>'setting') body->>'setting' AS setting, body->'to' AS value, seq
     FROM fiscal_entries WHERE chain = $1 AND kind = 'setting_change' AND body->>'setting' = ANY($2) ORDER BY body->>'setting', seq DESC`,
    [JET_CHAIN, names],
  );
  return new Map(rows.map((r) => [r.setting, { value: r.value, seq: Number(r.seq) }]));
}

/**
 * The settings as this process runs with them, against those the JET last recorded: each that
 * differs (or is seen for the first time) is a `setting_change`. Two processes starting at once
 * write one. Returns the entries written.
 */
export async function journalSettings(db: Db, key: FiscalKey, settings: Record<string, SettingValue>, actor = 'system'): Promise<Entry[]> {
  const names = Object.keys(settings).sort();
  if (!names.length) return [];
  return transaction(db, async (tx) => {
    const head = await lockChain(tx, JET_CHAIN);
    const known = await recordedSettings(tx, names);
    const changed = names.filter((n) => !known.has(n) || JSON.stringify(known.get(n)!.value) !== JSON.stringify(settings[n]));
    const { entries } = await appendEntries(tx, JET_CHAIN, head, changed.map((n) => ({
      kind: 'setting_change',
      sourceKey: `jet:setting:${n}:${createHash('sha256').update(JSON.stringify(settings[n])).digest('hex').slice(0, 16)}:after:${known.get(n)?.seq ?? 0}`,
      occurredAt: isoTime(Date.now()),
      operator: actor,
      orderId: null,
      body: { setting: n, from: known.has(n) ? known.get(n)!.value : null, to: settings[n], firstSeen: !known.has(n) },
      salesCents: 0,
      vatCents: 0,
      moneyCents: 0,
    })), key);
    return entries;
  });
}

/**
 * Each broken chain of a verification run against the database, and each key the JET recorded that
 * the operator does not know, as a `verification_failed` event (once per break or key found: the
 * same found again is not written again). Returns the entries.
 */
export async function recordVerificationFailed(db: Db, key: FiscalKey, report: JournalReport, actor: string): Promise<Entry[]> {
  const written: Entry[] = [];
  for (const c of report.chains) {
    if (!c.broken) continue;
    const e = await appendJet(db, key, {
      kind: 'verification_failed',
      sourceKey: `verification_failed:${c.chain}:${c.broken.seq}:${c.broken.kind}`,
      operator: actor,
      body: { chain: c.chain, shop: c.shop, seq: c.broken.seq, break: c.broken.kind, reason: c.broken.reason, soundEntries: c.entries, operatorKeys: report.operatorKeys },
    });
    if (e) written.push(e);
  }
  for (const keyId of report.keysUnknownToOperator) {
    const e = await appendJet(db, key, {
      kind: 'verification_failed',
      sourceKey: `verification_failed:key:${keyId}`,
      operator: actor,
      body: { unknownKey: keyId, reason: `key ${keyId} is recorded in the technical events journal but not among the operator's public keys` },
    });
    if (e) written.push(e);
  }
  return written;
}

/** A backup restored into this database, with what its verification found. */
export const recordRestore = (db: Db, key: FiscalKey, r: { file: string; sha256: string; bytes: number; actor: string; report: JournalReport }): Promise<Entry | null> =>
  appendJet(db, key, {
    kind: 'restore',
    sourceKey: `restore:${r.sha256}:${randomUUID()}`,
    operator: r.actor,
    body: {
      backup: basename(r.file), sha256: r.sha256, bytes: r.bytes, verified: r.report.ok, host: hostname(),
      chains: r.report.chains.map((c) => ({ chain: c.chain, entries: c.entries, lastSeq: c.lastSeq, broken: c.broken ? `${c.broken.seq}: ${c.broken.kind}` : null })),
    },
  });

/** A member of staff signed in or out, as the JET keeps it: who, and which session (a fingerprint, never the session's secret). */
export const recordSession = (db: Db, key: FiscalKey, kind: SessionKind, member: { id: number; role: string; pizzeriaId: number | null }, session: string): Promise<Entry | null> =>
  appendJet(db, key, {
    kind,
    sourceKey: `${kind}:${member.role}:${member.id}:${session}`,
    operator: `${member.role}:${member.id}`,
    body: { user: { id: member.id, role: member.role, shop: member.pizzeriaId }, session, host: hostname() },
  });

/** A customer's data erased on their request: the orders it anonymised (never who they were). */
export const recordErasure = (db: Db, key: FiscalKey, r: { ordersAnonymised: number; savedCards: number }): Promise<Entry | null> =>
  appendJet(db, key, {
    kind: 'erasure',
    sourceKey: `erasure:${randomUUID()}`,
    operator: 'customer',
    body: { what: 'customer_account', ordersAnonymised: r.ordersAnonymised, savedCards: r.savedCards },
  });
