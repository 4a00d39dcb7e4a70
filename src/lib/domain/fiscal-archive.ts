// A fiscal archive: a period of the journal in one file an auditor opens without us (tar.gz of
// JSON Lines, the container in src/lib/server/fiscal/archive-file.ts), and what proves it whole:
//
//   manifest.json      what the archive holds: the period, each chain's part (its first and last
//                      numbers, the entry before its first, the last signature), each member's size
//                      and SHA-256, and the public keys that signed (PEM, with their ids)
//   manifest.sig       the Ed25519 signature (base64) of manifest.json's bytes by the key in use
//   chains/<chain>.jsonl  one entry a line, each as its canonical JSON (fiscal-chain.ts), signature included
//   public-keys.pem    the same public keys, for tools that want a PEM file
//   LISEZMOI.txt       how to check it, in French and English
//
// Checking it (verifyArchiveMembers): the manifest's signature, by a key the operator knows (or,
// without theirs, one the manifest names), then each member's size and SHA-256, then each chain's
// part with the chain verifier, from the entry before its first to the last one the manifest names:
// an entry altered, missing, moved or signed by a key unknown is reported with its number.
// Hashing and signature checks are handed in, so this stays pure.
import { canonicalJson, chainVerifier, type ChainBreak, type ChainHead, type ChainReport, type Entry, type SignatureCheck } from './fiscal-chain.ts';

export const ARCHIVE_FORMAT = 'ocpizza-fiscal-archive';
export const ARCHIVE_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const MANIFEST_SIGNATURE = 'manifest.sig';
/** How long an archive is kept (article L102 B of the tax procedures code: six years). */
export const KEEP_YEARS = 6;

export interface PublicKeyRecord {
  keyId: string;
  publicKeyPem: string;
}

export interface ArchiveChain {
  chain: string;
  /** The shop's slug; null for the technical events journal. */
  shop: string | null;
  member: string;
  entries: number;
  /** The entry before the first archived (seq 0 and null at a chain's start): where the part hangs on. */
  from: ChainHead;
  /** The last entry archived: its number and signature (from.lastSeq and its signature when the part is empty). */
  to: ChainHead;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  software: { name: string; version: string };
  archiveId: number;
  createdAt: string;
  createdBy: string;
  /** The period, [from, to), by the time each entry was written down. */
  period: { from: string; to: string };
  /** The shop's slug, or null: every shop. */
  shop: string | null;
  chains: ArchiveChain[];
  members: { name: string; bytes: number; sha256: string }[];
  /** Every key that signed an entry here, and the one that signed the manifest. */
  keys: PublicKeyRecord[];
  signedBy: string;
}

/** The member of a chain: `chains/shop-3.jsonl`, `chains/jet.jsonl`. */
export const chainMember = (chain: string): string => `chains/${chain.replace(':', '-')}.jsonl`;

/** Entries as JSON Lines: one entry's canonical JSON a line. */
export const toJsonLines = (entries: readonly Entry[]): string => entries.map((e) => `${canonicalJson(e)}\n`).join('');

/** The manifest's bytes, as signed (canonical JSON, then a line break). */
export const manifestText = (m: ArchiveManifest): string => `${canonicalJson(m)}\n`;

export type ProblemKind = 'container' | 'manifest' | 'signature' | 'unknown_key' | 'member_missing' | 'member_altered' | 'member_unexpected' | 'entry_unreadable' | 'chain';

/** What is wrong with an archive: where, and why in words. */
export interface ArchiveProblem {
  kind: ProblemKind;
  member?: string;
  reason: string;
  /** For a chain: its first break. */
  break?: ChainBreak;
}

export interface ArchiveReport {
  ok: boolean;
  manifest: ArchiveManifest | null;
  chains: (ChainReport & { shop: string | null })[];
  problems: ArchiveProblem[];
  /** Whether the keys were checked against the operator's (or only against the archive's own). */
  operatorKeys: boolean;
}

