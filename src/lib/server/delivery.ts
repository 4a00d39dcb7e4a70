// At the door: the proof of delivery (the PIN the customer reads, or a photo), what was collected,
// a failed delivery and the shop's decision after it.
import type { FailureReason, OrderView } from '../realtime/contract.ts';
import { transaction, type Db } from './db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from './errors.ts';
import { advanceOrder, canActOnShop, lockOrder, recordEvent, type StaffActor } from './orders.ts';

/** Wrong PINs allowed per order; then the driver proves it with a photo (or a manager vouches). */
export const MAX_PIN_ATTEMPTS = 5;
export const MAX_PHOTO_BYTES = 3 * 1024 * 1024;

export type DeliveryProof = { pin: string } | { photo: true };

/** The driver (or a manager) says the order was handed over, with the proof and what was collected. */
export async function deliverOrder(
  db: Db,
  actor: StaffActor,
  orderId: string,
  req: { version?: number; proof?: DeliveryProof; collected?: { amountCents: number; method: 'cash' | 'card' } },
): Promise<{ order: OrderView }> {
  let proof: 'pin' | 'photo' | undefined;
  if (req.proof && 'pin' in req.proof) {
    await checkPin(db, actor, orderId, req.proof.pin);
    proof = 'pin';
  } else if (req.proof && 'photo' in req.proof) {
    const { rows } = await db.query('SELECT 1 FROM delivery_photos WHERE order_id = $1', [orderId]);
    if (!rows[0]) throw invalid({ proof: 'take the photo first' }, 'no photo of this delivery yet');
    proof = 'photo';
  }
  return advanceOrder(db, actor, orderId, 'delivered', req.version, { proof, collected: req.collected });
}

/** Checks the PIN against the order's, counting wrong ones (the count survives the refusal). */
async function checkPin(db: Db, actor: StaffActor, orderId: string, pin: string) {
  const outcome = await transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id) || (actor.role === 'driver' && o.driver_id !== actor.id)) throw forbidden('this delivery is not yours');
    if (o.status !== 'out_for_delivery') return 'not_on_the_way';
    const { rows } = await tx.query<{ wrong: number }>('SELECT wrong FROM delivery_pin_attempts WHERE order_id = $1', [orderId]);
    const wrong = rows[0]?.wrong ?? 0;
    if (wrong >= MAX_PIN_ATTEMPTS) return 'locked';
    if (o.delivery_pin === pin) return 'ok';
    await tx.query(
      `INSERT INTO delivery_pin_attempts (order_id, wrong) VALUES ($1, 1) ON CONFLICT (order_id) DO UPDATE SET wrong = delivery_pin_attempts.wrong + 1`,
      [orderId],
    );
    return MAX_PIN_ATTEMPTS - wrong - 1;
  });
  if (outcome === 'ok' || outcome === 'not_on_the_way') return; // the move itself says why it cannot be made
  if (outcome === 'locked' || outcome === 0) {
    throw new AppError(422, 'pin_locked', 'too many wrong PINs: take a photo at the door instead', { fields: { 'proof.pin': 'too many wrong PINs: take a photo instead' } });
  }
  throw new AppError(422, 'wrong_pin', `wrong PIN: ${outcome} tries left`, { fields: { 'proof.pin': `wrong PIN: ask the customer again (${outcome} tries left)` } });
}

/** What a photo's first bytes say it is (its declared type is not trusted). */
export function imageType(bytes: Buffer): 'image/jpeg' | 'image/png' | 'image/webp' | null {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length > 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

/** Keeps the photo a driver took at the door (one per order: a new one replaces it while on the way). */
export async function savePhoto(db: Db, actor: StaffActor, orderId: string, bytes: Buffer) {
  if (actor.role !== 'driver') throw forbidden('the driver at the door takes the photo');
  if (!bytes.length) throw invalid({ photo: 'no photo' });
  if (bytes.length > MAX_PHOTO_BYTES) throw new AppError(413, 'too_large', `a photo of at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB`);
  const type = imageType(bytes);
  if (!type) throw new AppError(415, 'not_an_image', 'a JPEG, PNG or WebP photo');
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
  if (!rows[0] || !canActOnShop(actor, rows[0].pizzeria_id) || !['manager', 'admin'].includes(actor.role)) throw notFound('photo');
  return rows[0];
}

/** The driver could not hand it over: the order goes back to the shop, which decides. */
export function failDelivery(db: Db, actor: StaffActor, orderId: string, req: { reason: FailureReason; note?: string; version?: number }) {
  return advanceOrder(db, actor, orderId, 'ready', req.version, { failure: { reason: req.reason, note: req.note } });
}

/** The manager's decision after a failed delivery: out again (a new dispatch). Cancelling is a status move. */
export async function redeliver(db: Db, actor: StaffActor, orderId: string, version?: number): Promise<{ order: OrderView }> {
  if (!['manager', 'admin'].includes(actor.role)) throw forbidden('a manager decides what happens to a failed delivery');
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw forbidden('not your shop');
    if (version !== undefined && version !== o.version) throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
    if (!o.awaiting_decision) throw conflict('not_allowed', 'this order is not waiting for a decision');
    await tx.query('UPDATE orders SET awaiting_decision = false, version = version + 1 WHERE id = $1', [orderId]);
    return recordEvent(tx, orderId, 'order.redelivery', actor);
  });
}
