// Signed archives of the fiscal journal (the format: src/lib/domain/fiscal-archive.ts; the
// container: archive-file.ts). An archive holds, for a period, the part of each shop's chain (or one
// shop's) and of the technical events journal written in it, with the public keys that signed, and
// a manifest signed by the key in use. It is kept in Postgres (fiscal_archives, migration 0069:
// nothing there is ever updated or deleted, the maintenance job does not touch it) for six years and
// more, downloaded by head office, and its making is an `archive` event in the JET.
//
// Who calls it: head office from the back office (/manager/fiscal/archives), and the yearly closing
// (makeArchive with ifAbsent: the same period archived once).
import { readFileSync } from 'node:fs';
import { isoTime, JET_CHAIN, type ChainHead, type Entry } from '../../domain/fiscal-chain.ts';
import {
  ARCHIVE_FORMAT, ARCHIVE_VERSION, KEEP_YEARS, MANIFEST, MANIFEST_SIGNATURE, archiveReadme, chainMember, manifestText, toJsonLines, verifyArchiveMembers,
  type ArchiveChain, type ArchiveManifest, type ArchiveReport, type PublicKeyRecord,
} from '../../domain/fiscal-archive.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { ContainerError, packArchive, sha256, unpackArchive, type Member } from './archive-file.ts';
import { appendJetIn, recordedKeys, recordKeyInUse } from './jet.ts';
import { entryOf } from './journal.ts';
import { signatureCheck, type FiscalKey } from './keys.ts';

/** The software that wrote the archive, as its manifest names it. */
export function software(): { name: string; version: string } {
  try {
    return { name: 'OC Pizza Live', version: String(JSON.parse(readFileSync('package.json', 'utf8')).version ?? 'unknown') };
  } catch {
    return { name: 'OC Pizza Live', version: 'unknown' };
  }
}

export interface ArchiveRow {
  id: number;
  createdAt: string;
  createdBy: string;
  shopId: number | null;
  shop: string | null;
  shopName: string | null;
  periodFrom: string;
  periodTo: string;
  fileName: string;
  size: number;
  sha256: string;
  keyId: string;
  keepUntil: string;
  entries: number;
}

const day = (iso: string) => iso.slice(0, 10);

/** The chains an archive of `shop` (or of every shop) holds: the JET first, then the shops' by id. */
async function chainsOf(q: Queryable, shopId: number | null): Promise<{ chain: string; shop: string | null }[]> {
  const { rows } = await q.query<{ chain: string; slug: string | null }>(
    `SELECT c.chain, p.slug FROM fiscal_chains c LEFT JOIN pizzerias p ON p.id = c.pizzeria_id
     WHERE c.chain = $1 OR $2::int IS NULL OR c.pizzeria_id = $2 ORDER BY c.pizzeria_id NULLS FIRST`,
    [JET_CHAIN, shopId],
  );
  const chains = rows.map((r) => ({ chain: r.chain, shop: r.slug }));
  if (!chains.some((c) => c.chain === JET_CHAIN)) chains.unshift({ chain: JET_CHAIN, shop: null });
  return chains;
}

/** A chain's part written in [from, to): its entries, the entry before its first, and its last. */
async function chainPart(q: Queryable, chain: string, from: string, to: string): Promise<{ entries: Entry[]; before: ChainHead; last: ChainHead }> {
  const { rows: [range] } = await q.query<{ first: string | null; last: string | null }>(
    'SELECT min(seq) AS first, max(seq) AS last FROM fiscal_entries WHERE chain = $1 AND recorded_at >= $2 AND recorded_at < $3',
    [chain, from, to],
  );
  const headAt = async (sql: string, params: unknown[]): Promise<ChainHead> => {
    const { rows } = await q.query<{ seq: string; signature: string }>(sql, params);
    return rows[0] ? { lastSeq: Number(rows[0].seq), lastSignature: rows[0].signature } : { lastSeq: 0, lastSignature: null };
  };
  if (range.first === null) {
    // nothing written in the period: the part is empty, where the chain stood at its start
    const before = await headAt('SELECT seq, signature FROM fiscal_entries WHERE chain = $1 AND recorded_at < $2 ORDER BY seq DESC LIMIT 1', [chain, from]);
    return { entries: [], before, last: before };
  }
  const first = Number(range.first);
  const before = first > 1 ? await headAt('SELECT seq, signature FROM fiscal_entries WHERE chain = $1 AND seq = $2', [chain, first - 1]) : { lastSeq: 0, lastSignature: null };
  const { rows } = await q.query('SELECT * FROM fiscal_entries WHERE chain = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq', [chain, first, Number(range.last)]);
  const entries = rows.map(entryOf);
  const end = entries.at(-1)!;
  return { entries, before, last: { lastSeq: end.seq, lastSignature: end.signature } };
}

