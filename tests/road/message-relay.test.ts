// Anyone can type someone else's email or phone into an order: the site must not become a way to
// bomb them with OC Pizza's messages, nor to send them links of the attacker's choosing. Against real
// Postgres, Redis (BullMQ), an SMTP server in the test process and a local HTTP server playing the
// SMS gateway, with the limits at their real defaults (the rest of the suite raises them).
import { randomInt } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import { notifyCustomer } from '../../src/lib/server/messages/notifications.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import { seededProduct, createShop, waitUntil } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';

const ORIGIN = 'https://commande.ocpizza.example';
const LIVE = 30_000;
const defaults = parseConfig({});
const margherita = seededProduct('margherita');

const messages = useMessages();
const stack = useStack({
  env: () => ({
    ...messages.env(),
    PUBLIC_ORIGIN: ORIGIN,
    ORDERS_PER_CONTACT_PER_HOUR: String(defaults.ORDERS_PER_CONTACT_PER_HOUR),
    MESSAGES_PER_DESTINATION_PER_HOUR: String(defaults.MESSAGES_PER_DESTINATION_PER_HOUR),
    MESSAGES_PER_CLIENT_PER_HOUR: String(defaults.MESSAGES_PER_CLIENT_PER_HOUR),
  }),
  workers: true,
});

const mailsTo = (email: string) => messages.smtp.inbox.filter((m) => (m.to as { text: string } | undefined)?.text === email);
const textsTo = (phone: string) => messages.gateway.texts.filter((t) => t.to === phone);

/** Someone no other test writes to, and an attacker's address (through the trusted proxy). */
function victim() {
  const n = randomInt(10_000_000, 99_999_999);
  return { phone: `07${n}`, e164: `+337${n}`, email: `victim${n}@example.test`, ip: `203.0.${randomInt(0, 255)}.${randomInt(1, 254)}` };
}

