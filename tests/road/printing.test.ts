// Labels and paper, against a fake network printer listening in this process (it answers the paper
// status query as a real ESC/POS printer does, and its documents are read back from the bytes it
// receives), with real Postgres, Redis, Socket.io and the workers: one label per order when it is
// ready, with the right content; reprints and the whole ticket on demand; a printer that is off
// or out of paper raises an alert on the kitchen and the system status and never holds an order
// up, and the alert clears once a print goes through. A shop of each test's own.
import { afterAll, describe, expect, it } from 'vitest';
import type { PrinterStatus } from '../../src/lib/shapes/views.ts';
import { printOrder } from '../../src/lib/server/printing/index.ts';
import { seededProduct, Client, collect, connectSocket, createShop, freePort, move, placeThroughApi, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { FakePrinter } from '../fake-printer.ts';

const ORIGIN = 'https://commande.ocpizza.example';
// the fake printers listen on loopback addresses of their own (tests/fake-printer.ts): allowed here only
const stack = useStack({ env: { LOG_LEVEL: 'error', PUBLIC_ORIGIN: ORIGIN, PRINTER_TIMEOUT_MS: '1500', PRINTER_ALLOW_LOOPBACK: 'true' }, workers: true });

const printers: FakePrinter[] = [];
afterAll(async () => {
  for (const p of printers) await p.stop();
});

async function shopWithPrinter(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const printer = new FakePrinter();
  printers.push(printer);
  await printer.start();
  const [manager, kitchen, counter] = await Promise.all([shop.email('manager'), shop.email('kitchen'), shop.email('counter')].map((e) => new Client(stack.base).login(e)));
  const set = await manager.put(`/api/shops/${shop.id}/printer`, { host: printer.host, port: printer.port });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  return { shop, printer, manager, kitchen, counter };
}

async function readyPickup(shopId: number, kitchen: Client, name = 'Hélène Dupré') {
  const o = await placeThroughApi(stack.base, {
    pizzeriaId: shopId, productId: seededProduct('reine'), quantity: 2, fulfilment: 'pickup', customer: { name, phone: '06 12 34 56 78' },
  });
  await move(kitchen, o.id, 'preparing');
  await move(kitchen, o.id, 'ready');
  return o;
}

describe('labels and paper', () => {
  it('a label for the box reaches the printer once when the order is ready: number, first name, lines, the tracking link as a QR code', async () => {
    const { shop, printer, kitchen } = await shopWithPrinter('print');
    const o = await readyPickup(shop.id, kitchen);
    await waitUntil(() => printer.of(o.number).length > 0, 15_000, 'the label');
    const [label] = printer.of(o.number);
    expect(label.lines.slice(0, 3)).toEqual([`Commande ${o.number}`, 'Helene', expect.stringMatching(/^A EMPORTER - pour \d\d:\d\d$/)]);
    expect(label.lines).toContain('2x Reine');
    expect(label.lines.join(' ')).not.toMatch(/Dupre|06 12/);
    expect(label.qr).toBe(`${ORIGIN}/track/${o.trackingToken}`);
    expect(label.cut).toBe(true);

    // the same job once more (BullMQ is at least once): nothing more comes out
    expect(await printOrder(stack.pool, { orderId: o.id, kind: 'label', copy: 1 }, { origin: ORIGIN, timeoutMs: 1500 })).toBe('already');
    await new Promise((r) => setTimeout(r, 1000));
    expect(printer.of(o.number)).toHaveLength(1);
  });

  it('the kitchen reprints a label or prints the whole ticket on demand; a shop without a printer is told so', async () => {
    const { shop, printer, kitchen } = await shopWithPrinter('reprint');
    const o = await readyPickup(shop.id, kitchen, 'Yanis');
    await waitUntil(() => printer.of(o.number).length === 1, 15_000, 'the first label');
    const again = await kitchen.post(`/api/orders/${o.id}/print`, { kind: 'label' });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toEqual({ kind: 'label', copy: 2 });
    const ticket = await kitchen.post(`/api/orders/${o.id}/print`, { kind: 'ticket' });
    expect(ticket.body).toEqual({ kind: 'ticket', copy: 1 });
    await waitUntil(() => printer.of(o.number).length === 3, 15_000, 'the reprint and the ticket');
    expect(printer.of(o.number).filter((d) => d.lines[0] === 'TICKET CUISINE')).toHaveLength(1);

    const bare = await createShop(stack.pool, 'no-printer');
    const cook = await new Client(stack.base).login(bare.email('kitchen'));
    const p = await readyPickup(bare.id, cook);
    const none = await cook.post(`/api/orders/${p.id}/print`, { kind: 'label' });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('no_printer');
    expect((await kitchen.post(`/api/orders/${p.id}/print`, { kind: 'label' })).status).toBe(404);
    expect((await kitchen.post(`/api/orders/${o.id}/print`, { kind: 'poster' })).status).toBe(422);
  });

  it('a printer that is off raises the alert on the kitchen and the system status, never holds the order up, and clears when it prints again', async () => {
    const { shop, printer, kitchen, counter } = await shopWithPrinter('print-off');
    const screen = await connectSocket(stack.base, { cookie: kitchen.cookie });
    stack.sockets.push(screen);
    const statuses: PrinterStatus[] = [];
    screen.on('printer:status', (s) => statuses.push(s));
    collect(screen);
    await subscribe(screen, { scope: 'kitchen', pizzeriaId: shop.id });

    await printer.stop();
    const o = await readyPickup(shop.id, kitchen, 'Léa');
    const down = await waitUntil(() => statuses.find((s) => !s.ok), 15_000, 'the alert');
    expect(down).toMatchObject({ pizzeriaId: shop.id, ok: false, code: 'unreachable', error: expect.stringMatching(/cannot be reached/) });
    // the order moves on without its label
    expect((await move(counter, o.id, 'collected')).status).toBe('collected');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const system = await connectSocket(stack.base, { cookie: admin.cookie });
    stack.sockets.push(system);
    const seen = new Promise<unknown>((resolve) => system.on('system:status', resolve));
    await subscribe(system, { scope: 'system' });
    expect(((await seen) as { printers: { pizzeriaId: number }[] }).printers.map((p) => p.pizzeriaId)).toContain(shop.id);

    // back on: the next try prints the label, and the alert clears
    await printer.start();
    await waitUntil(() => printer.of(o.number).length === 1, 30_000, 'the label once the printer is back');
    await waitUntil(() => statuses.at(-1)?.ok === true, 10_000, 'the alert cleared');
  }, 60_000);

  it('out of paper: the alert says so, and nothing is printed until paper is back', async () => {
    const { shop, printer, kitchen } = await shopWithPrinter('print-paper');
    printer.paper = false;
    const o = await readyPickup(shop.id, kitchen);
    await waitUntil(async () => (await stack.pool.query('SELECT error FROM printer_status WHERE pizzeria_id = $1 AND NOT ok', [shop.id])).rows[0], 15_000, 'the paper alert');
    const { rows } = await stack.pool.query('SELECT error FROM printer_status WHERE pizzeria_id = $1', [shop.id]);
    expect(rows[0].error).toMatch(/out of paper/);
    expect((await stack.pool.query('SELECT code FROM printer_status WHERE pizzeria_id = $1', [shop.id])).rows[0].code).toBe('paper_out');
    expect(printer.of(o.number)).toEqual([]);
    printer.paper = true;
    await waitUntil(() => printer.of(o.number).length === 1, 30_000, 'the label once paper is back');
  }, 60_000);

  it("a shop's printer is set by its managers, checked, and refused to anyone else", async () => {
    const { shop, manager, kitchen } = await shopWithPrinter('print-settings');
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: 'imprimante cuisine', port: 9100 })).status).toBe(422);
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: '192.168.1.50', port: 70000 })).status).toBe(422);
    expect((await kitchen.put(`/api/shops/${shop.id}/printer`, { host: '192.168.1.50', port: 9100 })).status).toBe(403);
    const other = await createShop(stack.pool, 'print-other');
    const otherManager = await new Client(stack.base).login(other.email('manager'));
    expect((await otherManager.put(`/api/shops/${shop.id}/printer`, { host: '192.168.1.50' })).status).toBe(403);
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: '', port: 9100 })).body).toEqual({ host: null, port: 9100 });
    // a name is kept when every address it resolves to is allowed (here loopback, allowed in tests)
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: 'localhost' })).body).toEqual({ host: 'localhost', port: 9100 });
  });
});

