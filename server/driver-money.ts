// A driver's money reaches their phone live: Postgres notifies `driver_money` when a delivery of
// theirs is made, a tip is shared to them or moves (paid, refunded), or their shop's pay rule is set
// (db/migrations/0100_driver_money_notices.sql); each hub tells its own sockets in the driver's room
// ('driver:money'), and the phone reads its earnings and tips again. Like the order events, every
// hub hears Postgres, so nothing crosses hubs twice.
import type { Logger } from 'pino';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import type { HubServer } from './hub-types.ts';

/** 'driver:<id>' or 'shop:<id>' (the notice's payload); anything else is not a notice of ours. */
const NOTICE = /^(driver|shop):([1-9]\d{0,9})$/;

export async function tellDriverMoney(opts: { io: HubServer; db: Db; log: Logger }, payload: string): Promise<void> {
  const m = NOTICE.exec(payload);
  if (!m) return;
  const id = Number(m[2]);
  if (m[1] === 'driver') return void opts.io.local.to(roomFor.driver(id)).emit('driver:money');
  try {
    // a shop's pay rule: its own drivers and those lent to it
    const { rows } = await opts.db.query<{ id: number }>(
      `SELECT id FROM users WHERE role = 'driver' AND (pizzeria_id = $1 OR lent_to = $1)`, [id],
    );
    if (rows.length) opts.io.local.to(rows.map((r) => roomFor.driver(r.id))).emit('driver:money');
  } catch (err) {
    opts.log.warn({ err, shop: id }, 'driver money push failed');
  }
}
