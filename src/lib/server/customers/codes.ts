// Signing a customer in without a password: a six-digit code sent to their email or their phone,
// which works once, for CODE_TTL_MINUTES, and dies after CODE_MAX_TRIES wrong tries. However often
// one destination asks, at most one code a minute, CODES_PER_HOUR an hour and CODES_PER_DAY a day
// (and the API counts the codes asked for and tried per client address: RATE_LIMIT_CUSTOMER_CODES).
// The same codes, limits and tries prove a contact a signed-in customer adds to their account
// (join.ts): such a code is asked for that account, and only that account may use it.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Locale } from '../../i18n/core.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import type { Mailer } from '../kernel/mailer.ts';
import type { SmsProvider } from '../kernel/sms.ts';
import { phoneKey } from '../../domain/phone.ts';
import { SmsWithheld } from '../messages/sms-limits.ts';

export const CODE_TTL_MINUTES = 10;
export const CODE_MAX_TRIES = 5;
export const CODE_INTERVAL_SECONDS = 60;
export const CODES_PER_HOUR = 5;
export const CODES_PER_DAY = 10;

/** Where a code goes: an email (lower case) or a phone (E.164). */
export type Destination = { channel: 'email'; to: string } | { channel: 'sms'; to: string };

/** The destination as it is kept and compared, however it was typed. */
export function destinationOf(contact: { email: string } | { phone: string }): Destination {
  if ('email' in contact) return { channel: 'email', to: contact.email.trim().toLowerCase() };
  const to = phoneKey(contact.phone);
  if (!to) throw new AppError(422, 'invalid', 'this is not a phone number', { fields: { phone: 'a phone number, e.g. 06 12 34 56 78' } });
  return { channel: 'sms', to };
}

const hashOf = (salt: string, code: string) => createHash('sha256').update(`${salt}:${code}`).digest('hex');

const tooMany = (message: string) => new AppError(429, 'rate_limited', message);

/** A code the texts' limits keep from going (src/lib/server/messages/sms-limits.ts): by email it still goes. */
const textRefused = (reason: SmsWithheld['reason']) =>
  reason === 'country'
    ? new AppError(422, 'sms_not_allowed', 'codes are texted only to numbers of France and its overseas departments: ask for yours by email', {
        fields: { phone: 'not a number we text: use your email' },
      })
    : new AppError(429, 'sms_paused', 'codes by text are paused for now: ask for yours by email', { fields: { phone: 'texts are paused for now: use your email' } });

/** What the code's message says, in the customer's language: to sign in, or to add this contact to an account. */
function codeMessage(code: string, locale: Locale, dest: Destination, adding: boolean): { subject: string; text: string } {
  const email = dest.channel === 'email';
  if (locale === 'en') {
    return {
      subject: `Your OC Pizza code: ${code}`,
      text: adding
        ? `Your code to add this ${email ? 'email address' : 'number'} to your OC Pizza account is ${code}. It works once, for ${CODE_TTL_MINUTES} minutes. If you did not ask for it, ignore this message and give it to no one.`
        : `Your OC Pizza sign-in code is ${code}. It works once, for ${CODE_TTL_MINUTES} minutes. If you did not ask for it, ignore this message.`,
    };
  }
  return {
    subject: `Votre code OC Pizza\u202f: ${code}`,
    text: adding
      ? `Votre code pour ajouter ${email ? 'cette adresse' : 'ce numéro'} à votre compte OC Pizza est ${code}. Il sert une fois, pendant ${CODE_TTL_MINUTES} minutes. Si vous ne l'avez pas demandé, ignorez ce message et ne le donnez à personne.`
      : `Votre code de connexion OC Pizza est ${code}. Il sert une fois, pendant ${CODE_TTL_MINUTES} minutes. Si vous ne l'avez pas demandé, ignorez ce message.`,
  };
}

/**
 * Makes a code for the destination and sends it, within the limits (429 past them, saying when to
 * try again). Nothing says whether the destination has an account: any proved contact can sign in,
 * and its first sign-in makes the account. A message that could not be sent leaves no code behind.
 * `forCustomer`: the code adds the destination to that account (join.ts), and signs no one in.
 */
