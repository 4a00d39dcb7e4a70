// The daily export of a shop's sales per VAT rate for France's e-reporting of B2C transactions,
// read from the shop's fiscal chain (the same file as the back office's /manager/fiscal/exports).
//
//   npm run fiscal:export -- --shop <slug> [--day YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]
//                            [--format csv|json] [--out <file>]
//
// The day is yesterday (Paris) unless given. Writes the file to --out, or to the standard output.
// Each export is written to the technical events journal (JET `export`, with the file's SHA-256),
// which it prints on the standard error. Exits 2 on a bad argument or when it could not export.
import { writeFileSync } from 'node:fs';
import { config } from '../src/lib/server/kernel/config.ts';
import { createPool } from '../src/lib/server/kernel/db.ts';
import { EXPORT_FORMATS, exportVat, type ExportFormat } from '../src/lib/server/fiscal/exports.ts';
import { parisDay } from '../src/lib/domain/vat-report.ts';

const USAGE = 'usage: npm run fiscal:export -- --shop <slug> [--day YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD] [--format csv|json] [--out <file>]';
const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const v = argv[i + 1];
  if (!v || v.startsWith('--')) fail(`--${name} needs a value`);
  return v;
}
function fail(message: string): never {
  console.error(`fiscal:export: ${message}\n${USAGE}`);
  process.exit(2);
}
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const date = (v: string | undefined, name: string) => {
  if (v !== undefined && (!DATE.test(v) || Number.isNaN(Date.parse(v)))) fail(`--${name}: a date as YYYY-MM-DD`);
  return v;
};

const slug = option('shop') ?? fail('--shop <slug> is required');
const yesterday = parisDay(new Date(Date.now() - 86_400_000).toISOString());
const day = date(option('day'), 'day');
const from = date(option('from'), 'from') ?? day ?? yesterday;
const to = date(option('to'), 'to') ?? day ?? from;
const format = (option('format') ?? 'csv') as ExportFormat;
if (!EXPORT_FORMATS.includes(format)) fail(`--format: one of ${EXPORT_FORMATS.join(', ')}`);
const out = option('out');

const pool = createPool(config().DATABASE_URL, 2);
try {
  const { rows } = await pool.query<{ id: number }>('SELECT id FROM pizzerias WHERE slug = $1', [slug]);
  if (!rows[0]) fail(`no shop ${slug}`);
  const file = await exportVat(pool, 'system', rows[0].id, from, to, format);
  if (out) writeFileSync(out, file.content);
  else process.stdout.write(file.content);
  console.error(`exported ${file.filename} (${file.report.days.length} day(s), sha256 ${file.sha256}): JET entry ${file.event.seq}`);
} catch (err) {
  console.error(`fiscal:export could not export: ${(err as Error).message}`);
  process.exitCode = 2;
} finally {
  await pool.end();
}
