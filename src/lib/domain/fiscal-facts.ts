// What the fiscal journal must say about an order, from the order as it is and what the journal
// already says of it: the entries still to write. The journal follows the money as the day's
// takings count it (src/lib/server/money/takings.ts), so the journal of a day adds up to its takings:
//
// - sold (as a receipt says: not cancelled, paid, and handed over or paid ahead and captured): one
//   sale, with its lines, the delivery fee, a discount (promo code or points) per rate, the VAT per
//   rate, and what was taken so far by way (payment-split.ts); if what it was sold for changes
//   after (an order reduced after its capture), a correction with the difference per rate; a sold
//   order cancelled, a cancellation taking the sale back. A cancelled order that had taken money
//   the journal never saw sold (sold and cancelled between two looks) gets its sale, then its
//   cancellation: the journal shows both.
// - money taken after the sale (a hold captured after the handover, the rest collected at the door):
//   a payment, by way; a way may go down, a correction, with a negative amount.
// - a manager's refund done (src/lib/server/money/refund-request.ts): a refund, a credit note with
//   the VAT it gives back per rate, by how the money went back (online, or cash at the shop).
// - any other money given back (a cancelled order refunded, change given on a reduced order): a
//   refund of money only (the VAT went with the cancellation or the correction).
//
// Each fact has a key of its own, so writing it twice is one entry. What was written before is
// never changed: everything is a new entry, referring to the sale it corrects.
import { HANDED_OVER_STATUSES, isIn } from './order-states.ts';
import { PAYMENT_WAYS, splitPayment, type CollectedMethod, type PaymentWay } from './payment-split.ts';
import type { MealVoucherIssuer } from './meal-vouchers.ts';
import { DELIVERY_FEE_VAT_RATE, vatBreakdown } from './vat.ts';
import { rateBp, type CanonicalValue, type EntryKind } from './fiscal-chain.ts';

/** How money went back: through the payment provider to the card, or cash at the shop. */
export type RefundVia = 'online' | 'cash';

export interface FiscalLine {
  name: string;
  /** Its options, as the receipt writes them. */
  options: string;
  quantity: number;
  unitCents: number;
  /** VAT rate in percent (5.5, 10, 20). */
  vatRate: number;
}

export interface FiscalRefund {
  id: number;
  amountCents: number;
  method: 'provider' | 'cash';
  reason: string;
  /** The manager's words beside the reason, if any (on the credit note). */
  note?: string | null;
  /** What it gives back per VAT rate, taxes included. */
  vat: { rate: number; grossCents: number }[];
  lines: { itemId: number; quantity: number; cents: number }[] | null;
  at: string;
  operator: string;
}

/** An order's money as the journal reads it (src/lib/server/fiscal/order-facts.ts). */
export interface FiscalOrder {
  id: string;
  pizzeriaId: number;
  number: number;
  businessDay: string;
  fulfilment: string;
  channel: string;
  status: string;
  paymentStatus: string;
  /** The order's version when read: the key of a correction made at it. */
  version: number;
  totalCents: number;
  discountCents: number;
  paidCents: number;
  refundedCents: number;
  /** 'marketplace': paid to a delivery platform (the order's payment_method), which pays the shop. */
  paidWith: 'online' | 'cash' | 'card' | 'phone' | 'marketplace' | null;
  collectedCents: number | null;
  collectedMethod: CollectedMethod | null;
  /** A titre-restaurant's part, its issuer's own way. */
  voucher?: { issuer: MealVoucherIssuer; cents: number } | null;
  cancelReason: string | null;
  /** What the provider captured, and refunded (payment_movements). */
  capturedCents: number;
  onlineRefundedCents: number;
  lines: FiscalLine[];
  discount: { kind: string; code: string | null; points: number | null; cents: number; byRate: { rate: number; cents: number }[] } | null;
  /** Managers' refunds done that gave money back, oldest first. */
  refunds: FiscalRefund[];
  times: {
    /** When it became sold: handed over, captured, or marked paid. */
    soldAt: string;
    /** When money was last taken. */
    paidAt: string;
    cancelledAt: string | null;
    refundedAt: string | null;
    changedAt: string;
  };
  /** Who made the change that brought it here (the event's actor), when known. */
  operator: string | null;
}