/** A chain's part as an archive holds it. */
export interface ChainPart {
  chain: string;
  shop: string | null;
  entries: Entry[];
  before: ChainHead;
  last: ChainHead;
}

/**
 * The archive file of these chains' parts: its members, its manifest signed by `key`, its name.
 * `recorded`: the public keys the JET recorded (those of the entries' signers go in the archive).
 */
export async function buildArchive(
  a: { archiveId: number; period: { from: string; to: string }; shop: string | null; createdBy: string; parts: readonly ChainPart[]; recorded: readonly PublicKeyRecord[]; createdAt?: string },
  key: FiscalKey,
): Promise<{ manifest: ArchiveManifest; file: Buffer; fileName: string; entries: number }> {
  const chains: ArchiveChain[] = [];
  const members: Member[] = [];
  const signers = new Set<string>([key.keyId]);
  let entries = 0;
  for (const part of a.parts) {
    const member = chainMember(part.chain);
    members.push({ name: member, bytes: Buffer.from(toJsonLines(part.entries), 'utf8') });
    for (const e of part.entries) signers.add(e.keyId);
    chains.push({ chain: part.chain, shop: part.shop, member, entries: part.entries.length, from: part.before, to: part.last });
    entries += part.entries.length;
  }
  const known = new Map(a.recorded.map((k) => [k.keyId, k.publicKeyPem]));
  known.set(key.keyId, key.publicKeyPem);
  const keys: PublicKeyRecord[] = [...signers].sort().map((keyId) => ({ keyId, publicKeyPem: known.get(keyId) ?? '' }));
  const head = { archiveId: a.archiveId, period: a.period, shop: a.shop, software: software() };
  members.push({ name: 'public-keys.pem', bytes: Buffer.from(keys.map((k) => `# ${k.keyId}\n${k.publicKeyPem.trim()}\n`).join(''), 'utf8') });
  members.push({ name: 'LISEZMOI.txt', bytes: Buffer.from(archiveReadme(head), 'utf8') });
  const createdAt = a.createdAt ?? isoTime(Date.now());
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, ...head, createdAt, createdBy: a.createdBy, chains,
    members: members.map((m) => ({ name: m.name, bytes: m.bytes.length, sha256: sha256(m.bytes) })), keys, signedBy: key.keyId,
  };
  const text = manifestText(manifest);
  const file = await packArchive([
    { name: MANIFEST, bytes: Buffer.from(text, 'utf8') },
    { name: MANIFEST_SIGNATURE, bytes: Buffer.from(`${key.sign(text)}\n`, 'utf8') },
    ...members,
  ], new Date(createdAt));
  const fileName = `ocpizza-fiscal-${a.shop ?? 'toutes-boutiques'}-${day(a.period.from)}_${day(a.period.to)}-n${a.archiveId}.tar.gz`;
  return { manifest, file, fileName, entries };
}

export interface MakeArchive {
  /** One shop's (its id), or every shop's. */
  shop?: number | null;
  /** The period, [from, to), by when entries were written. */
  from: Date | string;
  to: Date | string;
  /** Who asked: `admin:1`, or `system` for a scheduled one. */
  actor: string;
  /** An archive of that shop and period already made is returned instead of a new one (a scheduled run done twice). */
  ifAbsent?: boolean;
}

/**
 * Makes a signed archive of the period, keeps it, and writes its `archive` event in the JET (in the
 * same transaction). Reads the journal in one snapshot; returns the archive as listed.
 */
