// The key the server signs with, for the entries users make from their pages (a correction, an
// export's technical event): the same key as the workers' (the settings name it, config.ts), taken
// into use once per process, its public half recorded in the technical events journal first
// (recordKeyInUse: nothing when it is already the last key recorded).
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { recordKeyInUse } from './jet.ts';
import { fiscalKey, type FiscalKey } from './keys.ts';

let key: FiscalKey | null = null;
let recorded: Promise<void> | null = null;

/** The signing key, recorded in the JET before its first entry. */
export async function signingKey(db: Db): Promise<FiscalKey> {
  key ??= fiscalKey(config());
  const k = key;
  recorded ??= recordKeyInUse(db, k).then(
    () => undefined,
    (err) => {
      recorded = null;
      throw err;
    },
  );
  await recorded;
  return k;
}
