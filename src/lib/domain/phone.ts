// One phone number, however it was typed: its E.164 form is how every part of the system keeps and
// compares phones (orders.phone_key, customers.phone, sign-in codes, message limits, the counter's
// caller lookup, promo uses). Two spellings of one number must never be two people, and two numbers
// must never be one: a number is only ever matched to another in this form.

/**
 * The overseas departments dial their own country code from abroad, but are written nationally with
 * a 0 like any French number: "0690 12 34 56" is +590 690 12 34 56 (Guadeloupe), not +33 690….
 * Keyed by the first three national digits (after the 0).
 */
const OVERSEAS: Record<string, string> = {
  '590': '590', '690': '590', '691': '590', // Guadeloupe, Saint-Martin, Saint-Barthélemy
  '594': '594', '694': '594', // Guyane
  '596': '596', '696': '596', '697': '596', // Martinique
  '262': '262', '692': '262', '693': '262', // La Réunion
  '269': '262', '639': '262', // Mayotte
};

/** The nine digits after a French 0 (or after +33), as E.164: overseas ones under their own code. */
function french(nine: string): string {
  const overseas = OVERSEAS[nine.slice(0, 3)];
  return overseas ? `+${overseas}${nine}` : `+33${nine}`;
}

/**
 * A phone in E.164, however it was typed: "06 12 34 56 78", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78",
 * "0033 6…", "06.12.34.56.78" → "+33612345678"; "0690 12 34 56" and "+33 690…" → "+590690123456".
 * What is not a number comes back as its digits (phoneKey says whether it is a whole one).
 */
export function canonicalPhone(phone: string): string {
  // "(0)" is the national prefix written next to the country code: not dialled from abroad
  const digits = phone.replace(/\(0\)/g, '').replace(/[^\d+]/g, '');
  const international = digits.startsWith('+') ? digits : digits.startsWith('00') ? `+${digits.slice(2)}` : null;
  if (international === null) return /^0\d{9}$/.test(digits) ? french(digits.slice(1)) : digits;
  // "+33 06…": the national 0 kept after the country code
  const metropolitan = /^\+330?(\d{9})$/.exec(international);
  return metropolitan ? french(metropolitan[1]) : international;
}

/**
 * A phone as a key to compare or look up (canonicalPhone), or null when it is not a whole number:
 * 8 to 15 digits after the +, and a French one of exactly 9 after its country code.
 */
export function phoneKey(phone: string): string | null {
  const key = canonicalPhone(phone);
  if (!/^\+[1-9]\d{7,14}$/.test(key)) return null;
  if (key.startsWith('+33') && key.length !== 12) return null;
  const overseas = /^\+(590|594|596|262)(\d+)$/.exec(key);
  if (overseas && OVERSEAS[overseas[2].slice(0, 3)] === overseas[1] && overseas[2].length !== 9) return null;
  return key;
}
