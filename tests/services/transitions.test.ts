// The state machine lives in src/lib/domain; the database keeps a copy in order_transitions so it
// refuses the same moves. The two must never drift apart.
import { afterAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers.ts';
import { ORDER_STATUSES, TRANSITIONS } from '../../src/lib/domain/order-states.ts';

const pool = testPool();
afterAll(() => pool.end());

describe('one transition table', () => {
  it('the database allows exactly the moves the domain allows', async () => {
    const { rows } = await pool.query<{ from_status: string; to_status: string }>(
      'SELECT from_status::text, to_status::text FROM order_transitions ORDER BY 1, 2',
    );
    const inDb = rows.map((r) => `${r.from_status} → ${r.to_status}`).sort();
    const inDomain = TRANSITIONS.map((t) => `${t.from} → ${t.to}`).sort();
    expect(inDb).toEqual(inDomain);
  });

  it('the database knows the same statuses as the domain, in the same order', async () => {
    const { rows } = await pool.query<{ s: string }>(`SELECT unnest(enum_range(NULL::order_status))::text AS s`);
    expect(rows.map((r) => r.s)).toEqual([...ORDER_STATUSES]);
  });
});
