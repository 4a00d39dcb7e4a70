// The receipt of a paid order: the seller's legal mentions, its lines with their options and VAT
// rate, the delivery fee, the VAT per rate as it was charged (order_items.vat_rate), and how it was
// paid; as data (the web page) and as a PDF (pdfkit), in French or English. Only once the order is
// paid: handed over, or paid online and captured. A card only held and let go (cancelled before the
// kitchen started) took no money: it gets no receipt at all. Its ticket number, short signature and
// copy (original or duplicate) come from the fiscal journal (src/lib/server/money/receipt-issues.ts);
// without them it is a summary of the order, and says so.
import { siretText, ticketNumber, type ReceiptStamp, type Software } from '../../domain/receipt-mentions.ts';
import { MEAL_VOUCHER_WAYS, voucherPart, type MealVoucherWay } from '../../domain/meal-vouchers.ts';
import { splitPayment, type PaymentWay } from '../../domain/payment-split.ts';
import { DELIVERY_FEE_VAT_RATE, vatBreakdown, type VatLine } from '../../domain/vat.ts';
import { totalParts } from '../../domain/total-parts.ts';
import { createI18n, type Locale } from '../../i18n/index.ts';
import { optionsLabel } from '../../shapes/line-options.ts';
import type { Queryable } from '../kernel/db.ts';
import { HANDED_OVER_STATUSES, isIn, type Fulfilment } from '../../domain/order-states.ts';
import type { RefundMethod, RefundReason } from '../../domain/refunds.ts';
import { doneRefunds } from './refund-reads.ts';
import type { ReceiptTips } from './tips.ts';
import { discountOf } from '../offers/promos.ts';
import { declaredAllergiesText, type DeclaredAllergy } from '../../shapes/allergy-text.ts';
import { sortAllergens } from '../../domain/line-allergens.ts';

type ReceiptMethod = 'online' | 'cash' | 'card' | 'counter_cash' | 'counter_card' | 'counter_terminal' | 'phone' | 'counter' | 'marketplace' | 'door_qr' | MealVoucherWay;
// the receipt's names (receipt.paidWith.*): cash and card alone are the door's, as before
const RECEIPT_METHOD: Record<PaymentWay, ReceiptMethod> = {
  online: 'online', door_cash: 'cash', door_card: 'card', counter_cash: 'counter_cash', counter_card: 'counter_card', counter_terminal: 'counter_terminal', phone: 'phone', unrecorded: 'counter', marketplace: 'marketplace', door_qr: 'door_qr',
  ...Object.fromEntries(MEAL_VOUCHER_WAYS.map((w) => [w, w])) as Record<MealVoucherWay, MealVoucherWay>,
};

export interface Receipt {
  orderId: string;
  number: number;
  businessDay: string;
  paidAt: string;
  /** The seller as the law wants it named: the shop, its company's legal name, SIRET and VAT number (null: not set yet). */
  shop: { name: string; address: string; phone: string | null; legalName: string | null; siret: string | null; vatNumber: string | null };
  customer: string;
  fulfilment: Fulfilment;
  lines: { name: string; options: string; quantity: number; unitCents: number; totalCents: number; vatRate: number }[];
  deliveryFeeCents: number;
  /** A promo code's discount (src/lib/server/offers/promos.ts), off the items; the VAT is on what was paid. */
  promo: { code: string; discountCents: number } | null;
  /** Loyalty points spent on it (src/lib/server/offers/loyalty.ts): a pizza free, off the items like a code. */
  loyalty: { points: number; discountCents: number } | null;
  totalCents: number;
  vat: VatLine[];
  /** How it was paid: online (the card held then taken), at the door (cash, card), at the counter (cash, card), by phone, or "at the counter" when not recorded. */
  payments: { method: ReceiptMethod; amountCents: number }[];
  refundedCents: number;
  /** Refunds a manager granted (refund-request.ts): when, why, how much, how it went back. */
  refunds: { at: string; reason: RefundReason; amountCents: number; method: RefundMethod }[];
  /** What the customer paid and kept paid: paid less everything given back. */
  netPaidCents: number;
  cancelled: boolean;
  /**
   * The allergies the customer declared on the order (null: none): said on the receipt for them to
   * check, apart from the lines; not a sale, nor in the fiscal journal's signed entry.
   */
  allergy?: DeclaredAllergy | null;
  /** The software that made it (package.json). */
  software?: Software;
  /** Its ticket in the journal and which copy this is; none: a summary of the order, not a ticket. */
  stamp?: ReceiptStamp;
  /** A training shop's order (migration 0094): its ticket says FACTICE, and it is never a fiscal ticket. */
  training?: boolean;
}

