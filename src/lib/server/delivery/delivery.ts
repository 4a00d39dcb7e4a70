// At the door: the proof of delivery (the PIN the customer reads, or a photo), what was collected,
// a failed delivery and the shop's decision after it.
import type { DeliverRequest, FailedRequest } from '../../shapes/order-requests.ts';
import { MAX_PIN_ATTEMPTS } from '../../domain/delivery-proof.ts';
import type { OrderView } from '../../shapes/views.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../kernel/errors.ts';
import { imageType } from '../shops/media.ts';
import { advanceOrder, canActOnShop, lockOrder, recordEvent, type StaffActor } from '../orders/index.ts';
import { can, may } from '../../domain/permissions.ts';

export { MAX_PIN_ATTEMPTS };
export const MAX_PHOTO_BYTES = 3 * 1024 * 1024;
/** A door photo is kept at most this wide or high (enough to read a door number), re-encoded as JPEG. */
export const PHOTO_MAX_SIDE = 1600;
/** Larger pictures are refused before they are decoded (a 48 MP phone camera is under it). */
const PHOTO_MAX_PIXELS = 60_000_000;

const pinLocked = () =>
  new AppError(422, 'pin_locked', 'too many wrong PINs: only a manager can close this delivery now', {
    fields: { proof: 'too many wrong PINs: call your manager, who closes this delivery' },
  });

async function wrongPins(q: Queryable, orderId: string): Promise<number> {
  const { rows } = await q.query<{ wrong: number }>('SELECT wrong FROM delivery_pin_attempts WHERE order_id = $1', [orderId]);
  return rows[0]?.wrong ?? 0;
}


/** The driver (or a manager) says the order was handed over, with the proof and what was collected. */
export async function deliverOrder(
  db: Db,
  actor: StaffActor,
  orderId: string,
  req: DeliverRequest,
): Promise<{ order: OrderView }> {
  if (may(actor.role, can.runShop)) return closeByManager(db, actor, orderId, req);
  let proof: 'pin' | 'photo' | undefined;
  if (req.proof && 'pin' in req.proof) {
    await checkPin(db, actor, orderId, req.proof.pin);
    proof = 'pin';
  } else if (req.proof && 'photo' in req.proof) {
    if ((await wrongPins(db, orderId)) >= MAX_PIN_ATTEMPTS) throw pinLocked();
    const { rows } = await db.query('SELECT 1 FROM delivery_photos WHERE order_id = $1', [orderId]);
    if (!rows[0]) throw invalid({ proof: 'take the photo first' }, 'no photo of this delivery yet');
    proof = 'photo';
  }
  return advanceOrder(db, actor, orderId, 'delivered', req.version, { proof, collected: req.collected });
}

/**
 * A manager vouches for a delivery the driver cannot prove (the PIN locked, the phone died): the
 * order is delivered with the manager as its proof, and the audit log keeps who did it, when, and
 * how the door went (wrong PINs, a photo or not), in the same transaction as the move.
 */
async function closeByManager(
  db: Db,
  actor: StaffActor,
  orderId: string,
  req: Pick<DeliverRequest, 'version' | 'collected'>,
): Promise<{ order: OrderView }> {
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw forbidden('not your shop');
    // money still owed is said by the manager too: the shift's cash must add up
    const due = Number(o.amount_due_cents);
    if (due > 0 && !req.collected) throw invalid({ collected: `the customer owes ${(due / 100).toFixed(2)} €: say how it was collected (cash or card)` }, 'say what was collected');
    if (req.collected && req.collected.amountCents < due) throw invalid({ 'collected.amountCents': `the customer owes ${(due / 100).toFixed(2)} €` }, 'less than what is owed');
    const wrong = await wrongPins(tx, orderId);
    const { rows: photo } = await tx.query('SELECT 1 FROM delivery_photos WHERE order_id = $1', [orderId]);
    // a move is one statement on whatever connection it is given: here the transaction's, so the
    // move and its audit row stand or fall together
    const moved = await advanceOrder(tx as unknown as Db, actor, orderId, 'delivered', req.version, { collected: req.collected });
    await audit(tx, actor, {
      action: 'delivery.closed_by_manager',
      entity: 'order',
      entityId: orderId,
      pizzeriaId: o.pizzeria_id,
      before: { status: o.status, number: o.number, driverId: o.driver_id, wrongPins: wrong, pinLocked: wrong >= MAX_PIN_ATTEMPTS, photo: !!photo[0] },
      after: { status: moved.order.status, proof: moved.order.delivery.proof, collected: moved.order.delivery.collected },
    });
    return moved;
  });
}

