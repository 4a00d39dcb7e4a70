// The fiscal key of a process that writes the journal besides the workers' writer (the server, when
// a manager closes a day or the takings page brings a day's journal up to date): the settings' key,
// read once, and recorded in the technical events journal before it first signs there.
import type { Config } from '../kernel/config.ts';
import type { Db } from '../kernel/db.ts';
import { recordKeyInUse } from './jet.ts';
import { fiscalKey, type FiscalKey } from './keys.ts';

const keys = new WeakMap<object, FiscalKey>();
const recorded = new WeakMap<Db, Set<string>>();

/** The key the settings name (FISCAL_SIGNING_KEY, FISCAL_KEY_FILE, or the install's own), read once per settings. */
export function fiscalKeyOf(config: Pick<Config, 'NODE_ENV' | 'FISCAL_SIGNING_KEY' | 'FISCAL_KEY_FILE'>): FiscalKey {
  let key = keys.get(config);
  if (!key) keys.set(config, (key = fiscalKey(config)));
  return key;
}

/** Records the key in the JET unless this process already did (a key change when it is not the last one recorded). */
export async function recordKeyOnce(db: Db, key: FiscalKey): Promise<void> {
  const done = recorded.get(db) ?? new Set<string>();
  recorded.set(db, done);
  if (done.has(key.keyId)) return;
  await recordKeyInUse(db, key);
  done.add(key.keyId);
}
