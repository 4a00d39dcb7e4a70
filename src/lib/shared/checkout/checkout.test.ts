import { describe, expect, it, vi } from 'vitest';
import {
  IdempotencyKeys, addToBasket, availabilityOf, fieldsSummary, itemsOf, linesWithDeclared, orderBody, pizzasIn, productsById, readRefusal, viewLine,
  type Availability, type BasketLine, type OrderDraft,
} from './checkout.ts';
import type { MenuProduct } from '../../server/shops/catalogue.ts';

const product = (id: number, name: string, priceCents: number, more: Partial<MenuProduct> = {}): MenuProduct => ({
  id, slug: name.toLowerCase(), name, description: '', category: 'pizza', categoryId: 1, priceCents, available: true, portions: null,
  ingredients: [], allergens: [], allergenRecipe: [], tags: [], vatRates: { pickup: 10, delivery: 10 }, photoUrl: null, offTonight: false, options: [], ...more,
});
const margherita = product(1, 'Margherita', 1000, {
  options: [
    { id: 10, kind: 'size', name: 'Grande', priceCents: 300, available: true },
    { id: 11, kind: 'extra', name: 'Mozzarella', priceCents: 150, available: true },
  ],
});
const reine = product(2, 'Reine', 1400);
const tiramisu = product(3, 'Tiramisu', 600, { category: 'dessert', categoryId: 2 });
const menu = [margherita, reine, tiramisu];
const byId = productsById(menu);
const everything = Object.fromEntries(menu.map((p) => [p.id, availabilityOf(p)]));

const line = (productId: number, quantity = 1, options: number[] = [], secondHalfId?: number): BasketLine => ({
  uid: productId * 100 + quantity, productId, options, quantity, ...(secondHalfId !== undefined ? { secondHalfId } : {}),
});
const view = (l: BasketLine, availability: Record<number, Availability> = everything) => viewLine(l, byId, availability, 'dearer');

describe('a basket line', () => {
  it('costs its product and its options', () => {
    const v = view(line(1, 2, [10, 11]));
    expect(v).toMatchObject({ name: 'Margherita', unitCents: 1450, withdrawn: false, soldOut: false, key: '1:10,11' });
    expect(v.chosen.map((o) => o.name)).toEqual(['Grande', 'Mozzarella']);
  });

  it('when it is half-and-half, is named by both halves and priced by the shop\'s rule, its options the left half\'s', () => {
    expect(view(line(1, 1, [11], 2))).toMatchObject({ name: '½ Margherita / ½ Reine', unitCents: 1400 + 150, key: '1/2:11' });
    expect(viewLine(line(1, 1, [], 2), byId, everything, 'average').unitCents).toBe(1200);
  });

  it('when its product, one of its options or its other half left the menu, is withdrawn', () => {
    expect(view(line(9)).withdrawn).toBe(true);
    expect(view(line(1, 1, [99])).withdrawn).toBe(true);
    expect(view(line(1, 1, [], 9)).withdrawn).toBe(true);
  });

  it('when the shop ran out of it, of an option on it or of its other half, is sold out', () => {
    expect(view(line(1), { ...everything, 1: { available: false, portions: 0, unavailableOptions: [] } }).soldOut).toBe(true);
    expect(view(line(1, 1, [11]), { ...everything, 1: { available: true, portions: null, unavailableOptions: [11] } }).soldOut).toBe(true);
    expect(view(line(1, 1, [10]), { ...everything, 1: { available: true, portions: null, unavailableOptions: [11] } }).soldOut).toBe(false);
    expect(view(line(1, 1, [], 2), { ...everything, 2: { available: false, portions: 0, unavailableOptions: [] } }).soldOut).toBe(true);
  });
});

describe('adding to the basket', () => {
  let uid = 0;
  const next = () => ++uid;

  it('puts the same product with the same options (in any order) on one line, and another choice on its own', () => {
    const lines: BasketLine[] = [];
    expect(addToBasket(lines, 1, 1, next, [11, 10, 11])).toBe(1);
    expect(addToBasket(lines, 1, 2, next, [10, 11])).toBe(2);
    addToBasket(lines, 1, 1, next);
    addToBasket(lines, 1, 1, next, [], 2);
    expect(lines.map(({ productId, options, quantity, secondHalfId }) => ({ productId, options, quantity, secondHalfId }))).toEqual([
      { productId: 1, options: [10, 11], quantity: 3, secondHalfId: undefined },
      { productId: 1, options: [], quantity: 1, secondHalfId: undefined },
      { productId: 1, options: [], quantity: 1, secondHalfId: 2 },
    ]);
  });

  it('stops at 20 of one product, whatever their options, as the server counts', () => {
    const lines: BasketLine[] = [];
    addToBasket(lines, 1, 15, next, [10]);
    expect(addToBasket(lines, 1, 9, next)).toBe(5);
    expect(addToBasket(lines, 1, 1, next)).toBe(0);
    expect(lines.reduce((n, l) => n + l.quantity, 0)).toBe(20);
  });
});

