// A test file's rows are its own: this file opens 300 shops, as a chain's rollout would, and head
// office's list here has 305. Every other file of the run, in parallel or after this one, still
// sees the five shops of the demo chain (tests/browser/head-office-five.test.ts reads them on head
// office's page), because each file works in a database cloned from the run's template.
import { afterAll, describe, expect, it } from 'vitest';
import { listPizzerias } from '../../src/lib/server/shops/catalogue.ts';
import { fileDatabase } from '../file-database.ts';
import { SHOPS, createShop, testPool } from '../helpers.ts';

const pool = testPool();
afterAll(() => pool.end());

describe('a database of the file\'s own', () => {
  it('starts with the demo chain\'s five shops, and 300 more opened here are seen here', async () => {
    expect((await listPizzerias(pool)).map((p) => p.id)).toEqual(Object.values(SHOPS));
    for (let i = 0; i < 300; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => createShop(pool, `rollout${i + j}`)));
    const chain = await listPizzerias(pool);
    expect(chain).toHaveLength(305);
    expect(new Set(chain.map((p) => p.slug)).size).toBe(305);
  });

  it('is this file\'s alone: named after the run, not the template it was cloned from', async () => {
    const { rows } = await pool.query<{ db: string }>('SELECT current_database() AS db');
    expect(rows[0].db).toBe(fileDatabase().queuePrefix);
    expect(rows[0].db).not.toMatch(/_template$/);
  });
});
