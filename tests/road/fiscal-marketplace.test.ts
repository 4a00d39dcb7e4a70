// A delivery platform's order in the fiscal journal: the customer paid the platform, so its sale is
// written with its lines and VAT as our own are, and its payment as the 'marketplace' way (neither
// the shop's cash nor its card); the day's takings count it there.
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { platformOrder } from '../marketplace-office-fixtures.ts';
import { shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { fiscalKeyFromPem } from '../../src/lib/server/fiscal/keys.ts';
import { entryOf } from '../../src/lib/server/fiscal/journal.ts';
import { journalOrders } from '../../src/lib/server/fiscal/order-facts.ts';

const stack = useStack();
const key = fiscalKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

describe('a platform order in the fiscal journal', () => {
  let shop: Awaited<ReturnType<typeof createShop>>;
  let orderId: string;
  let manager: Client;

  beforeAll(async () => {
    shop = await createShop(stack.pool, 'fiscal-mkt');
    manager = await new Client(stack.base).login(shop.email('manager'));
    // 2 margheritas (10 % VAT) and a beer (20 %), paid to the platform: 2 × 10,50 + 4,00 = 25,00
    const o = await platformOrder(stack.base, stack.pool, {
      pizzeriaId: shop.id, marketplace: 'uber_eats', externalId: `ue-${shop.slug}`, commissionCents: 750,
      lines: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }],
    });
    expect(o.totalCents).toBe(2500);
    orderId = o.id;
    await journalOrders(stack.pool, key, [orderId]);
  });

  it('writes its sale with the VAT per rate and the payment to the platform, nothing at the counter', async () => {
    const entries: Entry[] = (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 AND order_id = $2 ORDER BY seq', [shopChain(shop.id), orderId])).rows.map(entryOf);
    expect(entries.map((e) => e.kind)).toEqual(['sale']);
    expect(entries[0]).toMatchObject({
      salesCents: 2500, moneyCents: 2500,
      body: {
        order: { channel: 'marketplace' },
        payments: [{ way: 'marketplace', cents: 2500 }],
        vat: [{ rateBp: 1000, grossCents: 2100, vatCents: 191 }, { rateBp: 2000, grossCents: 400, vatCents: 67 }],
      },
    });
  });

  it('is counted by the day\'s takings as paid to the platform, not as cash or card of the shop', async () => {
    const s = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(s.takenCents).toMatchObject({ marketplace: 2500, counter_cash: 0, counter_card: 0, door_cash: 0, unrecorded: 0 });
    expect(s.salesCents).toBe(2500);
  });

  it('takes the sale and its money back when the platform cancels it, and asks the shop to give nothing back', async () => {
    const o = await platformOrder(stack.base, stack.pool, {
      pizzeriaId: shop.id, marketplace: 'deliveroo', externalId: `dr-${shop.slug}`, commissionCents: 315,
      lines: [{ productId: seededProduct('margherita'), quantity: 1 }],
    });
    await journalOrders(stack.pool, key, [o.id]);
    await stack.pool.query(`UPDATE orders SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'customer', version = version + 1, updated_at = now() WHERE id = $1`, [o.id]);
    await journalOrders(stack.pool, key, [o.id]);
    const entries: Entry[] = (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 AND order_id = $2 ORDER BY seq', [shopChain(shop.id), o.id])).rows.map(entryOf);
    expect(entries.map((e) => [e.kind, e.salesCents, e.moneyCents])).toEqual([['sale', 1050, 1050], ['cancellation', -1050, 0], ['payment', 0, -1050]]);
    const s = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(s.takenCents.marketplace).toBe(2500);
    expect(s.salesCents).toBe(2500);
    expect(s.refundDueCents).toBe(0);
  });
});