/** What the journal already holds of an order (summed from its entries). */
export interface JournaledOrder {
  saleSeq: number | null;
  /** Sales per rate (basis points), taxes included: the sale, its corrections and cancellation. */
  salesByRate: Map<number, number>;
  taken: Map<PaymentWay, number>;
  givenBack: Map<RefundVia, number>;
  refundIds: Set<number>;
}

/** An entry to write: its place in the chain, the time it is written and its signature come when it is appended. */
export interface FactDraft {
  kind: EntryKind;
  sourceKey: string;
  occurredAt: string;
  operator: string;
  orderId: string;
  /** `ref` is added when appended: the sale it refers to ({ seq }), or null when there is none. */
  body: { [key: string]: CanonicalValue };
  refersToSale: boolean;
  salesCents: number;
  vatCents: number;
  moneyCents: number;
}

/** The entries of one order already in the journal, as read back. */
export interface JournaledEntry {
  seq: number;
  kind: string;
  body: Record<string, any>;
}

export const nothingJournaled = (): JournaledOrder => ({ saleSeq: null, salesByRate: new Map(), taken: new Map(), givenBack: new Map(), refundIds: new Set() });

const add = <K>(m: Map<K, number>, k: K, v: number) => {
  const next = (m.get(k) ?? 0) + v;
  if (next) m.set(k, next);
  else m.delete(k);
};

/** Folds one entry's body into what the journal holds of its order. */
function absorb(j: JournaledOrder, kind: string, seq: number | null, body: Record<string, any>): void {
  if (kind === 'sale' && j.saleSeq === null) j.saleSeq = seq;
  if (kind === 'sale' || kind === 'sale_correction' || kind === 'cancellation') {
    for (const v of body.vat ?? []) add(j.salesByRate, v.rateBp, v.grossCents);
  }
  for (const p of body.payments ?? []) add(j.taken, p.way, p.cents);
  for (const r of body.refunds ?? []) add(j.givenBack, r.via, r.cents);
  if (typeof body.refundId === 'number') j.refundIds.add(body.refundId);
}

/** What the journal holds of an order, from its entries (in their order). */
export function journaledOf(entries: readonly JournaledEntry[]): JournaledOrder {
  const j = nothingJournaled();
  for (const e of entries) absorb(j, e.kind, e.seq, e.body);
  return j;
}

/** Sold as the takings count it; a cancelled order, if it took money it was sold for before its cancel. */
export function wasSold(o: FiscalOrder): boolean {
  const paidUp = o.paymentStatus === 'paid' || o.paymentStatus === 'refunded';
  if (o.status !== 'cancelled') return o.paidCents > 0 && (isIn(HANDED_OVER_STATUSES, o.status) || paidUp);
  const tookMoney = o.paidWith === 'online' ? o.capturedCents > 0 : o.paidCents > 0;
  return tookMoney && paidUp;
}

/** What the order sells for, per rate (basis points), taxes included: the lines, the delivery fee, less the discount as it was spread. */
export function saleByRate(o: FiscalOrder): Map<number, number> {
  const items = o.lines.reduce((s, l) => s + l.unitCents * l.quantity, 0);
  const gross = [
    ...o.lines.map((l) => ({ rate: l.vatRate, grossCents: l.unitCents * l.quantity })),
    { rate: DELIVERY_FEE_VAT_RATE, grossCents: deliveryFeeOf(o, items) },
    ...(o.discount?.byRate ?? []).map((d) => ({ rate: d.rate, grossCents: -d.cents })),
  ];
  const by = new Map<number, number>();
  for (const g of gross) add(by, rateBp(g.rate), g.grossCents);
  return by;
}

const deliveryFeeOf = (o: FiscalOrder, itemsCents: number) => Math.max(0, o.totalCents + o.discountCents - itemsCents);

