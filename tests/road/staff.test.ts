// Staff accounts, against real Postgres, Redis and Socket.io, with a real SMTP server in this
// process receiving the emails: an invitation link chooses the password once; an expired or used
// link is refused; disabling a driver ends their phone's socket at once; a manager manages only
// their own shop's kitchen, counter and drivers; a forgotten password is reset by email, through
// the workers, with a link on the configured origin whatever Host the request named.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { Client, connectSocket, createShop, createSideDatabase, subscribe, testConfig, waitUntil } from '../helpers.ts';
import type { ParsedMail } from 'mailparser';
import { startStack, startTestSmtp, useStack, type Stack, type TestSmtp } from '../services.ts';
import { fileDatabase } from '../file-database.ts';

let smtp: TestSmtp;
let inbox: TestSmtp['inbox'];
// no PUBLIC_ORIGIN, as on a development machine: links go to http://localhost:$PORT
const origin = testConfig().publicOrigin;

beforeAll(async () => {
  smtp = await startTestSmtp();
  inbox = smtp.inbox;
});
afterAll(() => smtp?.close());
const stack = useStack({ env: () => ({ SMTP_URL: smtp.url }), workers: true });

const mailTo = async (email: string): Promise<ParsedMail> =>
  (await waitUntil(() => inbox.find((m) => (m.to as { text: string } | undefined)?.text === email), 10_000, `an email to ${email}`))!;
const linkIn = (mail: ParsedMail) => {
  const m = /(\S+)\/account\/password\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
  expect(m, mail.text).not.toBeNull();
  // every link starts with the configured origin, whoever asked and however
  expect(m![1]).toBe(origin);
  return m![2];
};
const mailsTo = (email: string) => inbox.filter((m) => (m.to as { text: string } | undefined)?.text === email);
/**
 * Every reset asked for has been handled by the workers: none waits, runs or waits for another try.
 * What a job mails is in the inbox before it ends (the test server keeps a mail before it answers).
 */
