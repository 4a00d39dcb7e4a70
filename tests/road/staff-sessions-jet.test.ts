// Who used the till, and when: a member of staff signing in and out (through the JSON API, as the
// screens do) is a `sign_in` and a `sign_out` event in the technical events journal, naming them
// and the session by a fingerprint that signs nobody in; a wrong password writes nothing; the JET
// still verifies.
import { describe, expect, it } from 'vitest';
import { Client, createShop } from '../helpers.ts';
import { useStack } from '../services.ts';
import { JET_CHAIN } from '../../src/lib/domain/fiscal-chain.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';

const stack = useStack();
const sessions = async (userId: number) =>
  (await stack.pool.query(`SELECT kind, operator, body FROM fiscal_entries WHERE chain = $1 AND kind IN ('sign_in', 'sign_out') AND (body->'user'->>'id')::int = $2 ORDER BY seq`, [JET_CHAIN, userId])).rows;

describe('staff signing in and out', () => {
  it('is a sign_in then a sign_out in the JET, with who and the same session; a wrong password is nothing', async () => {
    const shop = await createShop(stack.pool, 'sessions');
    const { rows } = await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('counter')]);
    const id = rows[0].id as number;
    const wrong = await new Client(stack.base).post('/api/auth/login', { email: shop.email('counter'), password: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(await sessions(id)).toEqual([]);

    const counter = await new Client(stack.base).login(shop.email('counter'));
    expect((await counter.post('/api/auth/logout', {})).status).toBe(200);
    const [signIn, signOut, ...more] = await sessions(id);
    expect(more).toEqual([]);
    expect(signIn).toMatchObject({ kind: 'sign_in', operator: `counter:${id}`, body: { user: { id, role: 'counter', shop: shop.id } } });
    expect(signOut).toMatchObject({ kind: 'sign_out', operator: `counter:${id}` });
    expect(signOut.body.session).toBe(signIn.body.session);
    expect(signIn.body.session).toMatch(/^[0-9a-f]{16}$/);
    // the fingerprint is no session: nothing in sessions or the cookie is it
    expect(counter.cookie).not.toContain(signIn.body.session);
    // a logout with no session left writes nothing more
    expect((await counter.post('/api/auth/logout', {})).status).toBe(200);
    expect(await sessions(id)).toHaveLength(2);
    expect((await verifyJournal(stack.pool)).chains.find((c) => c.chain === JET_CHAIN)?.broken).toBeNull();
  });
});
