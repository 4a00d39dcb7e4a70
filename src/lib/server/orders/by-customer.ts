// What the customer does with the tracking link: cancel, or change the lines until the kitchen starts.
import { customerCanChange, discountFixesLines } from '../../domain/order-states.ts';
import { type LineRequest } from '../../domain/pricing.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import { getOrderIdByToken, lockOrder } from './read.ts';
import { type Publishing, recordEvent } from './record.ts';
import { reserve, releaseReservation, priceAndCheck, pizzaCount, insertItems } from './lines.ts';
import { type OrderLimits, clientKeys, lockClient, checkClientHolding, checkUnpaidShare, itemCount } from './limits.ts';
import { advanceOrder } from './move.ts';
import { heldAhead } from '../../domain/unpaid-holds.ts';
import { claimSlot, ovenMinutesOf } from './slots.ts';

export async function cancelByToken(dbp: Db, token: string, publishing: Publishing = {}) {
  const id = await getOrderIdByToken(dbp, token);
  if (!id) throw notFound('order');
  return advanceOrder(dbp, { kind: 'customer' }, id, 'cancelled', undefined, { announce: publishing.announce });
}

export async function modifyByToken(
  dbp: Db, token: string, items: LineRequest[], expectedVersion?: number, limits?: OrderLimits, publishing: Publishing = {},
) {
  const id = await getOrderIdByToken(dbp, token);
  if (!id) throw notFound('order');
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, id);
    if (o.status === 'cancelled') throw conflict('already_cancelled', 'this order was cancelled');
    if (!customerCanChange(o.status)) throw conflict('too_late', 'the kitchen has already started this order');
    // its promo code or its points were judged on the basket it was placed with (minimum, free product, uses, the pizza given)
    if (discountFixesLines(o.discount_cents)) throw conflict('promo_order_fixed', 'an order placed with a promo code or loyalty points cannot be changed: cancel it and order again');
    if (expectedVersion !== undefined && expectedVersion !== o.version) {
      throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
    }
    // an order awaiting payment (online, or at the door far ahead) grows only within its client's
    // allowance and the shop's share; its client is locked before any stock row, as placing an order
    // does (else the two wait for each other)
    const ahead = !!limits && o.channel === 'online' && o.status === 'received' && o.payment_status === 'due' && !o.fired_at
      && heldAhead(o.fire_at ? new Date(o.fire_at).getTime() : null, Date.now(), limits.aheadHours);
    const unpaid = (o.status === 'pending_payment' || ahead) && limits;
    const who = clientKeys(o.client_address, o.customer_phone, o.customer_email);
    if (unpaid) await lockClient(tx, who);
    await releaseReservation(tx, id);
    const check = await priceAndCheck(tx, o.pizzeria_id, items, o.fulfilment);
    const { priced } = check;
    if (unpaid) await checkClientHolding(tx, who, itemCount(priced.lines), limits, id, ahead);
    await tx.query('DELETE FROM order_items WHERE order_id = $1', [id]);
    await insertItems(tx, id, priced.lines);
    await reserve(tx, id, o.pizzeria_id, check);
    if (unpaid) await checkUnpaidShare(tx, o.pizzeria_id, check, limits, ahead);
    // an order for later that grows must still fit its slot (the load read holds what it had: the
    // slot has that much more room for it)
    const ovenMinutes = ovenMinutesOf(priced.lines, check.catalogue);
    if (o.wanted_at && ovenMinutes > Number(o.oven_minutes)) {
      const { rows: shop } = await tx.query<{ c: number }>('SELECT oven_minutes_per_slot AS c FROM pizzerias WHERE id = $1', [o.pizzeria_id]);
      await claimSlot(tx, { id: o.pizzeria_id, ovenMinutesPerSlot: shop[0].c + Number(o.oven_minutes) }, new Date(o.slot_at), ovenMinutes);
    }
    // an online payment still pending is asked again for the new total (the earlier attempt's
    // confirmation no longer counts), with the same deadline: the expiry counts from when the order
    // first awaited payment, so changing it does not keep its stock held any longer. A paid order
    // keeps its payment, and the difference shows as amount due (collected at the door) or refund
    // due (refunded by the workers)
    const restartPayment = o.status === 'pending_payment' && o.payment_method === 'online';
    await tx.query(
      `UPDATE orders SET total_cents = $2, pizzas = $3, oven_minutes = $4, version = version + 1
         ${restartPayment ? ', payment_attempt = payment_attempt + 1' : ''}
       WHERE id = $1`,
      [id, priced.totalCents, pizzaCount(priced.lines), ovenMinutes],
    );
    return recordEvent(tx, id, 'order.modified', { kind: 'customer' }, publishing);
  });
}
