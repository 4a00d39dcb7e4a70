// Checks the fiscal journal: every chain in the database (each shop's sales and the technical
// events journal), or one shop's.
//
//   npm run fiscal:verify                  every chain
//   npm run fiscal:verify -- --shop <slug> one shop's sales chain
//
// Prints one line per chain, "OK" with its count of entries, its last number and the keys that
// signed it, or the first entry that breaks it: its chain, its number and why (altered, missing,
// out of order, not linked to the one before, signed by an unknown key). Exits 1 when a chain is
// broken, 2 when it could not check (the database away, a bad argument). Reads only.
import { config } from '../src/lib/server/config.ts';
import { createPool } from '../src/lib/server/db.ts';
import { verifyJournal } from '../src/lib/server/fiscal/verify.ts';

function shopArgument(argv: string[]): string | undefined {
  const i = argv.indexOf('--shop');
  if (i === -1) return undefined;
  const slug = argv[i + 1];
  if (!slug || slug.startsWith('--')) {
    console.error('usage: npm run fiscal:verify [-- --shop <slug>]');
    process.exit(2);
  }
  return slug;
}

const shop = shopArgument(process.argv.slice(2));
const pool = createPool(config().DATABASE_URL, 1);
try {
  const report = await verifyJournal(pool, { shop });
  if (!report.chains.length) {
    console.log(shop ? `no fiscal journal for the shop ${shop}` : 'the fiscal journal is empty');
    process.exitCode = shop ? 2 : 0;
  }
  for (const c of report.chains) {
    const name = c.shop ? `${c.chain} (${c.shop})` : c.chain;
    if (c.broken) console.log(`BROKEN ${name}: entry ${c.broken.seq}: ${c.broken.kind}: ${c.broken.reason} (${c.entries} entries before it are sound)`);
    else console.log(`OK ${name}: ${c.entries} entries, last ${c.lastSeq}, signed by ${c.keyIds.join(', ') || 'no key'}`);
  }
  if (!report.ok) process.exitCode = 1;
} catch (err) {
  console.error(`fiscal:verify could not check the journal: ${(err as Error).message}`);
  process.exitCode = 2;
} finally {
  await pool.end();
}
