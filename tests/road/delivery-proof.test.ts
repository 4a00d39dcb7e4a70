// At the door, through the API on real Postgres: delivered only with the customer's PIN or a real
// photo (wrong PINs counted, then only a manager closes it, audited), what was collected; a failed
// delivery back to the shop, where a manager sends it again (a new dispatch) or cancels it.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, addressFor, collect, connectSocket, createShop, move, subscribe, assignDriver } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });
const margherita = seededProduct('margherita');

/** What a phone sends: a real picture of the door (4000×3000, with the phone's metadata). */
const doorPicture = () =>
  sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 120, g: 90, b: 60 } } })
    .withExifMerge({ IFD0: { Make: 'Phone', Model: 'Door camera' } })
    .jpeg()
    .toBuffer();
/** Only a JPEG's first bytes: it says it is a photo, and nothing decodes it. */
const FAKE_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]);

/** A shop, its driver on shift, and an on-delivery order of theirs on the way. */
async function onTheWay(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const driver = await new Client(stack.base).login(shop.email('driver1'));
  await driver.post('/api/driver/shift', { onShift: true });
  const placed = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Jade', phone: '0611223377' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 2 }], payment: 'on_delivery',
  });
  expect(placed.status).toBe(201);
  const manager = await new Client(stack.base).login(shop.email('manager'));
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  await move(kitchen, placed.body.id, 'preparing');
  await move(kitchen, placed.body.id, 'ready');
  expect((await assignDriver(stack.pool, placed.body.id)).assigned).toBe(true);
  await move(driver, placed.body.id, 'out_for_delivery');
  const pin = (await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}`)).body.deliveryPin as string;
  return { shop, driver, manager, id: placed.body.id as string, token: placed.body.trackingToken as string, pin, total: placed.body.total as number };
}
const wrong = (pin: string) => String((Number(pin) + 1) % 10_000).padStart(4, '0');
const status = async (id: string) => (await stack.pool.query('SELECT status, driver_id, proof_kind, collected_cents, collected_method FROM orders WHERE id = $1', [id])).rows[0];

describe('delivered, with proof', () => {
  it('takes the PIN the customer reads and what was collected; refuses without them, and a driver cannot just mark it delivered', async () => {
    const o = await onTheWay('proof-pin');
    expect((await o.driver.post(`/api/orders/${o.id}/status`, { to: 'delivered' })).status).toBe(422);
    const noMoney = await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin } });
    expect(noMoney.status).toBe(422);
    expect(noMoney.body.error.fields.collected).toMatch(/collect .* €/);
    const short = await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin }, collected: { amountCents: o.total - 100, method: 'cash' } });
    expect(short.status).toBe(422);
    expect((await status(o.id)).status).toBe('out_for_delivery');

    const r = await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin }, collected: { amountCents: o.total, method: 'card' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'delivered', delivery: { proof: 'pin', collected: { cents: o.total, method: 'card' } }, payment: { status: 'paid' } });
    expect(await status(o.id)).toMatchObject({ status: 'delivered', proof_kind: 'pin', collected_cents: o.total, collected_method: 'card' });
    // repeated: refused, nothing changes
    expect((await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin }, collected: { amountCents: o.total, method: 'card' } })).status).toBe(409);
  });

  it('takes a real photo of the door as proof, kept re-encoded; refuses what only looks like one', async () => {
    const o = await onTheWay('proof-photo');
    const collected = { amountCents: o.total, method: 'cash' };
    expect((await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { photo: true }, collected })).body.error.fields.proof).toMatch(/photo first/);
    const upload = (body: Buffer, type = 'image/jpeg') =>
      fetch(`${stack.base}/api/orders/${o.id}/photo`, { method: 'POST', headers: { cookie: o.driver.cookie, 'content-type': type }, body: new Uint8Array(body) });
    for (const fake of [Buffer.from([0xff, 0xd8, 0xff, 0xe0]), FAKE_JPEG, Buffer.from('%PDF-1.4 not a photo')]) {
      const r = await upload(fake);
      expect(r.status).toBe(415);
      expect((await r.json()).error.code).toBe('not_an_image');
    }
    // a photo cut short on its way is no photo either
    const picture = await doorPicture();
    expect((await upload(picture.subarray(0, Math.floor(picture.length / 2)))).status).toBe(415);
    expect((await stack.pool.query('SELECT 1 FROM delivery_photos WHERE order_id = $1', [o.id])).rowCount).toBe(0);
    expect((await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { photo: true }, collected })).status).toBe(422);
    expect((await upload(Buffer.concat([FAKE_JPEG, Buffer.alloc(3 * 1024 * 1024)]))).status).toBe(413);

    expect((await upload(picture)).status).toBe(201);
    const r = await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { photo: true }, collected });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.delivery.proof).toBe('photo');
    // the manager can see it for a dispute: a JPEG made here, smaller, without the phone's metadata; another shop's manager cannot
    const photo = await fetch(`${stack.base}/api/orders/${o.id}/photo`, { headers: { cookie: o.manager.cookie } });
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    const kept = Buffer.from(await photo.arrayBuffer());
    expect(kept.equals(picture)).toBe(false);
    const meta = await sharp(kept).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1600, height: 1200 });
    expect((await sharp(picture).metadata()).exif).toBeDefined();
    expect(meta.exif).toBeUndefined();
    const other = await new Client(stack.base).login((await createShop(stack.pool, 'proof-other')).email('manager'));
    expect((await fetch(`${stack.base}/api/orders/${o.id}/photo`, { headers: { cookie: other.cookie } })).status).toBe(404);
  });

  it('after five wrong PINs the driver can no longer close it, not even with a photo: the manager does, and the audit log says so', async () => {
    const o = await onTheWay('proof-locked');
    const collected = { amountCents: o.total, method: 'cash' };
    const managerScreen = await connectSocket(stack.base, { cookie: o.manager.cookie });
    stack.sockets.push(managerScreen);
    await subscribe(managerScreen, { scope: 'shop', pizzeriaId: o.shop.id });
    const seen = collect(managerScreen);
    for (let left = 4; left >= 1; left--) {
      const r = await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: wrong(o.pin) }, collected });
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'wrong_pin', message: `wrong PIN: ${left} tries left` });
    }
    expect((await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: wrong(o.pin) }, collected })).body.error.code).toBe('pin_locked');
    // the manager's screen is told at once
    const lockedEvent = await seen.waitFor((e) => e.order.id === o.id && e.type === 'order.pin_locked');
    expect(lockedEvent.order).toMatchObject({ status: 'out_for_delivery', delivery: { pinLocked: true } });
    // even the right one now: the PIN cannot be guessed by trying them all
    expect((await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin }, collected })).body.error.code).toBe('pin_locked');
    // and a real photo does not get round it
    const upload = await fetch(`${stack.base}/api/orders/${o.id}/photo`, {
      method: 'POST', headers: { cookie: o.driver.cookie, 'content-type': 'image/jpeg' }, body: new Uint8Array(await doorPicture()),
    });
    expect(upload.status).toBe(201);
    const byPhoto = await o.driver.post(`/api/orders/${o.id}/deliver`, { proof: { photo: true }, collected });
    expect(byPhoto.status).toBe(422);
    expect(byPhoto.body.error).toMatchObject({ code: 'pin_locked', message: expect.stringMatching(/manager/) });
    expect((await status(o.id)).status).toBe('out_for_delivery');

    // the manager calls the customer, then closes it: delivered on the manager's word, audited
    // money still owed must be said by the manager too
    expect((await o.manager.post(`/api/orders/${o.id}/deliver`, {})).body.error).toMatchObject({ code: 'invalid', fields: { collected: expect.stringMatching(/owes/) } });
    expect((await status(o.id)).status).toBe('out_for_delivery');
    const r = await o.manager.post(`/api/orders/${o.id}/deliver`, { collected });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'delivered', delivery: { proof: 'manager', collected: { cents: o.total, method: 'cash' } } });
    const { rows } = await stack.pool.query(`SELECT actor, action, pizzeria_id, before, after FROM audit_log WHERE entity = 'order' AND entity_id = $1`, [o.id]);
    expect(rows).toEqual([{
      actor: expect.stringMatching(/\(manager\)$/), action: 'delivery.closed_by_manager', pizzeria_id: o.shop.id,
      before: expect.objectContaining({ status: 'out_for_delivery', wrongPins: 5, pinLocked: true, photo: true }),
      after: expect.objectContaining({ status: 'delivered', proof: 'manager' }),
    }]);
  });

  it('refuses another driver, a customer, and malformed proofs', async () => {
    const o = await onTheWay('proof-who');
    const colleague = await new Client(stack.base).login(o.shop.email('driver2'));
    expect((await colleague.post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin } })).status).toBe(403);
    expect((await new Client(stack.base).post(`/api/orders/${o.id}/deliver`, { proof: { pin: o.pin } })).status).toBe(401);
    for (const body of [{ proof: { pin: '12345' } }, { proof: { pin: 1234 } }, { proof: { photo: 'yes' } }, { proof: { pin: o.pin }, collected: { amountCents: -1, method: 'cash' } }, { proof: { pin: o.pin }, collected: { amountCents: 100, method: 'cheque' } }]) {
      expect((await o.driver.post(`/api/orders/${o.id}/deliver`, body)).status, JSON.stringify(body)).toBe(422);
    }
    expect((await status(o.id)).status).toBe('out_for_delivery');
    // a manager vouches for it when the driver's phone died, saying what was collected
    const r = await o.manager.post(`/api/orders/${o.id}/deliver`, { collected: { amountCents: o.total, method: 'card' } });
    expect(r.status).toBe(200);
    expect(r.body.delivery.proof).toBe('manager');
  });
});

describe('a failed delivery', () => {
  it('comes back to the shop with its reason; the manager sends it out again and dispatch starts over', async () => {
    const o = await onTheWay('failed-retry');
    const watcher = await connectSocket(stack.base, { cookie: o.manager.cookie });
    stack.sockets.push(watcher);
    await subscribe(watcher, { scope: 'shop', pizzeriaId: o.shop.id });
    const seen = collect(watcher);
    expect((await o.driver.post(`/api/orders/${o.id}/failed`, { reason: 'moved' })).status).toBe(422);
    const r = await o.driver.post(`/api/orders/${o.id}/failed`, { reason: 'absent', note: 'Nobody at the door, phone off' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'ready', driver: null, delivery: { awaitingDecision: true, attempts: 1, failure: { reason: 'absent', note: 'Nobody at the door, phone off' } } });
    await seen.waitFor((e) => e.order.id === o.id && e.order.delivery.awaitingDecision);
    // nobody assigns it while the shop decides, and the driver cannot take it out again
    expect((await assignDriver(stack.pool, o.id)).assigned).toBe(false);
    expect((await o.driver.post(`/api/orders/${o.id}/status`, { to: 'out_for_delivery' })).status).toBe(403);
    expect((await o.driver.post(`/api/orders/${o.id}/redeliver`, {})).status).toBe(403);

    const again = await o.manager.post(`/api/orders/${o.id}/redeliver`, {});
    expect(again.status).toBe(200);
    expect(again.body.delivery.awaitingDecision).toBe(false);
    await seen.waitFor((e) => e.order.id === o.id && e.type === 'order.redelivery');
    expect((await assignDriver(stack.pool, o.id)).assigned).toBe(true);
    // a second decision on the same failure is refused
    expect((await o.manager.post(`/api/orders/${o.id}/redeliver`, {})).status).toBe(409);
  });

  it('or the manager cancels it (the stock was used); a ready order that never failed cannot be cancelled that way', async () => {
    const o = await onTheWay('failed-cancel');
    await o.driver.post(`/api/orders/${o.id}/failed`, { reason: 'refused' });
    const c = await o.manager.post(`/api/orders/${o.id}/status`, { to: 'cancelled' });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body).toMatchObject({ status: 'cancelled', cancelReason: 'delivery_failed', delivery: { awaitingDecision: false, failure: { reason: 'refused' } } });

    const shop = await createShop(stack.pool, 'failed-never');
    const placed = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Jade', phone: '0611223377' }, address: addressFor(shop.id),
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.post(`/api/orders/${placed.body.id}/status`, { to: 'cancelled' })).status).toBe(409);
    // a driver cannot bring it "back" without a failure either
    expect((await manager.post(`/api/orders/${placed.body.id}/failed`, { reason: 'absent' })).status).toBe(409);
  });
});
