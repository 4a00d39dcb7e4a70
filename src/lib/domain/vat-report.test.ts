import { describe, expect, it } from 'vitest';
import { entryDay, parisDay, vatDays, vatDaysCsv, vatDaysJson, VAT_CSV_COLUMNS } from './vat-report.ts';

const line = (rateBp: number, grossCents: number, vatCents: number) => ({ rateBp, grossCents, vatCents, netCents: grossCents - vatCents });
const entry = (seq: number, kind: string, occurredAt: string, vat: ReturnType<typeof line>[], more: Record<string, unknown> = {}) => ({ seq, kind, occurredAt, body: { vat, ...more } });

describe('a shop\'s days per VAT rate for B2C e-reporting', () => {
  const entries = [
    entry(1, 'sale', '2026-11-26T11:00:00.000Z', [line(1000, 2100, 191)], { payments: [{ way: 'online', cents: 2100 }] }),
    entry(2, 'sale', '2026-11-26T12:00:00.000Z', [line(1000, 1050, 95), line(2000, 400, 67)]),
    entry(3, 'payment', '2026-11-26T12:01:00.000Z', [], { payments: [{ way: 'door_cash', cents: 500 }] }),
    entry(4, 'refund', '2026-11-26T12:30:00.000Z', [line(2000, -400, -67)], { refundId: 7 }),
    entry(5, 'payment_correction', '2026-11-26T13:00:00.000Z', [], { payments: [{ way: 'counter_cash', cents: -1450 }, { way: 'counter_card', cents: 1450 }] }),
    entry(6, 'refund', '2026-11-26T13:10:00.000Z', [], { refundId: null, refunds: [{ via: 'online', cents: 1050 }] }),
    entry(7, 'cancellation', '2026-11-26T13:05:00.000Z', [line(1000, -1050, -95)]),
    // 23:30 in Paris on the 26th is the 26th; 23:30 UTC is the 27th in Paris
    entry(8, 'sale', '2026-11-26T22:30:00.000Z', [line(550, 300, 16)]),
    entry(9, 'sale', '2026-11-26T23:30:00.000Z', [line(1000, 1000, 91)]),
    entry(10, 'closing', '2026-11-26T23:59:00.000Z', []),
    // a delivery ordered on the 25th, handed over after midnight: it counts on the evening it was ordered
    entry(11, 'sale', '2026-11-25T23:20:00.000Z', [line(1000, 1300, 118)], { order: { businessDay: '2026-11-25' } }),
  ];

  it('sums each day\'s sales, corrections, cancellations and credit notes per rate, in the Paris day they happened', () => {
    const days = vatDays(entries);
    expect(days.map((d) => d.day)).toEqual(['2026-11-25', '2026-11-26', '2026-11-27']);
    const [before, first, second] = days;
    expect(before).toMatchObject({ grossCents: 1300, vatCents: 118, counts: { sales: 1 }, firstSeq: 11 });
    expect(first.rates).toEqual([
      { day: '2026-11-26', rateBp: 550, netCents: 284, vatCents: 16, grossCents: 300, transactions: 1 },
      { day: '2026-11-26', rateBp: 1000, netCents: 2100 - 191, vatCents: 191, grossCents: 2100, transactions: 3 },
      { day: '2026-11-26', rateBp: 2000, netCents: 0, vatCents: 0, grossCents: 0, transactions: 2 },
    ]);
    expect(first.counts).toEqual({ sales: 3, creditNotes: 1, cancellations: 1, corrections: 0 });
    expect({ net: first.netCents, vat: first.vatCents, gross: first.grossCents }).toEqual({ net: 2400 - 207, vat: 207, gross: 2400 });
    expect([first.firstSeq, first.lastSeq]).toEqual([1, 8]);
    expect(second).toMatchObject({ day: '2026-11-27', grossCents: 1000, vatCents: 91, counts: { sales: 1 }, firstSeq: 9, lastSeq: 9 });
    expect(parisDay('2026-06-30T22:30:00.000Z')).toBe('2026-07-01');
    expect(entryDay({ occurredAt: '2026-06-30T22:30:00.000Z', body: { order: { businessDay: '2026-06-30' } } })).toBe('2026-06-30');
  });

  it('writes a CSV an e-reporting tool reads the same anywhere: named columns, a decimal point, a row per day and rate', () => {
    const csv = vatDaysCsv({ slug: 'lyon', name: 'OC Pizza Lyon', siret: '12345678900012' }, vatDays(entries));
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe(VAT_CSV_COLUMNS.join(';'));
    expect(rows[0]).toBe('date;siret;boutique;devise;categorie_operations;taux_tva;montant_ht;montant_tva;montant_ttc;nombre_transactions');
    expect(rows[1]).toBe('2026-11-25;"12345678900012";"lyon";EUR;TLB1;10.00;11.82;1.18;13.00;1');
    expect(rows[2]).toBe('2026-11-26;"12345678900012";"lyon";EUR;TLB1;5.50;2.84;0.16;3.00;1');
    expect(rows[3]).toBe('2026-11-26;"12345678900012";"lyon";EUR;TLB1;10.00;19.09;1.91;21.00;3');
    expect(rows).toHaveLength(1 + 5 + 1);
    expect(csv.endsWith('\r\n')).toBe(true);
    // a name that would run as a formula in a spreadsheet does not
    expect(vatDaysCsv({ slug: '=cmd', name: 'x' }, vatDays(entries)).split('\r\n')[1]).toContain(`"'=cmd"`);
  });

  it('gives the same figures as JSON, amounts in cents, with each day\'s counts and the entries it read', () => {
    const json = vatDaysJson({ slug: 'lyon', name: 'OC Pizza Lyon' }, 'shop:3', '2026-11-26', '2026-11-27', vatDays(entries));
    expect(json).toMatchObject({ format: 'ocpizza-ereporting-b2c/1', chain: 'shop:3', currency: 'EUR', category: 'TLB1', shop: { siret: null } });
    expect(json.days[1]).toMatchObject({ date: '2026-11-26', transactions: 5, entries: { firstSeq: 1, lastSeq: 8 }, grossCents: 2400 });
  });
});
