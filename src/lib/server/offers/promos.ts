// Promo codes: head office makes, lists and deactivates them; the checkout checks one against a
// basket, and placing an order redeems it in the order's transaction with the code's row locked, so
// two checkouts at once never use it more times than it allows. A cancelled order gives its use
// back (uses are counted over the orders not cancelled). A use not yet confirmed (its order neither
// paid nor handed over) is held: one client holds one use of a limited code at most, so orders left
// unpaid cannot take a "first N customers" code from the customers who come after. A
// once-per-customer code is for signed-in customers, its uses kept as keyed hashes of the contacts
// their account proved: they outlive an erasure of the account and name nobody.
import { createHmac } from 'node:crypto';
import { canonicalEmail, judgePromo, spreadDiscount, type PromoJudgement, type PromoKind, type PromoRefusal, type PromoRule } from '../../domain/promo.ts';
import type { LineRequest, PricedLine } from '../../domain/pricing.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { priceLines, productIdsOf, readBeforePlacing } from '../orders/lines.ts';
import { placingStep } from '../orders/steps.ts';
import { config } from '../kernel/config.ts';
import { e164 } from '../kernel/sms.ts';
import { HANDED_OVER_STATUSES, sqlList, type Fulfilment } from '../../domain/order-states.ts';
import { runsChain } from '../../domain/permissions.ts';

interface PromoRow {
  id: number;
  code: string;
  kind: PromoKind;
  value: number;
  product_id: number | null;
  min_basket_cents: number;
  starts_at: Date | null;
  ends_at: Date | null;
  pizzeria_ids: number[] | null;
  max_uses: number | null;
  max_uses_per_customer: number | null;
  active: boolean;
  created_at: Date;
}

const ruleOf = (r: PromoRow): PromoRule => ({
  id: r.id, code: r.code, kind: r.kind, value: r.value, productId: r.product_id, minBasketCents: r.min_basket_cents,
  startsAt: r.starts_at, endsAt: r.ends_at, pizzeriaIds: r.pizzeria_ids, maxUses: r.max_uses, maxUsesPerCustomer: r.max_uses_per_customer, active: r.active,
});

/** A code as head office reads it, with its uses (orders not cancelled). */
export interface PromoView {
  id: number;
  code: string;
  kind: PromoKind;
  value: number;
  productId: number | null;
  productName: string | null;
  minBasketCents: number;
  startsAt: string | null;
  endsAt: string | null;
  pizzeriaIds: number[] | null;
  maxUses: number | null;
  maxUsesPerCustomer: number | null;
  active: boolean;
  uses: number;
  discountedCents: number;
  createdAt: string;
}

/**
 * Who uses a code: a signed-in customer's account, and the client's keys of the order (its phone and
 * email, and for an online order its network), by which the uses it holds are counted.
 */
export interface PromoUser {
  customerId: string | null;
  phoneKey: string | null;
  emailKey: string | null;
  network?: string | null;
}

/**
 * A contact as a once-per-customer code remembers it: an HMAC with the server's secret of its one
 * canonical form (E.164, canonicalEmail), so the same email or phone is known again after the
 * account is erased, and what is kept names nobody without the secret.
 */
export const promoContactHash = (kind: 'email' | 'phone', contact: string) =>
  createHmac('sha256', config().sessionSecret).update(`promo-contact:${kind}:${kind === 'email' ? canonicalEmail(contact) : e164(contact)}`).digest('base64url');

/** The hashes of the contacts a signed-in customer's account proved (none: a guest). */
async function accountContactHashes(q: Queryable, customerId: string | null): Promise<string[]> {
  if (!customerId) return [];
  const { rows } = await q.query<{ email: string | null; phone: string | null }>('SELECT email, phone FROM customers WHERE id = $1', [customerId]);
  const c = rows[0];
  if (!c) return [];
  return [c.email && promoContactHash('email', c.email), c.phone && promoContactHash('phone', c.phone)].filter((h): h is string => !!h);
}

export interface NewPromo {
  code: string;
  kind: PromoKind;
  value: number;
  productId?: number | null;
  minBasketCents?: number;
  startsAt?: string | null;
  endsAt?: string | null;
  pizzeriaIds?: number[] | null;
  maxUses?: number | null;
  maxUsesPerCustomer?: number | null;
}

const onlyHeadOffice = (actor: StaffActor) => {
  if (!runsChain(actor)) throw forbidden('promo codes are made by head office');
};

