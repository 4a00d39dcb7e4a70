// Staff accounts, against real Postgres, Redis and Socket.io, with a real SMTP server in this
// process receiving the emails: an invitation link chooses the password once; an expired or used
// link is refused; disabling a driver ends their phone's socket at once; a manager manages only
// their own shop's kitchen, counter and drivers; a forgotten password is reset by email.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import { Client, connectSocket, createShop, startTestApp, subscribe, testPool, waitUntil, type TestSocket } from './helpers.ts';
import type { App } from '../server/app.ts';
import type { ParsedMail } from 'mailparser';
import { startTestSmtp, type TestSmtp } from './services.ts';

let app: App;
let base: string;
let pool: pg.Pool;
let smtp: TestSmtp;
let inbox: TestSmtp['inbox'];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  pool = testPool();
  smtp = await startTestSmtp();
  inbox = smtp.inbox;
  ({ app, base } = await startTestApp({ SMTP_URL: smtp.url }));
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await app?.close();
  await smtp?.close();
  await pool.end();
});

const mailTo = async (email: string): Promise<ParsedMail> =>
  (await waitUntil(() => inbox.find((m) => (m.to as { text: string } | undefined)?.text === email), 10_000, `an email to ${email}`))!;
const linkIn = (mail: ParsedMail) => {
  const m = /\/account\/password\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
  expect(m, mail.text).not.toBeNull();
  return m![1];
};

describe('an invitation', () => {
  it("a manager adds a driver; the email's link chooses the password, once; then the driver logs in", async () => {
    const shop = await createShop(pool, 'invite');
    const manager = await new Client(base).login(shop.email('manager'));
    const email = `nouveau.${shop.slug}@ocpizza.test`;
    const made = await manager.post('/api/staff', { email: email.toUpperCase(), name: 'Karim Nouveau', role: 'driver' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ email, role: 'driver', pizzeriaId: shop.id, active: true, invited: true });
    // no password yet: nothing logs in
    expect((await new Client(base).post('/api/auth/login', { email, password: 'n importe quoi' })).status).toBe(401);

    const mail = await mailTo(email);
    expect(mail.subject).toMatch(/OC Pizza/);
    expect(mail.text).toContain('Karim Nouveau');
    const token = linkIn(mail);
    expect((await new Client(base).get(`/api/account/link?token=${token}`)).body).toMatchObject({ email, purpose: 'invite' });

    const short = await new Client(base).post('/api/account/password', { token, password: 'court' });
    expect(short.status).toBe(422);
    expect(short.body.error.fields.password).toMatch(/10 characters/);
    expect((await new Client(base).post('/api/account/password', { token, password: 'une-pizza-par-jour' })).body).toEqual({ email });
    const driver = await new Client(base).login(email, 'une-pizza-par-jour');
    expect((await driver.get('/api/auth/me')).body.user).toMatchObject({ email, role: 'driver' });
    // the link worked once
    expect((await new Client(base).post('/api/account/password', { token, password: 'une-autre-pizza' })).status).toBe(410);
    expect((await new Client(base).get(`/api/account/link?token=${token}`)).status).toBe(410);
    expect((await manager.get(`/api/staff/${made.body.id}`)).body.invited).toBe(false);

    const { rows } = await pool.query(`SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = $1 ORDER BY id`, [String(made.body.id)]);
    expect(rows.map((r) => r.action)).toEqual(['staff.create', 'staff.password_chosen']);
  });

  it('an expired link is refused and changes nothing; sending it again works', async () => {
    const shop = await createShop(pool, 'expired');
    const manager = await new Client(base).login(shop.email('manager'));
    const email = `tard.${shop.slug}@ocpizza.test`;
    const made = await manager.post('/api/staff', { email, name: 'Léa Tard', role: 'kitchen' });
    const token = linkIn(await mailTo(email));
    await pool.query(`UPDATE account_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = $1`, [made.body.id]);
    const late = await new Client(base).post('/api/account/password', { token, password: 'trop-tard-pour-ca' });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('link_expired');

    inbox.length = 0;
    expect((await manager.post(`/api/staff/${made.body.id}/link`)).body).toEqual({ sent: 'invite' });
    const fresh = linkIn(await mailTo(email));
    expect(fresh).not.toBe(token);
    expect((await new Client(base).post('/api/account/password', { token: fresh, password: 'enfin-a-l-heure' })).status).toBe(200);
  });
});