const resetsHandled = (s: Stack = stack) =>
  waitUntil(async () => Object.values(await s.workers.queues.accounts.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((n) => n === 0), 10_000, 'every reset asked for handled');

/** A POST as an attacker sends it, naming whatever Host they like. */
function postWithHost(path: string, host: string, body: string, type = 'application/json'): Promise<{ status: number; body: string }> {
  const url = new URL(stack.base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', headers: { host, 'content-type': type, origin: `http://${host}` } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('an invitation', () => {
  it("a manager adds a driver; the email's link chooses the password, once; then the driver logs in", async () => {
    const shop = await createShop(stack.pool, 'invite');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const email = `nouveau.${shop.slug}@ocpizza.test`;
    const made = await manager.post('/api/staff', { email: email.toUpperCase(), name: 'Karim Nouveau', role: 'driver' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ email, role: 'driver', pizzeriaId: shop.id, active: true, invited: true });
    // no password yet: nothing logs in
    expect((await new Client(stack.base).post('/api/auth/login', { email, password: 'n importe quoi' })).status).toBe(401);

    const mail = await mailTo(email);
    expect(mail.subject).toMatch(/OC Pizza/);
    expect(mail.text).toContain('Karim Nouveau');
    const token = linkIn(mail);
    expect((await new Client(stack.base).get(`/api/account/link?token=${token}`)).body).toMatchObject({ email, purpose: 'invite' });

    const short = await new Client(stack.base).post('/api/account/password', { token, password: 'court' });
    expect(short.status).toBe(422);
    expect(short.body.error.fields.password).toMatch(/10 characters/);
    expect((await new Client(stack.base).post('/api/account/password', { token, password: 'une-pizza-par-jour' })).body).toEqual({ email });
    const driver = await new Client(stack.base).login(email, 'une-pizza-par-jour');
    expect((await driver.get('/api/auth/me')).body.user).toMatchObject({ email, role: 'driver' });
    // the link worked once
    expect((await new Client(stack.base).post('/api/account/password', { token, password: 'une-autre-pizza' })).status).toBe(410);
    expect((await new Client(stack.base).get(`/api/account/link?token=${token}`)).status).toBe(410);
    expect((await manager.get(`/api/staff/${made.body.id}`)).body.invited).toBe(false);

    const { rows } = await stack.pool.query(`SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = $1 ORDER BY id`, [String(made.body.id)]);
    expect(rows.map((r) => r.action)).toEqual(['staff.create', 'staff.password_chosen']);
  });

  it('an expired link is refused and changes nothing; sending it again works', async () => {
    const shop = await createShop(stack.pool, 'expired');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const email = `tard.${shop.slug}@ocpizza.test`;
    const made = await manager.post('/api/staff', { email, name: 'Léa Tard', role: 'kitchen' });
    const token = linkIn(await mailTo(email));
    await stack.pool.query(`UPDATE account_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = $1`, [made.body.id]);
    const late = await new Client(stack.base).post('/api/account/password', { token, password: 'trop-tard-pour-ca' });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('link_expired');

    inbox.length = 0;
    expect((await manager.post(`/api/staff/${made.body.id}/link`)).body).toEqual({ sent: 'invite' });
    const fresh = linkIn(await mailTo(email));
    expect(fresh).not.toBe(token);
    expect((await new Client(stack.base).post('/api/account/password', { token: fresh, password: 'enfin-a-l-heure' })).status).toBe(200);
  });
});

describe('disabling an account', () => {
  it("ends a driver's phone socket at once, and their session; enabled again, they log in", async () => {
    const shop = await createShop(stack.pool, 'disable');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    const id = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('driver1')])).rows[0].id;
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await connectSocket(stack.base, { cookie: driver.cookie, reconnection: false });
    stack.sockets.push(phone);
    expect(await subscribe(phone, { scope: 'driver' })).toMatchObject({ data: {} });
    let gone = false;
    phone.on('disconnect', () => (gone = true));

    const off = await manager.post(`/api/staff/${id}/disable`);
    expect(off.body).toMatchObject({ active: false, onShift: false });
    await waitUntil(() => gone, 5000, 'the phone to be disconnected');
    expect((await driver.get('/api/orders')).status).toBe(401);
    expect((await new Client(stack.base).post('/api/auth/login', { email: shop.email('driver1'), password: inject('demoPassword') })).status).toBe(401);

    expect((await manager.post(`/api/staff/${id}/enable`)).body.active).toBe(true);
    await new Client(stack.base).login(shop.email('driver1'));
    // you cannot disable yourself
    const me = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('manager')])).rows[0].id;
    expect((await manager.post(`/api/staff/${me}/disable`)).status).toBe(409);
  });
  it('a reset or invitation link mailed before the account was disabled no longer works once it is enabled again', async () => {
    const shop = await createShop(stack.pool, 'deadlinks');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const counter = shop.email('counter');
    const counterId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [counter])).rows[0].id;
    expect((await manager.post(`/api/staff/${counterId}/link`)).status).toBe(200);
    const reset = linkIn(await mailTo(counter));
    const invited = `invite.${shop.slug}@ocpizza.test`;
    const made = await manager.post('/api/staff', { email: invited, name: 'Noé Invité', role: 'kitchen' });
    const invite = linkIn(await mailTo(invited));

    for (const id of [counterId, made.body.id]) {
      expect((await manager.post(`/api/staff/${id}/disable`)).body.active).toBe(false);
      expect((await manager.post(`/api/staff/${id}/enable`)).body.active).toBe(true);
    }
    for (const token of [reset, invite]) {
      expect((await new Client(stack.base).get(`/api/account/link?token=${token}`)).status).toBe(410);
      const used = await new Client(stack.base).post('/api/account/password', { token, password: 'plus-jamais-ce-lien' });
      expect(used.status).toBe(410);
      expect(used.body.error.code).toBe('link_expired');
    }
    // the old password still opens the counter's account; a new link works
    await new Client(stack.base).login(counter);
    expect((await manager.post(`/api/staff/${made.body.id}/link`)).body).toEqual({ sent: 'invite' });
    const fresh = await waitUntil(() => mailsTo(invited).at(-1) !== undefined && mailsTo(invited).length === 2 ? mailsTo(invited).at(-1) : undefined, 10_000, 'a new invitation');
    expect((await new Client(stack.base).post('/api/account/password', { token: linkIn(fresh!), password: 'un-nouveau-depart' })).status).toBe(200);
  });

  it('a link mailed to an address the account no longer has dies when its email is changed', async () => {
    const shop = await createShop(stack.pool, 'moved');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const old = shop.email('kitchen');
    const id = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [old])).rows[0].id;
    expect((await manager.post(`/api/staff/${id}/link`)).status).toBe(200);
    const token = linkIn(await mailTo(old));
    expect((await manager.patch(`/api/staff/${id}`, { email: `new.${shop.slug}@ocpizza.test` })).status).toBe(200);
    const used = await new Client(stack.base).post('/api/account/password', { token, password: 'ancienne-boite' });
    expect(used.status).toBe(410);
  });
});