const VIEW = `SELECT c.*, p.name AS product_name,
    coalesce(u.uses, 0)::int AS uses, coalesce(u.cents, 0)::int AS discounted_cents
  FROM promo_codes c LEFT JOIN products p ON p.id = c.product_id
  LEFT JOIN LATERAL (SELECT count(*) AS uses, sum(r.discount_cents) AS cents FROM promo_redemptions r JOIN orders o ON o.id = r.order_id
                     WHERE r.promo_code_id = c.id AND o.status <> 'cancelled') u ON true`;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const viewOf = (r: PromoRow & { product_name: string | null; uses: number; discounted_cents: number }): PromoView => ({
  id: r.id, code: r.code, kind: r.kind, value: r.value, productId: r.product_id, productName: r.product_name, minBasketCents: r.min_basket_cents,
  startsAt: iso(r.starts_at), endsAt: iso(r.ends_at), pizzeriaIds: r.pizzeria_ids, maxUses: r.max_uses, maxUsesPerCustomer: r.max_uses_per_customer,
  active: r.active, uses: r.uses, discountedCents: r.discounted_cents, createdAt: iso(r.created_at)!,
});

export async function listPromos(q: Queryable, actor: StaffActor): Promise<PromoView[]> {
  onlyHeadOffice(actor);
  const { rows } = await q.query(`${VIEW} ORDER BY c.active DESC, c.created_at DESC, c.id DESC`);
  return rows.map(viewOf);
}