/** Why an order has no receipt: not paid yet (it may come), or cancelled with nothing ever taken (it never will). */
export type NoReceipt = 'not_paid' | 'nothing_charged';

/**
 * The order's receipt, once it is paid; with `summary`, what it is before that too (`paid` false),
 * for a summary that says it is not a ticket.
 */
export async function receiptOf(
  q: Queryable, orderId: string, locale: Locale, opts: { summary?: boolean } = {},
): Promise<{ receipt: Receipt; paid: boolean } | { receipt: null; none: NoReceipt } | null> {
  const { rows } = await q.query(
    `SELECT o.*, p.name AS shop_name, p.address AS shop_address, p.phone AS shop_phone,
       p.legal_name AS shop_legal_name, p.siret AS shop_siret, p.vat_number AS shop_vat_number,
       coalesce(o.delivered_at, o.collected_at, o.updated_at) AS paid_at,
       EXISTS (SELECT 1 FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'captured') AS captured,
       (SELECT json_agg(json_build_object('name', i.name,
                 -- a half-and-half (its name "½ Reine / ½ Margherita") in English: each half's English name
                 'nameEn', CASE WHEN i.halves IS NULL THEN pr.name_en
                   ELSE '½ ' || coalesce(i.halves->'left'->>'nameEn', i.halves->'left'->>'name') || ' / ½ ' || coalesce(i.halves->'right'->>'nameEn', i.halves->'right'->>'name') END,
                 'options', i.options, 'quantity', i.quantity,
                 'unit', i.unit_price_cents, 'vatRate', i.vat_rate) ORDER BY i.id)
        FROM order_items i LEFT JOIN products pr ON pr.id = i.product_id WHERE i.order_id = o.id) AS items
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1`,
    [orderId],
  );
  const o = rows[0];
  if (!o) return null;
  const handedOver = isIn(HANDED_OVER_STATUSES, o.status);
  // money online counts once the card was charged: a hold is not a payment, and one let go never was
  const onlineOnly = o.paid_with === 'online' && !o.captured && !(o.collected_cents > 0);
  if (onlineOnly && o.status === 'cancelled') return { receipt: null, none: 'nothing_charged' };
  const paid = !onlineOnly && o.paid_cents > 0 && (handedOver || o.payment_status === 'paid' || o.payment_status === 'refunded');
  if (!paid && !opts.summary) return { receipt: null, none: 'not_paid' };
  const items = (o.items ?? []) as { name: string; nameEn: string | null; options: { name: string; nameEn: string | null }[]; quantity: number; unit: number; vatRate: string }[];
  const lines = items.map((i) => ({
    name: locale === 'en' && i.nameEn ? i.nameEn : i.name,
    options: optionsLabel(i.options ?? [], locale),
    quantity: i.quantity,
    unitCents: i.unit,
    totalCents: i.unit * i.quantity,
    vatRate: Number(i.vatRate),
  }));
  const cancelled = o.status === 'cancelled';
  // total_cents is what is paid: the items and the delivery fee less a promo code's or loyalty points' discount
  const discount = await discountOf(q, o.id);
  const parts = totalParts(o.total_cents, lines.map((l) => l.totalCents), discount);
  const deliveryFeeCents = cancelled ? 0 : parts.deliveryFeeCents;
  // the VAT taken out of what was paid: each rate's sales less its share of the discount
  const discounted = (discount?.byRate ?? []).map((d) => ({ rate: d.rate, grossCents: -d.cents }));
  const kept = o.paid_cents - o.refunded_cents;
  const payments: Receipt['payments'] = splitPayment({
    status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method, voucher: voucherPart(o.meal_voucher_cents, o.meal_voucher_issuer),
  }).map((p) => ({ method: RECEIPT_METHOD[p.way], amountCents: p.amountCents }));
  const receipt: Receipt = {
    orderId: o.id,
    number: o.number,
    businessDay: o.business_day instanceof Date ? o.business_day.toISOString().slice(0, 10) : String(o.business_day),
    paidAt: new Date(o.paid_at).toISOString(),
    shop: { name: o.shop_name, address: o.shop_address, phone: o.shop_phone, legalName: o.shop_legal_name, siret: o.shop_siret, vatNumber: o.shop_vat_number },
    customer: o.customer_name,
    fulfilment: o.fulfilment,
    lines,
    deliveryFeeCents,
    promo: cancelled ? null : parts.promo,
    loyalty: cancelled ? null : parts.loyalty,
    // what the customer paid in the end: a cancelled order was given back what it was not owed
    totalCents: cancelled ? kept : o.total_cents,
    vat: cancelled ? [] : vatBreakdown([...lines.map((l) => ({ rate: l.vatRate, grossCents: l.totalCents })), { rate: DELIVERY_FEE_VAT_RATE, grossCents: deliveryFeeCents }, ...discounted]),
    payments,
    refundedCents: o.refunded_cents,
    refunds: await doneRefunds(q, o.id),
    netPaidCents: kept,
    cancelled,
    ...(o.training ? { training: true } : {}),
    allergy: o.allergy_allergens?.length || o.allergy_note ? { allergens: sortAllergens(o.allergy_allergens ?? []), note: o.allergy_note ?? null } : null,
  };
  return { receipt, paid };
}

