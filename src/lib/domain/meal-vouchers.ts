// Titres-restaurant (French meal vouchers): prepaid cards an employer gives for meals, with rules a
// till applies. Only what is food or a soft drink may be paid by voucher: never alcohol (in a
// pizzeria's menu, what is sold at 20 % VAT), the delivery fee or a tip. At most a daily amount per
// card (25 € in 2026, Code du travail R3262-10; a setting, for the legal amount changes). Not on
// Sundays and public holidays, unless the shop accepts them those days (its setting: the employer
// may allow staff working those days). The rest of the order is paid another way, in the same order.
//
// Per issuer, as a provider covers it: online, Stripe takes Bimpli, Pluxee and Up Déjeuner
// (https://docs.stripe.com/payments/meal-vouchers/fr-meal-vouchers); Swile and Edenred reach no
// provider of ours, so at the counter every voucher is declared by the staff with the card's
// reference (its number as printed, or the voucher's own number), as a declared card is.
// "The day" is Paris's calendar day.
import type { PaymentWay } from './payment-split.ts';

/** The issuers, in the order the screens list them. */
export const MEAL_VOUCHER_ISSUERS = ['bimpli', 'pluxee', 'up_dejeuner', 'swile', 'edenred'] as const;
export type MealVoucherIssuer = (typeof MEAL_VOUCHER_ISSUERS)[number];
/** Those Stripe takes online (its French meal vouchers: payment_details[benefit][fr_meal_voucher]). */
export const ONLINE_MEAL_VOUCHER_ISSUERS = ['bimpli', 'pluxee', 'up_dejeuner'] as const satisfies readonly MealVoucherIssuer[];
export const isMealVoucherIssuer = (v: unknown): v is MealVoucherIssuer => (MEAL_VOUCHER_ISSUERS as readonly unknown[]).includes(v);

/** Each issuer is its own way of paying in the journal, the takings, the closing and the VAT export. */
export const MEAL_VOUCHER_WAYS = ['voucher_bimpli', 'voucher_pluxee', 'voucher_up_dejeuner', 'voucher_swile', 'voucher_edenred'] as const satisfies readonly PaymentWay[];
export type MealVoucherWay = (typeof MEAL_VOUCHER_WAYS)[number];
export const wayOfIssuer = (issuer: MealVoucherIssuer): MealVoucherWay => `voucher_${issuer}`;

/** The legal daily amount per card when the setting says nothing (2026). */
export const DEFAULT_DAILY_LIMIT_CENTS = 2500;
/** The VAT rate of alcohol: what is sold at it is never paid by voucher. */
export const ALCOHOL_VAT_RATE = 20;

/** What each line of the order was paid (after its share of a discount), at its VAT rate. */
export interface PaidLine {
  rate: number;
  paidCents: number;
}

/** What a voucher may pay of an order: its lines of food and soft drinks, never alcohol, the delivery fee or a tip. */
export function eligibleCents(lines: readonly PaidLine[]): number {
  return lines.filter((l) => l.rate < ALCOHOL_VAT_RATE).reduce((s, l) => s + Math.max(0, l.paidCents), 0);
}

const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Paris's calendar day of an instant, as YYYY-MM-DD. */
export const parisDay = (ms: number): string => PARIS_DAY.format(new Date(ms));

const iso = (y: number, m: number, d: number) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Easter Sunday of a year (the anonymous Gregorian computus). */
export function easterSunday(year: number): string {
  const a = year % 19, b = Math.floor(year / 100), c = year % 100, d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31), day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(year, month, day);
}

/**
 * France's public holidays of a year (Code du travail L3133-1): eight fixed dates, Easter Monday,
 * Ascension and Whit Monday. (Alsace-Moselle's two more, Good Friday and 26 December, are not
 * counted: no shop of the chain is there.)
 */
export function frenchPublicHolidays(year: number): string[] {
  const easter = easterSunday(year);
  const fixed = [[1, 1], [5, 1], [5, 8], [7, 14], [8, 15], [11, 1], [11, 11], [12, 25]].map(([m, d]) => iso(year, m, d));
  return [...fixed, plusDays(easter, 1), plusDays(easter, 39), plusDays(easter, 50)].sort();
}

/** Why a day refuses vouchers: a Sunday, a public holiday, or nothing. */
export function closedDayOf(day: string): 'sunday' | 'holiday' | null {
  if (new Date(`${day}T12:00:00Z`).getUTCDay() === 0) return 'sunday';
  return frenchPublicHolidays(Number(day.slice(0, 4))).includes(day) ? 'holiday' : null;
}

export type VoucherRefusal =
  /** Sunday or a public holiday, and the shop does not accept vouchers those days. */
  | { refused: 'sunday' | 'holiday' }
  /** More than the order's food and soft drinks. */
  | { refused: 'not_eligible'; maxCents: number }
  /** More than what is left of the card's daily amount today. */
  | { refused: 'daily_limit'; maxCents: number }
  /** More than the order still owes. */
  | { refused: 'more_than_due'; maxCents: number };

export interface VoucherAsk {
  amountCents: number;
  /** The order's lines as paid. */
  lines: readonly PaidLine[];
  /** What the order still owes (the voucher part and the rest together). */
  dueCents: number;
  /** What this card paid by voucher already today, in the chain. */
  usedTodayCents: number;
  dailyLimitCents: number;
  /** The instant of the payment: its Paris day. */
  at: number;
  /** The shop accepts vouchers on Sundays and public holidays. */
  openOnClosedDays: boolean;
}

/** Whether a voucher may pay `amountCents` of the order now: the first rule it breaks, with the most it may pay. */
export function checkVoucher(a: VoucherAsk): { ok: true } | VoucherRefusal {
  const closed = closedDayOf(parisDay(a.at));
  if (closed && !a.openOnClosedDays) return { refused: closed };
  const eligible = eligibleCents(a.lines);
  if (a.amountCents > eligible) return { refused: 'not_eligible', maxCents: eligible };
  const left = Math.max(0, a.dailyLimitCents - a.usedTodayCents);
  if (a.amountCents > left) return { refused: 'daily_limit', maxCents: left };
  if (a.amountCents > a.dueCents) return { refused: 'more_than_due', maxCents: a.dueCents };
  return { ok: true };
}

/** The most a voucher may pay of the order today (what a screen offers first). */
export function voucherMaxCents(a: Omit<VoucherAsk, 'amountCents'>): number {
  if (closedDayOf(parisDay(a.at)) && !a.openOnClosedDays) return 0;
  return Math.max(0, Math.min(eligibleCents(a.lines), a.dailyLimitCents - a.usedTodayCents, a.dueCents));
}

/**
 * A card's identity for its daily amount: online, the provider's fingerprint of the card (the same
 * card gives the same one); at the counter, the reference the staff typed, without spaces or case.
 */
export const normalisedReference = (ref: string): string => ref.replace(/[\s-]/g, '').toUpperCase();

/** An order's voucher part as its row keeps it (meal_voucher_cents, meal_voucher_issuer), or none. */
export const voucherPart = (cents: number | null | undefined, issuer: string | null | undefined): { issuer: MealVoucherIssuer; cents: number } | null =>
  cents && cents > 0 && isMealVoucherIssuer(issuer) ? { issuer, cents } : null;
