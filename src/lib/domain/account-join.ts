// One person, one account: an account holds at most one email and one phone, each proved with a code.
// Signed in by one, a customer adds the other; if the contact they prove already has an account of
// its own (the same person, signed in the other way before), the two become one. What a proved
// contact does to the account is decided here; src/lib/server/customers/join.ts carries it out.

export type ContactKind = 'email' | 'phone';

/** An account's proved contacts (email in lower case, phone in E.164). */
export interface Contacts {
  email: string | null;
  phone: string | null;
}

export type JoinRefusal =
  /** the account already has a contact of that kind (an account holds one email and one phone) */
  | 'has_contact'
  /** the contact's account already holds another contact of the kind this account has: the two cannot be one */
  | 'contact_elsewhere';

export type JoinJudgement =
  | { ok: true; then: 'already' }
  | { ok: true; then: 'add' }
  | { ok: true; then: 'merge'; contacts: Contacts }
  | { ok: false; reason: JoinRefusal };

export const otherKind = (kind: ContactKind): ContactKind => (kind === 'email' ? 'phone' : 'email');

/** The contact an account can still add (null: it has both). */
export function missingContact(account: Contacts): ContactKind | null {
  if (!account.phone) return 'phone';
  if (!account.email) return 'email';
  return null;
}

/**
 * What a contact, proved by the holder of `account`, does to it: nothing when it is already theirs;
 * added when no account has it; the two accounts made one when `owner` (the account that has it)
 * holds nothing that clashes. Refused when the account already has a contact of that kind, or when
 * the owner holds another contact of the kind this account has (one email and one phone an account).
 */
export function judgeJoin(account: Contacts, kind: ContactKind, contact: string, owner: Contacts | null): JoinJudgement {
  if (account[kind] === contact) return { ok: true, then: 'already' };
  if (account[kind] !== null) return { ok: false, reason: 'has_contact' };
  if (!owner) return { ok: true, then: 'add' };
  const other = otherKind(kind);
  if (account[other] !== null && owner[other] !== null && owner[other] !== account[other]) return { ok: false, reason: 'contact_elsewhere' };
  const contacts = { [kind]: contact, [other]: account[other] ?? owner[other] } as Record<ContactKind, string | null>;
  return { ok: true, then: 'merge', contacts: { email: contacts.email, phone: contacts.phone } };
}
