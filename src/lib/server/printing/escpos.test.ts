import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../shapes/views.ts';
import { EscPos, orderLabel, orderTicket, paperOut, plain, wrap } from './escpos.ts';
import { readEscPos } from '../../../../tests/fake-printer.ts';

const order = {
  number: 42, customer: { name: 'Hélène Dupré' }, fulfilment: 'delivery', promisedAt: '2026-11-24T20:30:00.000Z', urgent: false,
  items: [
    { quantity: 2, name: 'Reine', options: [{ id: 1, kind: 'size', name: 'Grande (40 cm)' }, { id: 2, kind: 'without', name: 'Sans champignons' }, { id: 3, kind: 'extra', name: 'Supplément jambon' }] },
    { quantity: 1, name: 'Crème brûlée', options: [] },
  ],
} as unknown as OrderView;

/** The printable text of a document, one string per line (commands left out), as the test printer reads it. */
const textOf = (bytes: Buffer) => readEscPos(bytes).lines;

describe('ESC/POS for the kitchen printer', () => {
  it('sends plain ASCII: accents off, the euro spelt out', () => {
    expect(plain('Crème brûlée à 2 € « maison »')).toBe('Creme brulee a 2 EUR " maison "');
    expect(wrap('Supplément jambon de Parme affiné', 20, '   ')).toEqual(['   Supplement jambon', '   de Parme affine']);
  });

  it("a box's label: number, first name, delivery and its time, the lines with their options, the tracking link as a QR code, and a cut", () => {
    const bytes = orderLabel(order, 'https://commande.ocpizza.example/track/abc');
    const text = textOf(bytes);
    expect(text.slice(0, 3)).toEqual(['Commande 42', 'Helene', 'LIVRAISON - pour 21:30']);
    expect(text).toContain('2x Reine');
    expect(text.slice(4, 8)).toEqual(['2x Reine', '   Grande (40 cm)', '   SANS CHAMPIGNONS', '   + Supplement jambon']);
    expect(text).toContain('1x Creme brulee');
    expect(text.join(' ')).not.toMatch(/Dupre/);
    // the QR code: model 2, stored with the link, then printed; the paper cut after
    const store = bytes.indexOf(Buffer.from([0x1d, 0x28, 0x6b]));
    expect(store).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from('https://commande.ocpizza.example/track/abc'))).toBe(true);
    expect([...bytes.subarray(-4)]).toEqual([0x1d, 0x56, 0x42, 0x00]);
    expect([...bytes.subarray(0, 2)]).toEqual([0x1b, 0x40]);
  });

  it('the whole ticket for when a screen dies, marked urgent when it is', () => {
    const text = textOf(orderTicket({ ...order, urgent: true, fulfilment: 'pickup' } as OrderView));
    expect(text.slice(0, 4)).toEqual(['TICKET CUISINE', 'Commande 42', 'Helene - a emporter', 'pour 21:30']);
    expect(text).toContain('*** URGENT ***');
  });

  it('a half-and-half: the pizza, then its left and right halves each on a line, then the options of the whole pizza', () => {
    const half = {
      ...order,
      items: [{
        quantity: 1, name: '½ Reine / ½ Quatre fromages', options: [{ id: 1, kind: 'size', name: 'Grande (40 cm)' }],
        halves: { left: { productId: 2, name: 'Reine', nameEn: 'Queen' }, right: { productId: 3, name: 'Quatre fromages', nameEn: 'Four cheese' } },
      }],
    } as unknown as OrderView;
    const text = textOf(orderTicket(half));
    expect(text.slice(5, 9)).toEqual(['1x MOITIE-MOITIE', '   GAUCHE 1/2: Reine', '   DROITE 1/2: Quatre fromages', '   Grande (40 cm)']);
  });

  it("reads the printer's paper status: out when the roll's end sensor says so", () => {
    expect(paperOut(0x12)).toBe(false);
    expect(paperOut(0x72)).toBe(true);
    expect(new EscPos().line('a').toBuffer().length).toBe(4);
  });
});

describe('allergens on the paper', () => {
  it("each line's allergens under its options, on the label and the ticket, in French capitals", () => {
    const withNuts = {
      ...order,
      items: [{ quantity: 1, name: 'Reine', options: [{ id: 3, kind: 'extra', name: 'Pesto aux noix' }], allergens: ['gluten', 'milk', 'nuts'] }, { quantity: 1, name: 'Coca', options: [], allergens: [] }],
    } as unknown as OrderView;
    for (const bytes of [orderLabel(withNuts, 'https://x.example/t'), orderTicket(withNuts)]) {
      const text = textOf(bytes);
      const at = text.indexOf('1x Reine');
      expect(text.slice(at, at + 2)).toEqual(['1x Reine', '   + Pesto aux noix']);
      // wrapped to the paper's width, indented under the line
      expect(text.slice(at + 2, at + 4).map((l) => l.trim()).join(' ')).toBe('ALLERGENES: GLUTEN, LAIT, FRUITS A COQUE');
      expect(text.filter((l) => l.includes('ALLERGENES'))).toHaveLength(1);
    }
  });

  it('names the cereal and the nut the line holds (annex II), the group alone where none is named', () => {
    const named = {
      ...order,
      items: [{ quantity: 1, name: 'Reine', options: [], allergens: ['gluten', 'milk', 'nuts'], allergenKinds: ['wheat', 'walnuts'] }],
    } as unknown as OrderView;
    const text = textOf(orderLabel(named, 'https://x.example/t'));
    const at = text.indexOf('1x Reine');
    expect(text.slice(at + 1, at + 3).map((l) => l.trim()).join(' ').trim()).toBe('ALLERGENES: GLUTEN (BLE), LAIT, FRUITS A COQUE (NOIX)');
  });
});

describe('cross-contact on the label', () => {
  it("the shop's own words, or the chain's when it has none, under the lines: never on the kitchen's ticket", () => {
    const chain = textOf(orderLabel(order, 'https://x.example/t')).join(' ').replace(/\s+/g, ' ');
    expect(chain).toContain('Peut contenir des traces de tous les allergenes de la carte');
    expect(chain).toContain('une meme farine (ble)');
    const own = textOf(orderLabel(order, 'https://x.example/t', 'Peut contenir : sesame, fruits a coque (noix, amandes).')).join(' ').replace(/\s+/g, ' ');
    expect(own).toContain('Peut contenir : sesame, fruits a coque (noix, amandes).');
    expect(own).not.toContain('tous les allergenes');
    expect(textOf(orderTicket(order)).join(' ')).not.toContain('Peut contenir');
  });
});
