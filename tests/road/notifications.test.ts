// What the customer hears about their order, against real Postgres, Redis (BullMQ), an SMTP server
// in the test process (smtp-server, mails read back with mailparser) and a local HTTP server playing
// the SMS gateway: each step once per channel, in the customer's language, with the right amounts
// and links; a gateway or mail server that fails is retried and still sends once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seededProduct,
  silentLog,
  Client,
  addressFor,
  assignDriver,
  createShop,
  handOver,
  move,
  payAndWaitReceived,
  waitUntil,
} from '../helpers.ts';
import type { ParsedMail } from 'mailparser';
import type pg from 'pg';
import { startTestSmsGateway, startTestSmtp, useStack, type TestSmsGateway, type TestSmtp } from '../services.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';
import { createMessageSender } from '../../workers/message-sender.ts';
import { randomUUID } from 'node:crypto';
import { claimLeaseSeconds, notifyCustomer } from '../../src/lib/server/messages/notifications.ts';
import { createMailer, type Mail } from '../../src/lib/server/kernel/mailer.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import { createPool } from '../../src/lib/server/kernel/db.ts';

const margherita = seededProduct('margherita');
let smtp: TestSmtp;
let gateway: TestSmsGateway;
let smtpFailures = 0;
let gatewayFailures = 0;
const LIVE = 20_000;
const ORIGIN = 'https://commande.ocpizza.example';

beforeAll(async () => {
  // a mail server having a bad moment: the message is refused, the job tries again
  smtp = await startTestSmtp({ refuse: () => smtpFailures > 0 && smtpFailures-- > 0 });
  gateway = await startTestSmsGateway({
    // the next `gatewayFailures` texts are refused (503), as a gateway that is down
    refuse: () => gatewayFailures > 0 && (gatewayFailures--, true),
  });
});
afterAll(async () => {
  await smtp?.close();
  await gateway?.close();
});
const stack = useStack({
  env: () => ({ SMTP_URL: smtp.url, ...gateway.env, PUBLIC_ORIGIN: ORIGIN, PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' }),
  workers: true,
});

const inbox = () => smtp.inbox;
const mailsTo = (email: string) => inbox().filter((m) => (m.to as { text: string } | undefined)?.text === email);
const textsTo = (phone: string) => gateway.texts.filter((t) => t.to === phone);
const waitMails = (email: string, n: number) => waitUntil(() => mailsTo(email).length >= n && mailsTo(email), LIVE, `${n} emails to ${email}`);
/** A delivery paid at the door, with an email, in a shop of the test's own: its order id. */
async function deliveryIn(slug: string, name: string, phone: string): Promise<string> {
  const shop = await createShop(stack.pool, slug);
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name, phone, email: `${slug}@example.test` }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
  });
  expect(r.status).toBe(201);
  return r.body.id;
}
/** What notifyCustomer needs, with this database and mailer (no texts). */
const messageDeps = (db: pg.Pool, mailer: { send(m: { subject: string }): Promise<void>; close(): void }) =>
  ({ db, mailer, sms: { name: 'none', send: async () => null }, origin: 'https://x.example', eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const });
const shopName = async (id: number) => (await stack.pool.query('SELECT name FROM pizzerias WHERE id = $1', [id])).rows[0].name as string;
const sent = async (orderId: string) =>
  (await stack.pool.query(`SELECT step, channel, status FROM customer_notifications WHERE order_id = $1 ORDER BY created_at, channel`, [orderId])).rows.map((r) => `${r.step}/${r.channel}/${r.status}`);

