import type { Logger } from 'pino';
import { roomFor } from '../src/lib/realtime/contract.ts';
import { getMenuAvailability } from '../src/lib/server/shops/catalogue.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import type { HubServer } from './hub-types.ts';

/**
 * Live menus are refreshed at most this often per shop: a burst of orders costs one availability
 * query and one broadcast per shop per period, however many orders and open storefronts.
 */
const MENU_REFRESH_MS = 250;

/**
 * The storefronts' open menus, kept live: when a shop's stock changes (an order placed, changed or
 * cancelled, a delivery, a count), what it has on sale is sent again to its menus on this hub, off
 * the relay's path and coalesced per shop.
 */
export function createLiveMenus(opts: { io: HubServer; db: Db; log: Logger }) {
  const { io, db, log } = opts;
  const due = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function refresh() {
    const shops = [...due];
    due.clear();
    try {
      for (const shop of shops) io.local.to(roomFor.menu(shop)).emit('menu:availability', await getMenuAvailability(db, shop));
    } catch (err) {
      log.warn({ err }, 'menu availability refresh failed');
      for (const shop of shops) due.add(shop);
    } finally {
      timer = null;
      if (due.size && !closed) timer = setTimeout(() => void refresh(), MENU_REFRESH_MS);
    }
  }

  return {
    /** The shop's stock changed: its open menus (if any here) get what is on sale within MENU_REFRESH_MS. */
    stockChanged(shop: number) {
      if (closed || (io.sockets.adapter.rooms.get(roomFor.menu(shop))?.size ?? 0) === 0) return;
      due.add(shop);
      timer ??= setTimeout(() => void refresh(), MENU_REFRESH_MS);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      due.clear();
    },
  };
}