/** What was taken by way, and given back by how, as the takings count it. */
export function moneyOf(o: FiscalOrder): { taken: Map<PaymentWay, number>; givenBack: Map<RefundVia, number> } {
  const taken = new Map<PaymentWay, number>();
  // paid to a delivery platform: the platform's money, until it cancels (then it gives it back to its customer itself)
  if (o.paidWith === 'marketplace') {
    if (o.status !== 'cancelled') add(taken, 'marketplace', o.paidCents);
    return { taken, givenBack: new Map() };
  }
  const parts = splitPayment({ status: o.status, paidCents: o.paidCents, paidWith: o.paidWith, collectedCents: o.collectedCents, collectedMethod: o.collectedMethod, voucher: o.voucher });
  // online, what the provider took (a hold is no money taken); any other way, what the order records
  for (const p of parts) if (p.way !== 'online') add(taken, p.way, p.amountCents);
  if (o.paidWith === 'online') add(taken, 'online', o.capturedCents);
  const givenBack = new Map<RefundVia, number>();
  if (o.paidWith === 'online') {
    add(givenBack, 'online', o.onlineRefundedCents);
    // what the counter or the driver collected on top, given back in cash by a manager
    add(givenBack, 'cash', o.refunds.filter((r) => r.method === 'cash').reduce((s, r) => s + r.amountCents, 0));
  } else {
    // paid at the shop: what the card terminal or a QR code at the door took went back to the card
    // through the provider (refund-parts.ts), the rest in cash
    const toCard = o.refunds.filter((r) => r.method === 'provider').reduce((s, r) => s + r.amountCents, 0);
    add(givenBack, 'online', toCard);
    add(givenBack, 'cash', o.refundedCents - toCard);
  }
  return { taken, givenBack };
}

/** VAT lines (basis points) of gross amounts per rate: the VAT taken out once per rate, as on a receipt (vat.ts). */
function vatLines(byRate: Map<number, number>) {
  return vatBreakdown([...byRate].map(([bp, grossCents]) => ({ rate: bp / 100, grossCents }))).map((v) => ({
    rateBp: rateBp(v.rate), netCents: v.netCents, vatCents: v.vatCents, grossCents: v.grossCents,
  }));
}

/** `want` less `have`, rate by rate (nothing where they agree). */
function difference<K>(want: Map<K, number>, have: Map<K, number>): Map<K, number> {
  const d = new Map<K, number>();
  for (const k of new Set([...want.keys(), ...have.keys()])) add(d, k, (want.get(k) ?? 0) - (have.get(k) ?? 0));
  return d;
}

const waysIn = (m: Map<PaymentWay, number>) => PAYMENT_WAYS.filter((w) => m.get(w)).map((way) => ({ way, cents: m.get(way)! }));
const viasIn = (m: Map<RefundVia, number>) => (['online', 'cash'] as const).filter((v) => m.get(v)).map((via) => ({ via, cents: m.get(via)! }));
const sum = (xs: { cents: number }[]) => xs.reduce((s, x) => s + x.cents, 0);

function orderRef(o: FiscalOrder) {
  return { id: o.id, number: o.number, businessDay: o.businessDay, fulfilment: o.fulfilment, channel: o.channel };
}

function saleContent(o: FiscalOrder) {
  const items = o.lines.reduce((s, l) => s + l.unitCents * l.quantity, 0);
  return {
    lines: o.lines.map((l) => ({ name: l.name, options: l.options, quantity: l.quantity, unitCents: l.unitCents, totalCents: l.unitCents * l.quantity, rateBp: rateBp(l.vatRate) })),
    deliveryFeeCents: deliveryFeeOf(o, items),
    discount: o.discount
      ? { kind: o.discount.kind, code: o.discount.code, points: o.discount.points, cents: o.discount.cents, byRate: o.discount.byRate.map((d) => ({ rateBp: rateBp(d.rate), cents: d.cents })) }
      : null,
    totalCents: o.totalCents,
  };
}