/** Head office makes a code (audited); a code already taken, whatever its case, is refused (409). */
export async function createPromo(db: Db, actor: StaffActor, p: NewPromo): Promise<PromoView> {
  onlyHeadOffice(actor);
  return transaction(db, async (tx) => {
    if (p.productId) {
      const { rows } = await tx.query('SELECT 1 FROM products WHERE id = $1', [p.productId]);
      if (!rows.length) throw new AppError(422, 'invalid', 'unknown product', { fields: { productId: 'unknown product' } });
    }
    if (p.pizzeriaIds?.length) {
      const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM pizzerias WHERE id = ANY($1)', [p.pizzeriaIds]);
      if (rows[0].n !== new Set(p.pizzeriaIds).size) throw new AppError(422, 'invalid', 'unknown shop', { fields: { pizzeriaIds: 'unknown shop' } });
    }
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO promo_codes (code, kind, value, product_id, min_basket_cents, starts_at, ends_at, pizzeria_ids, max_uses, max_uses_per_customer)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT ((lower(code))) DO NOTHING RETURNING id`,
      [p.code, p.kind, p.kind === 'free_product' ? 0 : p.value, p.kind === 'free_product' ? p.productId : null, p.minBasketCents ?? 0,
        p.startsAt ?? null, p.endsAt ?? null, p.pizzeriaIds?.length ? [...new Set(p.pizzeriaIds)] : null, p.maxUses ?? null, p.maxUsesPerCustomer ?? null],
    );
    if (!rows.length) throw conflict('promo_code_taken', `the code ${p.code} exists already`, { fields: { code: 'this code exists already' } });
    const view = viewOf((await tx.query(`${VIEW} WHERE c.id = $1`, [rows[0].id])).rows[0]);
    await audit(tx, actor, { action: 'promo.create', entity: 'promo_code', entityId: view.id, pizzeriaId: null, before: null, after: view });
    return view;
  });
}

/** Head office stops a code (or starts it again); its past uses stay counted. */
export async function setPromoActive(db: Db, actor: StaffActor, id: number, active: boolean): Promise<PromoView> {
  onlyHeadOffice(actor);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query(`${VIEW} WHERE c.id = $1 FOR UPDATE OF c`, [id]);
    if (!rows.length) throw notFound('promo code');
    const before = viewOf(rows[0]);
    await tx.query('UPDATE promo_codes SET active = $2 WHERE id = $1', [id, active]);
    const after = { ...before, active };
    await audit(tx, actor, { action: active ? 'promo.activate' : 'promo.deactivate', entity: 'promo_code', entityId: id, pizzeriaId: null, before, after });
    return after;
  });
}

async function promoByCode(q: Queryable, code: string, lock: boolean): Promise<PromoRule | null> {
  const { rows } = await q.query<PromoRow>(`SELECT * FROM promo_codes WHERE lower(code) = lower($1)${lock ? ' FOR UPDATE' : ''}`, [code]);
  return rows[0] ? ruleOf(rows[0]) : null;
}

/**
 * The code's uses (orders not cancelled): in all; by the signed-in customer (their account, or a
 * contact it proved, whatever account used it then); and held by this client (its account, phone,
 * email or network), neither paid nor handed over yet.
 */
async function usesOf(q: Queryable, codeId: number, who: PromoUser, hashes: string[]): Promise<{ inAll: number; byCustomer: number; heldByClient: number }> {
  const { rows } = await q.query<{ in_all: number; by_customer: number; held: number }>({
    name: 'promo-uses',
    text: `SELECT count(*)::int AS in_all,
            count(*) FILTER (WHERE r.customer_id = $2::bigint OR r.contact_hashes && $3::text[])::int AS by_customer,
            count(*) FILTER (WHERE o.paid_cents = 0 AND o.status NOT IN (${sqlList(HANDED_OVER_STATUSES)})
              AND (r.customer_id = $2::bigint OR o.phone_key = $4 OR o.email_key = $5 OR o.client_address <<= $6::inet))::int AS held
     FROM promo_redemptions r JOIN orders o ON o.id = r.order_id
     WHERE r.promo_code_id = $1 AND o.status <> 'cancelled'`,
    values: [codeId, who.customerId, hashes, who.phoneKey, who.emailKey, who.network ?? null],
  });
  return { inAll: rows[0].in_all, byCustomer: rows[0].by_customer, heldByClient: rows[0].held };
}

/** The free product's menu price at the shop now (null: not sold there tonight). */
async function freeProductPrice(q: Queryable, rule: PromoRule, pizzeriaId: number): Promise<number | null> {
  if (rule.kind !== 'free_product') return null;
  const { catalogue } = await readBeforePlacing(q, pizzeriaId, [rule.productId!]);
  const p = catalogue.get(rule.productId!);
  if (!p || p.offTonight) return null;
  return p.priceCents;
}

/** Judges a code against a priced basket for its customer (the code's row locked when `lock`). */
export async function judgeCode(q: Queryable, code: string, ctx: { pizzeriaId: number; lines: readonly PricedLine[]; who: PromoUser; lock?: boolean }) {
  const rule = await promoByCode(q, code, ctx.lock ?? false);
  const hashes = rule ? await accountContactHashes(q, ctx.who.customerId) : [];
  const uses = rule ? await usesOf(q, rule.id, ctx.who, hashes) : { inAll: 0, byCustomer: 0, heldByClient: 0 };
  const judgement = judgePromo(rule, {
    now: new Date(), pizzeriaId: ctx.pizzeriaId, lines: ctx.lines, usesInAll: uses.inAll, usesByCustomer: uses.byCustomer,
    heldByClient: uses.heldByClient, signedIn: Boolean(ctx.who.customerId),
    freeProductCents: rule && rule.active ? await freeProductPrice(q, rule, ctx.pizzeriaId) : null,
  });
  return { rule, judgement, hashes };
}

const REFUSAL_MESSAGES: Record<PromoRefusal, string> = {
  unknown: 'this promo code does not exist or is no longer valid',
  not_started: 'this promo code is not valid yet',
  expired: 'this promo code has expired',
  not_at_this_shop: 'this promo code is not valid at this shop',
  under_minimum: 'the basket is under this promo code\'s minimum',
  used_up: 'this promo code has been used as many times as it may be',
  already_used: 'you have already used this promo code',
  needs_sign_in: 'this promo code is once per customer: sign in to use it',
  already_held: 'an order of yours with this promo code is waiting to be paid or collected: the code can be used again once it is',
  free_product_unavailable: 'the product this promo code offers is not on sale at this shop now',
  free_product_not_in_basket: 'add the product this promo code offers to your basket',
};

/** The message of a refusal, in English (the storefront shows its own, in the customer's language). */
export function refusalMessage(j: Extract<PromoJudgement, { ok: false }>): string {
  return j.reason === 'under_minimum' ? `${REFUSAL_MESSAGES.under_minimum} (${(j.minBasketCents! / 100).toFixed(2)} EUR)` : REFUSAL_MESSAGES[j.reason];
}

/** A refused code at placing: 422, its reason as the code (promo_expired…), nothing placed. */
export const promoRefused = (j: Extract<PromoJudgement, { ok: false }>) =>
  new AppError(422, `promo_${j.reason}`, refusalMessage(j), { fields: { promoCode: refusalMessage(j) } });

/** What each VAT rate sold, the delivery fee apart (it is not discounted). */
export const soldByRate = (lines: readonly PricedLine[]) => lines.map((l) => ({ rate: l.vatRate, grossCents: l.lineTotalCents }));

/** A code accepted for an order being placed: what it takes off, spread over the basket's rates. */
export interface AcceptedPromo {
  codeId: number;
  discountCents: number;
  byRate: { rate: number; cents: number }[];
  who: PromoUser;
  /** The signed-in customer's proved contacts, hashed (promoContactHash): kept with the use after an erasure. */
  contactHashes: string[];
}

/**
 * Judges a code for an order being placed, in its transaction: the code's row is locked until the
 * commit, so the uses are counted and written by one checkout at a time; refused with its reason
 * (the transaction, and so the order, rolled back).
 */
export async function judgeForPlacing(tx: Tx, code: string, ctx: { pizzeriaId: number; lines: readonly PricedLine[]; who: PromoUser }): Promise<AcceptedPromo> {
  const { rule, judgement, hashes } = await judgeCode(tx, code, { ...ctx, lock: true });
  if (!judgement.ok) throw promoRefused(judgement);
  return { codeId: rule!.id, discountCents: judgement.discountCents, byRate: spreadDiscount(soldByRate(ctx.lines), judgement.discountCents), who: ctx.who, contactHashes: hashes };
}

/**
 * The use of a code by the order placed with it (its total already less the discount): the account
 * and its proved contacts' hashes; a guest's phone and email stay on the order alone (typed, not proved).
 */
export async function recordRedemption(tx: Tx, orderId: string, p: AcceptedPromo): Promise<void> {
  await tx.query(
    `INSERT INTO promo_redemptions (order_id, promo_code_id, customer_id, contact_hashes, discount_cents, by_rate) VALUES ($1, $2, $3, $4, $5, $6)`,
    [orderId, p.codeId, p.who.customerId, p.contactHashes, p.discountCents, JSON.stringify(p.byRate)],
  );
}

/** Placing's step: a promo code judged with its row locked until the commit, refused with its reason (nothing placed). */
export const promoCodeStep = placingStep<AcceptedPromo>({
  judge: (tx, { input, opts, prepared: { check, who } }) =>
    input.promoCode
      ? judgeForPlacing(tx, input.promoCode, { pizzeriaId: input.pizzeriaId, lines: check.priced.lines, who: { customerId: opts.customerId ?? null, phoneKey: who.phone, emailKey: who.email, network: who.address } })
      : Promise.resolve(null),
  discount: (promo) => promo.discountCents,
  record: async (tx, _ctx, placed, promo) => {
    if (promo) await recordRedemption(tx, placed.id, promo);
  },
});

/** An order's discount, a promo code's or loyalty points', and its parts per VAT rate (none: no discount). */
export async function discountOf(q: Queryable, orderId: string): Promise<{ kind: 'promo' | 'loyalty'; code: string | null; points: number | null; discountCents: number; byRate: { rate: number; cents: number }[] } | null> {
  const { rows } = await q.query('SELECT kind, code, points, discount_cents, by_rate FROM order_discounts WHERE order_id = $1', [orderId]);
  return rows[0] ? { kind: rows[0].kind, code: rows[0].code, points: rows[0].points, discountCents: rows[0].discount_cents, byRate: rows[0].by_rate } : null;
}

export type PromoCheck =
  | { ok: true; code: string; kind: PromoKind; discountCents: number; subtotalCents: number; deliveryFeeCents: number; totalCents: number }
  | { ok: false; reason: PromoRefusal; message: string; minBasketCents?: number; productId?: number };

/**
 * The storefront's question before placing: does this code apply to this basket, and what does it
 * take off? Priced as placing prices it. The answer never depends on a phone or email sent with it
 * (it would tell anyone whether that contact used a code): a signed-in customer is judged on their
 * own account, a guest as any guest; what a client holds is judged when placing.
 */
export async function checkPromo(
  q: Queryable,
  body: { pizzeriaId: number; fulfilment: Fulfilment; items: LineRequest[]; code: string },
  customerId: string | null,
): Promise<PromoCheck> {
  const known = await readBeforePlacing(q, body.pizzeriaId, productIdsOf(body.items));
  const { priced } = priceLines(known.catalogue, body.items, body.fulfilment, known.shop.halfAndHalfPricing);
  const who: PromoUser = { customerId, phoneKey: null, emailKey: null };
  const { rule, judgement } = await judgeCode(q, body.code, { pizzeriaId: body.pizzeriaId, lines: priced.lines, who });
  if (!judgement.ok) return { ok: false, reason: judgement.reason, message: refusalMessage(judgement), minBasketCents: judgement.minBasketCents, productId: judgement.productId };
  return {
    ok: true, code: rule!.code, kind: rule!.kind, discountCents: judgement.discountCents,
    subtotalCents: priced.subtotalCents, deliveryFeeCents: priced.deliveryFeeCents, totalCents: priced.totalCents - judgement.discountCents,
  };
}
