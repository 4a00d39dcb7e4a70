import { describe, expect, it } from 'vitest';
import { checkLegalMentions, shortSignature, siretText, siretValid, ticketNumber, vatNumberOf } from './receipt-mentions.ts';

describe("a receipt's legal mentions", () => {
  it('takes a SIRET of 14 digits whose key is right, as typed with spaces', () => {
    expect(siretValid('85274196600018')).toBe(true);
    expect(siretValid('852 741 966 00018')).toBe(true);
    // one digit changed: Luhn's key no longer holds
    expect(siretValid('85274196600019')).toBe(false);
    expect(siretValid('8527419660001')).toBe(false);
    // La Poste's establishments are numbered past Luhn: its head office passes it, the others have the sum of their digits a multiple of 5
    expect(siretValid('35600000000048')).toBe(true);
    expect(siretValid('35600000012341')).toBe(true);
    expect(siretValid('35600000012342')).toBe(false);
  });

  it("derives the VAT number from the SIREN and refuses one that is not the company's", () => {
    expect(vatNumberOf('852741966')).toBe('FR96852741966');
    // the published example of the key: SIREN 404 833 048 → FR83 404 833 048
    expect(vatNumberOf('404833048')).toBe('FR83404833048');
    const ok = checkLegalMentions({ legalName: ' OC Pizza  SAS ', siret: '852 741 966 00018', vatNumber: 'fr 96 852741966' });
    expect(ok).toEqual({ ok: true, value: { legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR96852741966' } });
    expect(checkLegalMentions({ legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR83404833048' })).toEqual({ ok: false, problems: { vatNumber: 'vat_siren' } });
    expect(checkLegalMentions({ legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR97852741966' })).toEqual({ ok: false, problems: { vatNumber: 'vat_key' } });
    expect(checkLegalMentions({ legalName: '', siret: '1234', vatNumber: 'DE123' })).toEqual({
      ok: false, problems: { legalName: 'required', siret: 'siret_digits', vatNumber: 'vat_format' },
    });
    expect(checkLegalMentions({ legalName: 'X', siret: '85274196600019', vatNumber: 'FR96852741966' })).toEqual({ ok: false, problems: { siret: 'siret_key' } });
  });

  it('prints the ticket number on 6 digits, the SIRET in groups, and 4 characters of the signature at fixed places', () => {
    expect(ticketNumber(123)).toBe('000123');
    expect(ticketNumber(1234567)).toBe('1234567');
    expect(siretText('85274196600018')).toBe('852 741 966 00018');
    // the 3rd, 7th, 13th and 19th characters
    expect(shortSignature('ABCDEFGHIJKLMNOPQRSTUVWXYZ')).toBe('CGMS');
  });
});
