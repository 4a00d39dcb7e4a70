import { describe, expect, it } from 'vitest';
import type { Receipt } from '../money/receipts.ts';
import { LINE_WIDTH, receiptTicket } from './escpos.ts';
import { readEscPos } from '../../../../tests/fake-printer.ts';

const receipt: Receipt & { stamp: NonNullable<Receipt['stamp']> } = {
  orderId: '00000000-0000-0000-0000-000000000001', number: 42, businessDay: '2026-11-27', paidAt: '2026-11-27T19:40:00.000Z',
  shop: { name: 'OC Pizza Bastille', address: '12 rue de la Roquette, 75011 Paris', phone: '01 43 55 10 11', legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR96852741966' },
  customer: 'Hélène', fulfilment: 'delivery',
  lines: [
    { name: 'Reine', options: 'Grande (40 cm)', quantity: 2, unitCents: 1650, totalCents: 3300, vatRate: 10 },
    { name: 'Bière Peroni 33 cl', options: '', quantity: 1, unitCents: 400, totalCents: 400, vatRate: 20 },
  ],
  deliveryFeeCents: 0, promo: null, loyalty: null, totalCents: 3700,
  vat: [{ rate: 10, netCents: 3000, vatCents: 300, grossCents: 3300 }, { rate: 20, netCents: 333, vatCents: 67, grossCents: 400 }],
  payments: [{ method: 'cash', amountCents: 3700 }], refundedCents: 0, refunds: [], netPaidCents: 3700, cancelled: false,
  software: { name: 'oc-pizza-live', version: '0.1.0' },
  stamp: { chain: 'shop:1', ticket: 123, soldAt: '2026-11-27T19:40:00.000Z', shortSignature: 'q+7Z', copy: 0, issuedAt: '2026-11-27T19:41:00.000Z', duplicateSeq: null },
};

describe("the customer's till receipt on the shop's printer", () => {
  it('prints the legal mentions, the ticket number and date, each line with its rate, the totals per rate, the payment, the software and the short signature', () => {
    const lines = readEscPos(receiptTicket(receipt)).lines;
    expect(lines.slice(0, 7)).toEqual(['OC Pizza Bastille', '12 rue de la Roquette, 75011', 'Paris', 'Tel. 01 43 55 10 11', 'OC Pizza SAS', 'SIRET 852 741 966 00018', 'TVA intracom. FR96852741966']);
    expect(lines).toContain('Ticket no 000123');
    expect(lines).toContain('27/11/2026 20:40');
    // the amounts in a column, each with its rate beside it; a long name wraps above its amount
    const at = lines.indexOf('                    TVA      EUR');
    expect(lines.slice(at, at + 5)).toEqual([
      '                    TVA      EUR',
      '2x Reine            10%    33,00',
      '   Grande (40 cm)',
      '1x Biere Peroni 33 cl',
      '                    20%     4,00',
    ]);
    expect(lines).toContain('TOTAL TTC EUR              37,00');
    // excl. VAT, VAT and incl. VAT per rate, and their totals
    const vat = lines.indexOf('TVA         HT      TVA      TTC');
    expect(lines.slice(vat, vat + 4)).toEqual([
      'TVA         HT      TVA      TTC',
      '10%      30,00     3,00    33,00',
      '20%       3,33     0,67     4,00',
      'Total    33,33     3,67    37,00',
    ]);
    expect(lines).toContain('Especes (livraison)        37,00');
    expect(lines).toContain('Signature q+7Z');
    expect(lines).toContain('Logiciel oc-pizza-live 0.1.0');
    expect(lines.join('\n')).not.toContain('DUPLICATA');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(LINE_WIDTH);
  });

  it('a copy after the first says DUPLICATA n° k in large bold letters above the ticket, and when it was printed again', () => {
    const bytes = receiptTicket({ ...receipt, stamp: { ...receipt.stamp, copy: 3, duplicateSeq: 130 } });
    const mark = Buffer.concat([Buffer.from([0x1d, 0x21, 0x11, 0x1b, 0x45, 0x01]), Buffer.from('DUPLICATA no 3\n')]);
    expect(bytes.indexOf(mark)).toBeGreaterThan(0);
    expect(bytes.indexOf(mark)).toBeLessThan(bytes.indexOf(Buffer.from('Ticket no 000123')));
    expect(readEscPos(bytes).lines).toContain('Reimpression du 27/11/2026 20:41');
  });

  it('the allergies the customer declared, in bold under the order number and before the lines; none, no line', () => {
    const withNote = readEscPos(receiptTicket({ ...receipt, allergy: { allergens: ['milk', 'nuts'], note: 'Allergie sévère' } })).lines;
    const at = withNote.indexOf('Commande no 42 - livraison');
    expect(withNote.slice(at + 1, at + 3)).toEqual(['Allergies declarees : lait,', 'fruits a coque - Allergie severe']);
    // the lines and the total as without it
    const without = readEscPos(receiptTicket(receipt)).lines;
    expect(withNote.filter((l) => !/Allergies|fruits a coque/.test(l))).toEqual(without);
    expect(without.join('\n')).not.toMatch(/Allerg/);
  });

  it('a training shop\'s ticket says FACTICE in large letters at the top and the bottom, with no ticket number nor signature', () => {
    const { stamp: _, ...rest } = receipt;
    const lines = readEscPos(receiptTicket({ ...rest, training: true })).lines;
    expect(lines.filter((l) => l.includes('*** FACTICE ***'))).toHaveLength(2);
    expect(lines).toContain('Ticket de formation, sans valeur');
    expect(lines.some((l) => l.startsWith('Ticket no'))).toBe(false);
    expect(lines.some((l) => l.startsWith('Signature'))).toBe(false);
    expect(lines).toContain('TOTAL TTC EUR              37,00');
  });
});
