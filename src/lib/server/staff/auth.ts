import { createHmac, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Role } from '../../domain/order-states.ts';
import { config } from '../kernel/config.ts';
import type { Queryable } from '../kernel/db.ts';

export const SESSION_COOKIE = 'ocp_session';

export interface SessionUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  pizzeriaId: number | null;
}

// argon2id with the library's defaults (m=19 MiB, t=2, p=1: OWASP's minimum)
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

// verifying against a throwaway hash for unknown emails keeps both failures equally slow
let dummyHash: Promise<string> | undefined;

// the cookie holds a random token; the database only its HMAC under SESSION_SECRET, so neither a
// copy of the sessions table nor a backup is enough to forge or replay a session
export const tokenId = (token: string) => createHmac('sha256', config().sessionSecret).update(token).digest('hex');

export const LOGIN_WINDOW_MINUTES = 15;

export type LoginResult =
  | { status: 'ok'; token: string; expiresAt: Date; user: SessionUser }
  | { status: 'bad_credentials' }
  /** Too many failures for this email from this address lately: refused without checking. */
  | { status: 'locked' };

/**
 * Who a password says a member of staff is. Failures are counted per email and `door` (the
 * client's address for a login, whichever page or API it comes through; the till for a manager's
 * confirmation), and past `maxFailures` in LOGIN_WINDOW_MINUTES the password is not even looked at.
 */
