// The webhook side of the fake Deliveroo (tests/deliveroo-server.ts): orders as Deliveroo builds
// them for the Order Events webhook, and the signed posts with retries. As documented: each event
// carries X-Deliveroo-Sequence-Guid and X-Deliveroo-Hmac-Sha256 (hex HMAC-SHA256 of
// `${guid} ${body}` keyed by the webhook secret), x-deliveroo-payload-type `event/<event>`; an answer
// other than 2xx is retried with exponential backoff (Deliveroo: 6 minutes for an ASAP order).
import { createHmac } from 'node:crypto';

export interface FakeMoney {
  fractional: number;
  currency_code: string;
}

export interface FakeItem {
  pos_item_id: string | null;
  name: string;
  operational_name: string;
  quantity: number;
  unit_price: FakeMoney;
  menu_unit_price: FakeMoney;
  total_price: FakeMoney;
  modifiers: FakeItem[];
}

export interface FakeOrder {
  id: string;
  order_number: string;
  location_id: string;
  display_id: string;
  status: 'placed' | 'accepted' | 'confirmed' | 'rejected' | 'canceled';
  status_log: { at: string; status: string }[];
  fulfillment_type: 'deliveroo' | 'restaurant' | 'customer';
  order_notes: string | null;
  cutlery_notes: string | null;
  asap: boolean;
  prepare_for: string;
  start_preparing_at: string;
  confirm_at?: string;
  total_price: FakeMoney;
  partner_order_subtotal: FakeMoney;
  partner_order_total: FakeMoney;
  offer_discount: FakeMoney;
  cash_due: FakeMoney;
  bag_fee: FakeMoney;
  items: FakeItem[];
  is_tabletless: boolean;
  customer?: { first_name: string; contact_number?: string; contact_access_code?: string };
  delivery?: {
    delivery_fee: FakeMoney;
    estimated_delivery_at: string;
    address: { street: string; number: string; postal_code: string; city: string; address_line_1: string; address_line_2: string; latitude: number; longitude: number };
  };
}

/** What a test gives for an item: a pushed id, a name, a price in cents, its options. */
export interface ItemSpec {
  id: string | null;
  name: string;
  cents: number;
  quantity?: number;
  options?: { id: string; name: string; cents: number; quantity?: number }[];
}

const eur = (fractional: number): FakeMoney => ({ fractional, currency_code: 'EUR' });

function item(spec: ItemSpec): FakeItem {
  const modifiers = (spec.options ?? []).map((o) => item({ id: o.id, name: o.name, cents: o.cents, quantity: o.quantity }));
  const quantity = spec.quantity ?? 1;
  const unit = spec.cents + modifiers.reduce((s, m) => s + m.unit_price.fractional * m.quantity, 0);
  return {
    pos_item_id: spec.id, name: spec.name, operational_name: spec.name, quantity,
    unit_price: eur(spec.cents), menu_unit_price: eur(spec.cents), total_price: eur(unit * quantity), modifiers,
  };
}

export interface OrderSpec {
  items?: ItemSpec[];
  fulfillment?: FakeOrder['fulfillment_type'];
  asap?: boolean;
  notes?: string | null;
  firstName?: string;
  prepareInMinutes?: number;
}

/** An order as Deliveroo sends it in `order.new` (the examples of "Fulfillment Types"). */
export function buildOrder(seq: number, siteId: string, spec: OrderSpec, now = Date.now()): FakeOrder {
  const items = (spec.items ?? [{ id: 'p1', name: 'Margherita', cents: 1100 }]).map(item);
  const subtotal = items.reduce((s, i) => s + i.total_price.fractional, 0);
  const fulfilment = spec.fulfillment ?? 'deliveroo';
  const at = (min: number) => new Date(now + min * 60_000).toISOString();
  const order: FakeOrder = {
    id: `fr:${String(seq).padStart(8, '0')}-d730-4dfb-b034-38f2d24f5bfd`,
    order_number: String(28400000 + seq),
    location_id: siteId,
    display_id: String(1000 + seq),
    status: 'placed',
    status_log: [{ at: at(0), status: 'pending' }, { at: at(0), status: 'placed' }],
    fulfillment_type: fulfilment,
    order_notes: spec.notes === undefined ? 'Sans olives, allergie aux noix' : spec.notes,
    cutlery_notes: 'NO CUTLERY',
    asap: spec.asap ?? true,
    prepare_for: at(spec.prepareInMinutes ?? 20),
    start_preparing_at: at(spec.asap === false ? 50 : 0),
    total_price: eur(subtotal + (fulfilment === 'restaurant' ? 250 : 0)),
    partner_order_subtotal: eur(subtotal),
    partner_order_total: eur(subtotal),
    offer_discount: eur(0),
    cash_due: eur(0),
    bag_fee: eur(0),
    items,
    is_tabletless: false,
    customer: { first_name: spec.firstName ?? 'Camille' },
  };
  if (spec.asap === false) order.confirm_at = at(45);
  if (fulfilment === 'restaurant') {
    order.customer = { first_name: spec.firstName ?? 'Camille', contact_number: '+33 1 85 14 00 00', contact_access_code: '482 193' };
    order.delivery = {
      delivery_fee: eur(250),
      estimated_delivery_at: at(40),
      address: { street: 'rue de la Roquette', number: '12', postal_code: '75011', city: 'Paris', address_line_1: '12 rue de la Roquette', address_line_2: 'Bât. B, 3e étage', latitude: 48.8553, longitude: 2.3749 },
    };
  }
  return order;
}

export interface WebhookAttempt {
  event: string;
  guid: string;
  status: number | null;
  at: number;
}

export interface Sent {
  event: string;
  raw: string;
  headers: Record<string, string>;
}

export function signature(secret: string, guid: string, raw: string): string {
  return createHmac('sha256', secret).update(`${guid} ${raw}`).digest('hex');
}

/** Posts one webhook until it is answered 2xx, waiting each delay in turn between tries (then gives up). */
export async function postWithRetries(url: string, sent: Sent, delaysMs: number[], attempts: WebhookAttempt[]): Promise<boolean> {
  for (let i = 0; ; i++) {
    let status: number | null;
    try {
      const res = await fetch(url, { method: 'POST', headers: sent.headers, body: sent.raw, signal: AbortSignal.timeout(5_000) });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = null;
    }
    attempts.push({ event: sent.event, guid: sent.headers['x-deliveroo-sequence-guid'], status, at: Date.now() });
    if (status !== null && status >= 200 && status < 300) return true;
    if (i >= delaysMs.length) return false;
    await new Promise((r) => setTimeout(r, delaysMs[i]));
  }
}