export async function sendCode(
  db: Db,
  dest: Destination,
  opts: { client: string; locale: Locale; mailer: Mailer; sms: SmsProvider; forCustomer?: string },
): Promise<{ expiresInMinutes: number }> {
  // a number the chain never texts (SMS pumping lives on far-away ranges): refused before any code exists
  if (dest.channel === 'sms' && opts.sms.accepts && !opts.sms.accepts(dest.to)) throw textRefused('country');
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const salt = randomBytes(12).toString('base64url');
  const id = await transaction(db, async (tx) => {
    // one request of a destination at a time, so two at once cannot both find nothing recent
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 25))', [dest.to]);
    const { rows } = await tx.query<{ minute: number; hour: number; day: number }>(
      `SELECT count(*) FILTER (WHERE created_at > now() - make_interval(secs => $2))::int AS minute,
              count(*) FILTER (WHERE created_at > now() - interval '1 hour')::int AS hour,
              count(*)::int AS day
       FROM customer_codes WHERE destination = $1 AND created_at > now() - interval '1 day'`,
      [dest.to, CODE_INTERVAL_SECONDS],
    );
    const n = rows[0];
    if (n.minute > 0) throw tooMany('a code was sent a moment ago: wait a minute before asking again');
    if (n.hour >= CODES_PER_HOUR || n.day >= CODES_PER_DAY) throw tooMany('too many codes were sent there: try again later');
    const { rows: made } = await tx.query<{ id: string }>(
      `INSERT INTO customer_codes (channel, destination, salt, code_hash, client, expires_at, for_customer)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6), $7) RETURNING id`,
      [dest.channel, dest.to, salt, hashOf(salt, code), opts.client, CODE_TTL_MINUTES, opts.forCustomer ?? null],
    );
    return made[0].id;
  });
  const message = codeMessage(code, opts.locale, dest, opts.forCustomer !== undefined);
  try {
    if (dest.channel === 'email') await opts.mailer.send({ to: dest.to, subject: message.subject, text: message.text });
    else await opts.sms.send({ to: dest.to, text: message.text });
  } catch (err) {
    await db.query('DELETE FROM customer_codes WHERE id = $1', [id]);
    if (err instanceof SmsWithheld) throw textRefused(err.reason);
    throw new AppError(503, 'unavailable', 'the code could not be sent right now: try again in a minute');
  }
  return { expiresInMinutes: CODE_TTL_MINUTES };
}

/**
 * Checks a code against the destination's latest one: right, it is used (once) and the customer
 * of that contact is answered (made at their first sign-in); wrong, it counts a try, and past
 * CODE_MAX_TRIES the code is dead (a new one must be asked).
 */
export async function checkCode(db: Db, dest: Destination, code: string): Promise<{ customerId: string; created: boolean }> {
  return proveCode(db, dest, code, null, (tx) => customerFor(tx, dest));
}

/**
 * Proves that whoever gives `code` holds the destination: it must be the destination's latest code,
 * asked for this purpose (`forCustomer`: adding it to that account; null: signing in), live, and
 * right. Right, it is used and `proved` runs in the same transaction (what it refuses leaves the code
 * unused); wrong, a try is counted (committed before the refusal), and past CODE_MAX_TRIES the code
 * is dead. The one road by which a contact is ever proved.
 */
export async function proveCode<T>(db: Db, dest: Destination, code: string, forCustomer: string | null, proved: (tx: Tx) => Promise<T>): Promise<T> {
  const checked = await transaction(db, async (tx): Promise<{ wrong: number } | { done: T }> => {
    const { rows } = await tx.query<{ id: string; salt: string; code_hash: string; attempts: number; live: boolean; for_customer: string | null }>(
      `SELECT id, salt, code_hash, attempts, (used_at IS NULL AND expires_at > now()) AS live, for_customer::text AS for_customer
       FROM customer_codes WHERE destination = $1 ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`,
      [dest.to],
    );
    const latest = rows[0];
    // a code asked for another purpose (or another account) is not this one's: as if none was asked
    if (!latest || !latest.live || latest.for_customer !== (forCustomer === null ? null : String(forCustomer))) throw new AppError(410, 'code_expired', 'this code has expired or was already used: ask for a new one');
    if (latest.attempts >= CODE_MAX_TRIES) throw new AppError(410, 'code_expired', 'too many wrong tries: ask for a new code');
    const given = Buffer.from(hashOf(latest.salt, code), 'hex');
    if (!timingSafeEqual(given, Buffer.from(latest.code_hash, 'hex'))) {
      // the wrong try is kept (this transaction commits): the refusal is thrown after it
      await tx.query('UPDATE customer_codes SET attempts = attempts + 1 WHERE id = $1', [latest.id]);
      return { wrong: CODE_MAX_TRIES - latest.attempts - 1 };
    }
    await tx.query('UPDATE customer_codes SET used_at = now() WHERE id = $1', [latest.id]);
    return { done: await proved(tx) };
  });
  if ('wrong' in checked) {
    const left = checked.wrong;
    throw new AppError(401, 'bad_code', left > 0 ? `wrong code: ${left} more ${left === 1 ? 'try' : 'tries'}` : 'wrong code: ask for a new one');
  }
  return checked.done;
}

/**
 * The customer of a proved contact (made if new). Their guest orders of that contact are not joined:
 * the contact is proved now, not when those orders were placed (anyone could type it, and a number
 * changes hands). They are offered on the account page, to confirm with their number (confirm.ts).
 */
async function customerFor(tx: Queryable, dest: Destination): Promise<{ customerId: string; created: boolean }> {
  const column = dest.channel === 'email' ? 'email' : 'phone';
  const { rows } = await tx.query<{ id: string; created: boolean }>(
    `INSERT INTO customers (${column}) VALUES ($1)
     ON CONFLICT (${column}) DO UPDATE SET ${column} = EXCLUDED.${column}
     RETURNING id, (xmax = 0) AS created`,
    [dest.to],
  );
  const { id, created } = rows[0];
  return { customerId: id, created };
}