async function post(path: string, ip: string, body: unknown = {}) {
  const res = await fetch(`${stack.base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const pickup = (shop: number, who: { name?: string; phone: string; email: string }) => ({
  pizzeriaId: shop, fulfilment: 'pickup', payment: 'on_delivery', items: [{ productId: margherita, quantity: 1 }],
  customer: { name: who.name ?? 'Client', phone: who.phone, email: who.email },
});

describe('no relay of messages', () => {
  it('a name that looks like a link arrives escaped, as text: the only link in the email is the tracking link the system built', async () => {
    const shop = await createShop(stack.pool, 'relay-name');
    const v = victim();
    const name = `https://evil.example/r"style=x'<b>`;
    const r = await post('/api/orders', v.ip, pickup(shop.id, { ...v, name }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const [mail] = (await waitUntil(() => mailsTo(v.email).length >= 1 && mailsTo(v.email), LIVE, 'the email')) as ParsedMail[];
    const html = String(mail.html);
    expect(html).toContain('https://evil.example/r&quot;style=x&#39;&lt;b&gt;');
    expect(html).not.toContain('evil.example/r"');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/href="https:\/\/evil/);
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html).toContain(`<a href="${ORIGIN}/track/${r.body.trackingToken}">${ORIGIN}/track/${r.body.trackingToken}</a>`);
    // the text part says the name as it was typed
    expect(mail.text).toContain(`Bonjour ${name}`);
  });

  it(`60 orders to one victim in a minute from one address: ${defaults.ORDERS_PER_CONTACT_PER_HOUR} are taken, the rest refused (429), and ordering then cancelling sends the victim ${defaults.MESSAGES_PER_DESTINATION_PER_HOUR} emails and ${defaults.MESSAGES_PER_DESTINATION_PER_HOUR} texts at most`, async () => {
    const shop = await createShop(stack.pool, 'relay-bomb');
    const v = victim();
    const answers = [];
    for (let i = 0; i < 60; i++) answers.push(await post('/api/orders', v.ip, pickup(shop.id, v)));
    const taken = answers.filter((a) => a.status === 201);
    expect(taken).toHaveLength(defaults.ORDERS_PER_CONTACT_PER_HOUR);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.map((a) => a.status)).toEqual(Array(60 - defaults.ORDERS_PER_CONTACT_PER_HOUR).fill(429));
    expect(refused[0].body.error).toMatchObject({ code: 'too_many_orders', message: expect.stringContaining('for this phone number') });
    // each taken order cancelled at once: one more message each, by email and by text
    for (const t of taken) expect((await post(`/api/track/${t.body.trackingToken}/cancel`, v.ip)).status).toBe(200);

    const ids = taken.map((t) => t.body.id);
    const expected = ids.length * 4; // received and cancelled, by email and text
    const rows = await waitUntil(async () => {
      const { rows } = await stack.pool.query<{ status: string; last_error: string | null }>(`SELECT status, last_error FROM customer_notifications WHERE order_id = ANY($1)`, [ids]);
      return rows.length === expected && rows.every((r) => r.status === 'sent') ? rows : null;
    }, LIVE, 'every message decided');
    const cap = defaults.MESSAGES_PER_DESTINATION_PER_HOUR;
    expect(mailsTo(v.email)).toHaveLength(cap);
    expect(textsTo(v.e164)).toHaveLength(cap);
    expect(rows!.filter((r) => r.last_error?.startsWith('not sent: too many messages'))).toHaveLength(expected - 2 * cap);
    expect(await stack.pool.query('SELECT 1 FROM orders WHERE pizzeria_id = $1', [shop.id]).then((q) => q.rowCount)).toBe(defaults.ORDERS_PER_CONTACT_PER_HOUR);
  });

  it('a mail server failing more times than the allowance does not use it up: the message still goes once it comes back', async () => {
    const shop = await createShop(stack.pool, 'relay-retry');
    const v = victim();
    const r = await post('/api/orders', v.ip, { ...pickup(shop.id, v), payment: 'online' });
    expect(r.status).toBe(201);
    let failures = 3;
    const sent: string[] = [];
    const deps = {
      db: stack.pool, origin: ORIGIN, eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const, limits: { perDestination: 2, perClient: 100 },
      mailer: { async send(m: { to: string }) { if (failures-- > 0) throw new Error('451 try again later'); sent.push(m.to); }, close() {} },
      sms: { name: 'none', send: async () => null },
    };
    for (let i = 0; i < 3; i++) await expect(notifyCustomer(deps, r.body.id, 'ready')).rejects.toThrow(/try again later/);
    expect((await notifyCustomer(deps, r.body.id, 'ready')).email).toBe('sent');
    expect(sent).toEqual([v.email]);
  });

  it('the messages caused by one client address are counted too, across destinations', async () => {
    const shop = await createShop(stack.pool, 'relay-client');
    const ip = victim().ip;
    const sent: string[] = [];
    const deps = {
      db: stack.pool, origin: ORIGIN, eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const, limits: { perDestination: 10, perClient: 6 },
      mailer: { async send(m: { to: string }) { sent.push(m.to); }, close() {} },
      sms: { name: 'none', send: async () => null },
    };
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      const v = victim();
      // awaiting payment, so the workers send nothing for it: only this call sends its "ready", by email and text
      const r = await post('/api/orders', ip, { ...pickup(shop.id, v), payment: 'online' });
      expect(r.status).toBe(201);
      outcomes.push(await notifyCustomer(deps, r.body.id, 'ready'));
    }
    // two messages an order, six for the address
    expect(outcomes.map((o) => `${o.email}/${o.sms}`)).toEqual(['sent/sent', 'sent/sent', 'sent/sent', 'limited/limited', 'limited/limited']);
    expect(sent).toHaveLength(3);
  });

  it('one victim spelt differently (email +tags and capitals, phone with or without +33 and (0)) is still one destination, and one IPv6 client rotating its addresses within its /64 is one client', async () => {
    const shop = await createShop(stack.pool, 'relay-spelling');
    const v = victim();
    const [local, domain] = v.email.split('@');
    const national = v.phone.slice(1);
    const spellings = [
      { phone: v.phone, email: v.email },
      { phone: `+33 ${national}`, email: `${local}+1@${domain}` },
      { phone: `+33 (0)${national}`, email: `${local.toUpperCase()}+pizza@${domain}` },
    ];
    const subnet = () => `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
    const send = async (limits: { perDestination: number; perClient: number }, who: (i: number) => { phone: string; email: string }) => {
      const deps = {
        db: stack.pool, origin: ORIGIN, eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const, limits,
        mailer: { async send() {}, close() {} },
        sms: { name: 'none', send: async () => null },
      };
      const outcomes = [];
      const net = subnet();
      for (let i = 0; i < 3; i++) {
        const r = await post('/api/orders', `${net}:${i + 1}::${i + 7}`, { ...pickup(shop.id, who(i)), payment: 'online' });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        outcomes.push(await notifyCustomer(deps, r.body.id, 'ready'));
      }
      return outcomes.map((o) => `${o.email}/${o.sms}`);
    };
    // two messages to one destination an hour: the third spelling is refused both
    expect(await send({ perDestination: 2, perClient: 100 }, (i) => spellings[i])).toEqual(['sent/sent', 'sent/sent', 'limited/limited']);
    // four messages caused by one client: its third order, from another address of its /64, sends none
    const other = () => victim();
    expect(await send({ perDestination: 100, perClient: 4 }, () => other())).toEqual(['sent/sent', 'sent/sent', 'limited/limited']);
  });
});
