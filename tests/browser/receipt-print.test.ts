import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { SHOTS, live, useApp } from './harness.ts';
import { FakePrinter } from '../fake-printer.ts';
import { Client, createShop, move, seededProduct, userId } from '../helpers.ts';

// "Imprimer le ticket" in the built app and Chromium, with a network printer of the test's own: the
// counter hands a pickup over at its page (1024×768) and prints its till receipt from the orders just
// handed over: the button says "Ticket", the answer "Ticket imprimé." and the printer has it; tapped
// again it says and prints "Duplicata n° 1", counted in the fiscal journal. On the manager's order
// page (1440×900) the button says "Duplicata n° 2" before the tap; with the printer off the answer
// says it is unreachable, and once back on, the copy tried again prints by itself. An order not paid
// yet: the answer says so in French.
const printer = new FakePrinter();
const app = useApp('receipt-print', { PRINTER_ALLOW_LOOPBACK: 'true', PRINTER_TIMEOUT_MS: '1500' });

beforeAll(() => printer.start());
afterAll(() => printer.stop());

describe('printing the till receipt', () => {
  it('the counter prints the ticket then a counted duplicate; the manager a further one, through a printer that was off; an unpaid order is said not paid', async () => {
    const shop = await createShop(app.pool, 'receipt-print');
    const manager = await new Client(app.base).login(shop.email('manager'));
    const counter = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: printer.host, port: printer.port })).status).toBe(200);
    const place = async (name: string) => {
      const placed = await counter.post('/api/orders', {
        pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name, phone: '0611223388' }, payment: 'on_delivery',
        items: [{ productId: seededProduct('reine'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }],
      });
      expect(placed.status).toBe(201);
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      return placed.body as { id: string; number: number };
    };
    const order = await place('Noé Lambert');
    const duplicates = async (orderId: string) =>
      (await app.pool.query(`SELECT operator, body FROM fiscal_entries WHERE order_id = $1 AND kind = 'duplicate' ORDER BY seq`, [orderId])).rows;
    // the page's words with French spacing (a no-break space before ":" and "?") read as plain spaces
    const said = async (locator: { textContent(): Promise<string | null> }) => (await locator.textContent())?.replace(/\s/g, ' ').trim();
    const ticketsPrinted = () => printer.printed.filter((d) => d.lines.some((l) => /^Ticket no \d{6}$/.test(l)));

    // the counter hands it over, paid in cash, at its own page
    const { page, ctx } = await app.staffPage(shop.email('counter'), { width: 1024, height: 768 });
    await page.goto(`${app.base}/counter`);
    await live(page);
    await page.locator(`li[data-order="${order.id}"]`).getByRole('button', { name: 'Remise · espèces' }).click();
    const justHanded = page.getByTestId('handed-over').locator(`li[data-order="${order.id}"]`);
    const button = justHanded.getByRole('button', { name: /^Imprimer le ticket/ });
    // it says what it will print: the original ticket
    await expect.poll(() => said(button), { timeout: 15_000 }).toMatch(/Imprimer le ticket\s*·\s*Ticket$/);
    await button.click();
    const answer = justHanded.getByTestId('print-answer');
    await expect.poll(() => said(answer), { timeout: 20_000 }).toBe('Ticket imprimé.');
    expect(ticketsPrinted()).toHaveLength(1);
    expect(ticketsPrinted()[0].lines.join('\n')).not.toContain('DUPLICATA');
    expect(await duplicates(order.id)).toEqual([]);
    await justHanded.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/receipt-print-1-counter-1024.png` });

    // again: the duplicate, said before and after, printed as such and counted in the journal
    await expect.poll(() => said(button)).toMatch(/Duplicata n° 1$/);
    await button.click();
    await expect.poll(() => said(answer), { timeout: 20_000 }).toBe('Duplicata n° 1 imprimé.');
    expect(ticketsPrinted()).toHaveLength(2);
    expect(ticketsPrinted()[1].lines).toContain('DUPLICATA no 1');
    const counterId = await userId(app.pool, shop.email('counter'));
    expect(await duplicates(order.id)).toEqual([
      { operator: `counter:${counterId}`, body: expect.objectContaining({ copy: 1, form: 'printed', requestedBy: `counter:${counterId}` }) },
    ]);
    await page.screenshot({ path: `${SHOTS}/receipt-print-2-counter-duplicate-1024.png` });
    expect(await seriousViolations(page), 'counter with its orders just handed over').toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await ctx.close();

    // the manager's order page knows the copies given out: the next is "Duplicata n° 2"
    const { page: back, ctx: backCtx } = await app.staffPage(shop.email('manager'), { width: 1440, height: 900 });
    await back.goto(`${app.base}/manager/orders/${order.id}`);
    const managerButton = back.getByRole('button', { name: /^Imprimer le ticket/ });
    expect(await said(managerButton)).toMatch(/Imprimer le ticket\s*·\s*Duplicata n° 2$/);
    // the printer is off: the answer says it cannot be reached, and the copy prints once it is back
    await printer.stop();
    await managerButton.click();
    const managerAnswer = back.getByTestId('print-answer');
    await expect.poll(() => said(managerAnswer), { timeout: 20_000 }).toMatch(/^Duplicata n° 2 non imprimé : l'imprimante ne répond pas : est-elle allumée et branchée \? — nouvel essai automatique/);
    expect(await managerAnswer.getAttribute('role')).toBe('alert');
    await back.screenshot({ path: `${SHOTS}/receipt-print-3-manager-unreachable-1440.png` });
    await printer.start();
    await expect.poll(() => said(managerAnswer), { timeout: 20_000 }).toBe('Duplicata n° 2 imprimé.');
    expect(ticketsPrinted().at(-1)!.lines).toContain('DUPLICATA no 2');
    const managerId = await userId(app.pool, shop.email('manager'));
    expect((await duplicates(order.id)).map((d) => [d.operator, d.body.copy])).toEqual([[`counter:${counterId}`, 1], [`manager:${managerId}`, 2]]);
    await back.screenshot({ path: `${SHOTS}/receipt-print-4-manager-1440.png` });
    expect(await seriousViolations(back), 'manager order page with its print answer').toEqual([]);

    // an order not paid yet (ready, to be paid when collected): the 409 said in French, nothing printed
    const unpaid = await place('Lina Morel');
    // (its label printed when it was ready: the kitchen's, not a receipt)
    const receiptsBefore = ticketsPrinted().length;
    await back.goto(`${app.base}/manager/orders/${unpaid.id}`);
    await back.getByRole('button', { name: /^Imprimer le ticket/ }).click();
    await expect.poll(() => said(back.getByTestId('print-answer'))).toBe('Pas encore payée : le ticket de caisse s’imprime une fois la commande réglée.');
    expect(await back.getByTestId('print-answer').getAttribute('role')).toBe('alert');
    await back.screenshot({ path: `${SHOTS}/receipt-print-5-manager-not-paid-1440.png` });
    expect(ticketsPrinted().length).toBe(receiptsBefore);
    expect(await duplicates(unpaid.id)).toEqual([]);
    await backCtx.close();
  });
});
