import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { createPgListener } from '../src/lib/server/events/pg-listener.ts';
import { addJob, jobId, type Queues } from '../src/lib/server/kernel/queues.ts';

/** A shop's changes are gathered this long before its stores are told (a rush's orders: one job a shop and period). */
export const PLATFORM_GATHER_MS = 300;
/** How often the shops with a platform store are read again (a store connected in the back office). */
const STORES_EVERY_MS = 5_000;
/**
 * How often every shop with a store is looked at even when nothing moved: a sold-out still true on
 * a new day is told again (sync.ts), within this of midnight, before Deliveroo's morning stock reset.
 */
export const SOLD_OUT_SWEEP_MS = 15 * 60_000;

/**
 * What the platforms are to hear of a shop, noticed by the process that follows the events: its
 * stock moved (an order placed, changed or cancelled: the reactor says so; a delivery, a count, a
 * product off tonight: Postgres notifies `stock_changed`) or its levers moved (busy minutes, online
 * orders paused: `shop_changed`), and every shop with a store every SOLD_OUT_SWEEP_MS (a sold-out
 * lasting into a new day). Each becomes a job for its shop (jobs ids a shop and second,
 * removed once done), which tells each store only what changed since it was last told: within a
 * second or two of the change.
 */
export async function watchForPlatforms(opts: {
  db: Db;
  databaseUrl: string;
  queues: Pick<Queues, 'marketplaces'>;
  log: Logger;
  /** Whether this process looks after a shop (its event partition is this process's: event-partitions.ts); absent: every shop. */
  owns?: (shop: number) => boolean;
}) {
  const { db, queues, log } = opts;
  let withStores = new Set<number>();
  let readAt = 0;
  async function shopsWithStores(): Promise<Set<number>> {
    if (Date.now() - readAt < STORES_EVERY_MS) return withStores;
    const { rows } = await db.query<{ pizzeria_id: number }>('SELECT DISTINCT pizzeria_id FROM marketplace_stores WHERE enabled');
    withStores = new Set(rows.map((r) => r.pizzeria_id));
    readAt = Date.now();
    return withStores;
  }
  const due = { availability: new Set<number>(), status: new Set<number>() };
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  async function flush() {
    timer = null;
    // a shop not known to have a store: read again (one just connected in the back office)
    if ([...due.availability, ...due.status].some((s) => !withStores.has(s))) readAt = 0;
    const shops = await shopsWithStores().catch(() => withStores);
    const at = Date.now();
    for (const kind of ['availability', 'status'] as const) {
      for (const shop of [...due[kind]]) {
        due[kind].delete(shop);
        if (!shops.has(shop)) continue;
        const id = kind === 'availability' ? jobId.marketplaceAvailability(shop, at) : jobId.marketplaceStatus(shop, at);
        await addJob(queues.marketplaces, kind, { pizzeriaId: shop }, { jobId: id, removeOnComplete: true }).catch((err) => log.warn({ err, shop }, 'platform sync not queued'));
      }
    }
  }
  function touched(shop: number, kind: 'availability' | 'status' = 'availability') {
    if (closed || !(opts.owns?.(shop) ?? true)) return;
    due[kind].add(shop);
    timer ??= setTimeout(() => void flush(), PLATFORM_GATHER_MS);
  }
  const listener = createPgListener(opts.databaseUrl, 'ocpizza-workers');
  listener.events.on('error', (err: unknown) => log.warn({ err }, 'platform watch listener error'));
  listener.events.on('notification', (n: { channel?: string; payload?: unknown }) => {
    const shop = Number(n.payload);
    if (!Number.isInteger(shop) || shop <= 0) return;
    if (n.channel === 'stock_changed') touched(shop, 'availability');
    if (n.channel === 'shop_changed') touched(shop, 'status');
  });
  // notifications lost while the connection was down: every shop with a store looked at again
  listener.events.on('connected', () => {
    readAt = 0;
    void shopsWithStores().then((shops) => shops.forEach((s) => (touched(s, 'availability'), touched(s, 'status'))), () => undefined);
  });
  await listener.connect();
  await listener.listenTo('stock_changed');
  await listener.listenTo('shop_changed');
  const sweep = setInterval(() => void shopsWithStores().then((shops) => shops.forEach((s) => touched(s, 'availability')), () => undefined), SOLD_OUT_SWEEP_MS);
  sweep.unref();
  return {
    touched,
    async close() {
      closed = true;
      clearInterval(sweep);
      if (timer) clearTimeout(timer);
      await listener.close();
    },
  };
}