describe('who manages whom', () => {
  it("a manager manages their own shop's kitchen, counter and drivers only; head office everyone; bad input is refused", async () => {
    const shop = await createShop(stack.pool, 'scope');
    const other = await createShop(stack.pool, 'scope-other');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const idOf = async (email: string) => (await stack.pool.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id as number;

    expect((await manager.post('/api/staff', { email: `x.${shop.slug}@ocpizza.test`, name: 'X', role: 'manager' })).status).toBe(403);
    expect((await manager.post('/api/staff', { email: `y.${shop.slug}@ocpizza.test`, name: 'Y', role: 'admin' })).status).toBe(403);
    expect((await manager.post('/api/staff', { email: `z.${shop.slug}@ocpizza.test`, name: 'Z', role: 'kitchen', pizzeriaId: other.id })).status).toBe(403);
    expect((await manager.patch(`/api/staff/${await idOf(other.email('driver1'))}`, { name: 'Pirate' })).status).toBe(404);
    expect((await manager.post(`/api/staff/${await idOf(other.email('driver1'))}/disable`)).status).toBe(404);
    // a driver cannot be made a manager by a manager
    expect((await manager.patch(`/api/staff/${await idOf(shop.email('driver1'))}`, { role: 'manager' })).status).toBe(403);
    expect((await (await new Client(stack.base).login(shop.email('kitchen'))).get('/api/staff')).status).toBe(403);

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
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const d2 = await new Client(stack.base).login(shop.email('driver2'));
    const moved = await admin.patch(`/api/staff/${await idOf(shop.email('driver2'))}`, { pizzeriaId: other.id });
    expect(moved.body).toMatchObject({ pizzeriaId: other.id, role: 'driver' });
    expect((await d2.get('/api/orders')).status).toBe(401);
  });

  it('a forgotten password: the request only hands the email to the workers, and answers the same for an account and for none; the account gets its link', async () => {
    const shop = await createShop(stack.pool, 'forgot');
    const known = shop.email('counter');
    const unknown = `personne.${shop.slug}@ocpizza.test`;
    const userId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [known])).rows[0].id;
    const worker = stack.workers.workers.find((w) => w.name === 'accounts')!;
    await worker.pause();
    try {
      const a = await new Client(stack.base).post('/api/account/forgot', { email: known });
      const b = await new Client(stack.base).post('/api/account/forgot', { email: unknown });
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(a.body).toEqual(b.body);
      // nothing looked up, made or sent while answering: both wait for the workers, alike
      expect((await stack.pool.query('SELECT count(*)::int AS n FROM account_tokens WHERE user_id = $1', [userId])).rows[0].n).toBe(0);
      expect(mailsTo(known)).toEqual([]);
      const waiting = await stack.workers.queues.accounts.getWaiting();
      expect(waiting.map((j) => j.data.email).sort()).toEqual([known, unknown].sort());
    } finally {
      worker.resume();
    }
    const token = linkIn(await mailTo(known));
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM account_tokens WHERE user_id = $1 AND used_at IS NULL', [userId])).rows[0].n).toBe(1);
    expect((await new Client(stack.base).post('/api/account/password', { token, password: 'nouveau-depart-42' })).status).toBe(200);
    await new Client(stack.base).login(known, 'nouveau-depart-42');
    await resetsHandled();
    expect(mailsTo(unknown)).toEqual([]);
    expect(mailsTo(known)).toHaveLength(1);
  });

  it('asked for again and again, a reset mails the account once a minute at most; the link works', async () => {
    const shop = await createShop(stack.pool, 'bomb');
    const email = shop.email('driver1');
    const asked = await Promise.all(Array.from({ length: 6 }, () => new Client(stack.base).post('/api/account/forgot', { email })));
    expect(asked.map((r) => r.status)).toEqual(Array(6).fill(202));
    const token = linkIn(await mailTo(email));
    await resetsHandled();
    expect(mailsTo(email)).toHaveLength(1);
    expect((await new Client(stack.base).post('/api/account/password', { token, password: 'un-seul-message' })).status).toBe(200);
  });

  it('a stranger asking again cannot break the link a colleague already has, and an account gets three resets an hour at most', async () => {
    const shop = await createShop(stack.pool, 'keeplink');
    const email = shop.email('counter');
    expect((await new Client(stack.base).post('/api/account/forgot', { email })).status).toBe(202);
    const first = linkIn(await mailTo(email));
    // two more emails an hour later (the minute's wait made as if it had passed), then the hour is full
    for (let n = 2; n <= 4; n++) {
      await stack.pool.query(`UPDATE account_tokens t SET created_at = t.created_at - interval '2 minutes' FROM users u WHERE u.id = t.user_id AND u.email = $1`, [email]);
      expect((await new Client(stack.base).post('/api/account/forgot', { email })).status).toBe(202);
      await resetsHandled();
    }
    expect(mailsTo(email)).toHaveLength(3);
    // the colleague's first link still works, and once used the others are over
    expect((await new Client(stack.base).post('/api/account/password', { token: first, password: 'mon-premier-lien' })).status).toBe(200);
    const later = linkIn(mailsTo(email).at(-1)!);
    expect((await new Client(stack.base).post('/api/account/password', { token: later, password: 'un-autre-lien' })).status).toBe(410);
  });

  it('a reset the mail server refused for a moment is sent on the next try, once, and its link works', async () => {
    // a database of its own: the workers' reconciler sends every message the run's earlier files
    // left unsent, which would reach this mail server before the reset does
    const side = await createSideDatabase('smtp-down', { seed: true });
    const pool = new pg.Pool({ connectionString: side.url, max: 2 });
    const shop = await createShop(pool, 'smtpdown');
    const email = shop.email('kitchen');
    let refusals = 0;
    // the first message is refused (451, try again later), the next ones taken
    const flaky = await startTestSmtp({ refuse: () => refusals++ === 0 });
    const own = await startStack({ env: { DATABASE_URL: side.url, SMTP_URL: flaky.url, QUEUE_PREFIX: `${fileDatabase().queuePrefix}_flaky` }, workers: true });
    try {
      expect((await new Client(own.base).post('/api/account/forgot', { email })).status).toBe(202);
      const mail = (await waitUntil(() => flaky.inbox.find((m) => (m.to as { text: string }).text === email), 15_000, 'the email, after a refusal'))!;
      expect(refusals).toBe(2);
      const token = linkIn(mail);
      await resetsHandled(own);
      expect(flaky.inbox).toHaveLength(1);
      expect((await pool.query('SELECT count(*)::int AS n FROM account_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1', [email])).rows[0].n).toBe(1);
      expect((await new Client(own.base).post('/api/account/password', { token, password: 'apres-la-panne' })).status).toBe(200);
    } finally {
      await own.close();
      await flaky.close();
      await pool.end();
      await side.drop();
    }
  }, 60_000);

  it('a reset asked for under a forged Host mails a link to the configured origin, never to that host', async () => {
    const shop = await createShop(stack.pool, 'forgedhost');
    const email = shop.email('manager');
    const asked = await postWithHost('/api/account/forgot', 'evil.example', JSON.stringify({ email }));
    expect(asked.status, asked.body).toBe(202);
    const mail = await mailTo(email);
    expect(mail.text).not.toContain('evil.example');
    linkIn(mail);
  });
});
