// The setup file of every tier but unit: the test file's own database and queue prefix
// (tests/file-database.ts), made before the file is loaded and dropped after its last hook.
import { afterAll } from 'vitest';
import { dropFileDatabase, setUpFileDatabase } from './file-database.ts';

const db = await setUpFileDatabase();
// registered before the file's own hooks, so it runs after all of them (after-hooks run as a stack)
afterAll(() => dropFileDatabase(db), 60_000);