export interface ArchiveChecks {
  sha256(bytes: Uint8Array): string;
  /** A signature check with these public keys (a key whose id is not its own is not taken). */
  signatureCheck(keys: readonly PublicKeyRecord[]): SignatureCheck;
}

const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(bytes);

function manifestOf(raw: string): ArchiveManifest | string {
  let m: ArchiveManifest;
  try {
    m = JSON.parse(raw);
  } catch {
    return 'manifest.json is not JSON';
  }
  if (!m || typeof m !== 'object' || m.format !== ARCHIVE_FORMAT) return `manifest.json is not an ${ARCHIVE_FORMAT} manifest`;
  if (m.version !== ARCHIVE_VERSION) return `manifest version ${String(m.version)} is not one this verifier reads (${ARCHIVE_VERSION})`;
  if (!Array.isArray(m.chains) || !Array.isArray(m.members) || !Array.isArray(m.keys) || typeof m.signedBy !== 'string') return 'manifest.json lacks its chains, members, keys or signer';
  return m;
}

function entriesOf(member: string, bytes: Uint8Array): Entry[] | ArchiveProblem {
  const lines = text(bytes).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const entries: Entry[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      entries.push(JSON.parse(lines[i]) as Entry);
    } catch {
      return { kind: 'entry_unreadable', member, reason: `${member}, line ${i + 1}, is not an entry (not JSON)` };
    }
  }
  return entries;
}

/**
 * Checks an archive's members (as the container gave them, in its order). `operatorKeys`: the
 * public keys the operator keeps; without them the archive's own are used, and the report says so.
 */
export function verifyArchiveMembers(
  members: readonly { name: string; bytes: Uint8Array }[],
  checks: ArchiveChecks,
  operatorKeys?: readonly PublicKeyRecord[],
): ArchiveReport {
  const problems: ArchiveProblem[] = [];
  const chains: ArchiveReport['chains'] = [];
  const report = (manifest: ArchiveManifest | null): ArchiveReport => ({ ok: problems.length === 0, manifest, chains, problems, operatorKeys: !!operatorKeys?.length });
  const byName = new Map<string, Uint8Array>();
  for (const m of members) {
    if (byName.has(m.name)) problems.push({ kind: 'member_unexpected', member: m.name, reason: `${m.name} is in the archive twice` });
    byName.set(m.name, m.bytes);
  }
  const rawManifest = byName.get(MANIFEST);
  const signature = byName.get(MANIFEST_SIGNATURE);
  if (!rawManifest) return (problems.push({ kind: 'manifest', member: MANIFEST, reason: 'the archive has no manifest.json' }), report(null));
  const manifest = manifestOf(text(rawManifest));
  if (typeof manifest === 'string') return (problems.push({ kind: 'manifest', member: MANIFEST, reason: manifest }), report(null));

  // the manifest's signature, by a key the operator knows (or the archive names)
  const keys = operatorKeys?.length ? operatorKeys : manifest.keys;
  const check = checks.signatureCheck(keys);
  if (!signature) {
    problems.push({ kind: 'signature', member: MANIFEST_SIGNATURE, reason: 'the archive has no manifest.sig: its manifest is not signed' });
  } else {
    const ok = check(manifest.signedBy, text(rawManifest), text(signature).trim());
    if (ok === 'unknown_key') {
      problems.push({ kind: 'unknown_key', member: MANIFEST_SIGNATURE, reason: operatorKeys?.length
        ? `the manifest is signed by key ${manifest.signedBy}, which is not among the operator's public keys`
        : `the manifest is signed by key ${manifest.signedBy}, which the archive does not publish` });
    } else if (!ok) {
      problems.push({ kind: 'signature', member: MANIFEST_SIGNATURE, reason: 'manifest.json does not match its signature: the manifest was altered' });
    }
  }
  if (operatorKeys?.length) {
    const known = new Set(operatorKeys.map((k) => k.keyId));
    for (const k of manifest.keys) {
      if (!known.has(k.keyId)) problems.push({ kind: 'unknown_key', member: MANIFEST, reason: `the archive names key ${k.keyId}, which is not among the operator's public keys` });
    }
  }

  // every member listed, whole; nothing else in the archive
  const listed = new Set([MANIFEST, MANIFEST_SIGNATURE]);
  for (const m of manifest.members) {
    listed.add(m.name);
    const bytes = byName.get(m.name);
    if (!bytes) problems.push({ kind: 'member_missing', member: m.name, reason: `${m.name} is missing from the archive` });
    else if (bytes.length !== m.bytes || checks.sha256(bytes) !== m.sha256) {
      problems.push({ kind: 'member_altered', member: m.name, reason: `${m.name} is not the file the manifest names (${bytes.length} bytes, ${m.bytes} expected; SHA-256 differs): it was altered` });
    }
  }
  for (const name of byName.keys()) {
    if (!listed.has(name)) problems.push({ kind: 'member_unexpected', member: name, reason: `${name} is in the archive but not in its manifest` });
  }

  // each chain's part, entry by entry, from the entry before its first to the last one named
  for (const c of manifest.chains) {
    const bytes = byName.get(c.member);
    if (!bytes) continue;
    const entries = entriesOf(c.member, bytes);
    if (!Array.isArray(entries)) {
      problems.push(entries);
      continue;
    }
    const v = chainVerifier(c.chain, check, c.from);
    v.add(entries);
    const r = { ...v.finish(c.to), shop: c.shop };
    if (!r.broken && r.entries !== c.entries) {
      r.broken = { chain: c.chain, seq: r.lastSeq, kind: 'missing_tail', reason: `${r.entries} entries where the manifest names ${c.entries}` };
    }
    if (r.broken?.kind === 'unknown_key' && operatorKeys?.length) {
      r.broken = { ...r.broken, reason: `entry ${r.broken.seq} is signed by a key that is not among the operator's public keys` };
    }
    chains.push(r);
    if (r.broken) problems.push({ kind: 'chain', member: c.member, reason: `${c.chain}: entry ${r.broken.seq}: ${r.broken.kind}: ${r.broken.reason}`, break: r.broken });
  }
  return report(manifest);
}

