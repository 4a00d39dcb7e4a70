import { describe, expect, it } from 'vitest';
import { canonicalEmail, judgePromo, type PromoContext, type PromoRule } from './promo.ts';

const rule = (over: Partial<PromoRule> = {}): PromoRule => ({
  id: 1, code: 'SOIR', kind: 'amount', value: 300, productId: null, minBasketCents: 0, startsAt: null, endsAt: null,
  pizzeriaIds: null, maxUses: null, maxUsesPerCustomer: null, active: true, ...over,
});
const ctx = (over: Partial<PromoContext> = {}): PromoContext => ({
  now: new Date(), pizzeriaId: 1, lines: [{ productId: 1, unitPriceCents: 1050, quantity: 2, vatRate: 10 }],
  usesInAll: 0, usesByCustomer: 0, heldByClient: 0, signedIn: false, freeProductCents: null, ...over,
});

describe('one email, however it is spelled', () => {
  it('is lower case and loses its +tag', () => {
    expect(canonicalEmail(' Jean.Dupont+Pizza@Example.FR ')).toBe('jean.dupont@example.fr');
  });
  it('loses the dots of a Gmail name, googlemail.com being gmail.com', () => {
    for (const e of ['Jean.Dupont@gmail.com', 'jeandupont@gmail.com', 'j.e.a.n.dupont+promo@googlemail.com', 'JEANDUPONT@GMAIL.COM']) {
      expect(canonicalEmail(e)).toBe('jeandupont@gmail.com');
    }
  });
  it('keeps the dots elsewhere: two names there may be two mailboxes', () => {
    expect(canonicalEmail('jean.dupont@orange.fr')).not.toBe(canonicalEmail('jeandupont@orange.fr'));
  });
});

describe('who may use a limited code', () => {
  it('a once-per-customer code needs a signed-in customer, then counts their uses', () => {
    expect(judgePromo(rule({ maxUsesPerCustomer: 1 }), ctx())).toEqual({ ok: false, reason: 'needs_sign_in' });
    expect(judgePromo(rule({ maxUsesPerCustomer: 1 }), ctx({ signedIn: true }))).toEqual({ ok: true, discountCents: 300 });
    expect(judgePromo(rule({ maxUsesPerCustomer: 1 }), ctx({ signedIn: true, usesByCustomer: 1 }))).toEqual({ ok: false, reason: 'already_used' });
  });
  it('one client holds one use not yet paid nor handed over of a limited code; an unlimited code is not held', () => {
    expect(judgePromo(rule({ maxUses: 5 }), ctx({ usesInAll: 1, heldByClient: 1 }))).toEqual({ ok: false, reason: 'already_held' });
    expect(judgePromo(rule({ maxUses: 5 }), ctx({ usesInAll: 5, heldByClient: 1 }))).toEqual({ ok: false, reason: 'used_up' });
    expect(judgePromo(rule({ maxUsesPerCustomer: 3 }), ctx({ signedIn: true, usesByCustomer: 1, heldByClient: 1 }))).toEqual({ ok: false, reason: 'already_held' });
    expect(judgePromo(rule(), ctx({ heldByClient: 4 }))).toEqual({ ok: true, discountCents: 300 });
  });
});
