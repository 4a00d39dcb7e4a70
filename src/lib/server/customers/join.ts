// One person, one account. Signed in by their email or their phone, a customer adds the other with
// a code sent to it: the sign-in codes' own machinery, limits and tries (codes.ts), the code asked
// for their account and good for it alone. Proved, the contact is the account's; if it already had
// an account of its own (the same person, signed in the other way before), that account becomes this
// one in the same transaction: its orders, its points (the ledger's rows moved as they are, so the
// balance is the exact sum and a later take-back still finds its row, and one 'joined' row saying
// what it brought), its promo uses, saved addresses, favourites and claims; its sessions end and it
// is gone. Audited, without a contact in clear. A contact is never joined on anything but its code:
// a phone or email typed on an order, or a code asked for something else, proves nothing.
import { judgeJoin, otherKind, type ContactKind, type Contacts, type JoinRefusal } from '../../domain/account-join.ts';
import type { Locale } from '../../i18n/core.ts';
import { audit } from '../kernel/audit.ts';
import type { Db, Queryable, Tx } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import type { Mailer } from '../kernel/mailer.ts';
import type { SmsProvider } from '../kernel/sms.ts';
import type { SignedInCustomer } from './account.ts';
import { proveCode, sendCode, type Destination } from './codes.ts';
import { moveAllergies } from './customer-allergies.ts';

interface Account extends SignedInCustomer {
  createdAt: Date;
}

/** What an account got from a proved contact. */
export interface JoinOutcome {
  customer: SignedInCustomer;
  /** What the contact's own account brought, now this one's (null: it had none). */
  joined: { orders: number; points: number; addresses: number; favourites: number; sessionsEnded: number } | null;
  /** The contact was already on the account: nothing changed (a join asked twice is done once). */
  already: boolean;
}

const kindOf = (dest: Destination): ContactKind => (dest.channel === 'email' ? 'email' : 'phone');
const KIND_NAME = { email: 'an email', phone: 'a phone number' } as const;
const kindsOf = (c: Contacts) => (['email', 'phone'] as const).filter((k) => c[k] !== null);
const customerOf = ({ id, email, phone, name }: Account): SignedInCustomer => ({ id, email, phone, name });

function refused(reason: JoinRefusal, kind: ContactKind): AppError {
  const message =
    reason === 'has_contact'
      ? `your account already has ${KIND_NAME[kind]}`
      : `this ${kind === 'email' ? 'email' : 'number'} has an account with another ${otherKind(kind) === 'email' ? 'email' : 'phone number'}: sign in with it to use that account`;
  return new AppError(409, reason, message, { fields: { [kind]: message } });
}
const signedOut = () => new AppError(401, 'signed_out', 'this account was just joined with another: sign in again');
const tryAgain = () => new AppError(409, 'try_again', 'your account changed at the same moment: try again');

const ACCOUNT = `id, email, phone, name, created_at AS "createdAt"`;
// ids come back as numbers (db.ts reads bigints so) and as strings from elsewhere: compared as text
const same = (a: string | null, b: string | null) => a !== null && b !== null && String(a) === String(b);

async function accountOf(q: Queryable, id: string): Promise<Account | null> {
  return (await q.query<Account>(`SELECT ${ACCOUNT} FROM customers WHERE id = $1`, [id])).rows[0] ?? null;
}

/**
 * Sends the code that proves a contact the signed-in customer adds: the kind their account lacks (409
 * `has_contact` otherwise). Whether the contact has an account is said to no one before it is proved.
 */
export async function sendContactCode(
  db: Db,
  customer: SignedInCustomer,
  dest: Destination,
  opts: { client: string; locale: Locale; mailer: Mailer; sms: SmsProvider },
): Promise<{ expiresInMinutes: number }> {
  const account = await accountOf(db, customer.id);
  if (!account) throw signedOut();
  const kind = kindOf(dest);
  const judged = judgeJoin(account, kind, dest.to, null);
  if (!judged.ok) throw refused(judged.reason, kind);
  if (judged.then === 'already') throw refused('has_contact', kind);
  return sendCode(db, dest, { ...opts, forCustomer: customer.id });
}

