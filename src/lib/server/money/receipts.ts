// The receipt of a paid order: its lines with their options, the delivery fee, the VAT per rate
// as it was charged (order_items.vat_rate), and how it was paid; as data (the web page) and as a
// PDF (pdfkit), in French or English. Only once the order is paid: handed over, or paid online
// and captured. A card only held and let go (cancelled before the kitchen started) took no money:
// it gets no receipt at all.
import PDFDocument from 'pdfkit';
import { splitPayment, type PaymentWay } from '../../domain/payment-split.ts';
import { DELIVERY_FEE_VAT_RATE, vatBreakdown, type VatLine } from '../../domain/vat.ts';
import { totalParts } from '../../domain/total-parts.ts';
import { createI18n, type Locale } from '../../i18n/index.ts';
import { optionsLabel } from '../../line-options.ts';
import type { Queryable } from '../db.ts';
import { HANDED_OVER_STATUSES, isIn, type Fulfilment } from '../../domain/order-states.ts';
import type { RefundMethod, RefundReason } from '../../domain/refunds.ts';
import { doneRefunds } from './refund-reads.ts';
import { discountOf } from '../promos.ts';

type ReceiptMethod = 'online' | 'cash' | 'card' | 'counter_cash' | 'counter_card' | 'phone' | 'counter';
// the receipt's names (receipt.paidWith.*): cash and card alone are the door's, as before
const RECEIPT_METHOD: Record<PaymentWay, ReceiptMethod> = {
  online: 'online', door_cash: 'cash', door_card: 'card', counter_cash: 'counter_cash', counter_card: 'counter_card', phone: 'phone', unrecorded: 'counter',
};

export interface Receipt {
  orderId: string;
  number: number;
  businessDay: string;
  paidAt: string;
  shop: { name: string; address: string; phone: string | null };
  customer: string;
  fulfilment: Fulfilment;
  lines: { name: string; options: string; quantity: number; unitCents: number; totalCents: number; vatRate: number }[];
  deliveryFeeCents: number;
  /** A promo code's discount (src/lib/server/promos.ts), off the items; the VAT is on what was paid. */
  promo: { code: string; discountCents: number } | null;
  /** Loyalty points spent on it (src/lib/server/loyalty.ts): a pizza free, off the items like a code. */
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
}

/** Why an order has no receipt: not paid yet (it may come), or cancelled with nothing ever taken (it never will). */
export type NoReceipt = 'not_paid' | 'nothing_charged';

export async function receiptOf(q: Queryable, orderId: string, locale: Locale): Promise<{ receipt: Receipt } | { receipt: null; none: NoReceipt } | null> {
  const { rows } = await q.query(
    `SELECT o.*, p.name AS shop_name, p.address AS shop_address, p.phone AS shop_phone,
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
  if (!paid) return { receipt: null, none: 'not_paid' };
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
    status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method,
  }).map((p) => ({ method: RECEIPT_METHOD[p.way], amountCents: p.amountCents }));
  const receipt: Receipt = {
    orderId: o.id,
    number: o.number,
    businessDay: o.business_day instanceof Date ? o.business_day.toISOString().slice(0, 10) : String(o.business_day),
    paidAt: new Date(o.paid_at).toISOString(),
    shop: { name: o.shop_name, address: o.shop_address, phone: o.shop_phone },
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
  };
  return { receipt };
}

/** The receipt as a one-page A5 PDF, in the reader's language. */
export function receiptPdf(r: Receipt, locale: Locale): Promise<Buffer> {
  const { t, price, dateTime } = createI18n(locale);
  // the PDF's built-in fonts have no narrow no-break space: a plain one reads the same
  const money = (cents: number) => price(cents).replace(/[\u202f\u00a0]/g, ' ');
  const text = (s: string) => s.replace(/[\u202f\u00a0]/g, ' ');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A5', margin: 36, info: { Title: text(t('receipt.title', { number: r.number })), Author: r.shop.name } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const width = doc.page.width - 72;
    const row = (left: string, right: string, opts: { bold?: boolean; size?: number } = {}) => {
      doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(opts.size ?? 10);
      const y = doc.y;
      doc.text(text(left), 36, y, { width: width - 90 });
      const after = doc.y;
      doc.text(text(right), 36 + width - 90, y, { width: 90, align: 'right' });
      doc.y = Math.max(after, doc.y);
      // the next line starts at the left margin again
      doc.x = 36;
    };
    doc.font('Helvetica-Bold').fontSize(16).text(r.shop.name);
    doc.font('Helvetica').fontSize(9).text(text([r.shop.address, r.shop.phone].filter(Boolean).join(' · ')));
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(12).text(text(t('receipt.title', { number: r.number })));
    doc.font('Helvetica').fontSize(9).text(text(`${dateTime(r.paidAt)} · ${t(`fulfilment.${r.fulfilment}`)} · ${r.customer}`));
    if (r.cancelled) doc.font('Helvetica-Bold').fillColor('#b3261e').text(text(t('receipt.cancelled'))).fillColor('black');
    doc.moveDown(0.8);
    for (const l of r.lines) {
      row(`${l.quantity} × ${l.name}`, money(l.totalCents));
      if (l.options) doc.font('Helvetica').fontSize(8).fillColor('#555').text(text(l.options), { width: width - 90 }).fillColor('black');
    }
    if (r.deliveryFeeCents) row(t('basket.deliveryFee'), money(r.deliveryFeeCents));
    if (r.promo) row(t('promo.receiptLine', { code: r.promo.code }), `\u2212${money(r.promo.discountCents)}`);
    if (r.loyalty) row(t('loyalty.receiptLine', { points: r.loyalty.points }), `\u2212${money(r.loyalty.discountCents)}`);
    doc.moveDown(0.4);
    doc.moveTo(36, doc.y).lineTo(36 + width, doc.y).strokeColor('#999').stroke();
    doc.moveDown(0.4);
    row(t('receipt.total'), money(r.totalCents), { bold: true, size: 12 });
    doc.moveDown(0.6);
    for (const v of r.vat) row(t('receipt.vatLine', { rate: String(v.rate).replace('.', locale === 'fr' ? ',' : '.'), net: money(v.netCents) }), money(v.vatCents), { size: 9 });
    doc.moveDown(0.6);
    for (const p of r.payments) row(t(`receipt.paidWith.${p.method}`), money(p.amountCents), { size: 9 });
    // a manager's refunds one by one (date, reason), the rest given back (a cancel, a smaller order) as one line
    for (const f of r.refunds) row(t('receipt.refundLine', { date: dateTime(f.at), reason: t(`refund.reason.${f.reason}`) }), `\u2212${money(f.amountCents)}`, { size: 9 });
    const otherRefunds = r.refundedCents - r.refunds.reduce((s, f) => s + f.amountCents, 0);
    if (otherRefunds > 0) row(t('receipt.refunded'), `\u2212${money(otherRefunds)}`, { size: 9 });
    if (r.refundedCents) row(t('receipt.netPaid'), money(r.netPaidCents), { bold: true, size: 10 });
    doc.moveDown();
    doc.font('Helvetica').fontSize(8).fillColor('#555').text(text(t('receipt.thanks')));
    doc.end();
  });
}