/** A draft with its totals worked out from its body. */
function draft(o: FiscalOrder, d: Omit<FactDraft, 'orderId' | 'salesCents' | 'vatCents' | 'moneyCents' | 'operator'> & { operator?: string }): FactDraft {
  const vat = (d.body.vat ?? []) as { vatCents: number; grossCents: number }[];
  const payments = (d.body.payments ?? []) as { cents: number }[];
  const refunds = (d.body.refunds ?? []) as { cents: number }[];
  return {
    ...d,
    operator: d.operator ?? o.operator ?? 'system',
    orderId: o.id,
    body: { order: orderRef(o), ...d.body },
    salesCents: vat.reduce((s, v) => s + v.grossCents, 0),
    vatCents: vat.reduce((s, v) => s + v.vatCents, 0),
    moneyCents: sum(payments) - sum(refunds),
  };
}

/** The entries the journal still lacks for this order, in the order to write them. */
export function factsOf(o: FiscalOrder, journaled: JournaledOrder): FactDraft[] {
  const j: JournaledOrder = {
    saleSeq: journaled.saleSeq, salesByRate: new Map(journaled.salesByRate), taken: new Map(journaled.taken),
    givenBack: new Map(journaled.givenBack), refundIds: new Set(journaled.refundIds),
  };
  const out: FactDraft[] = [];
  const push = (f: FactDraft) => {
    out.push(f);
    absorb(j, f.kind, f.kind === 'sale' ? 0 : null, f.body as Record<string, any>);
  };
  const money = moneyOf(o);
  const sold = wasSold(o);
  const hasSale = () => j.saleSeq !== null;

  if (sold && !hasSale()) {
    // the sale as the order was sold: with a cancelled order, its lines as they stood
    const payments = waysIn(difference(money.taken, j.taken)).filter((p) => p.cents > 0);
    push(draft(o, {
      kind: 'sale', sourceKey: `sale:${o.id}`, occurredAt: o.times.soldAt, refersToSale: false,
      body: { ...saleContent(o), vat: vatLines(saleByRate(o)), payments },
    }));
  }
  if (hasSale()) {
    const want = o.status === 'cancelled' ? new Map<number, number>() : saleByRate(o);
    const delta = difference(want, j.salesByRate);
    if (delta.size && o.status === 'cancelled') {
      push(draft(o, { kind: 'cancellation', sourceKey: `cancellation:${o.id}`, occurredAt: o.times.cancelledAt ?? o.times.changedAt, refersToSale: true, body: { reason: o.cancelReason, vat: vatLines(delta) } }));
    } else if (delta.size) {
      push(draft(o, { kind: 'sale_correction', sourceKey: `sale-correction:${o.id}:v${o.version}`, occurredAt: o.times.changedAt, refersToSale: true, body: { ...saleContent(o), vat: vatLines(delta) } }));
    }
  }
  for (const r of o.refunds) {
    if (j.refundIds.has(r.id)) continue;
    const vat = new Map<number, number>();
    for (const v of r.vat) add(vat, rateBp(v.rate), -v.grossCents);
    push(draft(o, {
      kind: 'refund', sourceKey: `refund:${r.id}`, occurredAt: r.at, operator: r.operator, refersToSale: true,
      // a credit note: its reason (and the manager's note), what it gives back per rate, and (ref) the sale it corrects
      body: { refundId: r.id, creditNote: true, reason: r.reason, note: r.note ?? null, lines: r.lines, vat: vatLines(vat), refunds: [{ via: r.method === 'provider' ? 'online' : 'cash', cents: r.amountCents }] },
    }));
  }
  const payments = waysIn(difference(money.taken, j.taken));
  if (payments.length) {
    const online = payments.every((p) => p.way === 'online');
    push(draft(o, { kind: 'payment', sourceKey: `payment:${o.id}:v${o.version}`, occurredAt: o.times.paidAt, operator: online ? 'online' : undefined, refersToSale: true, body: { payments } }));
  }
  const givenBack = viasIn(difference(money.givenBack, j.givenBack));
  if (givenBack.length) {
    push(draft(o, {
      kind: 'refund', sourceKey: `refund:${o.id}:v${o.version}`, occurredAt: o.times.refundedAt ?? o.times.changedAt, refersToSale: true,
      body: { refundId: null, reason: o.status === 'cancelled' ? 'cancelled' : 'adjusted', lines: null, vat: [], refunds: givenBack },
    }));
  }
  return out;
}
