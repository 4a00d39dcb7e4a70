// The abuse benchmark's runs with the default limits (scripts/bench-abuse.ts): the workers in this
// process sending to a mail server and an SMS gateway of its own, the server in another. Hoarding
// (unpaid online orders trying to take a 60-dough shop off sale), relay (orders to one victim's
// email and phone, each cancelled), SMS pumping, promo hoarding and far-slot hoarding.
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import pino from 'pino';
import { say, REDIS_URL, sleep } from './bench-common.ts';
import { benchPool, portOf, startChild, type PostFrom } from './bench-abuse-procs.ts';

// ---------- hoarding and relay, with the default limits ----------

export interface LimitsRun {
  hoard: { tries: string[]; heldUnpaid: number; free: number; onMenu: string; real: number; realStatus: string };
  relay: { answers: Record<number, number>; code: string; cancels: number; emails: number; texts: number; limited: number; ms: number };
}

export async function runLimits(dbUrl: string, queuePrefix: string): Promise<LimitsRun> {
  say('\n-- hoarding and relay, default limits');
  const { parseConfig } = await import('../src/lib/server/kernel/config.ts');
  const { startWorkers } = await import('../workers/workers.ts');
  const inbox = await victimsInbox();
  const env = {
    DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix, NODE_ENV: 'test', BENCH_DEFAULT_LIMITS: 'true',
    SMTP_URL: `smtp://127.0.0.1:${inbox.smtpPort}`, SMS_HTTP_URL: `http://127.0.0.1:${inbox.smsPort}/messages`, SMS_HTTP_TOKEN: 'bench-gateway',
  };
  const workers = await startWorkers(parseConfig({ ...process.env, ...env, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }), { schedule: false });
  const server = startChild(['--serve'], env);
  const port = await portOf(server);
  const base = `http://127.0.0.1:${port}`;
  const pool = benchPool(dbUrl, 2, 'limits');
  const post: PostFrom = async (path, ip, body = {}) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const orders = await orderers(pool, post);
  const hoard = await hoarding(pool, base, orders);
  const relay = await relayToVictim(pool, post, orders, inbox);
  const result: LimitsRun = { hoard, relay };
  await smsPumping(post, inbox.texts);
  await promoHoarding(post, pool, orders.other);
  await farSlotHoarding(post, base, pool);
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await workers.close(2000);
  await pool.end();
  await inbox.close();
  return result;
}

/** The victim's mailbox and phone: a mail server and an SMS gateway in this process, each keeping who it was sent to. */
async function victimsInbox() {
  const { SMTPServer } = await import('smtp-server');
  const { createServer } = await import('node:http');
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, done) {
      stream.resume();
      stream.on('end', () => (mails.push(...session.envelope.rcptTo.map((r) => r.address)), done()));
    },
  });
  const texts: string[] = [];
  const gateway = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => (texts.push(JSON.parse(raw).to), res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x"}')));
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  return {
    mails,
    texts,
    smtpPort: (smtp.server.address() as AddressInfo).port,
    smsPort: (gateway.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    },
  };
}

type Inbox = Awaited<ReturnType<typeof victimsInbox>>;
type Client = { ip: string; phone: string; email: string };

