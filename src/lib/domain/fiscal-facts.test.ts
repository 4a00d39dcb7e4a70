import { describe, expect, it } from 'vitest';
import { factsOf, journaledOf, nothingJournaled, type FactDraft, type FiscalOrder, type JournaledEntry } from './fiscal-facts.ts';

const T = '2026-11-27T19:00:00.000Z';

/** Two Margheritas (10 %) and a beer (20 %), picked up; nothing paid yet. */
function order(over: Partial<FiscalOrder> = {}): FiscalOrder {
  return {
    id: 'o-1', pizzeriaId: 1, number: 12, businessDay: '2026-11-27', fulfilment: 'pickup', channel: 'counter',
    status: 'ready', paymentStatus: 'due', version: 5, totalCents: 2500, discountCents: 0, paidCents: 0, refundedCents: 0,
    paidWith: null, collectedCents: null, collectedMethod: null, cancelReason: null, capturedCents: 0, onlineRefundedCents: 0,
    lines: [
      { name: 'Margherita', options: '', quantity: 2, unitCents: 1050, vatRate: 10 },
      { name: 'Peroni', options: '', quantity: 1, unitCents: 400, vatRate: 20 },
    ],
    discount: null, refunds: [],
    times: { soldAt: T, paidAt: T, cancelledAt: null, refundedAt: null, changedAt: T },
    operator: 'counter:7',
    ...over,
  };
}

/** The journal after these drafts were written (numbered from `from`), as the writer reads it back. */
function written(drafts: FactDraft[], before: JournaledEntry[] = []): JournaledEntry[] {
  return [...before, ...drafts.map((d, i) => ({ seq: before.length + i + 1, kind: d.kind, body: d.body }))];
}

const collectedCash = order({ status: 'collected', paymentStatus: 'paid', paidCents: 2500, collectedCents: 2500, collectedMethod: 'cash' });