describe('where a printer may be', () => {
  const statusOf = async (pizzeriaId: number) => (await stack.pool.query('SELECT ok, code, error FROM printer_status WHERE pizzeria_id = $1', [pizzeriaId])).rows[0];

  it("refuses, with the field named and nothing saved, a printer outside the shops' private networks or on a port no printer opens: the cloud's metadata, a public address, SSH on a private one", async () => {
    const { shop, printer, manager } = await shopWithPrinter('print-where');
    const refused: [body: { host: string; port: number }, fields: string[]][] = [
      [{ host: '169.254.169.254', port: 80 }, ['host', 'port']],
      [{ host: '169.254.169.254', port: 9100 }, ['host']],
      [{ host: '8.8.8.8', port: 9100 }, ['host']],
      [{ host: '100.100.100.200', port: 9100 }, ['host']],
      [{ host: '0.0.0.0', port: 9100 }, ['host']],
      [{ host: '192.168.1.50', port: 22 }, ['port']],
      [{ host: '10.0.0.5', port: 6379 }, ['port']],
      [{ host: 'printer.bastille.invalid', port: 9100 }, ['host']],
    ];
    for (const [body, fields] of refused) {
      const r = await manager.put(`/api/shops/${shop.id}/printer`, body);
      expect(r.status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(Object.keys(r.body.error.fields).sort(), JSON.stringify(body)).toEqual(fields);
    }
    expect((await stack.pool.query('SELECT printer_host, printer_port FROM pizzerias WHERE id = $1', [shop.id])).rows[0]).toEqual({ printer_host: printer.host, printer_port: 9100 });
    // the shops' own ranges and the printing ports are taken
    for (const body of [{ host: '192.168.1.50', port: 9100 }, { host: '10.20.30.40', port: 9103 }, { host: '172.16.5.9', port: 9101 }]) {
      expect((await manager.put(`/api/shops/${shop.id}/printer`, body)).body).toEqual(body);
    }
  });

  it('the workers refuse to reach an address that is not allowed even when the database has it, and the status never says whether something answers there', async () => {
    const { shop, printer, kitchen } = await shopWithPrinter('print-refused');
    // something listening where a refused address points (a port no printer opens), and the same kind of address with nothing behind it
    const listener = new FakePrinter(await freePort(), printer.host);
    printers.push(listener);
    await listener.start();
    const closed = await freePort();
    const errors: string[] = [];
    for (const [host, port] of [['169.254.169.254', 80], ['8.8.8.8', 9100], [printer.host, listener.port], [printer.host, closed]] as const) {
      // as a row written before the rule, or by hand
      await stack.pool.query('UPDATE pizzerias SET printer_host = $2, printer_port = $3 WHERE id = $1', [shop.id, host, port]);
      await stack.pool.query('DELETE FROM printer_status WHERE pizzeria_id = $1', [shop.id]);
      await readyPickup(shop.id, kitchen);
      const status = await waitUntil(() => statusOf(shop.id), 15_000, `the status of ${host}:${port}`);
      expect(status, `${host}:${port}`).toMatchObject({ ok: false, code: 'refused' });
      errors.push(status.error.replace(`${host}:${port}`, 'X'));
    }
    // the same words whatever is there: nothing tells open from closed
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).not.toMatch(/reach|answer|paper|ECONN|timed? ?out/i);
    expect(listener.connections).toBe(0);
    expect(printer.connections).toBe(0);
  }, 60_000);
});
