// Texts only where they make sense, against real Postgres, Redis (the counters), the workers and an
// SMS gateway in the test process: a pumping run (code requests by the dozen from a few addresses to
// satellite and far-away ranges) texts nobody, while France and its overseas departments still get
// their codes; the chain's hourly budget stops texts and tells the head office; a range's cap stops a
// run on that range only; an order with a foreign phone is placed and told by email only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressFor, countOf, createShop, createSideDatabase, seededProduct, waitUntil } from '../helpers.ts';
import { startStack, useMessages, useStack, type Stack } from '../services.ts';
import { e164 } from '../../src/lib/server/kernel/sms.ts';

const messages = useMessages();
// eleven code requests per client address, as the pumping run made them
const stack = useStack({ env: () => ({ ...messages.env(), RATE_LIMIT_CUSTOMER_CODES: '11' }) });
const margherita = seededProduct('margherita');

let seq = 0;
/** Digits of the test's own (the codes are counted per destination, the texts per range). */
const fresh = (n: number) => String((Date.now() * 100 + ++seq) % 10 ** n).padStart(n, '0');

/** A sign-in code asked for from a client address (the app trusts the loopback proxy's X-Forwarded-For). */
async function askCode(base: string, body: Record<string, string>, from: string) {
  const res = await fetch(`${base}/api/customer/code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const textsTo = (to: string) => messages.gateway.texts.filter((t) => t.to === to);

describe('sign-in codes by text', () => {
  it('a pumping run to satellite and far-away ranges from three addresses texts nobody, while France and its overseas departments still get their codes', async () => {
    const foreign = [
      '+881631', '+88216', '+870773', // satellite: Iridium, Thuraya, Inmarsat
      '+269332', // the Comoros, next to Mayotte (which is +262)
      '+371200', '+232760', '+252610', '+5352', '+375291', '+68870', '+67455', // far-away ranges sold to pumping
      '+447700', // a real country, just not one this chain texts
    ];
    const addresses = ['203.0.113.7', '198.51.100.23', '192.0.2.99'];
    const runTo = Array.from({ length: 33 }, (_, i) => `${foreign[i % foreign.length]}${fresh(6)}`);
    const allowed = [
      `06 1${fresh(7)}`, // France, a mobile as typed at home
      `+33 7${fresh(8)}`,
      `+262 692 ${fresh(6)}`, // La Réunion
      `+262 639 ${fresh(6)}`, // Mayotte
      `+590 690 ${fresh(6)}`, // Guadeloupe
      `+594 694 ${fresh(6)}`, // Guyane
      `+596 696 ${fresh(6)}`, // Martinique
    ];
    const before = messages.gateway.texts.length;
    const answers = await Promise.all([
      ...runTo.map((phone, i) => askCode(stack.base, { phone }, addresses[i % addresses.length])),
      ...allowed.map((phone, i) => askCode(stack.base, { phone, lang: 'fr' }, `10.0.0.${i + 1}`)),
    ]);
    const run = answers.slice(0, runTo.length);
    const honest = answers.slice(runTo.length);

    // the run: a clear 4xx for each, on the phone field, and nothing made nor sent
    for (const r of run) {
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error.code).toBe('sms_not_allowed');
      expect(r.body.error.fields.phone).toMatch(/email/);
    }
    const runNumbers = runTo.map(e164);
    expect(messages.gateway.texts.slice(before).filter((t) => runNumbers.includes(t.to))).toEqual([]);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_codes WHERE destination = ANY($1)', [runNumbers])).toBe(0);

    // the customers of France and its overseas departments: a code each, by text
    for (const r of honest) expect(r.status, JSON.stringify(r.body)).toBe(202);
    for (const phone of allowed.map(e164)) {
      const text = await waitUntil(() => textsTo(phone)[0], 10_000, `the code texted to ${phone}`);
      expect(text!.text).toMatch(/code de connexion OC Pizza est \d{6}/);
    }
  });

  it('a run on one number range stops at its hourly cap, while another range still gets its codes', async () => {
    const own = await startStack({ env: { ...messages.env(), SMS_PER_RANGE_PER_HOUR: '3', QUEUE_PREFIX: `${stack.config.QUEUE_PREFIX}-ranges` } });
    try {
      // one range of allowed numbers: "+33 6 12 34", the rest of the number running
      const block = `+33612${fresh(2)}`;
      const run = Array.from({ length: 8 }, (_, i) => `${block}${String(1000 + i).slice(1)}${fresh(1)}`);
      const answers = [];
      for (const [i, phone] of run.entries()) answers.push(await askCode(own.base, { phone }, `203.0.113.${i + 1}`));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
      expect(answers[3].body.error).toMatchObject({ code: 'sms_paused', fields: { phone: expect.stringMatching(/email/) } });
      await waitUntil(() => run.filter((p) => textsTo(p).length).length >= 3, 10_000, 'three codes of the range');
      expect(run.filter((p) => textsTo(p).length)).toEqual(run.slice(0, 3));
      expect(await countOf(own.pool, 'SELECT count(*) AS n FROM customer_codes WHERE destination = ANY($1)', [run])).toBe(3);

      // another range, meanwhile: its customers get their codes
      const other = [`+33 7 ${fresh(8)}`, `+262 692 ${fresh(6)}`].map(e164);
      for (const phone of other) expect((await askCode(own.base, { phone }, '198.51.100.1')).status).toBe(202);
      await waitUntil(() => other.every((p) => textsTo(p).length === 1), 10_000, 'the codes of the other ranges');

      // the head office sees which range was paused, once
      const range = block.slice(0, '+33'.length + 4);
      expect(await countOf(own.pool, `SELECT count(*) AS n FROM audit_log WHERE entity = 'sms' AND action = 'sms.paused' AND entity_id = $1`, [`range ${range}`])).toBe(1);
    } finally {
      await own.close();
    }
  });
});

describe('order messages by text', () => {
  let own: Stack;
  let side: Awaited<ReturnType<typeof createSideDatabase>>;
  beforeAll(async () => {
    // a database of its own: the workers' reconciler texts every message the run's earlier files
    // left unsent, which would spend this chain's three texts before the test asks for any
    side = await createSideDatabase('sms-budget', { seed: true });
    // the chain's budget of the hour: three texts
    own = await startStack({ env: { ...messages.env(), DATABASE_URL: side.url, SMS_PER_HOUR: '3', QUEUE_PREFIX: `${stack.config.QUEUE_PREFIX}-budget` }, workers: true });
  });
  afterAll(async () => {
    await own?.close();
    await side?.drop();
  });

  const place = async (shopId: number, phone: string, email: string) => {
    const res = await fetch(`${own.base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pizzeriaId: shopId, fulfilment: 'delivery', customer: { name: 'Oliver Grant', phone, email }, address: addressFor(shopId),
        items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery', lang: 'en',
      }),
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body as { id: string; number: number };
  };
  const mailsTo = (email: string) => messages.smtp.inbox.filter((m) => JSON.stringify(m.to).includes(email));
  /** The text of the order's "received" step, once decided (claimed, then sent or withheld). */
  const smsRow = async (orderId: string) => {
    const row = (await own.pool.query(`SELECT status, last_error FROM customer_notifications WHERE order_id = $1 AND step = 'received' AND channel = 'sms'`, [orderId])).rows[0];
    return row?.status === 'sent' ? row : null;
  };

  it('an order with a foreign phone is placed, and its messages go by email only', async () => {
    const shop = await createShop(own.pool, 'sms-foreign');
    const phone = `+44 7700 ${fresh(6)}`;
    const email = `oliver.${shop.slug}@example.test`;
    const order = await place(shop.id, phone, email);
    const mail = (await waitUntil(() => mailsTo(email)[0], 20_000, 'the email of the order'))!;
    expect(mail.subject).toContain(`Order no. ${order.number} received`);
    const row = await waitUntil(() => smsRow(order.id), 20_000, 'the text recorded');
    expect(row).toEqual({ status: 'sent', last_error: expect.stringMatching(/^not sent: texts go only to the allowed countries/) });
    expect(textsTo(e164(phone))).toEqual([]);
  });

  it('the hourly budget stops texts: codes are asked by email, order messages go by email only, and the head office is alerted once', async () => {
    const phones = [`06 1${fresh(7)}`, `07 0${fresh(7)}`, `+262 692 ${fresh(6)}`, `+590 690 ${fresh(6)}`, `+596 696 ${fresh(6)}`];
    const answers = [];
    for (const [i, phone] of phones.entries()) answers.push(await askCode(own.base, { phone, lang: 'en' }, `203.0.113.${i + 1}`));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    expect(answers[3].body.error).toMatchObject({ code: 'sms_paused', fields: { phone: expect.stringMatching(/email/) } });
    await waitUntil(() => phones.slice(0, 3).every((p) => textsTo(e164(p)).length === 1), 10_000, 'the three codes of the budget');
    expect(phones.slice(3).flatMap((p) => textsTo(e164(p)))).toEqual([]);
    expect(await countOf(own.pool, 'SELECT count(*) AS n FROM customer_codes WHERE destination = ANY($1)', [phones.slice(3).map(e164)])).toBe(0);

    // by email, the code still comes
    expect((await askCode(own.base, { email: `budget-${fresh(6)}@example.test` }, '203.0.113.9')).status).toBe(202);

    // an order meanwhile: placed, told by email, not texted
    const shop = await createShop(own.pool, 'sms-budget');
    const phone = `06 2${fresh(7)}`;
    const email = `paused.${shop.slug}@example.test`;
    const order = await place(shop.id, phone, email);
    await waitUntil(() => mailsTo(email).length >= 1, 20_000, 'the email of the order');
    const row = await waitUntil(() => smsRow(order.id), 20_000, 'the text recorded');
    expect(row).toEqual({ status: 'sent', last_error: expect.stringMatching(/^not sent: the chain sent its 3 texts of the hour/) });
    expect(textsTo(e164(phone))).toEqual([]);

    // the alert: once in the audit log for the head office, and in the metrics the alert rules read
    expect(await countOf(own.pool, `SELECT count(*) AS n FROM audit_log WHERE entity = 'sms' AND entity_id = 'budget' AND action = 'sms.paused'`)).toBe(1);
    const metrics = await (await fetch(`${own.base}/metrics`)).text();
    expect(metrics).toMatch(/^ocpizza_sms_limit_reached\{limit="budget"\} 1$/m);
  });
});