// this file's customers have phone numbers of their own: every test file's workers react to the
// shared database's events and text what its own orders' phones would get through its own gateway
describe('customer notifications', () => {
  it('an English customer hears of each step of a delivery once, by email and text, with the tracking link, the ETA and the receipt', async () => {
    const shop = await createShop(stack.pool, 'notify-en');
    const email = `amelia.${shop.slug}@example.test`;
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Amelia', phone: '06 11 22 99 44', email }, address: addressFor(shop.id),
      items: [{ productId: margherita, quantity: 2 }], payment: 'on_delivery', lang: 'en',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const { id, trackingToken: token, total } = r.body;

    const name = await shopName(shop.id);
    const [received] = await waitMails(email, 1) as ParsedMail[];
    expect(received.subject).toBe(`Order no. ${r.body.number} received · ${name}`);
    expect(received.text).toContain(`${ORIGIN}/track/${token}`);
    expect(received.text).toContain(`€${(total / 100).toFixed(2)}`);
    expect(received.html).toContain(`href="${ORIGIN}/track/${token}"`);
    await waitUntil(() => textsTo('+33611229944').length >= 1, LIVE, 'the first text');
    expect(gateway.texts.find((t) => t.to === '+33611229944')).toMatchObject({ from: 'OCPizza', auth: 'Bearer test-gateway-token', text: expect.stringContaining('order no.') });

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    await assignDriver(stack.pool, id);
    await move(driver, id, 'out_for_delivery');
    const onTheWay = (await waitMails(email, 2) as ParsedMail[])[1];
    expect(onTheWay.subject).toBe(`Order no. ${r.body.number} on its way`);
    expect(onTheWay.text).toMatch(/arriving in about \d+ min/);
    await handOver(stack.pool, driver, id, 'cash');
    const delivered = (await waitMails(email, 3) as ParsedMail[])[2];
    expect(delivered.subject).toBe(`Order no. ${r.body.number} delivered`);
    expect(delivered.text).toContain(`${ORIGIN}/track/${token}/receipt`);
    expect(delivered.text).toContain(`€${(total / 100).toFixed(2)}`);

    // the same steps asked again (a repeated job, a replayed event): each repeat runs, finds its step
    // already sent and sends nothing more
    const steps = ['received', 'out_for_delivery', 'delivered'];
    for (const step of steps) {
      await stack.workers.queues.notifications.add('send', { orderId: id, step }, { jobId: `again-${jobId.notify(id, step)}` });
    }
    const repeats = await waitUntil(async () => {
      const jobs = await Promise.all(steps.map((step) => stack.workers.queues.notifications.getJob(`again-${jobId.notify(id, step)}`)));
      return jobs.every((j) => j?.finishedOn) && jobs.map((j) => j!.returnvalue);
    }, LIVE, 'the three repeats to run');
    expect(repeats).toEqual(steps.map(() => expect.objectContaining({ email: 'already' })));
    expect(mailsTo(email).map((m) => m.subject)).toEqual([
      `Order no. ${r.body.number} received · ${name}`, `Order no. ${r.body.number} on its way`, `Order no. ${r.body.number} delivered`,
    ]);
    expect(textsTo('+33611229944').map((t) => t.text.split(',')[0])).toEqual([
      expect.stringContaining('received'), expect.stringContaining('on its way'),
    ]);
    expect(await sent(id)).toEqual([
      'received/email/sent', 'received/sms/sent', 'out_for_delivery/email/sent', 'out_for_delivery/sms/sent', 'delivered/email/sent',
    ]);
  });

  it('a French customer who cancels a paid order is told in French that the hold on the card is let go; a mail server and a gateway that fail are retried, and each message still goes once', async () => {
    const shop = await createShop(stack.pool, 'notify-fr');
    const email = `jules.${shop.slug}@example.test`;
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Jules', phone: '0622334455', email },
      items: [{ productId: margherita, quantity: 2 }], payment: 'online', lang: 'fr',
    });
    expect(r.status).toBe(201);
    smtpFailures = 1;
    gatewayFailures = 2;
    await payAndWaitReceived(stack.base, r.body.trackingToken, LIVE);
    const [received] = await waitMails(email, 1) as ParsedMail[];
    expect(received.subject).toBe(`Commande n°${r.body.number} reçue · ${await shopName(shop.id)}`);
    expect(received.text).toMatch(/a bien reçu votre commande n°\d+ \(21,00\s€\)/);
    await waitUntil(() => textsTo('+33622334455').length >= 1, LIVE, 'the text after the gateway came back');
    // the first try, the workers' own, failed: its job retried it
    expect(await stack.workers.queues.notifications.getJob(jobId.notify(r.body.id, 'received'))).toBeDefined();

    expect((await new Client(stack.base).post(`/api/track/${r.body.trackingToken}/cancel`)).status).toBe(200);
    const cancelled = (await waitMails(email, 2) as ParsedMail[])[1];
    expect(cancelled.subject).toBe(`Commande n°${r.body.number} annulée`);
    expect(cancelled.text).toMatch(/L’autorisation de 21,00\s€ sur votre carte est levée\s: rien n’a été débité\./);
    await waitUntil(() => textsTo('+33622334455').length >= 2, LIVE, 'the cancel text');
    expect(textsTo('+33622334455')[1].text).toMatch(/^OC Pizza\s: commande n°\d+ annulée\. L’autorisation de 21,00/);
    // the hold let go is not a refund: its step runs and sends nothing, no "refunded" message follows
    const letGo = await waitUntil(async () => {
      const t = (await new Client(stack.base).get(`/api/track/${r.body.trackingToken}`)).body;
      return t.payment.status === 'refunded' && t;
    }, LIVE, 'the hold let go');
    const refundStep = await waitUntil(async () => {
      const job = await stack.workers.queues.notifications.getJob(jobId.notify(r.body.id, `refunded-${letGo.refundedCents}`));
      return job?.finishedOn ? { done: job.returnvalue } : null;
    }, LIVE, 'the step of the hold let go to run');
    expect(refundStep!.done).toEqual({ email: 'none', sms: 'none' });
    expect(mailsTo(email)).toHaveLength(2);
    expect(textsTo('+33622334455')).toHaveLength(2);
    const attempts = (await stack.pool.query(`SELECT step, channel, attempts FROM customer_notifications WHERE order_id = $1 AND step = 'received' ORDER BY channel`, [r.body.id])).rows;
    expect(attempts).toEqual([{ step: 'received', channel: 'email', attempts: 2 }, { step: 'received', channel: 'sms', attempts: 3 }]);
  });

  it('an order without an email gets its texts only: received, and ready to collect', async () => {
    const shop = await createShop(stack.pool, 'notify-sms');
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Zoé', phone: '0633445566' },
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect(r.status).toBe(201);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, r.body.id, 'preparing');
    await move(kitchen, r.body.id, 'ready');
    // the gateway has a text a moment before the workers write it down as sent: wait for both
    await waitUntil(async () => textsTo('+33633445566').length >= 2 && (await sent(r.body.id)).filter((s) => s.endsWith('/sent')).length >= 2, LIVE, 'two texts, recorded as sent');
    expect(textsTo('+33633445566').map((t) => t.text)).toEqual([
      expect.stringMatching(/^OC Pizza\s: commande n°\d+ reçue par/), expect.stringMatching(/est prête à retirer chez/),
    ]);
    expect(await sent(r.body.id)).toEqual(['received/sms/sent', 'ready/sms/sent']);
    // the workers sent both themselves, without a job in the queue (workers/message-sender.ts)
    const jobs = await Promise.all(['received', 'ready'].map((step) => stack.workers.queues.notifications.getJob(jobId.notify(r.body.id, step))));
    expect(jobs).toEqual([undefined, undefined]);
  });

  it('the workers send texts themselves, a few at a time; what cannot wait its turn goes to the queue', async () => {
    const [sent, waits, queued] = [randomUUID(), randomUUID(), randomUUID()];
    // the text on its way reads its order only once the gate opens: it is still on its way when counted
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const db = new Proxy(stack.pool, {
      get(target, prop) {
        if (prop === 'query') return async (text: string, values?: unknown[]) => (await opened, target.query(text, values));
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deps = { db, mailer: { async send() {}, close() {} }, sms: { name: 'none', send: async () => null }, origin: 'https://x.example', eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const };
    const sender = createMessageSender({ notify: deps, queues: stack.workers.queues, log: silentLog, maxInFlight: 1, maxWaiting: 1 });
    await sender.send(sent, 'ready');
    await sender.send(waits, 'ready');
    await sender.send(queued, 'ready');
    expect([sender.inFlight, sender.waiting]).toEqual([1, 1]);
    open();
    // an email-only step always goes to the queue (its job id keeps the reconciler from queueing it again)
    await sender.send(queued, 'collected');
    await sender.close(5000);
    expect([sender.inFlight, sender.waiting]).toEqual([0, 0]);
    const jobs = async (id: string) => (await Promise.all(['ready', 'collected'].map((step) => stack.workers.queues.notifications.getJob(jobId.notify(id, step))))).map(Boolean);
    expect([await jobs(sent), await jobs(waits), await jobs(queued)]).toEqual([[false, false], [false, false], [true, true]]);
  });

  it("one order's texts leave one after the other, in the order of its steps; another order's go beside them", async () => {
    const [first, other] = [randomUUID(), randomUUID()];
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    // every message on its way waits at its first read until the gate opens; each read says whose order it is
    const reads: string[] = [];
    const db = new Proxy(stack.pool, {
      get(target, prop) {
        if (prop === 'query') {
          return async (text: string | pg.QueryConfig, values?: unknown[]) => {
            const given = values ?? (typeof text === 'object' ? text.values : undefined);
            const whose = given?.includes(first) ? 'first' : given?.includes(other) ? 'other' : null;
            if (whose) reads.push(whose);
            await opened;
            return target.query(text, values);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deps = { db, mailer: { async send() {}, close() {} }, sms: { name: 'none', send: async () => null }, origin: 'https://x.example', eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const };
    const sender = createMessageSender({ notify: deps, queues: stack.workers.queues, log: silentLog, maxInFlight: 10 });
    await sender.send(first, 'received');
    await sender.send(first, 'ready');
    await sender.send(other, 'ready');
    // room for ten, yet the first order's "ready" waits for its "received"; the other order's goes
    expect([sender.inFlight, sender.waiting]).toEqual([2, 1]);
    await waitUntil(() => reads.length >= 2, LIVE, 'both messages on their way');
    await new Promise((r) => setTimeout(r, 100));
    // the first order's "ready" has not started: one read of that order, held at the gate
    expect(reads.toSorted()).toEqual(['first', 'other']);
    open();
    await sender.close(5000);
    expect([sender.inFlight, sender.waiting]).toEqual([0, 0]);
    // then it went, once its "received" was done
    expect(reads.filter((r) => r === 'first')).toHaveLength(2);
  });

  it('two runs of the same step at once send it once: the second is told to try again while the first sends', async () => {
    const id = await deliveryIn('notify-race', 'Léo', '0644556677');
    const mails: string[] = [];
    let release!: () => void;
    const slowMailer = { async send(m: { subject: string }) { await new Promise<void>((resolve) => (release = resolve)); mails.push(m.subject); }, close() {} };
    const deps = messageDeps(stack.pool, slowMailer);
    // "ready" is not a step of a delivery for the workers: only these two runs send it
    const first = notifyCustomer(deps, id, 'ready');
    await waitUntil(() => release, LIVE, 'the first run to be sending');
    await expect(notifyCustomer(deps, id, 'ready')).rejects.toThrow(/another run is sending/);
    release();
    expect(await first).toMatchObject({ email: 'sent' });
    expect(await notifyCustomer(deps, id, 'ready')).toMatchObject({ email: 'already' });
    expect(mails).toHaveLength(1);
  });

  it('a run that dies after the mail server took the mail, before noting it: sent again once its claim lapses, under the same Message-ID, which the mailbox keeps once', async () => {
    const id = await deliveryIn('notify-killed', 'Jade', '0644556699');
    const log = { info() {}, warn() {} };
    const real = createMailer({ smtpUrl: smtp.url, from: stack.config.MAIL_FROM, log });
    const subjectOf = (m: ParsedMail) => String(m.subject);
    const mailsNow = async (n: number) => { await waitMails('notify-killed@example.test', n); return mailsTo('notify-killed@example.test'); };
    // the order's first message (received), sent by the workers, comes first
    const before = (await mailsNow(1)).length;
    // the first run: the mail server has the mail, then the process is gone (kill -9): nothing after the send runs
    const dying = { send: async (m: Mail) => { await real.send(m); await new Promise(() => {}); }, close() {} };
    void notifyCustomer(messageDeps(stack.pool, dying), id, 'ready');
    const [first] = (await mailsNow(before + 1)).slice(before);
    expect((await stack.pool.query("SELECT status FROM customer_notifications WHERE order_id = $1 AND step = 'ready' AND channel = 'email'", [id])).rows).toEqual([{ status: 'sending' }]);
    // its claim's lease lapses (MESSAGE_CLAIM_LEASE_SECONDS); the job's next try sends it again
    await stack.pool.query(`UPDATE customer_notifications SET claimed_at = now() - make_interval(secs => $2 + 1) WHERE order_id = $1 AND step = 'ready'`, [id, claimLeaseSeconds()]);
    expect(await notifyCustomer(messageDeps(stack.pool, real), id, 'ready')).toMatchObject({ email: 'sent' });
    const [again] = (await mailsNow(before + 2)).slice(before + 1);
    expect(subjectOf(again)).toBe(subjectOf(first));
    // one name for both, the order's and the step's, at the sender's domain: a mailbox keeps one
    const domain = /@([^>\s]+)>?\s*$/.exec(stack.config.MAIL_FROM)![1];
    expect(first.messageId).toBe(`<order-${id}-ready@${domain}>`);
    expect(again.messageId).toBe(first.messageId);
    // another step of the same order is another message
    expect(await notifyCustomer(messageDeps(stack.pool, real), id, 'out_for_delivery')).toMatchObject({ email: 'sent' });
    const [other] = (await mailsNow(before + 3)).slice(before + 2);
    expect(other.messageId).toBe(`<order-${id}-out_for_delivery@${domain}>`);
    real.close();
  });

  it('a database that fails over just after the mail left: the mark waits for the new leader, and the mail goes once', async () => {
    const id = await deliveryIn('notify-failover', 'Inès', '0644556688');
    // the workers' connections, as a role of this test's own: cut, and refused for 1.5 s, as while a standby is promoted
    const role = `notify_failover_${randomUUID().slice(0, 8)}`;
    await stack.pool.query(`CREATE ROLE ${role} LOGIN IN ROLE ocpizza_app`);
    const url = new URL(stack.config.DATABASE_URL);
    url.username = role;
    url.password = '';
    const db = createPool(url.toString(), 1);
    const mails: string[] = [];
    let back: Promise<unknown> = Promise.resolve();
    const mailer = {
      async send(m: { subject: string }) {
        mails.push(m.subject);
        // the mail server took it; now the database goes away
        await stack.pool.query(`ALTER ROLE ${role} NOLOGIN`);
        await stack.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
        back = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => stack.pool.query(`ALTER ROLE ${role} LOGIN`));
      },
      close() {},
    };
    try {
      const deps = messageDeps(db, mailer);
      const t0 = Date.now();
      expect(await notifyCustomer(deps, id, 'ready')).toMatchObject({ email: 'sent' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
      const { rows } = await stack.pool.query("SELECT status, claimed_at FROM customer_notifications WHERE order_id = $1 AND step = 'ready' AND channel = 'email'", [id]);
      expect(rows).toEqual([{ status: 'sent', claimed_at: null }]);
      // the job run again (a retry, the reconciler) sends nothing more
      expect(await notifyCustomer(deps, id, 'ready')).toMatchObject({ email: 'already' });
      expect(mails).toHaveLength(1);
    } finally {
      await back;
      await db.end();
      await stack.pool.query(`DROP ROLE ${role}`);
    }
  });
});
