import type { Logger } from 'pino';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { ShopStatus } from '../src/lib/shapes/views.ts';
import { getPizzeria, rememberShop } from '../src/lib/server/shops/catalogue.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { createPgListener } from '../src/lib/server/events/pg-listener.ts';
import { printerStatusOf } from '../src/lib/server/printing/index.ts';
import { lowStock } from '../src/lib/server/stock/stock.ts';
import type { HubServer } from './hub-types.ts';
import { tellLowRating } from './rating-alerts.ts';
import { tellDriverMoney } from './driver-money.ts';
import { tellVoucherRefused } from './voucher-alerts.ts';

/** Low-stock checks of a shop are made at most this often, however many orders and deliveries. */
const CHECK_EVERY_MS = 250;

/** A shop's printer failing, or working again: its kitchen screens show it (and its managers, head office). */
async function tellPrinter(opts: { io: HubServer; db: Db; log: Logger }, shop: number) {
  try {
    const status = await printerStatusOf(opts.db, shop);
    if (status) opts.io.local.to([roomFor.kitchen(shop), roomFor.shop(shop), roomFor.hq()]).emit('printer:status', status);
  } catch (err) {
    opts.log.warn({ err, shop }, 'printer status push failed');
  }
}

/**
 * A shop's settings change (Postgres notifies `shop_changed`): its storefronts and screens are told.
 * A shop's stock changes (a delivery, a count: Postgres notifies `stock_changed`; an order placed,
 * changed or cancelled: the relay says so). Each hub then refreshes that shop's open menus and,
 * when the list of its ingredients at or under their low threshold changes, tells its kitchen,
 * shop and head-office screens (`stock:low`), to its own sockets only, like the order events.
 * A low rating (`rating_low`), a driver's money (`driver_money`) and a titre-restaurant refused at
 * its capture (`voucher_refused`) ride on the same listener.
 */
export async function watchStock(opts: { io: HubServer; db: Db; databaseUrl: string; log: Logger; refreshMenu: (shop: number) => void }) {
  const { io, db, log } = opts;
  const known = new Map<number, string>();
  const due = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function check() {
    const shops = [...due];
    due.clear();
    timer = null;
    for (const shop of shops) {
      try {
        const low = await lowStock(db, shop);
        const key = low.map((l) => `${l.ingredientId}:${l.free}`).join(',');
        if (known.get(shop) === key) continue;
        known.set(shop, key);
        io.local.to([roomFor.kitchen(shop), roomFor.shop(shop), roomFor.hq()]).emit('stock:low', { pizzeriaId: shop, low });
      } catch (err) {
        log.warn({ err, shop }, 'low-stock check failed');
      }
    }
  }
  function touched(shop: number) {
    if (closed) return;
    due.add(shop);
    timer ??= setTimeout(() => void check(), CHECK_EVERY_MS);
  }

  const listener = createPgListener(opts.databaseUrl, 'ocpizza-hub');
  listener.events.on('error', (err: unknown) => log.error({ err }, 'stock listener error'));
  listener.events.on('notification', (n: { channel?: string; payload?: unknown }) => {
    // a low rating names its order, not a shop
    if (n.channel === 'rating_low') return void tellLowRating(opts, String(n.payload));
    // a driver's money names its driver, or the shop whose pay rule changed
    if (n.channel === 'driver_money') return void tellDriverMoney(opts, String(n.payload));
    // a titre-restaurant refused names its order
    if (n.channel === 'voucher_refused') return void tellVoucherRefused(opts, String(n.payload));
    const shop = Number(n.payload);
    if (!Number.isInteger(shop) || shop <= 0) return;
    if (n.channel === 'shop_changed') return void tellShop(shop);
    if (n.channel === 'printer_changed') return void tellPrinter(opts, shop);
    if (n.channel !== 'stock_changed') return;
    opts.refreshMenu(shop);
    touched(shop);
  });
  // a shop's settings (paused online orders, hours) reach its open storefronts and screens at once
  async function tellShop(shop: number) {
    rememberShop(shop);
    try {
      const p = await getPizzeria(db, shop);
      if (!p) return;
      const status: ShopStatus = { pizzeriaId: p.id, name: p.name, onlinePaused: p.onlinePaused, busyMinutes: p.busyMinutes, openingHours: p.openingHours, phone: p.phone };
      io.local.to([roomFor.menu(shop), roomFor.kitchen(shop), roomFor.shop(shop), roomFor.hq()]).emit('shop:status', status);
    } catch (err) {
      log.warn({ err, shop }, 'shop status push failed');
    }
  }
  // notifications sent while the connection was down are lost: look again at every shop seen
  listener.events.on('connected', () => {
    for (const shop of known.keys()) {
      opts.refreshMenu(shop);
      touched(shop);
    }
  });
  await listener.connect();
  await listener.listenTo('stock_changed');
  await listener.listenTo('shop_changed');
  await listener.listenTo('printer_changed');
  await listener.listenTo('rating_low');
  await listener.listenTo('driver_money');
  await listener.listenTo('voucher_refused');

  return {
    touched,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await listener.close();
    },
  };
}