/** Public keys from PEM text (one or several `-----BEGIN PUBLIC KEY-----` blocks). */
export function pemBlocks(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g)].map((m) => `${m[0]}\n`);
}

/** The README put in every archive (French first). */
export function archiveReadme(m: Pick<ArchiveManifest, 'period' | 'shop' | 'software' | 'archiveId'>): string {
  return [
    `Archive fiscale n° ${m.archiveId} — ${m.software.name} ${m.software.version}`,
    `Période : du ${m.period.from} au ${m.period.to} (exclu) ; ${m.shop ? `boutique ${m.shop}` : 'toutes les boutiques'}.`,
    '',
    'Contenu : manifest.json (période, chaînes, taille et SHA-256 de chaque fichier, clés publiques),',
    'manifest.sig (signature Ed25519 en base64 des octets de manifest.json), chains/*.jsonl (une écriture',
    'par ligne, JSON canonique : clés triées, montants en centimes, taux en points de base), public-keys.pem.',
    'Vérifier : npm run fiscal:verify -- --archive <fichier> --public-key <clé publique.pem>',
    'ou à la main : openssl pkeyutl -verify -pubin -inkey public-keys.pem -rawin -in manifest.json -sigfile <signature décodée>,',
    'sha256sum de chaque fichier, puis chaque écriture : signature Ed25519 de son JSON canonique avec "format":1, sans "signature".',
    '',
    `Fiscal archive no. ${m.archiveId}: the journal's entries of the period, one JSON entry a line, signed and chained;`,
    'manifest.json lists every file with its SHA-256 and is signed (manifest.sig, Ed25519, base64). Keep six years.',
    '',
  ].join('\n');
}