describe('what the fiscal journal writes of an order', () => {
  it('nothing while an order has taken no money and is not handed over, nor for a card only held', () => {
    expect(factsOf(order(), nothingJournaled())).toEqual([]);
    const held = order({ channel: 'online', status: 'received', paymentStatus: 'authorised', paidWith: 'online', paidCents: 2500 });
    expect(factsOf(held, nothingJournaled())).toEqual([]);
    // a hold let go on a cancel: no money was ever taken
    expect(factsOf({ ...held, status: 'cancelled', paymentStatus: 'refunded', refundedCents: 2500 }, nothingJournaled())).toEqual([]);
  });

  it('a pickup paid in cash at the counter: one sale with its lines, its VAT per rate and its payment, then nothing more', () => {
    const facts = factsOf(collectedCash, nothingJournaled());
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({
      kind: 'sale', sourceKey: 'sale:o-1', operator: 'counter:7', orderId: 'o-1', refersToSale: false,
      salesCents: 2500, vatCents: 191 + 67, moneyCents: 2500,
      body: {
        order: { id: 'o-1', number: 12, businessDay: '2026-11-27', fulfilment: 'pickup', channel: 'counter' },
        lines: [{ name: 'Margherita', quantity: 2, unitCents: 1050, totalCents: 2100, rateBp: 1000 }, { name: 'Peroni', quantity: 1, unitCents: 400, totalCents: 400, rateBp: 2000 }],
        deliveryFeeCents: 0, discount: null, totalCents: 2500,
        vat: [{ rateBp: 1000, netCents: 1909, vatCents: 191, grossCents: 2100 }, { rateBp: 2000, netCents: 333, vatCents: 67, grossCents: 400 }],
        payments: [{ way: 'counter_cash', cents: 2500 }],
      },
    });
    // written: the same order says nothing more; moved on without money changing, neither
    expect(factsOf(collectedCash, journaledOf(written(facts)))).toEqual([]);
    expect(factsOf({ ...collectedCash, version: 9 }, journaledOf(written(facts)))).toEqual([]);
  });

  it('a delivery with a promo code: the fee at 10 %, the discount off each rate as it was spread, the cash at the door', () => {
    const o = order({
      fulfilment: 'delivery', status: 'delivered', paymentStatus: 'paid', totalCents: 2500 + 250 - 300, discountCents: 300, paidCents: 2450,
      collectedCents: 2450, collectedMethod: 'cash',
      discount: { kind: 'promo', code: 'PIZZA3', points: null, cents: 300, byRate: [{ rate: 10, cents: 260 }, { rate: 20, cents: 40 }] },
    });
    const [sale] = factsOf(o, nothingJournaled());
    expect(sale.body).toMatchObject({
      deliveryFeeCents: 250, totalCents: 2450,
      discount: { kind: 'promo', code: 'PIZZA3', points: null, cents: 300, byRate: [{ rateBp: 1000, cents: 260 }, { rateBp: 2000, cents: 40 }] },
      vat: [{ rateBp: 1000, grossCents: 2100 + 250 - 260 }, { rateBp: 2000, grossCents: 360 }],
      payments: [{ way: 'door_cash', cents: 2450 }],
    });
    expect(sale.salesCents).toBe(2450);
  });

  it('an online order: sold when captured; reduced after, a correction per rate referring to the sale and the money given back online', () => {
    const captured = order({ channel: 'online', status: 'preparing', paymentStatus: 'paid', paidWith: 'online', paidCents: 2500, capturedCents: 2500 });
    const first = factsOf({ ...captured, operator: 'system:payments' }, nothingJournaled());
    expect(first.map((f) => [f.kind, f.body.payments])).toEqual([['sale', [{ way: 'online', cents: 2500 }]]]);
    // the beer taken off: 4,00 refunded through the provider
    const reduced = { ...captured, version: 8, totalCents: 2100, refundedCents: 400, onlineRefundedCents: 400, lines: captured.lines.slice(0, 1), times: { ...captured.times, refundedAt: '2026-11-27T19:05:00.000Z' } };
    const next = factsOf(reduced, journaledOf(written(first)));
    expect(next.map((f) => f.kind)).toEqual(['sale_correction', 'refund']);
    expect(next[0]).toMatchObject({ sourceKey: 'sale-correction:o-1:v8', refersToSale: true, salesCents: -400, vatCents: -67, moneyCents: 0, body: { vat: [{ rateBp: 2000, grossCents: -400, vatCents: -67, netCents: -333 }], totalCents: 2100 } });
    expect(next[1]).toMatchObject({ sourceKey: 'refund:o-1:v8', occurredAt: '2026-11-27T19:05:00.000Z', moneyCents: -400, salesCents: 0, body: { reason: 'adjusted', vat: [], refunds: [{ via: 'online', cents: 400 }] } });
    expect(factsOf(reduced, journaledOf(written(next, written(first))))).toEqual([]);
  });

  it('a sold order cancelled: a cancellation taking the whole sale back, then the refund of its money, each once', () => {
    const captured = order({ channel: 'online', status: 'preparing', paymentStatus: 'paid', paidWith: 'online', paidCents: 2500, capturedCents: 2500 });
    const sale = factsOf(captured, nothingJournaled());
    const cancelled = { ...captured, status: 'cancelled', cancelReason: 'shop', times: { ...captured.times, cancelledAt: '2026-11-27T19:10:00.000Z' } };
    const cancel = factsOf(cancelled, journaledOf(written(sale)));
    expect(cancel).toHaveLength(1);
    expect(cancel[0]).toMatchObject({ kind: 'cancellation', sourceKey: 'cancellation:o-1', occurredAt: '2026-11-27T19:10:00.000Z', salesCents: -2500, moneyCents: 0, body: { reason: 'shop' } });
    const refunded = { ...cancelled, paymentStatus: 'refunded', refundedCents: 2500, onlineRefundedCents: 2500 };
    const refund = factsOf(refunded, journaledOf(written(cancel, written(sale))));
    expect(refund).toMatchObject([{ kind: 'refund', moneyCents: -2500, body: { reason: 'cancelled', refunds: [{ via: 'online', cents: 2500 }] } }]);
  });

  it('an order paid, then cancelled before the journal looked: its sale, its cancellation and its refund, in that order', () => {
    const o = order({ status: 'cancelled', paymentStatus: 'paid', paidWith: 'cash', paidCents: 2500, refundedCents: 2500, cancelReason: 'customer' });
    const facts = factsOf(o, nothingJournaled());
    expect(facts.map((f) => [f.kind, f.salesCents, f.moneyCents])).toEqual([['sale', 2500, 2500], ['cancellation', -2500, 0], ['refund', 0, -2500]]);
    expect(facts[0].body.payments).toEqual([{ way: 'counter_cash', cents: 2500 }]);
    expect(facts[1].refersToSale && facts[2].refersToSale).toBe(true);
  });

  it('a manager\'s refund: a credit note giving back its VAT per rate, by how the money went back, written once', () => {
    const sale = factsOf(collectedCash, nothingJournaled());
    const refund = { id: 41, amountCents: 400, method: 'cash' as const, reason: 'quality', vat: [{ rate: 20, grossCents: 400 }], lines: [{ itemId: 3, quantity: 1, cents: 400 }], at: '2026-11-27T20:00:00.000Z', operator: 'manager:2' };
    const after = { ...collectedCash, refundedCents: 400, refunds: [refund] };
    const credit = factsOf(after, journaledOf(written(sale)));
    expect(credit).toEqual([expect.objectContaining({
      kind: 'refund', sourceKey: 'refund:41', operator: 'manager:2', occurredAt: '2026-11-27T20:00:00.000Z', refersToSale: true,
      salesCents: -400, vatCents: -67, moneyCents: -400,
      body: expect.objectContaining({ refundId: 41, reason: 'quality', lines: [{ itemId: 3, quantity: 1, cents: 400 }], vat: [{ rateBp: 2000, netCents: -333, vatCents: -67, grossCents: -400 }], refunds: [{ via: 'cash', cents: 400 }] }),
    })]);
    expect(factsOf(after, journaledOf(written(credit, written(sale))))).toEqual([]);
  });

  it('money taken after the sale was written (a hold captured after the handover): a payment, online', () => {
    const handed = order({ channel: 'online', status: 'collected', paymentStatus: 'authorised', paidWith: 'online', paidCents: 2500 });
    const sale = factsOf(handed, nothingJournaled());
    expect(sale.map((f) => [f.kind, f.body.payments])).toEqual([['sale', []]]);
    const captured = { ...handed, paymentStatus: 'paid', capturedCents: 2500, version: 11 };
    expect(factsOf(captured, journaledOf(written(sale)))).toMatchObject([{ kind: 'payment', sourceKey: 'payment:o-1:v11', operator: 'online', moneyCents: 2500, body: { payments: [{ way: 'online', cents: 2500 }] } }]);
  });
});