/**
 * Adds the contact to the customer's account once `code` proves it (401 `bad_code` counting a try,
 * 410 `code_expired` as at sign-in), joining the account it had, if any. The same request again (a
 * repeated tap) finds its code used and the contact on the account: answered as done, nothing twice.
 */
export async function addContact(db: Db, customer: SignedInCustomer, dest: Destination, code: string): Promise<JoinOutcome> {
  try {
    return await proveCode(db, dest, code, customer.id, (tx) => attachContact(tx, customer.id, dest));
  } catch (err) {
    if (err instanceof AppError && err.code === 'code_expired') {
      const now = await accountOf(db, customer.id);
      if (now && now[kindOf(dest)] === dest.to) return { customer: customerOf(now), joined: null, already: true };
    }
    throw err;
  }
}

/** The proved contact made the account's, in the code's transaction. */
async function attachContact(tx: Tx, keptId: string, dest: Destination): Promise<JoinOutcome> {
  const kind = kindOf(dest);
  const { kept, owner } = await lockAccounts(tx, keptId, kind, dest.to);
  const judged = judgeJoin(kept, kind, dest.to, owner);
  if (!judged.ok) throw refused(judged.reason, kind);
  if (judged.then === 'already') return { customer: customerOf(kept), joined: null, already: true };
  if (judged.then === 'add') {
    try {
      await tx.query(`UPDATE customers SET ${kind} = $2 WHERE id = $1`, [keptId, dest.to]);
    } catch (err) {
      // an account made with that contact at the same moment (its own sign-in): the next try joins it
      if ((err as { code?: string }).code === '23505') throw tryAgain();
      throw err;
    }
    await audit(tx, { kind: 'customer', accountId: keptId }, {
      action: 'customer.contact', entity: 'customer', entityId: keptId, pizzeriaId: null, before: { contacts: kindsOf(kept) }, after: { contacts: [...kindsOf(kept), kind] },
    });
    return { customer: { ...customerOf(kept), [kind]: dest.to }, joined: null, already: false };
  }
  const joined = await mergeInto(tx, kept, owner!, judged.contacts);
  return { customer: { ...customerOf(kept), ...judged.contacts, name: kept.name ?? owner!.name }, joined, already: false };
}

/**
 * Locks the account and the one that has the contact, if any. That one's orders first: a move of one
 * of them that writes its points (a hand-over, a cancel, a refund) ends before the join or waits for
 * it, and then writes them to this account. Then both accounts, in the order of their ids, so two
 * joins at once, even crossed (each account adding the other's contact), take turns.
 */
