// Refunds a manager grants on a paid order (a shop's manager on their shop's orders, head office on
// any): part or all of what is left of the payment, with a reason, once.
//
// The refund is a row first (order_refunds, pending), written with the order locked, so two
// refunds at once cannot give back more than was paid, and a request repeated under the same
// Idempotency-Key answers the same row. Paid online, the money goes back through the payment
// provider: the row's event ('order.refund_requested') has the workers call it, under an idempotency
// key of the row (`refund-<id>`), so however often the job runs the provider refunds it once; its
// answer marks the row done (a payment movement, the order's refunded amount) or failed, with the
// reason, for the manager to see. Paid at the door or the counter, it is cash given back at once,
// but for what the shop's card terminal or a QR code at the door took: the provider recorded that
// payment, so it goes back to the same card through the provider, as an online one does.
// An order paid in two ways (online, then what it grew by collected at the counter or the door) is
// refunded the way each part came, each part at most what it took: one request makes a row per way
// (the card's part first, then the shop's, unless the manager names one way), under one key.
//
// What may be refunded: refund-parts.ts; the money given back: refund-settling.ts.
import type { OrderView } from '../../shapes/views.ts';
import { grossByRate, proRataByRate, unitsRefundCents, type GrossAtRate, type RefundMethod } from '../../domain/refunds.ts';
import type { RefundRequest } from '../../shapes/refund-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { conflict, invalid } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { recordEvent } from '../orders/record.ts';
import { CANNOT, checkPaid, checkRefunder, leftByRate, linesOf, type OrderMoney, orderMoney, paidOfLines, partsOf, refundableOfParts, type RefundPart, type RefundRow, type RefundView, viewOf } from './refund-parts.ts';
import { settle } from './refund-settling.ts';
import { HANDED_OVER_STATUSES, isIn } from '../../domain/order-states.ts';

/**
 * A manager refunds part or all of a paid order. A repeat of the same Idempotency-Key (the same
 * request) answers the refund it made, and moves no money again; the same key for another request
 * is refused. Cash is given back at once; a refund through the provider is pending until the
 * workers have its answer.
 */
