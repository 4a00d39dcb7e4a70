// A backup restored (npm run db:restore): the fiscal journal it brought back is verified at once,
// and the restore is written in the technical events journal with what the verification found
// (a chain found broken is a `verification_failed` besides). A dump taken before the journal
// existed has none to verify: nothing is written then.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db } from '../kernel/db.ts';
import type { PublicKeyRecord } from '../../domain/fiscal-archive.ts';
import { recordKeyInUse } from './jet.ts';
import { recordRestore, recordVerificationFailed } from './jet-events.ts';
import type { FiscalKey } from './keys.ts';
import { verifyJournal, type JournalReport } from './verify.ts';

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Verifies the journal of the database `db` was just restored into from `file`, then writes the
 * restore in its JET. Returns the report, or null when the backup holds no fiscal journal.
 */
export async function journalRestore(db: Db, key: FiscalKey, opts: { file: string; actor: string; operatorKeys?: readonly PublicKeyRecord[] }): Promise<JournalReport | null> {
  const { rows } = await db.query<{ t: string | null }>(`SELECT to_regclass('fiscal_entries')::text AS t`);
  if (!rows[0].t) return null;
  const report = await verifyJournal(db, { operatorKeys: opts.operatorKeys });
  await recordKeyInUse(db, key);
  if (!report.ok) await recordVerificationFailed(db, key, report, opts.actor);
  await recordRestore(db, key, { file: opts.file, sha256: await sha256File(opts.file), bytes: (await stat(opts.file)).size, actor: opts.actor, report });
  return report;
}