async function lockAccounts(tx: Tx, keptId: string, kind: ContactKind, contact: string): Promise<{ kept: Account; owner: Account | null }> {
  const ownerId = async () => (await tx.query<{ id: string }>(`SELECT id FROM customers WHERE ${kind} = $1`, [contact])).rows[0]?.id ?? null;
  const first = await ownerId();
  if (first !== null && !same(first, keptId)) {
    await tx.query('SELECT 1 FROM orders WHERE id IN (SELECT order_id FROM customer_orders WHERE customer_id = $1) ORDER BY id FOR SHARE', [first]);
  }
  const { rows } = await tx.query<Account>(`SELECT ${ACCOUNT} FROM customers WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [[keptId, first].filter((x) => x !== null)]);
  const kept = rows.find((r) => same(r.id, keptId));
  // joined into another account while this waited: its sessions are over
  if (!kept) throw signedOut();
  // the contact may have moved while this waited (another join, an erasure): read again under the locks
  const now = await ownerId();
  if (now === null || same(now, keptId)) return { kept, owner: null };
  const owner = rows.find((r) => same(r.id, now));
  if (!owner) throw tryAgain();
  return { kept, owner };
}

/** The other account becomes this one: everything of it moved, its sessions ended, itself deleted. */
async function mergeInto(tx: Tx, kept: Account, gone: Account, contacts: Contacts): Promise<NonNullable<JoinOutcome['joined']>> {
  const move = async (sql: string) => (await tx.query(sql, [kept.id, gone.id])).rowCount ?? 0;
  const orders = await move('UPDATE customer_orders SET customer_id = $1 WHERE customer_id = $2');
  const { rows: ledger } = await tx.query<{ rows: number; points: number }>(
    `WITH moved AS (UPDATE loyalty_ledger SET customer_id = $1 WHERE customer_id = $2 RETURNING points)
     SELECT count(*)::int AS rows, coalesce(sum(points), 0)::int AS points FROM moved`,
    [kept.id, gone.id],
  );
  await move('UPDATE promo_redemptions SET customer_id = $1 WHERE customer_id = $2');
  // the same street and postcode is one address: the one used last keeps its details
  const addresses = await move(
    `INSERT INTO customer_addresses (customer_id, street, postcode, city, lat, lng, door_code, floor, instructions, last_used_at)
     SELECT $1, street, postcode, city, lat, lng, door_code, floor, instructions, last_used_at FROM customer_addresses WHERE customer_id = $2
     ON CONFLICT (customer_id, street, postcode) DO UPDATE SET city = EXCLUDED.city, lat = coalesce(EXCLUDED.lat, customer_addresses.lat),
       lng = coalesce(EXCLUDED.lng, customer_addresses.lng), door_code = EXCLUDED.door_code, floor = EXCLUDED.floor,
       instructions = EXCLUDED.instructions, last_used_at = EXCLUDED.last_used_at
     WHERE customer_addresses.last_used_at < EXCLUDED.last_used_at`,
  );
  const favourites = await move(
    `INSERT INTO customer_favourites (customer_id, product_id, created_at) SELECT $1, product_id, created_at FROM customer_favourites WHERE customer_id = $2
     ON CONFLICT (customer_id, product_id) DO UPDATE SET created_at = least(customer_favourites.created_at, EXCLUDED.created_at)`,
  );
  // their allergies, kept with their consent: the kept account's own, else the other's
  await moveAllergies(tx, kept.id, gone.id);
  // wrong order numbers given by either stay counted
  await move(
    `INSERT INTO customer_order_claims (customer_id, order_id, wrong) SELECT $1, order_id, wrong FROM customer_order_claims WHERE customer_id = $2
     ON CONFLICT (customer_id, order_id) DO UPDATE SET wrong = greatest(customer_order_claims.wrong, EXCLUDED.wrong)`,
  );
  const sessionsEnded = (await tx.query('DELETE FROM customer_sessions WHERE customer_id = $1', [gone.id])).rowCount ?? 0;
  // gone first: the contact is unique, and is this account's next
  await tx.query('DELETE FROM customers WHERE id = $1', [gone.id]);
  await tx.query('UPDATE customers SET email = $2, phone = $3, name = coalesce(name, $4), created_at = least(created_at, $5) WHERE id = $1', [
    kept.id, contacts.email, contacts.phone, gone.name, gone.createdAt,
  ]);
  await tx.query(`INSERT INTO loyalty_ledger (customer_id, points, reason, carried_points) VALUES ($1, 0, 'joined', $2)`, [kept.id, ledger[0].points]);
  const joined = { orders, points: ledger[0].points, addresses, favourites, sessionsEnded };
  await audit(tx, { kind: 'customer', accountId: kept.id }, {
    action: 'customer.join', entity: 'customer', entityId: kept.id, pizzeriaId: null,
    before: { contacts: kindsOf(kept), joined: { account: gone.id, contacts: kindsOf(gone) } },
    after: { contacts: kindsOf(contacts), ...joined, ledgerRows: ledger[0].rows },
  });
  return joined;
}