export async function requestRefund(
  dbp: Db,
  actor: StaffActor,
  orderId: string,
  request: RefundRequest,
  idempotency: { key: string; requestHash: string } | null,
): Promise<{ refund: RefundView; refunds: RefundView[]; repeated: boolean; order: OrderView | null }> {
  return transaction(dbp, async (tx) => {
    // the order locked: a second refund of it waits here, then counts this one
    const o = await orderMoney(tx, orderId);
    checkRefunder(actor, o.pizzeria_id);
    if (idempotency) {
      const { rows } = await tx.query<RefundRow>('SELECT * FROM order_refunds WHERE idempotency_key = $1 ORDER BY id', [idempotency.key]);
      if (rows[0]) {
        if (rows[0].order_id !== orderId || rows[0].request_hash !== idempotency.requestHash) {
          throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for another refund: use a new key for a new refund');
        }
        return { refund: viewOf(rows[0]), refunds: rows.map(viewOf), repeated: true, order: null };
      }
    }
    // lines that cost nothing but the free pizza give back its points: possible once the order was handed over, whatever is left of its money
    if (!request.lines || !isIn(HANDED_OVER_STATUSES, o.status)) checkPaid(o);
    const parts = o.paid_cents > 0 ? await partsOf(tx, o) : [];
    const lines = await linesOf(tx, orderId);
    const { amount, vat, chosen } = await amountOfRequest(tx, o, orderId, request, lines);
    const plan = amount > 0 ? planParts(parts, amount, request.method) : [{ method: parts.find((p) => !p.why)?.method ?? ('cash' as const), cents: 0 }];
    const made: RefundRow[] = [];
    const shares = shareVat(vat, plan.map((p) => p.cents));
    for (const [i, p] of plan.entries()) {
      const { rows } = await tx.query<RefundRow>(
        `INSERT INTO order_refunds (order_id, pizzeria_id, amount_cents, reason, note, method, lines, vat, requested_by, requested_by_name, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [orderId, o.pizzeria_id, p.cents, request.reason, request.note ?? null, p.method, chosen && i === 0 ? JSON.stringify(chosen) : null, JSON.stringify(shares[i]),
          actor.id, `${actor.name} (${actor.role})`, idempotency?.key ?? null, idempotency?.requestHash ?? null],
      );
      made.push(rows[0]);
    }
    await audit(tx, actor, {
      action: 'order.refund',
      entity: 'order',
      entityId: orderId,
      pizzeriaId: o.pizzeria_id,
      before: { paidCents: o.paid_cents, refundedCents: o.refunded_cents },
      after: {
        refundId: Number(made[0].id), number: o.number, amountCents: amount, reason: request.reason, note: request.note ?? null, method: made[0].method, lines: chosen,
        parts: made.map((r) => ({ refundId: Number(r.id), method: r.method, amountCents: r.amount_cents })),
      },
    });
    let order: OrderView | null = null;
    // cash is given back now, and so is a free pizza (no money moves); the card's part waits for the provider
    for (const row of made) if (row.method === 'cash' || row.amount_cents === 0) order = await settle(tx, o, row, { provider: null, reference: null });
    if (made.some((r) => r.method === 'provider' && r.amount_cents > 0)) {
      await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
      order = (await recordEvent(tx, orderId, 'order.refund_requested', actor)).order;
    }
    const { rows: now } = await tx.query<RefundRow>('SELECT * FROM order_refunds WHERE id = ANY($1) ORDER BY id', [made.map((r) => r.id)]);
    return { refund: viewOf(now[0]), refunds: now.map(viewOf), repeated: false, order };
  });
}

/**
 * What a request gives back: for the lines chosen, what was paid for them (after the order's
 * discount) at their rates; for an amount, that amount shared over what is left at each rate.
 */
async function amountOfRequest(
  tx: Tx,
  o: OrderMoney,
  orderId: string,
  request: RefundRequest,
  lines: Awaited<ReturnType<typeof linesOf>>,
): Promise<{ amount: number; vat: GrossAtRate[]; chosen: RefundView['lines'] }> {
  if (!request.lines) {
    const amount = request.amountCents!;
    return { amount, vat: proRataByRate(amount, await leftByRate(tx, o, lines)), chosen: null };
  }
  const { paid, rewardItemId } = await paidOfLines(tx, orderId, lines);
  const chosen = request.lines.map((asked, i) => {
    const line = lines.find((l) => l.id === asked.itemId);
    if (!line) throw invalid({ [`lines.${i}.itemId`]: 'not a line of this order' });
    const left = line.quantity - line.refunded;
    if (asked.quantity > left) {
      throw conflict('line_already_refunded', `${line.name}: ${left} of ${line.quantity} left to refund`, { fields: { [`lines.${i}.quantity`]: `at most ${left}` } });
    }
    // what was paid for these units, after the order's discount
    return { itemId: line.id, quantity: asked.quantity, cents: unitsRefundCents(paid.get(line.id)!, line.quantity, line.refunded, asked.quantity) };
  });
  const amount = chosen.reduce((s, l) => s + l.cents, 0);
  const vat = grossByRate(chosen.map((l) => ({ rate: lines.find((x) => x.id === l.itemId)!.vatRate, grossCents: l.cents })));
  // a free pizza refunded gives back its points, and no money
  if (amount <= 0 && !chosen.some((l) => l.itemId === rewardItemId)) throw conflict('nothing_to_refund', 'these lines cost nothing after the order\'s discount');
  if (amount > 0) checkPaid(o);
  return { amount, vat, chosen };
}

/**
 * How a refund of `amount` goes back: by the way asked (that part alone, at most what is left of it),
 * or, none asked, the card's part first, then the shop's. Refused with the reason when it cannot.
 */
function planParts(parts: readonly RefundPart[], amount: number, asked: RefundMethod | undefined): { method: RefundMethod; cents: number }[] {
  if (asked) {
    const part = parts.find((p) => p.method === asked);
    if (!part) {
      const ways = [...new Set(parts.filter((p) => !p.why).map((p) => (p.method === 'provider' ? 'to the card, through the payment provider' : 'in cash')))];
      throw conflict('wrong_method', `this order's payment goes back ${ways.join(' or ') || 'no way'}`, { fields: { method: `not paid this way` } });
    }
    if (part.why) throw conflict(part.why, CANNOT[part.why]);
    if (amount > part.refundableCents) {
      throw conflict('over_refundable', `at most ${part.refundableCents} cents can still be refunded this way on this order`, { fields: { amountCents: `at most ${part.refundableCents}` } });
    }
    return [{ method: asked, cents: amount }];
  }
  const usable = parts.filter((p) => !p.why);
  if (!usable.length) throw conflict(parts[0].why!, CANNOT[parts[0].why!]);
  const refundable = refundableOfParts(usable);
  if (amount > refundable) {
    throw conflict('over_refundable', `at most ${refundable} cents can still be refunded on this order`, { fields: { amountCents: `at most ${refundable}` } });
  }
  const plan: { method: RefundMethod; cents: number }[] = [];
  let left = amount;
  for (const p of usable) {
    const cents = Math.min(left, p.refundableCents);
    if (cents > 0) plan.push({ method: p.method, cents });
    left -= cents;
  }
  return plan;
}

/** A request's amount shared between the ways it goes back, with its VAT shared the same way (adding up per rate). */
function shareVat(vat: GrossAtRate[], shares: number[]): GrossAtRate[][] {
  const left = new Map(vat.map((v) => [v.rate, v.grossCents]));
  return shares.map((cents, i) => {
    if (i === shares.length - 1) return [...left].filter(([, g]) => g > 0).map(([rate, grossCents]) => ({ rate, grossCents }));
    const part = proRataByRate(cents, [...left].map(([rate, grossCents]) => ({ rate, grossCents })));
    for (const p of part) left.set(p.rate, left.get(p.rate)! - p.grossCents);
    return part;
  });
}
