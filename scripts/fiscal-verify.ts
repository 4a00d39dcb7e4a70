// Checks the fiscal journal: every chain in the database (each shop's sales and the technical
// events journal), or one shop's; or an archive file, with no database at all.
//
//   npm run fiscal:verify                                   every chain in the database
//   npm run fiscal:verify -- --shop <slug>                  one shop's sales chain
//   npm run fiscal:verify -- --archive <file.tar.gz>        an archive file, offline
//   ... --public-key <file.pem>                             the operator's public keys (repeatable; a file may hold several)
//   ... --anchors <file>                                    the anchor file (FISCAL_ANCHOR_FILE by default)
//
// Which keys: those given with --public-key (and, against the database, FISCAL_PUBLIC_KEYS_FILE and
// the key in use); an entry signed by any other is reported. Without any, the keys the journal (or
// the archive) itself names, and the output says so.
//
// Against the database, each chain must also reach every head it was anchored at: the checkpoints
// and closings of the technical events journal, and the anchor file's lines (a chain cut from its
// end, head and all, is reported `cut`, with the entries missing).
//
// Prints one line per chain, "OK" with its count of entries, its last number and the keys that
// signed it, or the first entry that breaks it: its chain, its number and why (altered, missing,
// out of order, not linked to the one before, signed by an unknown key); for an archive, first what
// of the file broke (its container, its manifest's signature, a member's SHA-256). Exits 1 when
// something is broken, 2 when it could not check (the database away, a file missing, a bad
// argument). Against the database, a chain found broken is written to the technical events journal
// (verification_failed), signed by the key in use.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PublicKeyRecord } from '../src/lib/domain/fiscal-archive.ts';

const usage = 'usage: npm run fiscal:verify [-- --shop <slug> | --archive <file>] [--public-key <pem file>]... [--anchors <file>]';
let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({ options: { shop: { type: 'string' }, archive: { type: 'string' }, 'public-key': { type: 'string', multiple: true }, anchors: { type: 'string' } } }).values;
}
try {
  args = parse();
  if (args.shop !== undefined && args.archive !== undefined) throw new Error('--shop or --archive, not both');
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}

const { publicKeysFromPem } = await import('../src/lib/server/fiscal/keys.ts');
let given: PublicKeyRecord[] = [];
try {
  given = (args['public-key'] ?? []).flatMap((f) => publicKeysFromPem(readFileSync(f, 'utf8'), f));
} catch (err) {
  console.error(`fiscal:verify could not read a public key: ${(err as Error).message}`);
  process.exit(2);
}

const line = (c: { chain: string; shop: string | null; entries: number; lastSeq: number; keyIds: string[]; broken: { seq: number; kind: string; reason: string } | null }) => {
  const name = c.shop ? `${c.chain} (${c.shop})` : c.chain;
  return c.broken
    ? `BROKEN ${name}: entry ${c.broken.seq}: ${c.broken.kind}: ${c.broken.reason} (${c.entries} entries before it are sound)`
    : `OK ${name}: ${c.entries} entries, last ${c.lastSeq}, signed by ${c.keyIds.join(', ') || 'no key'}`;
};

if (args.archive !== undefined) {
  // offline: no configuration, no database
  const { verifyArchiveFile } = await import('../src/lib/server/fiscal/archive.ts');
  let file: Buffer;
  try {
    file = readFileSync(args.archive);
  } catch (err) {
    console.error(`fiscal:verify could not read the archive: ${(err as Error).message}`);
    process.exit(2);
  }
  const report = await verifyArchiveFile(file, given);
  const m = report.manifest;
  if (m) console.log(`archive ${m.archiveId}: ${m.shop ?? 'every shop'}, ${m.period.from} to ${m.period.to}, made ${m.createdAt} by ${m.createdBy}, manifest signed by ${m.signedBy}`);
  console.log(report.operatorKeys ? `keys: checked against the ${given.length} public key(s) given` : 'keys: those the archive publishes (pass --public-key <file> to check them against yours)');
  for (const p of report.problems.filter((x) => x.kind !== 'chain')) console.log(`BROKEN ${p.member ?? 'file'}: ${p.kind}: ${p.reason}`);
  for (const c of report.chains) console.log(line(c));
  console.log(report.ok ? 'archive OK' : 'archive BROKEN');
  process.exitCode = report.ok ? 0 : 1;
} else {
  const { config } = await import('../src/lib/server/kernel/config.ts');
  const { createPool } = await import('../src/lib/server/kernel/db.ts');
  const { fiscalKey, operatorPublicKeys } = await import('../src/lib/server/fiscal/keys.ts');
  const { verifyAndRecord } = await import('../src/lib/server/fiscal/verify.ts');
  const cfg = config();
  const pool = createPool(cfg.DATABASE_URL, 1);
  try {
    const key = fiscalKey(cfg);
    const fromOperator = given.length || cfg.FISCAL_PUBLIC_KEYS_FILE ? [...operatorPublicKeys(cfg, key), ...given] : undefined;
    const anchorFile = args.anchors ?? cfg.FISCAL_ANCHOR_FILE;
    const report = await verifyAndRecord(pool, key, 'fiscal:verify', { shop: args.shop, operatorKeys: fromOperator, anchorFile });
    if (!report.chains.length) {
      console.log(args.shop ? `no fiscal journal for the shop ${args.shop}` : 'the fiscal journal is empty');
      process.exitCode = args.shop ? 2 : 0;
    }
    if (!report.operatorKeys) console.log('keys: those the journal recorded (pass --public-key <file>, or set FISCAL_PUBLIC_KEYS_FILE, to check them against yours)');
    const f = report.anchors.file;
    const fromFile = !f ? 'no anchor file' : f.missing ? `no anchor file at ${f.path} (yet)` : `${f.heads} in ${f.path} (${f.lines} lines${f.unreadable ? `, ${f.unreadable} unreadable` : ''})`;
    console.log(`anchors: ${report.anchors.jet} heads named by the technical events journal, ${fromFile}`);
    for (const id of report.keysUnknownToOperator) console.log(`UNKNOWN KEY ${id}: recorded in the technical events journal, not among the operator's public keys`);
    for (const c of report.chains) console.log(line(c));
    for (const a of report.openAnomalies) {
      const what = Object.entries(a.changes).map(([part, c]) => `${part} ${c.from ?? '-'} → ${c.to}`).join(', ');
      console.log(`ANOMALY shop:${a.pizzeriaId} order no. ${a.number} of ${a.businessDay} (${a.orderId}): its money changed outside the till after the journal sealed it (${what}); technical events journal entry ${a.seq}`);
    }
    if (!report.ok) process.exitCode = 1;
  } catch (err) {
    console.error(`fiscal:verify could not check the journal: ${(err as Error).message}`);
    process.exitCode = 2;
  } finally {
    await pool.end();
  }
}
