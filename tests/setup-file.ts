// The setup file of every tier but unit: the test file's own database and queue prefix
// (tests/file-database.ts), made before the file is loaded and dropped after its last hook; and
// the file's own anchor file for the fiscal journal's checkpoints (FISCAL_ANCHOR_FILE), removed with it.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { dropFileDatabase, setUpFileDatabase } from './file-database.ts';

const db = await setUpFileDatabase();
const anchors = join(tmpdir(), `${db.queuePrefix}.fiscal-anchors.jsonl`);
process.env.FISCAL_ANCHOR_FILE ??= anchors;
// registered before the file's own hooks, so it runs after all of them (after-hooks run as a stack)
afterAll(async () => {
  await dropFileDatabase(db);
  rmSync(anchors, { force: true });
}, 60_000);
