// The counter's card terminal in the built app and Chromium, with the demo's simulated reader (no
// Stripe account): a manager registers it on the shop's page; at the counter (1024×768) "carte TPE"
// sends a ready pickup's amount to it, the screen shows the reader waiting, then the card declined
// (the order still owes), then approved (the order paid and handed over); the takings show the
// terminal card apart from the declared card, reconciled with the reader's records.
import { describe, expect, it } from 'vitest';
import { SHOTS, live, useApp } from './harness.ts';
import { seededProduct, Client, createShop, move } from '../helpers.ts';
import { seriousViolations } from './axe.ts';

const app = useApp('counter-terminal');
const COUNTER = { width: 1024, height: 768 };

describe('the card terminal at the counter', () => {
  it("a manager registers the shop's terminal; the counter's card goes through it, declined then approved", async () => {
    const shop = await createShop(app.pool, 'terminal-ui');
    const counter = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const ready = async (name: string, quantity: number) => {
      const placed = await counter.post('/api/orders', {
        pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name, phone: `06${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
        items: [{ productId: seededProduct('margherita'), quantity }], payment: 'on_delivery',
      });
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      return { id: placed.body.id as string, number: placed.body.number as number, total: placed.body.total as number };
    };

    // the manager registers the simulated reader
    const { page: office } = await app.staffPage(shop.email('manager'), COUNTER);
    await office.goto(`${app.base}/manager/shops/${shop.id}`);
    const readers = office.getByTestId('terminal-readers');
    await expect.poll(() => readers.textContent()).toContain('Aucun terminal');
    await readers.locator('input[name=code]').fill('mauvais-code');
    await readers.locator('input[name=label]').fill('Comptoir');
    await readers.getByRole('button', { name: 'Enregistrer le terminal' }).click();
    await expect.poll(() => readers.locator('.field-error').first().textContent()).toContain('ne reconnaît pas ce code');
    await readers.locator('input[name=code]').fill('simulated-wpe');
    await readers.getByRole('button', { name: 'Enregistrer le terminal' }).click();
    await readers.getByRole('status').waitFor();
    await expect.poll(() => readers.getByTestId('reader-list').textContent()).toContain('Comptoir');
    await readers.scrollIntoViewIfNeeded();
    await office.screenshot({ path: `${SHOTS}/terminal-1-register.png` });

    const declined = await ready('Inès', 2);
    const { page } = await app.staffPage(shop.email('counter'), COUNTER);
    await page.goto(`${app.base}/counter`);
    await live(page);
    const row = page.locator(`section.pickups:not(.payments) li[data-order="${declined.id}"]`);
    // with a reader, no declared card: cash, or the terminal
    expect(await row.getByRole('button').allTextContents()).toEqual(expect.arrayContaining(['Remise · espèces', 'Remise · carte TPE']));
    expect(await row.getByRole('button', { name: 'Remise · carte (hors système)' }).count()).toBe(0);
    await row.getByTestId('terminal-pay').click();
    const panel = page.getByTestId('terminal-panel');
    await expect.poll(() => panel.getAttribute('data-state')).toBe('waiting');
    expect(await panel.textContent()).toContain('En attente de la carte');
    await page.screenshot({ path: `${SHOTS}/terminal-2-waiting.png` });
    expect(await seriousViolations(page), 'counter with the terminal waiting').toEqual([]);

    await panel.getByRole('button', { name: 'Carte refusée' }).click();
    await expect.poll(() => panel.getAttribute('data-state')).toBe('declined');
    expect(await panel.textContent()).toContain('Your card was declined.');
    expect(await row.count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/terminal-3-declined.png` });

    // again: approved, the order paid and handed over (it leaves the pickups, live)
    await panel.getByRole('button', { name: 'OK' }).click();
    await row.getByTestId('terminal-pay').click();
    await expect.poll(() => panel.getAttribute('data-state')).toBe('waiting');
    await panel.getByRole('button', { name: 'Carte acceptée' }).click();
    await expect.poll(() => panel.getAttribute('data-state')).toBe('approved');
    await expect.poll(() => row.count()).toBe(0);
    await expect.poll(() => page.getByTestId('handed-over').textContent()).toContain(`n°${declined.number}`);
    await page.screenshot({ path: `${SHOTS}/terminal-4-approved.png` });
    expect((await counter.get(`/api/orders/${declined.id}`)).body).toMatchObject({ status: 'collected', amountDueCents: 0, delivery: { collected: { method: 'terminal' } } });

    // the takings: terminal card apart, reconciled with the reader's records
    await office.goto(`${app.base}/manager/takings`);
    const card = office.locator(`section[data-shop="${shop.id}"]`);
    const text = async (selector: string) => (await card.locator(selector).first().textContent())?.replace(/\s/g, ' ').trim();
    const euros = (cents: number) => `${(cents / 100).toFixed(2).replace('.', ',')} €`;
    expect(await text('tr[data-way=counter_terminal] td')).toBe(euros(declined.total));
    expect(await text('tr[data-way=counter_card] td')).toBe('0,00 €');
    expect(await text('tr[data-way=counter_card] th')).toContain('hors système');
    expect(await text('[data-testid=terminal-recorded]')).toBe(euros(declined.total));
    expect(await text('[data-testid=terminal-provider]')).toBe(euros(declined.total));
    expect(await text('[data-testid=terminal-check]')).toContain('Rapproché au centime');
    await card.getByTestId('terminal-check').scrollIntoViewIfNeeded();
    await office.screenshot({ path: `${SHOTS}/terminal-5-takings.png` });
  });
});
