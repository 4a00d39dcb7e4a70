// The setup file of every tier but unit: the test file's own database and queue prefix
// (tests/file-database.ts), made before the file is loaded and dropped after its last hook; and
// the file's own anchor file for the fiscal journal's checkpoints (FISCAL_ANCHOR_FILE), removed with it.
// The services and road tiers run their files one after the other in one process (vitest.config.ts:
// isolate false), so what a file may leave set in the process for the whole process is set back
// here as each file starts: no sale seal in place (a file's app puts its own), the platforms of the
// settings (a file may choose fakes).
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { dropFileDatabase, setUpFileDatabase } from './file-database.ts';
import { setSaleSeal } from '../src/lib/server/orders/seal.ts';
import { useMarketplaces } from '../src/lib/server/flows/platform-decisions.ts';
import { chooseBackOfficePlatforms } from '../src/lib/server/marketplaces/stores.ts';

setSaleSeal(null);
useMarketplaces(null);
chooseBackOfficePlatforms(null);
const db = await setUpFileDatabase();
const anchors = join(tmpdir(), `${db.queuePrefix}.fiscal-anchors.jsonl`);
process.env.FISCAL_ANCHOR_FILE = anchors;
// registered before the file's own hooks, so it runs after all of them (after-hooks run as a stack)
afterAll(async () => {
  await dropFileDatabase(db);
  rmSync(anchors, { force: true });
}, 60_000);