describe('the order sent', () => {
  const draft = (more: Partial<OrderDraft> = {}): OrderDraft => ({
    pizzeriaId: 4, channel: 'online', fulfilment: 'delivery', name: ' Ada ', phone: ' 06 12 34 56 78 ', email: '',
    address: { street: ' 3 rue Oberkampf ', postcode: '75011 ', city: 'Paris', doorCode: ' 4B21 ', floor: '  ', instructions: '' },
    spot: null, lines: [view(line(1, 2, [10])), view(line(3))], payment: 'on_delivery', slot: null, lang: 'fr', promoCode: null, useLoyalty: false, ...more,
  });

  it('carries the customer, the address and the lines, trimmed, and leaves out what was not given', () => {
    expect(orderBody(draft())).toEqual({
      pizzeriaId: 4, channel: 'online', fulfilment: 'delivery',
      customer: { name: 'Ada', phone: '06 12 34 56 78' },
      address: { street: '3 rue Oberkampf', postcode: '75011', city: 'Paris', doorCode: '4B21' },
      items: [{ productId: 1, quantity: 2, options: [10] }, { productId: 3, quantity: 1 }],
      payment: 'on_delivery', lang: 'fr',
    });
  });

  it('sends the spot the page has, the slot, a promo code and the points spent', () => {
    const body = orderBody(draft({ spot: { lat: 48.86, lng: 2.37, locatedBy: 'device' }, slot: '2026-11-27T19:30:00Z', promoCode: 'PIZZA10', useLoyalty: true, email: 'ada@example.com' }));
    expect(body.address).toMatchObject({ lat: 48.86, lng: 2.37, locatedBy: 'device' });
    expect(body).toMatchObject({ slot: '2026-11-27T19:30:00Z', promoCode: 'PIZZA10', useLoyalty: true, customer: { email: 'ada@example.com' } });
  });

  it('for a pickup, goes without an address', () => {
    expect(orderBody(draft({ fulfilment: 'pickup' })).address).toBeUndefined();
  });

  it('names a half-and-half by its right half, and counts the pizzas for the oven', () => {
    const lines = [view(line(1, 1, [], 2)), view(line(2, 3)), view(line(3, 4))];
    expect(itemsOf(lines)[0]).toEqual({ productId: 1, quantity: 1, secondHalfId: 2 });
    expect(pizzasIn(lines)).toBe(4);
  });
});

