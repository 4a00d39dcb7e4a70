// A process listens to Postgres on one connection per name, whatever the parts of it that listen
// (the hub's relay, stock, sessions and drivers): Postgres wakes every listening connection of the
// database at each notification, and each woken backend reads the queue in a transaction of its own.
// Each part still hears its own channels alone, is told when the connection comes back, and the
// connection ends with its last user.
import { afterAll, describe, expect, it } from 'vitest';
import { createPgListener, type PgListener } from '../../src/lib/server/events/pg-listener.ts';
import { fileDatabase } from '../file-database.ts';
import { testPool, waitUntil } from '../helpers.ts';

const pool = testPool();
afterAll(() => pool.end());
const url = fileDatabase().databaseUrl;
const NAME = 'ocpizza-listen-test';

const connections = async () =>
  Number((await pool.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [NAME])).rows[0].n);

function heard(l: PgListener) {
  const got: { channel: string; payload: string }[] = [];
  l.events.on('notification', (n: { channel: string; payload: string }) => got.push({ channel: n.channel, payload: n.payload }));
  return got;
}

describe("a process's listening connection", () => {
  it('is one for all its listeners, each hearing only its own channels, and ends with the last of them', async () => {
    const relay = createPgListener(url, NAME);
    const stock = createPgListener(url, NAME);
    const [relayHeard, stockHeard] = [heard(relay), heard(stock)];
    await relay.connect();
    await relay.listenTo('test_events');
    // a listener that comes once the connection is up is told it is connected, as the first was
    let told = false;
    stock.events.on('connected', () => (told = true));
    await stock.connect();
    await stock.listenTo('test_stock');
    await waitUntil(() => told, 2000, 'the late listener told it is connected');
    expect(await connections()).toBe(1);

    await pool.query(`SELECT pg_notify('test_events', '1'), pg_notify('test_stock', 'a'), pg_notify('test_other', 'x')`);
    await waitUntil(() => relayHeard.length && stockHeard.length, 5000, 'both notifications');
    expect(relayHeard).toEqual([{ channel: 'test_events', payload: '1' }]);
    expect(stockHeard).toEqual([{ channel: 'test_stock', payload: 'a' }]);

    await relay.close();
    await pool.query(`SELECT pg_notify('test_stock', 'b')`);
    await waitUntil(() => stockHeard.length === 2, 5000, 'the other listener still hearing');
    expect(await connections()).toBe(1);
    await stock.close();
    await waitUntil(async () => (await connections()) === 0, 5000, 'the connection to end with its last listener');
  });

  it('tells each listener when its connection was lost and is back, and they hear again', async () => {
    const a = createPgListener(url, NAME);
    const b = createPgListener(url, NAME);
    const events: string[] = [];
    a.events.on('reconnect', () => events.push('a lost'));
    b.events.on('reconnect', () => events.push('b lost'));
    a.events.on('connected', () => events.push('a back'));
    b.events.on('connected', () => events.push('b back'));
    const bHeard = heard(b);
    await a.connect();
    await a.listenTo('test_a');
    await b.connect();
    await b.listenTo('test_b');
    events.length = 0;
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [NAME]);
    await waitUntil(() => ['a lost', 'b lost', 'a back', 'b back'].every((e) => events.includes(e)), 15_000, 'both told the connection was lost and is back');
    await pool.query(`SELECT pg_notify('test_b', 'again')`);
    await waitUntil(() => bHeard.length === 1, 5000, 'heard after the reconnection');
    await a.close();
    await b.close();
  });
});
