import { describe, expect, it } from 'vitest';
import { judgeJoin, missingContact } from './account-join.ts';

const email = 'camille@example.fr';
const phone = '+33712345678';

describe('one person, one account: what a proved contact does to the account', () => {
  it('an account can add the kind of contact it lacks, and nothing once it has both', () => {
    expect(missingContact({ email, phone: null })).toBe('phone');
    expect(missingContact({ email: null, phone })).toBe('email');
    expect(missingContact({ email, phone })).toBeNull();
  });

  it('a contact no account has is added', () => {
    expect(judgeJoin({ email, phone: null }, 'phone', phone, null)).toEqual({ ok: true, then: 'add' });
    expect(judgeJoin({ email: null, phone }, 'email', email, null)).toEqual({ ok: true, then: 'add' });
  });

  it("a contact with an account of its own makes the two one, holding both contacts", () => {
    expect(judgeJoin({ email, phone: null }, 'phone', phone, { email: null, phone })).toEqual({ ok: true, then: 'merge', contacts: { email, phone } });
    expect(judgeJoin({ email: null, phone }, 'email', email, { email, phone: null })).toEqual({ ok: true, then: 'merge', contacts: { email, phone } });
  });

  it('a contact already on the account changes nothing (a join done twice is done once)', () => {
    expect(judgeJoin({ email, phone }, 'phone', phone, { email, phone })).toEqual({ ok: true, then: 'already' });
  });

  it('is refused when the account already has that kind of contact, or when the other account holds another of the kind it has', () => {
    expect(judgeJoin({ email, phone: '+33799999999' }, 'phone', phone, null)).toEqual({ ok: false, reason: 'has_contact' });
    expect(judgeJoin({ email, phone: null }, 'phone', phone, { email: 'other@example.fr', phone })).toEqual({ ok: false, reason: 'contact_elsewhere' });
    expect(judgeJoin({ email: null, phone }, 'email', email, { email, phone: '+33799999999' })).toEqual({ ok: false, reason: 'contact_elsewhere' });
  });
});
