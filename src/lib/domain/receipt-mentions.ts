// What a French till's receipt must say and how it says it: the seller's legal mentions (legal
// name, address, SIRET, intra-community VAT number), the ticket's number in the shop's journal, a
// short form of the entry's signature, and whether it is the original or a duplicate. Pure: the
// checks a head office's form and the database agree on, and the few strings every receipt
// (page, PDF, printed ticket) prints the same way.

/** Luhn's check over a string of digits (the SIREN's and the SIRET's key). */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** La Poste's SIREN: its establishments' SIRETs are numbered past Luhn (the sum of their digits is a multiple of 5). */
const LA_POSTE_SIREN = '356000000';

/** "852 741 966 00018" → "85274196600018" (spaces and dots as people type them). */
export const compactNumber = (s: string): string => s.replace(/[\s.\u00a0\u202f-]/g, '').toUpperCase();

/** A SIRET: 14 digits, its SIREN (the first 9) and itself passing Luhn's check. */
export function siretValid(raw: string): boolean {
  const s = compactNumber(raw);
  if (!/^[0-9]{14}$/.test(s)) return false;
  if (s.startsWith(LA_POSTE_SIREN)) return luhnValid(s) || [...s].reduce((t, c) => t + Number(c), 0) % 5 === 0;
  return luhnValid(s.slice(0, 9)) && luhnValid(s);
}

/** The intra-community VAT number of a French company from its SIREN: FR, a 2-digit key ((12 + 3 × (SIREN mod 97)) mod 97), the SIREN. */
export function vatNumberOf(siren: string): string {
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return `FR${String(key).padStart(2, '0')}${siren}`;
}

export interface LegalMentions {
  /** The company's legal name (raison sociale), e.g. "OC Pizza SAS". */
  legalName: string;
  siret: string;
  vatNumber: string;
}

export type LegalField = keyof LegalMentions;
/** Why a mention is refused (i18n: shops.legal.errors.<code>). */
export type LegalProblem = 'required' | 'too_long' | 'siret_digits' | 'siret_key' | 'vat_format' | 'vat_siren' | 'vat_key';

/** The mentions as stored (numbers compacted), or what is wrong with each field. */
export function checkLegalMentions(raw: LegalMentions): { ok: true; value: LegalMentions } | { ok: false; problems: Partial<Record<LegalField, LegalProblem>> } {
  const legalName = raw.legalName.trim().replace(/\s+/g, ' ');
  const siret = compactNumber(raw.siret);
  const vatNumber = compactNumber(raw.vatNumber);
  const problems: Partial<Record<LegalField, LegalProblem>> = {};
  if (!legalName) problems.legalName = 'required';
  else if (legalName.length > 120) problems.legalName = 'too_long';
  if (!/^[0-9]{14}$/.test(siret)) problems.siret = 'siret_digits';
  else if (!siretValid(siret)) problems.siret = 'siret_key';
  if (!/^FR[0-9]{2}[0-9]{9}$/.test(vatNumber)) problems.vatNumber = 'vat_format';
  else if (!problems.siret && vatNumber.slice(4) !== siret.slice(0, 9)) problems.vatNumber = 'vat_siren';
  else if (vatNumber !== vatNumberOf(vatNumber.slice(4))) problems.vatNumber = 'vat_key';
  return Object.keys(problems).length ? { ok: false, problems } : { ok: true, value: { legalName, siret, vatNumber } };
}

/** "85274196600018" → "852 741 966 00018", as a SIRET is read out. */
export const siretText = (siret: string): string => (/^[0-9]{14}$/.test(siret) ? `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}` : siret);

/** A ticket's number as printed: the sale's number among its shop's sales tickets (fiscal-tickets.ts), on 6 digits ("000123"). */
export const ticketNumber = (seq: number): string => String(seq).padStart(6, '0');

/**
 * Where the short signature is taken: the 3rd, 7th, 13th and 19th characters of the entry's
 * signature (base64), as certified French tills print 4 characters at fixed places. Enough for a
 * reader to match a ticket with its entry in the journal, where the whole signature stays.
 */
export const SHORT_SIGNATURE_PLACES = [3, 7, 13, 19] as const;

export function shortSignature(signature: string): string {
  return SHORT_SIGNATURE_PLACES.map((p) => signature.charAt(p - 1)).join('');
}

/** What each receipt form is: the page and its PDF are shown on a screen, the ticket printed on the shop's printer. */
export const RECEIPT_FORMS = ['page', 'pdf', 'printed'] as const;
export type ReceiptForm = (typeof RECEIPT_FORMS)[number];
/** The forms shown on a screen (the page and its PDF), not printed. */
export const SCREEN_FORMS = ['page', 'pdf'] as const satisfies readonly ReceiptForm[];

/**
 * A receipt shown again on a screen to the same person within this many minutes is the same copy
 * (a refresh, the PDF of the page just read, the preloaded page then opened): it is not printed
 * again, nor counted again. After it, a new view is a new duplicate. A printed ticket is paper:
 * every copy after the first is a duplicate.
 */
export const SAME_SCREEN_COPY_MINUTES = 15;

/** The software as every receipt names it: name and version (package.json). */
export interface Software {
  name: string;
  version: string;
}

/** A receipt's fiscal stamp: its ticket in the journal and which copy it is (0 the original, k the duplicate n° k). */
export interface ReceiptStamp {
  chain: string;
  /** The sale entry's number in the shop's chain. */
  ticket: number;
  /** When the sale was recorded as due (the ticket's date and time). */
  soldAt: string;
  shortSignature: string;
  copy: number;
  /** When this copy was issued. */
  issuedAt: string;
  /** The duplicate's own entry in the chain (null for the original). */
  duplicateSeq: number | null;
}