describe('the Idempotency-Key', () => {
  it('is the same while the same order is sent again, and new once the order changes or was placed', () => {
    let n = 0;
    const keys = new IdempotencyKeys(() => `key-${++n}`);
    expect(keys.for('a')).toBe('key-1');
    expect(keys.for('a')).toBe('key-1');
    expect(keys.for('b')).toBe('key-2');
    keys.placed();
    expect(keys.for('b')).toBe('key-3');
  });

  it('is a UUID even where the browser has no randomUUID (a shop network over plain http)', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (b: Uint8Array<ArrayBuffer>) => real.getRandomValues(b) });
    try {
      expect(new IdempotencyKeys().for('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('a refusal', () => {
  const refused = (status: number, error: Record<string, unknown>) => readRefusal(status, { error });

  it('of the slot reads the slots again', () => {
    expect(refused(409, { code: 'slot_full' })).toEqual({ kind: 'slot', key: 'later.full' });
    expect(refused(422, { code: 'slot_unavailable' })).toEqual({ kind: 'slot', key: 'later.unavailable' });
  });

  it('of a promo code says why, once per customer included', () => {
    expect(refused(422, { code: 'promo_needs_sign_in' })).toEqual({ kind: 'promo', key: 'promo.reason.needs_sign_in' });
    expect(refused(422, { code: 'promo_already_held' })).toEqual({ kind: 'promo', key: 'promo.reason.already_held' });
  });

  it('of the loyalty points says why, whatever its status', () => {
    expect(refused(401, { code: 'loyalty_needs_sign_in' })).toEqual({ kind: 'loyalty', key: 'loyalty.reason.needs_sign_in' });
  });

  it('of an amount a card cannot pay is said as such, not as a field', () => {
    expect(refused(422, { code: 'online_amount_too_small', fields: { payment: 'too small' } })).toEqual({ kind: 'amount', key: 'order.amountTooSmall' });
  });

  it('of where it goes names the reason', () => {
    expect(refused(422, { code: 'outside_delivery_zone', fields: { address: 'no' } })).toEqual({ kind: 'where', code: 'outside_delivery_zone' });
    expect(refused(422, { code: 'shop_closed' })).toEqual({ kind: 'where', code: 'shop_closed' });
  });

  it('of fields gives them to the form', () => {
    expect(refused(422, { code: 'validation', fields: { 'customer.phone': 'a phone number' } })).toEqual({ kind: 'fields', fields: { 'customer.phone': 'a phone number' } });
    expect(refused(422, { code: 'validation' })).toEqual({ kind: 'fields', fields: {} });
  });

  it('for what ran out names the items', () => {
    expect(refused(409, { code: 'unavailable', items: [{ productId: 1, name: 'Margherita' }] })).toEqual({ kind: 'unavailable', items: [{ productId: 1, name: 'Margherita' }] });
  });

  it('of a limit is said, and not offered again', () => {
    expect(refused(429, { code: 'too_many_unpaid' })).toEqual({ kind: 'limit', key: 'order.tooManyUnpaid' });
    expect(refused(409, { code: 'unpaid_share', items: [] })).toEqual({ kind: 'limit', key: 'order.unpaidShare' });
  });

  it('by a failing server is worth trying again; anything else keeps the server\'s words', () => {
    expect(refused(503, { code: 'unavailable_service', message: 'down' })).toEqual({ kind: 'failed', retryable: true, message: 'down' });
    expect(refused(429, { code: 'rate_limited' })).toMatchObject({ kind: 'failed', retryable: true });
    expect(refused(403, { code: 'forbidden', message: 'not yours' })).toEqual({ kind: 'failed', retryable: false, message: 'not yours' });
    expect(readRefusal(500, null)).toEqual({ kind: 'failed', retryable: true, message: null });
  });
});

describe('the allergy note at checkout', () => {
  // a pesto extra with nuts on a pizza of dough and mozzarella
  const genovese = product(9, 'Genovese', 1200, {
    allergenRecipe: [{ ingredientId: 1, allergens: ['gluten'] }, { ingredientId: 2, allergens: ['milk'] }],
    options: [{ id: 90, kind: 'extra', name: 'Pesto aux noix', priceCents: 200, available: true, removesIngredientId: null, allergens: ['nuts'] }],
  });
  const pestoView = viewLine(line(9, 1, [90]), productsById([genovese]), {}, 'dearer');
  const plainView = viewLine(line(9), productsById([genovese]), {}, 'dearer');

  it('names the lines that contain a declared allergen, and only those', () => {
    expect(pestoView.allergens).toEqual(['gluten', 'milk', 'nuts']);
    expect(linesWithDeclared([pestoView, plainView], ['nuts', 'sesame']).map((w) => [w.view.key, w.allergens])).toEqual([['9:90', ['nuts']]]);
    expect(linesWithDeclared([pestoView, plainView], [])).toEqual([]);
  });

  it('goes in the body only when something is declared, confirmed when the customer confirmed', () => {
    const base: OrderDraft = {
      pizzeriaId: 1, channel: 'online', fulfilment: 'pickup', name: 'Léa', phone: '06 11 22 33 44', email: '',
      address: { street: '', postcode: '', city: '', doorCode: '', floor: '', instructions: '' }, spot: null, lines: [pestoView],
      payment: 'on_delivery', slot: null, lang: 'fr', promoCode: null, useLoyalty: false,
    };
    expect(orderBody({ ...base, allergy: { allergens: [], note: '  ', confirmed: false } }).allergy).toBeUndefined();
    expect(orderBody({ ...base, allergy: { allergens: ['nuts'], note: ' Sévère ', confirmed: true } }).allergy).toEqual({ allergens: ['nuts'], note: 'Sévère', confirmed: true });
    expect(orderBody({ ...base, allergy: { allergens: ['nuts'], note: '', confirmed: false } }).allergy).toEqual({ allergens: ['nuts'] });
  });

  it("reads the server's refusal of a line with a declared allergen", () => {
    expect(readRefusal(422, { error: { code: 'allergen_in_basket', items: [] } })).toEqual({ kind: 'allergen', key: 'allergyNote.refused' });
  });
});

describe('the summary of refused fields', () => {
  it('sends the customer to the red fields only when every refused one is marked on the form', () => {
    expect(fieldsSummary({ 'customer.phone': 'a phone number', 'address.postcode': 'five digits' })).toEqual({ key: 'order.fixFields' });
  });
  it("says a refusal in its own words when a field is not on the form, or none is named: never 'the fields in red' with nothing red", () => {
    expect(fieldsSummary({ 'customer.phone': 'a phone number', 'address.doorCode': 'too long' })).toEqual({ key: 'order.refusedFields', what: 'too long' });
    expect(fieldsSummary({ allergyNote: 'no control characters', note: 'too long' })).toEqual({ key: 'order.refusedFields', what: 'no control characters · too long' });
    expect(fieldsSummary({})).toEqual({ key: 'order.refusedFields', what: '—' });
  });
});
