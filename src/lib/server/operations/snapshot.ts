import type pg from 'pg';
import { db } from '../kernel/db.ts';

/**
 * Reads a page's snapshot and the id of the last event it includes in one REPEATABLE READ
 * transaction, so a screen that resumes from that id misses nothing and replays nothing stale.
 */
export async function snapshot<T>(read: (q: pg.PoolClient) => Promise<T>, pool: pg.Pool = db()): Promise<{ data: T; lastEventId: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ last: number | null }>('SELECT max(id) AS last FROM order_events');
    const data = await read(client);
    await client.query('COMMIT');
    return { data, lastEventId: rows[0].last ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