/** New clients, each from an address and with a phone and an email of their own, and their pickups of n pizzas at the first shop (or another). */
async function orderers(pool: pg.Pool, post: PostFrom) {
  let seq = 0;
  const client = (): Client => {
    seq++;
    return { ip: `192.0.2.${seq}`, phone: `07 00 00 ${String(seq).padStart(4, '0').replace(/(\d\d)(\d\d)/, '$1 $2')}`, email: `client${seq}@example.test` };
  };
  const pizzas = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 3`)).rows.map((r) => r.id);
  const lines = (n: number) => pizzas.map((productId, i) => ({ productId, quantity: Math.max(0, Math.min(20, n - 20 * i)) })).filter((l) => l.quantity > 0);
  const [shop, other] = (await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id LIMIT 2')).rows.map((r) => r.id);
  const order = (who: Client, n: number, payment: 'online' | 'on_delivery', pizzeriaId = shop) =>
    post('/api/orders', who.ip, { pizzeriaId, fulfilment: 'pickup', payment, items: lines(n), customer: { name: 'Client', phone: who.phone, email: who.email } });
  return { client, order, shop, other };
}

type Orderers = Awaited<ReturnType<typeof orderers>>;

/** Hoarding: the shop has 60 dough balls; one client asks 50 then 10 unpaid, then 20 more clients 20 each; then a real customer. */
async function hoarding(pool: pg.Pool, base: string, { client, order, shop }: Orderers): Promise<LimitsRun['hoard']> {
  await pool.query(`UPDATE stock SET on_hand = 60 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop]);
  const tries: string[] = [];
  const hostile = client();
  for (const n of [50, 10]) {
    const r = await order(hostile, n, 'online');
    tries.push(`${n} → ${r.status}${r.body.error ? ` ${r.body.error.code}` : ''}`);
  }
  const many: Record<string, number> = {};
  for (let i = 0; i < 20; i++) {
    const r = await order(client(), 20, 'online');
    const key = `${r.status}${r.body.error ? ` ${r.body.error.code}` : ''}`;
    many[key] = (many[key] ?? 0) + 1;
  }
  tries.push(`20 clients × 20 → ${Object.entries(many).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
  const level = (await pool.query<{ free: number; reserved: number }>(
    `SELECT l.free, l.reserved FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id WHERE l.pizzeria_id = $1 AND i.slug = 'pate'`, [shop])).rows[0];
  const menu = (await (await fetch(`${base}/api/pizzerias/${shop}/menu`)).json()) as { category: string; available: boolean }[];
  const onMenu = `${menu.filter((p) => p.category === 'pizza' && p.available).length} of ${menu.filter((p) => p.category === 'pizza').length}`;
  const real = await order(client(), level.free, 'on_delivery');
  return { tries, heldUnpaid: level.reserved, free: level.free, onMenu, real: level.free, realStatus: `${real.status}${real.body.error ? ` ${real.body.error.code}` : ''}` };
}

/** Relay: 60 orders in a minute to one victim from one address (at another shop), each taken one cancelled; what reached the victim. */
async function relayToVictim(pool: pg.Pool, post: PostFrom, { order, other }: Orderers, inbox: Inbox): Promise<LimitsRun['relay']> {
  const victim = { ip: '192.0.2.250', phone: '07 99 99 99 99', email: 'victim@example.test' };
  const t0 = performance.now();
  const answers: Record<number, number> = {};
  const taken: { id: string; trackingToken: string }[] = [];
  let code = '';
  for (let i = 0; i < 60; i++) {
    const r = await order(victim, 1, 'on_delivery', other);
    answers[r.status] = (answers[r.status] ?? 0) + 1;
    if (r.status === 201) taken.push(r.body);
    else code ||= r.body.error?.code;
  }
  let cancels = 0;
  // from a second address: the first used its RATE_LIMIT_ORDERS (60 in 10 min) on the orders
  for (const t of taken) if ((await post(`/api/track/${t.trackingToken}/cancel`, '192.0.2.251')).status === 200) cancels++;
  const ms = performance.now() - t0;
  const ids = taken.map((t) => t.id);
  const settleBy = performance.now() + 30_000;
  let decided: { last_error: string | null }[] = [];
  while (performance.now() < settleBy) {
    decided = (await pool.query(`SELECT last_error FROM customer_notifications WHERE order_id = ANY($1) AND status = 'sent'`, [ids])).rows;
    if (decided.length >= ids.length * 4) break;
    await sleep(100);
  }
  const limited = decided.filter((r) => r.last_error?.startsWith('not sent: too many')).length;
  return { answers, code, cancels, emails: inbox.mails.filter((m) => m === victim.email).length, texts: inbox.texts.filter((t) => t === '+33799999999').length, limited, ms };
}

/** Prints the hoarding and relay runs. */
export function sayLimits({ hoard, relay }: LimitsRun) {
  say('\nHoarding (a shop with 60 dough balls, unpaid online orders, default limits):');
  for (const t of hoard.tries) say(`  ${t}`);
  say(`  held by unpaid orders: ${hoard.heldUnpaid} doughs; free: ${hoard.free}; pizzas still on the menu: ${hoard.onMenu}`);
  say(`  a real customer paying on delivery asks the ${hoard.real} left → ${hoard.realStatus}`);
  say(`Relay (60 orders to one victim's email and phone from one address, each taken one then cancelled, in ${(relay.ms / 1000).toFixed(1)} s):`);
  say(`  answers: ${Object.entries(relay.answers).map(([s, n]) => `${n}× ${s}`).join(', ')} (refused: ${relay.code}); cancels: ${relay.cancels}`);
  say(`  reached the victim: ${relay.emails} emails, ${relay.texts} texts; recorded and not sent: ${relay.limited}`);
}

// ---------- SMS pumping, with the default limits ----------

/**
 * Sign-in codes asked for by the dozen, from a few addresses: to satellite and far-away ranges (33
 * from 3 addresses, as the attack was seen), then a run on one block of French numbers (60 from 6
 * addresses), while honest customers of five ranges ask theirs. Prints requests made and texts sent.
 */
async function smsPumping(post: PostFrom, texts: string[]) {
  say('\n-- SMS pumping, default limits');
  const tally = async (label: string, asks: { phone: string; ip: string }[], e164: (phone: string) => string) => {
    const before = texts.length;
    const answers: Record<string, number> = {};
    for (const a of asks) {
      const r = await post('/api/customer/code', a.ip, { phone: a.phone });
      const key = `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
    await sleep(300);
    const numbers = new Set(asks.map((a) => e164(a.phone)));
    const sent = texts.slice(before).filter((t) => numbers.has(t)).length;
    say(`SMS pumping, ${label}: ${asks.length} requests made, ${sent} texts sent (answers: ${Object.entries(answers).map(([k, n]) => `${n}× ${k}`).join(', ')})`);
  };
  const plain = (phone: string) => phone.replace(/[\s.]/g, '').replace(/^0(\d{9})$/, '+33$1');
  const far = ['+881631', '+88216', '+870773', '+269332', '+371200', '+232760', '+252610', '+5352', '+375291', '+68870', '+67455'];
  await tally('satellite and far-away ranges, 3 addresses', Array.from({ length: 33 }, (_, i) => ({ phone: `${far[i % far.length]}${String(100000 + i)}`, ip: `198.51.100.${1 + (i % 3)}` })), plain);
  await tally('one French range (+33 6 12 34), 6 addresses', Array.from({ length: 60 }, (_, i) => ({ phone: `+3361234${String(1000 + i)}`, ip: `198.51.100.${10 + Math.floor(i / 10)}` })), plain);
  await tally('honest customers of five ranges', ['+33 6 20 11 22 33', '+33 7 81 22 33 44', '+262 692 11 22 33', '+590 690 22 33 44', '+596 696 33 44 55'].map((phone, i) => ({ phone, ip: `203.0.113.${i + 1}` })), plain);
}

// ---------- promo hoarding, with the default limits ----------

/**
 * A "first 5 customers" code (5 uses) against one client placing orders to pay at the counter, each
 * with another phone and email, cancelling and placing again; then an honest customer from another
 * address. And a once-per-customer code tried by a guest with other phones and lookalike emails.
 * Prints the uses the hoarder holds and whether the honest customer still gets the code.
 */
async function promoHoarding(post: PostFrom, pool: pg.Pool, shop: number) {
  say('\n-- promo hoarding, default limits');
  const code = `FIRST5${Date.now().toString(36).toUpperCase()}`;
  const once = `ONCE${Date.now().toString(36).toUpperCase()}`;
  const { rows } = await pool.query<{ id: number }>(`INSERT INTO promo_codes (code, kind, value, max_uses) VALUES ($1, 'amount', 300, 5) RETURNING id`, [code]);
  await pool.query(`INSERT INTO promo_codes (code, kind, value, max_uses_per_customer) VALUES ($1, 'percent', 10, 1)`, [once]);
  const pizza = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 1`)).rows[0].id;
  let n = 0;
  const pickup = (ip: string, promoCode: string, email = `promo${++n}@example.test`) =>
    post('/api/orders', ip, { pizzeriaId: shop, fulfilment: 'pickup', payment: 'on_delivery', promoCode, items: [{ productId: pizza, quantity: 1 }],
      customer: { name: 'Client', phone: `07 10 00 ${String(++n).padStart(4, '0').replace(/(\d\d)(\d\d)/, '$1 $2')}`, email } });
  const tally = (answers: { status: number; body: any }[]) => {
    const by: Record<string, number> = {};
    const key = (r: { status: number; body: any }) => `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`;
    for (const r of answers) by[key(r)] = (by[key(r)] ?? 0) + 1;
    return Object.entries(by).map(([k, c]) => `${c}× ${k}`).join(', ');
  };
  const hoarder = '192.0.2.200';
  const first = [];
  for (let i = 0; i < 5; i++) first.push(await pickup(hoarder, code));
  // cancelling gives a use back: three rounds of cancel and place again, five orders each
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    for (const r of [...first, ...rounds].filter((a) => a.status === 201)) await post(`/api/track/${r.body.trackingToken}/cancel`, hoarder);
    for (let i = 0; i < 5; i++) rounds.push(await pickup(hoarder, code));
  }
  const held = (await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM promo_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promo_code_id = $1 AND o.status <> 'cancelled' AND o.client_address = $2::inet`,
    [rows[0].id, hoarder])).rows[0].n;
  const honest = await pickup('203.0.113.90', code);
  say(`Promo hoarding ("first 5 customers" code, one address, orders paid at the counter, a new phone and email each):`);
  say(`  5 orders → ${tally(first)}; then 3 × (cancel, 5 more) → ${tally(rounds)}`);
  say(`  uses the hoarder holds: ${held} of 5; an honest customer from another address → ${honest.status}${honest.body.error ? ` ${honest.body.error.code}` : ` (total ${(honest.body.total / 100).toFixed(2)} EUR)`}`);
  const lookalikes = ['Jean.Dupont@gmail.com', 'jeandupont@gmail.com', 'jean.dupont+1@gmail.com', 'JEAN.DUPONT@GMAIL.COM'];
  const guest = [];
  for (const [i, email] of lookalikes.entries()) guest.push(await pickup(`192.0.2.${210 + i}`, once, email));
  say(`  once-per-customer code, a guest with 4 phones and lookalike emails → ${tally(guest)} (uses: ${guest.filter((g) => g.status === 201).length})`);
}

// ---------- far-slot hoarding, with the default limits ----------

/**
 * A shop with 60 dough balls (its oven taking any slot's orders): one client places two pickups paid
 * at the door, 30 pizzas each, for a slot six days ahead (the attack of round 4), then 20 and 10;
 * then 10 clients 20 each, as far ahead. Prints what they took and whether an honest customer still
 * orders for the first slot and for tomorrow.
 */
async function farSlotHoarding(post: PostFrom, base: string, pool: pg.Pool) {
  say('\n-- far-slot hoarding, default limits');
  const shop = (await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id OFFSET 2 LIMIT 1')).rows[0].id;
  await pool.query('UPDATE pizzerias SET oven_minutes_per_slot = 5000 WHERE id = $1', [shop]);
  await pool.query(`UPDATE stock SET on_hand = 60 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop]);
  const pizzas = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 3`)).rows.map((r) => r.id);
  const lines = (n: number) => pizzas.map((productId, i) => ({ productId, quantity: Math.max(0, Math.min(20, n - 20 * i)) })).filter((l) => l.quantity > 0);
  const { slots } = (await (await fetch(`${base}/api/pizzerias/${shop}/slots?fulfilment=pickup&pizzas=30`)).json()) as { slots: { start: string }[] };
  const at = (ms: number) => slots.find((s) => Date.parse(s.start) >= ms)?.start ?? slots.at(-1)!.start;
  const sixDays = at(Date.now() + 6 * 86_400_000);
  const tomorrow = at(Date.now() + 86_400_000);
  let n = 0;
  const pickup = (items: number, slot: string, who = ++n) =>
    post('/api/orders', `192.0.2.${100 + who}`, { pizzeriaId: shop, fulfilment: 'pickup', payment: 'on_delivery', slot, items: lines(items),
      customer: { name: 'Client', phone: `07 20 00 ${String(who).padStart(4, '0').replace(/(\d\d)(\d\d)/, '$1 $2')}`, email: `far${who}@example.test` } });
  const said = (r: { status: number; body: any }) => `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`;
  const hostile = ++n;
  const attack = [];
  for (const items of [30, 30, 20, 10]) attack.push(`${items} → ${said(await pickup(items, sixDays, hostile))}`);
  const many: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    const k = said(await pickup(20, sixDays));
    many[k] = (many[k] ?? 0) + 1;
  }
  const level = (await pool.query<{ free: number; reserved: number }>(
    `SELECT l.free, l.reserved FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id WHERE l.pizzeria_id = $1 AND i.slug = 'pate'`, [shop])).rows[0];
  const menu = (await (await fetch(`${base}/api/pizzerias/${shop}/menu`)).json()) as { category: string; available: boolean }[];
  const onMenu = `${menu.filter((p) => p.category === 'pizza' && p.available).length} of ${menu.filter((p) => p.category === 'pizza').length}`;
  const soon = await pickup(2, slots[0].start);
  const next = await pickup(2, tomorrow);
  say(`Far-slot hoarding (a shop with 60 dough balls, pickups paid at the door for ${sixDays}, default limits):`);
  say(`  one client: ${attack.join('; ')}`);
  say(`  10 clients × 20 → ${Object.entries(many).map(([k, c]) => `${c}× ${k}`).join(', ')}`);
  say(`  held: ${level.reserved} doughs; free: ${level.free}; pizzas still on the menu: ${onMenu}`);
  say(`  an honest customer, 2 pizzas for the first slot (${slots[0].start}) → ${said(soon)}; for tomorrow (${tomorrow}) → ${said(next)}`);
}

