// Titres-restaurant at the counter in the built app and Chromium (1024×768): a ready pickup of 40 €
// (of which a beer, 4 €) gets a voucher part declared with the card's reference: the panel says what
// the voucher may pay (the food and ice cream, 36 €; the card's 25 € a day), 25 € are taken, the
// order then owes 15 €, handed over in cash; a card with 7 € left today is refused 10 €, the panel
// saying why.
import { describe, expect, it } from 'vitest';
import { SHOTS, live, useApp } from './harness.ts';
import { seededProduct, Client, createShop, move } from '../helpers.ts';
import { seriousViolations } from './axe.ts';

const app = useApp('meal-vouchers');
const COUNTER = { width: 1024, height: 768 };

describe('titres-restaurant at the counter', () => {
  it('a voucher part of 25 € on a 40 € pickup, the rest in cash; a card refused over its 25 € a day', async () => {
    const shop = await createShop(app.pool, 'voucher-ui');
    const counter = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    // a shop that accepts vouchers every day, so the test reads the same on a Sunday (the Sunday rule: tests/road/meal-vouchers.test.ts)
    const manager = await new Client(app.base).login(shop.email('manager'));
    expect((await manager.put(`/api/shops/${shop.id}/meal-vouchers`, { onClosedDays: true })).status).toBe(200);
    const ready = async (name: string) => {
      const placed = await counter.post('/api/orders', {
        pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name, phone: `06${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
        items: [{ productId: seededProduct('chevre-miel'), quantity: 2 }, { productId: seededProduct('glace-vanille'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }],
        payment: 'on_delivery',
      });
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      return { id: placed.body.id as string, number: placed.body.number as number, total: placed.body.total as number };
    };
    const first = await ready('Inès');
    expect(first.total).toBe(4000);
    const cardRef = `5123 4567 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

    const { page } = await app.staffPage(shop.email('counter'), COUNTER);
    await page.goto(`${app.base}/counter`);
    await live(page);
    const row = (id: string) => page.locator(`section.pickups:not(.payments) li[data-order="${id}"]`);
    await row(first.id).getByTestId('voucher-open').click();
    const panel = page.getByTestId('voucher-panel');
    await panel.getByTestId('voucher-issuer').selectOption('pluxee');
    await panel.getByTestId('voucher-reference').fill(cardRef);
    await panel.getByTestId('voucher-reference').press('Tab');
    const rules = panel.getByTestId('voucher-rules');
    await expect.poll(() => rules.textContent()).toContain('36,00');
    expect((await rules.textContent())!.replace(/\s/g, ' ')).toContain('25,00 € sur 25,00 €');
    expect(await panel.getByTestId('voucher-amount').inputValue()).toBe('25,00');
    await row(first.id).evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: `${SHOTS}/voucher-counter-1-panel.png` });
    expect(await seriousViolations(page), 'counter with the voucher panel').toEqual([]);

    await panel.getByTestId('voucher-take').click();
    await expect.poll(async () => (await page.getByTestId('voucher-done').textContent())?.replace(/\s/g, ' ')).toContain('25,00 € payés en titre-restaurant');
    // the order now owes the rest, live
    await expect.poll(async () => (await row(first.id).textContent())?.replace(/\s/g, ' ')).toContain('15,00 €');
    expect(await row(first.id).getByTestId('voucher-open').count()).toBe(0);
    await row(first.id).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/voucher-counter-2-rest.png` });
    await row(first.id).getByRole('button', { name: 'Remise · espèces' }).click();
    await expect.poll(() => row(first.id).count()).toBe(0);
    expect((await counter.get(`/api/orders/${first.id}`)).body).toMatchObject({ status: 'collected', amountDueCents: 0, payment: { voucher: { cents: 2500, issuer: 'pluxee' } }, delivery: { collected: { cents: 1500, method: 'cash' } } });

    // another card paid 18 € by voucher at lunch; on a second order the same day, 7 € are left on it:
    // the counter types 10 €, the server refuses and the panel says why
    const other = `4970 1012 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const lunch = await ready('Léa');
    expect((await counter.post(`/api/orders/${lunch.id}/meal-voucher`, { issuer: 'bimpli', amountCents: 1800, reference: other })).status).toBe(201);
    const second = await ready('Hugo');
    await page.getByTestId('voucher-done').getByRole('button', { name: 'OK' }).click();
    await row(second.id).getByTestId('voucher-open').click();
    await panel.getByTestId('voucher-issuer').selectOption('bimpli');
    await panel.getByTestId('voucher-reference').fill(other.replace(/ /g, ''));
    await panel.getByTestId('voucher-reference').press('Tab');
    await expect.poll(async () => (await rules.textContent())?.replace(/\s/g, ' ')).toContain('7,00 € sur 25,00 €');
    await panel.getByTestId('voucher-amount').fill('10,00');
    await panel.getByTestId('voucher-take').click();
    await expect.poll(async () => (await panel.getByTestId('voucher-error').textContent())?.replace(/\s/g, ' ')).toContain('ne peut plus payer que 7,00 €');
    await row(second.id).evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: `${SHOTS}/voucher-counter-3-refused.png` });
    expect((await counter.get(`/api/orders/${second.id}`)).body).toMatchObject({ amountDueCents: 4000, payment: { voucher: null } });
  });
});