/** Checks the PIN against the order's, counting wrong ones (the count survives the refusal). */
async function checkPin(db: Db, actor: StaffActor, orderId: string, pin: string) {
  const outcome = await transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id) || (may(actor.role, can.drive) && o.driver_id !== actor.id)) throw forbidden('this delivery is not yours');
    if (o.status !== 'out_for_delivery') return 'not_on_the_way';
    const { rows } = await tx.query<{ wrong: number }>('SELECT wrong FROM delivery_pin_attempts WHERE order_id = $1', [orderId]);
    const wrong = rows[0]?.wrong ?? 0;
    if (wrong >= MAX_PIN_ATTEMPTS) return 'locked';
    if (o.delivery_pin === pin) return 'ok';
    await tx.query(
      `INSERT INTO delivery_pin_attempts (order_id, wrong) VALUES ($1, 1) ON CONFLICT (order_id) DO UPDATE SET wrong = delivery_pin_attempts.wrong + 1`,
      [orderId],
    );
    if (wrong + 1 >= MAX_PIN_ATTEMPTS) {
      // the last try: the order changes (its view says the PIN locked), so the manager's screen is told at once
      await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
      await recordEvent(tx, orderId, 'order.pin_locked', actor);
    }
    return MAX_PIN_ATTEMPTS - wrong - 1;
  });
  if (outcome === 'ok' || outcome === 'not_on_the_way') return; // the move itself says why it cannot be made
  if (outcome === 'locked' || outcome === 0) throw pinLocked();
  throw new AppError(422, 'wrong_pin', `wrong PIN: ${outcome} tries left`, { fields: { 'proof.pin': `wrong PIN: ask the customer again (${outcome} tries left)` } });
}


/**
 * A door photo as it is kept: decoded, turned upright, at most PHOTO_MAX_SIDE a side, re-encoded as
 * JPEG (its metadata, GPS included, left behind). Anything that does not decode as a whole picture
 * is refused: a photo proves a delivery only if it is one.
 */
export async function doorPhoto(bytes: Buffer): Promise<Buffer> {
  if (!bytes.length) throw invalid({ photo: 'no photo' });
  if (bytes.length > MAX_PHOTO_BYTES) throw new AppError(413, 'too_large', `a photo of at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB`);
  if (!imageType(bytes)) throw new AppError(415, 'not_an_image', 'a JPEG, PNG or WebP photo');
  try {
    // loaded on the first door photo: most processes never take one
    const { default: sharp } = await import('sharp');
    return await sharp(bytes, { limitInputPixels: PHOTO_MAX_PIXELS })
      .rotate()
      .resize(PHOTO_MAX_SIDE, PHOTO_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 80 })
      .toBuffer();
  } catch {
    throw new AppError(415, 'not_an_image', 'the photo could not be read: take it again');
  }
}

/** Keeps the photo a driver took at the door (one per order: a new one replaces it while on the way). */
export async function savePhoto(db: Db, actor: StaffActor, orderId: string, upload: Buffer) {
  if (!may(actor.role, can.drive)) throw forbidden('the driver at the door takes the photo');
  const bytes = await doorPhoto(upload);
  const type = 'image/jpeg';
  const { rowCount } = await db.query(
    `INSERT INTO delivery_photos (order_id, driver_id, content_type, bytes)
     SELECT o.id, $2, $3, $4 FROM orders o WHERE o.id = $1 AND o.driver_id = $2 AND o.status = 'out_for_delivery'
     ON CONFLICT (order_id) DO UPDATE SET bytes = EXCLUDED.bytes, content_type = EXCLUDED.content_type, taken_at = now()`,
    [orderId, actor.id, type, bytes],
  );
  if (!rowCount) throw conflict('not_on_the_way', 'only the driver carrying this order can add its photo');
}

export async function getPhoto(db: Db, actor: StaffActor, orderId: string) {
  const { rows } = await db.query<{ content_type: string; bytes: Buffer; pizzeria_id: number }>(
    'SELECT p.content_type, p.bytes, o.pizzeria_id FROM delivery_photos p JOIN orders o ON o.id = p.order_id WHERE p.order_id = $1',
    [orderId],
  );
  if (!rows[0] || !canActOnShop(actor, rows[0].pizzeria_id) || !may(actor.role, can.runShop)) throw notFound('photo');
  return rows[0];
}

/** The driver could not hand it over: the order goes back to the shop, which decides. */
export function failDelivery(db: Db, actor: StaffActor, orderId: string, req: FailedRequest) {
  return advanceOrder(db, actor, orderId, 'ready', req.version, { failure: { reason: req.reason, note: req.note } });
}

/** The manager's decision after a failed delivery: out again (a new dispatch). Cancelling is a status move. */
export async function redeliver(db: Db, actor: StaffActor, orderId: string, version?: number): Promise<{ order: OrderView }> {
  if (!may(actor.role, can.runShop)) throw forbidden('a manager decides what happens to a failed delivery');
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw forbidden('not your shop');
    if (version !== undefined && version !== o.version) throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
    if (!o.awaiting_decision) throw conflict('not_allowed', 'this order is not waiting for a decision');
    await tx.query('UPDATE orders SET awaiting_decision = false, version = version + 1 WHERE id = $1', [orderId]);
    return recordEvent(tx, orderId, 'order.redelivery', actor);
  });
}
