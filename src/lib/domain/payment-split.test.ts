import { describe, expect, it } from 'vitest';
import { splitPayment } from './payment-split.ts';

const order = { status: 'delivered', paidCents: 0, paidWith: null, collectedCents: null, collectedMethod: null } as const;

describe('how an order was paid', () => {
  it('names what the handover took by where it happened: the door for a delivery, the counter for a pickup', () => {
    expect(splitPayment({ ...order, paidCents: 1300, collectedCents: 1300, collectedMethod: 'cash' })).toEqual([{ way: 'door_cash', amountCents: 1300 }]);
    expect(splitPayment({ ...order, status: 'collected', paidCents: 1250, collectedCents: 1250, collectedMethod: 'card' })).toEqual([{ way: 'counter_card', amountCents: 1250 }]);
    // the shop's card terminal is its own way, apart from the card the counter declares
    expect(splitPayment({ ...order, status: 'collected', paidCents: 1250, collectedCents: 1250, collectedMethod: 'terminal' })).toEqual([{ way: 'counter_terminal', amountCents: 1250 }]);
  });

  it('counts a QR code paid at the door as its own way from the provider\'s word, before the PIN closes the delivery', () => {
    const paidByQr = { ...order, status: 'out_for_delivery', paidCents: 2600, collectedCents: 2600, collectedMethod: 'qr' as const };
    expect(splitPayment(paidByQr)).toEqual([{ way: 'door_qr', amountCents: 2600 }]);
    expect(splitPayment({ ...paidByQr, status: 'delivered' })).toEqual([{ way: 'door_qr', amountCents: 2600 }]);
    // the rest of an order paid online in part
    expect(splitPayment({ ...paidByQr, paidWith: 'online', paidCents: 3000, collectedCents: 400 })).toEqual([{ way: 'online', amountCents: 2600 }, { way: 'door_qr', amountCents: 400 }]);
  });

  it('keeps what was paid before apart: online, or marked paid at the counter, and only the rest at the handover', () => {
    expect(splitPayment({ ...order, paidCents: 3150, paidWith: 'online', collectedCents: 1050, collectedMethod: 'cash' })).toEqual([
      { way: 'online', amountCents: 2100 },
      { way: 'door_cash', amountCents: 1050 },
    ]);
    expect(splitPayment({ ...order, status: 'collected', paidCents: 3100, paidWith: 'cash', collectedCents: 1000, collectedMethod: 'cash' })).toEqual([
      { way: 'counter_cash', amountCents: 3100 },
    ]);
    expect(splitPayment({ ...order, status: 'received', paidCents: 900, paidWith: 'phone' })).toEqual([{ way: 'phone', amountCents: 900 }]);
  });

  it('never counts more at the handover than was paid, and says so when how is unknown', () => {
    expect(splitPayment({ ...order, paidCents: 1300, collectedCents: 5000, collectedMethod: 'cash' })).toEqual([{ way: 'door_cash', amountCents: 1300 }]);
    expect(splitPayment({ ...order, status: 'collected', paidCents: 1050 })).toEqual([{ way: 'unrecorded', amountCents: 1050 }]);
    expect(splitPayment({ ...order, status: 'cancelled', paidCents: 0 })).toEqual([]);
  });
});