/** A VAT rate as a receipt writes it: "5,5" in French, "5.5" in English. */
export const rateText = (rate: number, locale: Locale): string => String(rate).replace('.', locale === 'fr' ? ',' : '.');

/** The VAT table's total row: excl. VAT, VAT, incl. VAT over every rate. */
export const vatTotals = (vat: readonly VatLine[]) => ({
  netCents: vat.reduce((s, v) => s + v.netCents, 0),
  vatCents: vat.reduce((s, v) => s + v.vatCents, 0),
  grossCents: vat.reduce((s, v) => s + v.grossCents, 0),
});

/** A training shop's mark on its PDF ticket: FACTICE in large red letters, and what it means. */
function factice(doc: PDFKit.PDFDocument, help: string): void {
  doc.font('Helvetica-Bold').fontSize(22).fillColor('#b3261e').text('FACTICE', { align: 'center' }).fillColor('black').font('Helvetica').fontSize(9).text(help, { align: 'center' });
}

/** Under the total, the tips paid by card for the order (never a sale), a tip refunded, then what the card was charged in all. */
const tipLines = (totalCents: number, tips: ReceiptTips): [string, number, boolean][] => [
  ['tips.receiptLine', tips.paidCents, false],
  ...(tips.refundedCents ? [['tips.refundedLine', -tips.refundedCents, false] as [string, number, boolean]] : []),
  [tips.refundedCents ? 'tips.totalCharged' : 'tips.totalWithTip', totalCents + tips.paidCents - tips.refundedCents, true],
];

/**
 * The receipt as a one-page A5 PDF, in the reader's language: a ticket with its mentions and stamp;
 * `tips`, the driver's tips paid by card for the order (never a sale): a line apart under the
 * total, a tip refunded, and the total with them (what the card was charged in the end).
 */