describe('disabling an account', () => {
  it("ends a driver's phone socket at once, and their session; enabled again, they log in", async () => {
    const shop = await createShop(pool, 'disable');
    const manager = await new Client(base).login(shop.email('manager'));
    const driver = await new Client(base).login(shop.email('driver1'));
    const id = (await pool.query('SELECT id FROM users WHERE email = $1', [shop.email('driver1')])).rows[0].id;
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await connectSocket(base, { cookie: driver.cookie, reconnection: false });
    sockets.push(phone);
    expect(await subscribe(phone, { scope: 'driver' })).toMatchObject({ data: {} });
    let gone = false;
    phone.on('disconnect', () => (gone = true));

    const off = await manager.post(`/api/staff/${id}/disable`);
    expect(off.body).toMatchObject({ active: false, onShift: false });
    await waitUntil(() => gone, 5000, 'the phone to be disconnected');
    expect((await driver.get('/api/orders')).status).toBe(401);
    expect((await new Client(base).post('/api/auth/login', { email: shop.email('driver1'), password: inject('demoPassword') })).status).toBe(401);

    expect((await manager.post(`/api/staff/${id}/enable`)).body.active).toBe(true);
    await new Client(base).login(shop.email('driver1'));
    // you cannot disable yourself
    const me = (await pool.query('SELECT id FROM users WHERE email = $1', [shop.email('manager')])).rows[0].id;
    expect((await manager.post(`/api/staff/${me}/disable`)).status).toBe(409);
  });
});

describe('who manages whom', () => {
  it("a manager manages their own shop's kitchen, counter and drivers only; head office everyone; bad input is refused", async () => {
    const shop = await createShop(pool, 'scope');
    const other = await createShop(pool, 'scope-other');
    const manager = await new Client(base).login(shop.email('manager'));
    const idOf = async (email: string) => (await pool.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id as number;

    expect((await manager.post('/api/staff', { email: `x.${shop.slug}@ocpizza.test`, name: 'X', role: 'manager' })).status).toBe(403);
    expect((await manager.post('/api/staff', { email: `y.${shop.slug}@ocpizza.test`, name: 'Y', role: 'admin' })).status).toBe(403);
    expect((await manager.post('/api/staff', { email: `z.${shop.slug}@ocpizza.test`, name: 'Z', role: 'kitchen', pizzeriaId: other.id })).status).toBe(403);
    expect((await manager.patch(`/api/staff/${await idOf(other.email('driver1'))}`, { name: 'Pirate' })).status).toBe(404);
    expect((await manager.post(`/api/staff/${await idOf(other.email('driver1'))}/disable`)).status).toBe(404);
    // a driver cannot be made a manager by a manager
    expect((await manager.patch(`/api/staff/${await idOf(shop.email('driver1'))}`, { role: 'manager' })).status).toBe(403);
    expect((await (await new Client(base).login(shop.email('kitchen'))).get('/api/staff')).status).toBe(403);

    // the list: their shop only, searchable, paginated
    const list = (await manager.get('/api/staff?q=driver')).body;
    expect(list.rows.map((r: { email: string }) => r.email).sort()).toEqual([shop.email('driver1'), shop.email('driver2')].sort());
    expect(list).toMatchObject({ total: 2, page: 1, pages: 1 });

    // bad input
    const bad = await manager.post('/api/staff', { email: 'pas-un-email', name: '', role: 'chef' });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['email', 'name', 'role']);
    expect((await manager.post('/api/staff', { email: shop.email('kitchen'), name: 'Doublon', role: 'kitchen' })).status).toBe(409);

    // head office moves a driver to another shop: their session ends (a new job, a new login)
    const admin = await new Client(base).login('admin@ocpizza.test');
    const d2 = await new Client(base).login(shop.email('driver2'));
    const moved = await admin.patch(`/api/staff/${await idOf(shop.email('driver2'))}`, { pizzeriaId: other.id });
    expect(moved.body).toMatchObject({ pizzeriaId: other.id, role: 'driver' });
    expect((await d2.get('/api/orders')).status).toBe(401);
  });

  it('a forgotten password: a reset link to the account, and the same answer for an email that has none', async () => {
    const shop = await createShop(pool, 'forgot');
    inbox.length = 0;
    expect((await new Client(base).post('/api/account/forgot', { email: shop.email('counter') })).status).toBe(202);
    expect((await new Client(base).post('/api/account/forgot', { email: `personne.${shop.slug}@ocpizza.test` })).status).toBe(202);
    const token = linkIn(await mailTo(shop.email('counter')));
    expect((await new Client(base).post('/api/account/password', { token, password: 'nouveau-depart-42' })).status).toBe(200);
    await new Client(base).login(shop.email('counter'), 'nouveau-depart-42');
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.filter((m) => (m.to as { text: string }).text.includes(`personne.${shop.slug}`))).toEqual([]);
  });
});