async function checkPassword(q: Queryable, input: { email: string; password: string; door: string }, maxFailures: number): Promise<SessionUser | 'locked' | null> {
  const email = input.email.trim().toLowerCase();
  // no account has a control character in its email (and Postgres refuses NUL in text): nothing to look up or count
  if (/\p{Cc}/u.test(email)) return null;
  const { rows: recent } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM login_failures WHERE email = $1 AND ip = $2 AND at > now() - make_interval(mins => $3)`,
    [email, input.door, LOGIN_WINDOW_MINUTES],
  );
  if (recent[0].n >= maxFailures) return 'locked';
  const { rows } = await q.query('SELECT id, email, name, role, coalesce(lent_to, pizzeria_id) AS pizzeria_id, password_hash FROM users WHERE email = $1 AND active', [email]);
  const row = rows[0];
  const ok = row
    ? await verify(row.password_hash, input.password)
    : (await verify(await (dummyHash ??= hash(randomBytes(16).toString('hex'))), input.password), false);
  if (!ok) {
    await q.query('INSERT INTO login_failures (email, ip) VALUES ($1, $2)', [email, input.door]);
    return null;
  }
  await q.query('DELETE FROM login_failures WHERE email = $1 AND ip = $2', [email, input.door]);
  return { id: row.id, email: row.email, name: row.name, role: row.role, pizzeriaId: row.pizzeria_id };
}

/** Checks a password (checkPassword, by the client's address) and opens a session. */
export async function login(
  q: Queryable,
  input: { email: string; password: string; ip: string },
  opts: { ttlHours: number; maxFailures: number },
): Promise<LoginResult> {
  const user = await checkPassword(q, { email: input.email, password: input.password, door: input.ip }, opts.maxFailures);
  if (user === 'locked') return { status: 'locked' };
  if (!user) return { status: 'bad_credentials' };
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + opts.ttlHours * 3600_000);
  await q.query('INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3)', [tokenId(token), user.id, expiresAt]);
  return { status: 'ok', token, expiresAt, user };
}

/**
 * A member of staff says who they are with their password, without opening a session (a manager
 * confirming a till's correction at the counter): checkPassword, its failures counted at `from`.
 */
export const confirmStaff = (q: Queryable, input: { email: string; password: string; from: string }, maxFailures: number): Promise<SessionUser | 'locked' | null> =>
  checkPassword(q, { email: input.email, password: input.password, door: input.from }, maxFailures);

export async function userForSession(q: Queryable, token: string | undefined | null): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  const { rows } = await q.query(
    `SELECT u.id, u.email, u.name, u.role, coalesce(u.lent_to, u.pizzeria_id) AS pizzeria_id FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = $1 AND s.expires_at > now() AND u.active`,
    [tokenId(token)],
  );
  const r = rows[0];
  return r ? { id: r.id, email: r.email, name: r.name, role: r.role, pizzeriaId: r.pizzeria_id } : null;
}

/** Ends the session; returns whose it was (null: no such session). */
export async function logout(q: Queryable, token: string | undefined): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  forgetSession(tokenId(token));
  const { rows } = await q.query(
    `WITH gone AS (DELETE FROM sessions WHERE id = $1 RETURNING user_id)
     SELECT u.id, u.email, u.name, u.role, coalesce(u.lent_to, u.pizzeria_id) AS pizzeria_id FROM gone JOIN users u ON u.id = gone.user_id`,
    [tokenId(token)],
  );
  const r = rows[0];
  return r ? { id: r.id, email: r.email, name: r.name, role: r.role, pizzeriaId: r.pizzeria_id } : null;
}

/** A session's fingerprint for the technical events journal: it names the session, and gives nothing to sign in with. */
export const sessionRef = (token: string): string => tokenId(token).slice(0, 16);

/**
 * How long the API trusts a session it has looked up without asking Postgres again, at most (never
 * past the session's expiry). The hub's session watcher drops an entry the moment Postgres says the
 * session ended (a logout anywhere, a disabled account) or its account changed (a role, a shop, a
 * lending: migration 0117), and drops them all when its listening connection comes back (what was
 * said while it was down is lost): the time limit is the last resort. A screen taps every minute
 * or two in an evening: with a limit of seconds, nearly every tap read its session.
 */
export const SESSION_CACHE_MS = 5 * 60_000;
const SESSION_CACHE_MAX = 10_000;
const sessionCache = new Map<string, { user: SessionUser; until: number }>();

/**
 * userForSession for the API's hot path: a session found is kept in memory for SESSION_CACHE_MS
 * (never past its expiry), so a busy screen's taps cost no session query.
 */
export async function cachedUserForSession(q: Queryable, token: string | undefined | null): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  const id = tokenId(token);
  const hit = sessionCache.get(id);
  if (hit && hit.until > Date.now()) return hit.user;
  const { rows } = await q.query({
    name: 'session-user',
    text: `SELECT u.id, u.email, u.name, u.role, coalesce(u.lent_to, u.pizzeria_id) AS pizzeria_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.expires_at > now() AND u.active`,
    values: [id],
  });
  const r = rows[0];
  if (!r) {
    sessionCache.delete(id);
    return null;
  }
  const user: SessionUser = { id: r.id, email: r.email, name: r.name, role: r.role, pizzeriaId: r.pizzeria_id };
  if (sessionCache.size >= SESSION_CACHE_MAX) sessionCache.delete(sessionCache.keys().next().value!);
  sessionCache.set(id, { user, until: Math.min(Date.now() + SESSION_CACHE_MS, (r.expires_at as Date).getTime()) });
  return user;
}

/** A session ended (logout, disabled account, housekeeping): the API stops trusting it at once. */
export function forgetSession(sessionId: string): void {
  sessionCache.delete(sessionId);
}

/** An account changed (its role, its shop, its name): its sessions are read again at their next request. */
export function forgetAccountSessions(userId: number): void {
  for (const [id, kept] of sessionCache) if (kept.user.id === userId) sessionCache.delete(id);
}

/** What was said of the sessions while the watcher could not hear it is lost: every session is read again. */
export function forgetAllSessions(): void {
  sessionCache.clear();
}

/** Which of these stored session ids are still open (not logged out, not expired, user active). */
export async function liveSessionIds(q: Queryable, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await q.query<{ id: string }>(
    `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ANY($1) AND s.expires_at > now() AND u.active`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

// a malformed escape ("%E0%A4%A") is no session: the visitor is anonymous, not an error
function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Reads one cookie from a Cookie header (sockets and Express share this). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return safeDecode(part.slice(i + 1).trim());
  }
  return undefined;
}

/** Where each role lands after logging in. */
export function homeFor(role: Role): string {
  return { admin: '/manager', manager: '/manager', counter: '/counter', kitchen: '/kitchen', driver: '/driver' }[role];
}
