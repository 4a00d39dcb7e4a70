// Housekeeping, against real Postgres and Socket.io on a database of its own: expired sessions go,
// old order events move to the archive, and screens resuming around the archived range reload or
// get exactly what they missed. No mocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Client, SHOPS, collect, createSideDatabase, npmRun, startTestApp, subscribe, userId, move, publishAll } from '../helpers.ts';
import type { App } from '../../server/app.ts';
import { runMaintenance } from '../../src/lib/server/operations/maintenance.ts';
import { useOperations } from '../operations.ts';

const { sideDatabases, socketAs, placePickup } = useOperations();

describe('housekeeping', () => {
  let side: Awaited<ReturnType<typeof createSideDatabase>>;
  let sideApp: App;
  let sideBase: string;
  let sidePool: pg.Pool;

  beforeAll(async () => {
    side = await createSideDatabase('maint', { seed: true });
    sideDatabases.push(side.name);
    sidePool = new pg.Pool({ connectionString: side.url, max: 4 });
    ({ app: sideApp, base: sideBase } = await startTestApp({ DATABASE_URL: side.url }));
  });
  afterAll(async () => {
    await sideApp?.close();
    await sidePool?.end();
  });

  const eventIds = async (table: 'order_events' | 'order_events_archive', orderId?: string) =>
    (await publishAll(sidePool), await sidePool.query(`SELECT id FROM ${table} ${orderId ? 'WHERE order_id = $1' : ''} ORDER BY id`, orderId ? [orderId] : []))
      .rows.map((r) => Number(r.id));

  async function resume(lastEventId: number) {
    const { socket } = await socketAs('kitchen.bastille@ocpizza.test', sideBase);
    const seen = collect(socket);
    const ack = await subscribe(socket, { scope: 'kitchen', lastEventId });
    return { ack, seen };
  }

  it('deletes expired sessions and moves order events older than EVENT_ARCHIVE_DAYS to the archive, recording the counts; a screen resuming inside the archived range reloads, one resuming after it gets exactly what it missed', async () => {
    const kitchen = await new Client(sideBase).login('kitchen.bastille@ocpizza.test');
    const canal = await new Client(sideBase).login('kitchen.canal@ocpizza.test');
    const kitchenUser = await userId(sidePool, 'kitchen.bastille@ocpizza.test');
    await sidePool.query(
      `INSERT INTO sessions (id, user_id, expires_at) VALUES ('expired-1', $1, now() - interval '1 minute'), ('expired-2', $1, now() - interval '30 days')`,
      [kitchenUser],
    );
    const liveSessions = (await sidePool.query('SELECT id FROM sessions WHERE expires_at > now() ORDER BY id')).rows;
    expect(liveSessions).toHaveLength(2);

    // order A's events come first; it is the old one
    const place = (shop: number) => placePickup(shop, new Client(sideBase));
    const a = await place(SHOPS.bastille);
    await move(kitchen, a.id, 'preparing');
    await move(kitchen, a.id, 'ready');
    const b = await place(SHOPS.bastille);
    const c = await place(SHOPS.canal);
    await move(canal, c.id, 'preparing');
    await move(kitchen, b.id, 'preparing'); // the newest event is this shop's
    const aEvents = await eventIds('order_events', a.id);
    expect(aEvents).toHaveLength(3);
    const all = await eventIds('order_events');
    expect(all.slice(0, 3)).toEqual(aEvents);
    const archivedRows = (await sidePool.query('SELECT * FROM order_events WHERE order_id = $1 ORDER BY id', [a.id])).rows;
    await sidePool.query(`UPDATE order_events SET created_at = created_at - interval '31 days' WHERE order_id = $1`, [a.id]);
    const backdated = (await sidePool.query('SELECT * FROM order_events WHERE order_id = $1 ORDER BY id', [a.id])).rows;

    const r = await npmRun('maintenance', [], { DATABASE_URL: side.url, EVENT_ARCHIVE_DAYS: '30', NODE_ENV: 'test' });
    expect(r.code, r.stderr).toBe(0);
    const logged = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(logged).toMatchObject({ msg: 'maintenance done', sessionsDeleted: 2, eventsArchived: 3, archiveAfterDays: 30 });
    const { rows: runs } = await sidePool.query('SELECT * FROM maintenance_runs ORDER BY id DESC LIMIT 1');
    expect(runs[0]).toMatchObject({ sessions_deleted: 2, events_archived: 3, trigger: 'manual' });

    expect((await sidePool.query('SELECT id FROM sessions ORDER BY id')).rows).toEqual(liveSessions);
    expect(await eventIds('order_events', a.id)).toEqual([]);
    expect((await sidePool.query('SELECT * FROM order_events_archive ORDER BY id')).rows).toEqual(backdated);
    expect(backdated.map((e) => e.payload)).toEqual(archivedRows.map((e) => e.payload));
    expect(await eventIds('order_events')).toEqual(all.slice(3));
    // the staff whose sessions are live are still logged in
    expect((await kitchen.get(`/api/orders/${b.id}`)).status).toBe(200);

    // resuming from inside the archived range: told to reload, nothing replayed
    const inside = await resume(aEvents[1]);
    expect(inside.ack).toEqual({ data: { resync: true, lastEventId: all.at(-1) } });
    // resuming from the last archived event: exactly the missed events of this shop, in order
    const after = await resume(aEvents[2]);
    expect(after.ack).toEqual({ data: { lastEventId: all.at(-1) } });
    const bastilleAfter = (await sidePool.query('SELECT id FROM order_events WHERE pizzeria_id = $1 AND id > $2 ORDER BY id', [SHOPS.bastille, aEvents[2]])).rows.map((x) => Number(x.id));
    expect(bastilleAfter.length).toBeGreaterThan(0);
    await after.seen.waitFor((e) => e.eventId === bastilleAfter.at(-1));
    await new Promise((res) => setTimeout(res, 200));
    expect(after.seen.events.map((e) => e.eventId)).toEqual(bastilleAfter);
    expect(inside.seen.events).toEqual([]);
  });

  it('never archives the newest event, so screens keep resuming after it', async () => {
    await sidePool.query(`UPDATE order_events SET created_at = created_at - interval '400 days'`);
    const hot = await eventIds('order_events');
    expect(hot.length).toBeGreaterThan(1);
    const result = await runMaintenance(sidePool, 30, 'test');
    expect(result).toEqual({ sessionsDeleted: 0, eventsArchived: hot.length - 1, monthsArchived: 0 });
    expect(await eventIds('order_events')).toEqual([hot.at(-1)]);
    const { rows } = await sidePool.query('SELECT events_archived, trigger FROM maintenance_runs ORDER BY id DESC LIMIT 1');
    expect(rows[0]).toEqual({ events_archived: hot.length - 1, trigger: 'test' });

    // a screen that saw the newest event resumes normally; one that saw the event before it gets the newest only
    const upToDate = await resume(hot.at(-1)!);
    expect(upToDate.ack).toEqual({ data: { lastEventId: hot.at(-1) } });
    const newest = (await sidePool.query('SELECT pizzeria_id FROM order_events WHERE id = $1', [hot.at(-1)])).rows[0];
    expect(newest.pizzeria_id).toBe(SHOPS.bastille);
    const oneBehind = await resume(hot.at(-2)!);
    expect(oneBehind.ack).toEqual({ data: { lastEventId: hot.at(-1) } });
    await oneBehind.seen.waitFor((e) => e.eventId === hot.at(-1));
    await new Promise((res) => setTimeout(res, 100));
    expect(oneBehind.seen.events.map((e) => e.eventId)).toEqual([hot.at(-1)]);
    const wayBehind = await resume(hot[0]);
    expect(wayBehind.ack).toEqual({ data: { resync: true, lastEventId: hot.at(-1) } });
    // and a new event still reaches a screen live, after the archive
    const next = await placePickup(SHOPS.bastille, new Client(sideBase));
    await upToDate.seen.waitFor((e) => e.order.id === next.id);
  });
  it('archives a prefix of event ids only, even when a later event carries an older time (a clock stepped back)', async () => {
    const a = await placePickup(SHOPS.bastille, new Client(sideBase));
    const b = await placePickup(SHOPS.bastille, new Client(sideBase));
    const c = await placePickup(SHOPS.bastille, new Client(sideBase));
    await placePickup(SHOPS.bastille, new Client(sideBase)); // so that c is not the newest
    const [ea] = await eventIds('order_events', a.id);
    const [eb] = await eventIds('order_events', b.id);
    const [ec] = await eventIds('order_events', c.id);
    // a and c look old, b (between them) does not: archiving c would leave a hole under b
    await sidePool.query(`UPDATE order_events SET created_at = now() - interval '400 days' WHERE id <= $1 OR id = $2`, [ea, ec]);
    await sidePool.query(`UPDATE order_events SET created_at = now() WHERE id >= $1 AND id <> $2`, [eb, ec]);
    await runMaintenance(sidePool, 30, 'test');
    const hot = await eventIds('order_events');
    expect(hot).toContain(eb);
    expect(hot).toContain(ec);
    expect(hot).not.toContain(ea);
    expect(Math.min(...hot)).toBeGreaterThan(Math.max(...(await eventIds('order_events_archive'))));
  });

  it('takes a month wholly past the archive\'s age out of the hot table whole, and no more: a month holding a later id stays, and screens resume around it exactly', async () => {
    const months = async () => (await sidePool.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'order_events'::regclass ORDER BY 1`)).rows.map((x) => x.name as string);
    const monthOf = async (ago: string) => (await sidePool.query(`SELECT 'order_events_' || to_char(now() - $1::interval, 'YYYY_MM') AS t`, [ago])).rows[0].t as string;
    // what is there archived (but the newest), then a database with a history: the months' tables of
    // the last year, as a migrated database has them (an old month left empty goes at the next housekeeping)
    await sidePool.query(`UPDATE order_events SET created_at = now() - interval '400 days'`);
    await runMaintenance(sidePool, 30, 'test');
    await sidePool.query(`SELECT order_events_add_months((now() - interval '1 year')::date, now()::date)`);
    const placeAt = async (shop: number) => (await eventIds('order_events', (await placePickup(shop, new Client(sideBase))).id))[0];
    const sixMonthsOld = [await placeAt(SHOPS.bastille), await placeAt(SHOPS.bastille)];
    const today = await placeAt(SHOPS.bastille);
    const fiveMonthsOld = await placeAt(SHOPS.bastille); // an id after today's first
    const newest = await placeAt(SHOPS.canal);
    const backdate = (ids: number[], ago: string) =>
      sidePool.query(`UPDATE order_events SET created_at = date_trunc('month', now() - $2::interval) + interval '3 days' WHERE id = ANY($1)`, [ids, ago]);
    await backdate(sixMonthsOld, '6 months');
    await backdate([fiveMonthsOld], '5 months');
    const [six, five] = [await monthOf('6 months'), await monthOf('5 months')];
    expect((await sidePool.query(`SELECT id FROM ${six} ORDER BY id`)).rows.map((x) => Number(x.id))).toEqual(sixMonthsOld);
    expect((await sidePool.query(`SELECT id FROM ${five} ORDER BY id`)).rows.map((x) => Number(x.id))).toEqual([fiveMonthsOld]);
    const hotBefore = await eventIds('order_events');
    expect(hotBefore.at(-1)).toBe(newest);

    const monthsBefore = await months();
    const result = await runMaintenance(sidePool, 30, 'test');
    // the six-month-old month left whole (and the empty months of the year past); the five-month-old
    // one holds an id above today's: it stays, with its event
    const monthsAfter = await months();
    expect(result.monthsArchived).toBe(monthsBefore.filter((m) => !monthsAfter.includes(m)).length);
    expect(result.monthsArchived).toBeGreaterThanOrEqual(1);
    expect(await months()).not.toContain(six);
    expect(await months()).toContain(five);
    expect((await sidePool.query('SELECT to_regclass($1) AS t', [six])).rows[0].t).toBeNull();
    expect(await eventIds('order_events_archive')).toEqual(expect.arrayContaining(sixMonthsOld));
    const hot = await eventIds('order_events');
    expect(hot).toEqual(hotBefore.filter((id) => id >= today));
    expect(hot).toContain(fiveMonthsOld);
    expect(result.eventsArchived).toBe(hotBefore.length - hot.length);
    // this month's table and the three ahead are there
    const ahead = (await sidePool.query(`SELECT array_agg('order_events_' || to_char(now() + make_interval(months => m), 'YYYY_MM')) AS t FROM generate_series(0, 3) m`)).rows[0].t as string[];
    expect(await months()).toEqual(expect.arrayContaining(ahead));

    // a screen that saw the last archived event resumes with exactly what it missed; one before it reloads
    const last = Math.max(...sixMonthsOld);
    const after = await resume(last);
    expect(after.ack).toEqual({ data: { lastEventId: newest } });
    const missed = (await sidePool.query('SELECT id FROM order_events WHERE pizzeria_id = $1 AND id > $2 ORDER BY id', [SHOPS.bastille, last])).rows.map((x) => Number(x.id));
    expect(missed).toEqual([today, fiveMonthsOld]);
    await after.seen.waitFor((e) => e.eventId === fiveMonthsOld);
    await new Promise((res) => setTimeout(res, 200));
    expect(after.seen.events.map((e) => e.eventId)).toEqual(missed);
    const behind = await resume(sixMonthsOld[0]);
    expect(behind.ack).toEqual({ data: { resync: true, lastEventId: newest } });
    // and a new event still reaches a screen live
    const next = await placePickup(SHOPS.bastille, new Client(sideBase));
    await after.seen.waitFor((e) => e.order.id === next.id);
  });
});
