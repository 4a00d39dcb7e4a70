// Shops in the back office: head office opens a shop and keeps its name, address and spot,
// delivery zone, opening hours (and days closed) and target preparation time; a shop's manager
// (or head office) pauses and resumes its online orders during a rush. Each change is audited and
// tells every hub (shop_changed), which tells the open storefronts and screens at once.
import { DEFAULT_OVEN_MINUTES_PER_SLOT } from '../../domain/slots.ts';
import type { ShopSettingsRequest } from '../../shapes/back-office-requests.ts';
import type { OpeningHours, Weekday } from '../../domain/opening-hours.ts';
import { audit } from '../kernel/audit.ts';
import { getPizzeria, type Pizzeria } from './catalogue.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { can, mayFor, runsChain } from '../../domain/permissions.ts';

/** The opening hours a form describes; null when no day has a span (open at any hour). */
export function hoursFrom(req: ShopSettingsRequest): OpeningHours | null {
  const week: OpeningHours['week'] = {};
  for (const d of [1, 2, 3, 4, 5, 6, 7] as Weekday[]) {
    const spans = req[`hours${d}` as const];
    if (spans?.length) week[d] = spans;
  }
  if (!Object.keys(week).length) return null;
  return { week, ...(req.closedOn?.length ? { closedOn: req.closedOn } : {}) };
}

/** A shop's opening hours as the form shows them: a day's spans "11:30-14:30, 18:00-23:30". */
export function hoursToForm(h: OpeningHours | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of [1, 2, 3, 4, 5, 6, 7] as Weekday[]) out[`hours${d}`] = (h?.week[d] ?? []).map(([a, b]) => `${a}-${b}`).join(', ');
  out.closedOn = (h?.closedOn ?? []).join(', ');
  return out;
}

const settingsRow = (req: ShopSettingsRequest) => [
  req.name,
  req.address,
  req.lat,
  req.lng,
  req.phone || null,
  req.deliveryRadiusM,
  req.deliveryPolygon ? JSON.stringify(req.deliveryPolygon) : null,
  // no hours at all is SQL NULL (open at any hour), not a JSON null
  ((h) => (h ? JSON.stringify(h) : null))(hoursFrom(req)),
  req.prepTargetMinutes ? req.prepTargetMinutes * 60 : null,
  req.startTargetMinutes ? req.startTargetMinutes * 60 : null,
  req.handoverTargetMinutes ? req.handoverTargetMinutes * 60 : null,
  req.ovenMinutesPerSlot ?? DEFAULT_OVEN_MINUTES_PER_SLOT,
  req.halfAndHalfPricing ?? 'dearer',
  req.allergyReadFirst ?? false,
  req.crossContactFr ?? null,
  req.crossContactEn ?? null,
];

export async function updateShop(db: Db, actor: StaffActor, id: number, req: ShopSettingsRequest): Promise<Pizzeria> {
  if (!runsChain(actor)) throw forbidden("head office keeps the shops' settings");
  return transaction(db, async (tx) => {
    const before = await getPizzeria(tx, id);
    if (!before) throw notFound('pizzeria');
    await tx.query('SELECT 1 FROM pizzerias WHERE id = $1 FOR UPDATE', [id]);
    await tx.query(
      `UPDATE pizzerias SET name = $2, address = $3, lat = $4, lng = $5, phone = $6, delivery_radius_m = $7, delivery_polygon = $8::jsonb,
         opening_hours = $9::jsonb, prep_target_seconds = $10,
         start_target_seconds = $11, handover_target_seconds = $12, oven_minutes_per_slot = $13, half_and_half_pricing = $14,
         allergy_read_first = $15, cross_contact_fr = $16, cross_contact_en = $17 WHERE id = $1`,
      [id, ...settingsRow(req)],
    );
    const after = (await getPizzeria(tx, id))!;
    await audit(tx, actor, { action: 'shop.update', entity: 'shop', entityId: id, pizzeriaId: id, before, after });
    return after;
  });
}

/** A new shop, with a stock row for every ingredient (empty until its first delivery). */
export async function createShopSettings(db: Db, actor: StaffActor, req: ShopSettingsRequest & { slug: string; training?: boolean }): Promise<Pizzeria> {
  if (!runsChain(actor)) throw forbidden('head office opens shops');
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO pizzerias (slug, name, address, lat, lng, phone, delivery_radius_m, delivery_polygon, opening_hours, prep_target_seconds,
         start_target_seconds, handover_target_seconds, oven_minutes_per_slot, half_and_half_pricing, allergy_read_first, cross_contact_fr, cross_contact_en, training)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [req.slug, ...settingsRow(req), req.training ?? false],
    );
    if (!rows[0]) throw conflict('slug_taken', 'another shop has this short name', { fields: { slug: 'already used' } });
    await tx.query('INSERT INTO stock (pizzeria_id, ingredient_id, on_hand) SELECT $1, id, 0 FROM ingredients', [rows[0].id]);
    const after = (await getPizzeria(tx, rows[0].id))!;
    await audit(tx, actor, { action: 'shop.create', entity: 'shop', entityId: after.id, pizzeriaId: after.id, before: null, after });
    return after;
  });
}

/**
 * The busy lever: minutes added to every new promise of the shop (+10, +20, or none), told to its
 * open storefronts and screens at once; the orders already taken keep their promise.
 */
export async function setBusyMinutes(db: Db, actor: StaffActor, id: number, minutes: number): Promise<Pizzeria> {
  return setShopSwitch(db, actor, id, { column: 'busy_minutes', key: 'busyMinutes', value: minutes, action: () => 'shop.busy', who: "the shop's manager sets how busy it is" });
}

/** The rush switch: online orders paused or taken again, told to the open storefronts at once. */
export async function setOnlinePaused(db: Db, actor: StaffActor, id: number, paused: boolean): Promise<Pizzeria> {
  return setShopSwitch(db, actor, id, {
    column: 'online_paused', key: 'onlinePaused', value: paused,
    action: (v) => (v ? 'shop.pause_online' : 'shop.resume_online'), who: "the shop's manager pauses its online orders",
  });
}

/** One of the shop's live levers, set by its manager (or an admin), audited only when it changes. */
async function setShopSwitch<T extends number | boolean>(
  db: Db, actor: StaffActor, id: number,
  lever: { column: 'busy_minutes' | 'online_paused'; key: string; value: T; action: (value: T) => string; who: string },
): Promise<Pizzeria> {
  if (!mayFor(actor, can.runShop, id)) throw forbidden(lever.who);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ value: T }>(`SELECT ${lever.column} AS value FROM pizzerias WHERE id = $1 FOR UPDATE`, [id]);
    if (!rows[0]) throw notFound('pizzeria');
    if (rows[0].value !== lever.value) {
      await tx.query(`UPDATE pizzerias SET ${lever.column} = $2 WHERE id = $1`, [id, lever.value]);
      await audit(tx, actor, {
        action: lever.action(lever.value), entity: 'shop', entityId: id, pizzeriaId: id,
        before: { [lever.key]: rows[0].value }, after: { [lever.key]: lever.value },
      });
    }
    return (await getPizzeria(tx, id))!;
  });
}

/** A shop's own target preparation time (the back office), in seconds; null: the chain's default. */
export async function prepTargetSecondsOf(db: Db, id: number): Promise<number | null> {
  const { rows } = await db.query<{ s: number | null }>('SELECT prep_target_seconds AS s FROM pizzerias WHERE id = $1', [id]);
  return rows[0]?.s ?? null;
}