export async function makeArchive(db: Db, key: FiscalKey, opts: MakeArchive): Promise<ArchiveRow> {
  const from = isoTime(opts.from);
  const to = isoTime(opts.to);
  if (!(from < to)) throw new Error(`an archive's period ends after it starts (${from} to ${to})`);
  const shopId = opts.shop ?? null;
  if (opts.ifAbsent) {
    const [existing] = await listArchives(db, { shopId, from, to, exact: true });
    if (existing) return existing;
  }
  // the key that signs the manifest and the archive's event is in the JET first
  await recordKeyInUse(db, key);
  const { rows: [next] } = await db.query<{ id: string }>(`SELECT nextval('fiscal_archives_id_seq') AS id`);
  const client = await db.connect();
  let built: Awaited<ReturnType<typeof buildArchive>>;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: shopRows } = shopId === null ? { rows: [] } : await client.query<{ slug: string }>('SELECT slug FROM pizzerias WHERE id = $1', [shopId]);
    if (shopId !== null && !shopRows[0]) throw new Error(`no shop ${shopId}`);
    const parts: ChainPart[] = [];
    for (const c of await chainsOf(client, shopId)) parts.push({ ...c, ...(await chainPart(client, c.chain, from, to)) });
    const recorded = await recordedKeys(client);
    await client.query('COMMIT');
    built = await buildArchive({ archiveId: Number(next.id), period: { from, to }, shop: shopRows[0]?.slug ?? null, createdBy: opts.actor, parts, recorded }, key);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  const { manifest, file, fileName, entries } = built;
  const id = manifest.archiveId;
  const digest = sha256(file);
  await transaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO fiscal_archives (id, created_at, created_by, pizzeria_id, period_from, period_to, file_name, bytes, size, sha256, manifest, key_id, entries, keep_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ($6::timestamptz AT TIME ZONE 'UTC')::date + make_interval(years => $14))`,
      [id, manifest.createdAt, opts.actor, shopId, from, to, fileName, file, file.length, digest, JSON.stringify(manifest), key.keyId, entries, KEEP_YEARS],
    );
    await appendJetIn(tx, key, {
      kind: 'archive',
      sourceKey: `archive:${id}`,
      operator: opts.actor,
      body: {
        archiveId: id, file: fileName, sha256: digest, bytes: file.length, period: { from, to }, shop: manifest.shop,
        chains: manifest.chains.map((c) => ({ chain: c.chain, entries: c.entries, fromSeq: c.from.lastSeq + 1, toSeq: c.to.lastSeq })),
      },
    });
  });
  return (await listArchives(db, { id }))[0];
}

/** Archives, newest first (without their bytes): all, one shop's (`shopId`; every-shop archives too), or one. */
export async function listArchives(q: Queryable, opts: { id?: number; shopId?: number | null; from?: string; to?: string; exact?: boolean; limit?: number } = {}): Promise<ArchiveRow[]> {
  const { rows } = await q.query(
    `SELECT a.id, a.created_at, a.created_by, a.pizzeria_id, p.slug, p.name, a.period_from, a.period_to, a.file_name, a.size, a.sha256, a.key_id, a.keep_until::text AS keep_until, a.entries
     FROM fiscal_archives a LEFT JOIN pizzerias p ON p.id = a.pizzeria_id
     WHERE ($1::bigint IS NULL OR a.id = $1)
       AND (NOT $2 OR (a.pizzeria_id IS NOT DISTINCT FROM $3::int AND a.period_from = $4 AND a.period_to = $5))
     ORDER BY a.id DESC LIMIT $6`,
    [opts.id ?? null, !!opts.exact, opts.shopId ?? null, opts.from ?? null, opts.to ?? null, opts.limit ?? 200],
  );
  return rows.map((r) => ({
    id: Number(r.id), createdAt: isoTime(r.created_at), createdBy: r.created_by, shopId: r.pizzeria_id, shop: r.slug, shopName: r.name,
    periodFrom: isoTime(r.period_from), periodTo: isoTime(r.period_to), fileName: r.file_name, size: r.size, sha256: r.sha256, keyId: r.key_id,
    keepUntil: r.keep_until, entries: r.entries,
  }));
}

/** An archive's file, as kept. */
export async function archiveFile(q: Queryable, id: number): Promise<{ fileName: string; bytes: Buffer } | null> {
  const { rows } = await q.query<{ file_name: string; bytes: Buffer }>('SELECT file_name, bytes FROM fiscal_archives WHERE id = $1', [id]);
  return rows[0] ? { fileName: rows[0].file_name, bytes: rows[0].bytes } : null;
}

/**
 * Checks an archive file with no database: its container, its manifest's signature, its members,
 * each chain's part. `operatorKeys`: the public keys the operator keeps (without them, the
 * archive's own are trusted, and the report says so).
 */
export async function verifyArchiveFile(file: Uint8Array, operatorKeys?: readonly PublicKeyRecord[]): Promise<ArchiveReport> {
  let members: Member[];
  try {
    members = await unpackArchive(file);
  } catch (err) {
    if (!(err instanceof ContainerError)) throw err;
    return { ok: false, manifest: null, chains: [], problems: [{ kind: 'container', reason: err.message }], operatorKeys: !!operatorKeys?.length };
  }
  return verifyArchiveMembers(members, { sha256, signatureCheck }, operatorKeys);
}

/** Days in Paris, the first and last included, as the instants that bound them: [from 00:00, the day after the last 00:00). */
export async function parisDays(q: Queryable, firstDay: string, lastDay: string): Promise<{ from: Date; to: Date }> {
  const { rows } = await q.query<{ from: Date; to: Date }>(
    `SELECT ($1::date::timestamp AT TIME ZONE 'Europe/Paris') AS from, (($2::date + 1)::timestamp AT TIME ZONE 'Europe/Paris') AS to`,
    [firstDay, lastDay],
  );
  return rows[0];
}

/** An archive kept, checked again (by head office, from the back office), with the operator's keys. */
export async function verifyStoredArchive(q: Queryable, id: number, operatorKeys: readonly PublicKeyRecord[]): Promise<ArchiveReport | null> {
  const file = await archiveFile(q, id);
  return file ? verifyArchiveFile(file.bytes, operatorKeys) : null;
}