export async function receiptPdf(r: Receipt, locale: Locale, tips: ReceiptTips = { paidCents: 0, refundedCents: 0 }): Promise<Buffer> {
  const { t, price, dateTime } = createI18n(locale);
  // the PDF's built-in fonts have no narrow no-break space: a plain one reads the same
  const money = (cents: number) => price(cents).replace(/[\u202f\u00a0]/g, ' ');
  const text = (s: string) => s.replace(/[\u202f\u00a0]/g, ' ').replace(/’/g, "'");
  const stamp = r.stamp;
  // loaded on the first PDF asked for: most processes never draw one, and it is a large module
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    const title = stamp ? t('receipt.ticketTitle', { ticket: ticketNumber(stamp.ticket) }) : t(r.training ? 'receipt.trainingTitle' : 'receipt.summaryTitle');
    const doc = new PDFDocument({ size: 'A5', margin: 36, info: { Title: text(title), Author: r.shop.legalName ?? r.shop.name } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
    const width = doc.page.width - 72;
    const cols = (cells: string[], widths: number[], opts: { bold?: boolean; size?: number } = {}) => {
      doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(opts.size ?? 10);
      const y = doc.y;
      let x = 36;
      let bottom = y;
      cells.forEach((c, n) => {
        doc.text(text(c), x, y, { width: widths[n], align: n === 0 ? 'left' : 'right' });
        bottom = Math.max(bottom, doc.y);
        x += widths[n];
      });
      doc.y = bottom;
      // the next line starts at the left margin again
      doc.x = 36;
    };
    const row = (left: string, right: string, opts: { bold?: boolean; size?: number } = {}) => cols([left, right], [width - 90, 90], opts);
    const small = (s: string, colour = '#555') => doc.font('Helvetica').fontSize(8).fillColor(colour).text(text(s), 36, doc.y, { width }).fillColor('black');
    doc.font('Helvetica-Bold').fontSize(16).text(r.shop.name);
    doc.font('Helvetica').fontSize(9).text(text([r.shop.address, r.shop.phone].filter(Boolean).join(' · ')));
    if (r.shop.legalName || r.shop.siret || r.shop.vatNumber) {
      if (r.shop.legalName) small(r.shop.legalName);
      small([r.shop.siret && t('receipt.siret', { siret: siretText(r.shop.siret) }), r.shop.vatNumber && t('receipt.vatNumber', { vat: r.shop.vatNumber })].filter(Boolean).join(' · '));
    } else small(t('receipt.legalMissing'), '#b3261e');
    doc.moveDown();
    if (stamp && stamp.copy > 0) {
      doc.font('Helvetica-Bold').fontSize(18).fillColor('#b3261e').text(text(t('receipt.duplicate', { copy: stamp.copy })), { align: 'center' }).fillColor('black');
      small(t('receipt.duplicateNote', { date: dateTime(stamp.issuedAt) }));
      doc.moveDown(0.4);
    }
    doc.font('Helvetica-Bold').fontSize(12).text(text(title));
    if (stamp) doc.font('Helvetica').fontSize(9).text(text(dateTime(stamp.soldAt)));
    else if (r.training) factice(doc, text(t('receipt.trainingHelp')));
    else small(t('receipt.summaryHelp'));
    doc.font('Helvetica').fontSize(9).text(text(t('receipt.orderRef', { number: r.number, fulfilment: t(`fulfilment.${r.fulfilment}`), customer: r.customer })));
    if (r.cancelled) doc.font('Helvetica-Bold').fillColor('#b3261e').text(text(t('receipt.cancelled'))).fillColor('black');
    // the allergies declared, in bold red above the lines: for the customer to check, not a sale line
    if (r.allergy) doc.moveDown(0.3).font('Helvetica-Bold').fontSize(10).fillColor('#b3261e').text(text(declaredAllergiesText(t, r.allergy)), 36, doc.y, { width }).fillColor('black');
    doc.moveDown(0.8);
    for (const l of r.lines) {
      cols([`${l.quantity} × ${l.name}`, t('receipt.vatRateShort', { rate: rateText(l.vatRate, locale) }), money(l.totalCents)], [width - 160, 70, 90]);
      if (l.options) small(l.options);
    }
    if (r.deliveryFeeCents) row(t('basket.deliveryFee'), money(r.deliveryFeeCents));
    if (r.promo) row(t('promo.receiptLine', { code: r.promo.code }), `\u2212${money(r.promo.discountCents)}`);
    if (r.loyalty) row(t('loyalty.receiptLine', { points: r.loyalty.points }), `\u2212${money(r.loyalty.discountCents)}`);
    doc.moveDown(0.4);
    doc.moveTo(36, doc.y).lineTo(36 + width, doc.y).strokeColor('#999').stroke();
    doc.moveDown(0.4);
    row(t('receipt.total'), money(r.totalCents), { bold: true, size: 12 });
    if (tips.paidCents > 0) for (const [words, cents, bold] of tipLines(r.totalCents, tips)) row(t(words), cents < 0 ? `\u2212${money(-cents)}` : money(cents), { bold, size: 10 });
    doc.moveDown(0.6);
    if (r.vat.length) {
      const w = [width - 210, 70, 70, 70];
      cols([t('receipt.vatTable.rate'), t('receipt.vatTable.net'), t('receipt.vatTable.vat'), t('receipt.vatTable.gross')], w, { bold: true, size: 9 });
      for (const v of r.vat) cols([`${rateText(v.rate, locale)} %`, money(v.netCents), money(v.vatCents), money(v.grossCents)], w, { size: 9 });
      const all = vatTotals(r.vat);
      cols([t('receipt.vatTable.total'), money(all.netCents), money(all.vatCents), money(all.grossCents)], w, { bold: true, size: 9 });
      doc.moveDown(0.6);
    }
    for (const p of r.payments) row(t(`receipt.paidWith.${p.method}`), money(p.amountCents), { size: 9 });
    // a manager's refunds one by one (date, reason), the rest given back (a cancel, a smaller order) as one line
    for (const f of r.refunds) row(t('receipt.refundLine', { date: dateTime(f.at), reason: t(`refund.reason.${f.reason}`) }), `\u2212${money(f.amountCents)}`, { size: 9 });
    const otherRefunds = r.refundedCents - r.refunds.reduce((s, f) => s + f.amountCents, 0);
    if (otherRefunds > 0) row(t('receipt.refunded'), `\u2212${money(otherRefunds)}`, { size: 9 });
    if (r.refundedCents) row(t('receipt.netPaid'), money(r.netPaidCents), { bold: true, size: 10 });
    doc.moveDown();
    if (stamp) small(`${t('receipt.signature', { short: stamp.shortSignature })} · ${t('receipt.ticketTitle', { ticket: ticketNumber(stamp.ticket) })}`);
    if (r.software) small(t('receipt.software', { name: r.software.name, version: r.software.version }));
    small(t('receipt.thanks'));
    doc.end();
  });
}
