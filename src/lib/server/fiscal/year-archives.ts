// A fiscal year closed is archived: the closing of a year (by the workers' night run or a manager's
// closing that ends it) is followed by the shop's signed archive of that year (archive.ts), made
// once whoever asks again (ifAbsent). Archives take entries by when they were written: the year's
// runs from its first day in Paris to its own closing entry included, so the closing is in it, and
// the entries written on the next year's first night before it are in both years' archives (an
// overlap of hours, never a gap).
import type { Entry } from '../../domain/fiscal-chain.ts';
import type { Db } from '../kernel/db.ts';
import { makeArchive, parisDays, type ArchiveRow } from './archive.ts';
import type { FiscalKey } from './keys.ts';

/** The archives of the years among `written` (closing entries), one per shop and year. */
export async function archiveClosedYears(db: Db, key: FiscalKey, shopId: number, written: readonly Entry[], actor: string): Promise<ArchiveRow[]> {
  const made: ArchiveRow[] = [];
  for (const e of written) {
    const body = e.body as { level?: string; period?: { from?: string; to?: string } };
    if (e.kind !== 'closing' || body.level !== 'year' || !body.period?.from || !body.period.to) continue;
    const { from } = await parisDays(db, body.period.from, body.period.to);
    const to = new Date(Date.parse(e.recordedAt) + 1);
    made.push(await makeArchive(db, key, { shop: shopId, from, to, actor, ifAbsent: true }));
  }
  return made;
}
