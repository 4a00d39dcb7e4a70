// Staff accounts in the back office. Head office manages everyone; a shop's manager manages the
// kitchen, counter and drivers of their own shop. A new account gets an invitation link by email
// to choose its password (valid once, for INVITE_TTL_HOURS); a forgotten password gets a reset
// link the same way (RESET_TTL_MINUTES). Disabling an account ends its sessions, and with them its
// sockets, at once (db/migrations/0007); a disabled driver goes off shift and their open offers
// go to the next driver. Every change has its audit row.
import { randomBytes } from 'node:crypto';
import type { StaffCreateRequest, StaffRole, StaffUpdateRequest } from '../../shapes/back-office-requests.ts';
import { audit } from '../kernel/audit.ts';
import { hashPassword, tokenId } from './auth.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../kernel/errors.ts';
import type { Mailer } from '../kernel/mailer.ts';
import { handOffersOn, type StaffActor } from '../orders/index.ts';
import { addJob, passwordResetJobOptions, type QueueOf } from '../kernel/queues.ts';
import { SHOP_CREW, can, may, runsChain } from '../../domain/permissions.ts';

export interface StaffMember {
  id: number;
  email: string;
  name: string;
  role: StaffRole;
  pizzeriaId: number | null;
  active: boolean;
  onShift: boolean;
  /** No password chosen yet: the invitation is pending. */
  invited: boolean;
  createdAt: string;
}

export interface AccountLinks {
  mailer: Mailer;
  /** The public origin links point to (https://…). */
  origin: string;
  inviteTtlHours: number;
  resetTtlMinutes: number;
}

/** Whether an actor may manage an account of this role in this shop. */
function mayManage(actor: StaffActor, target: { role: StaffRole; pizzeriaId: number | null }): boolean {
  if (runsChain(actor)) return true;
  // a shop's manager: their own shop's crew
  return may(actor.role, can.runShop) && target.pizzeriaId === actor.pizzeriaId && may(target.role, SHOP_CREW);
}

const STAFF_VIEW = `SELECT id, email, name, role, pizzeria_id, active, on_shift, password_set_at IS NULL AS invited, created_at FROM users`;
const toMember = (r: Record<string, any>): StaffMember => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  pizzeriaId: r.pizzeria_id,
  active: r.active,
  onShift: r.on_shift,
  invited: r.invited,
  createdAt: r.created_at.toISOString(),
});

export const STAFF_PAGE = 25;

/** The accounts an actor manages, searchable by name or email, a page at a time. */
export async function listStaff(
  q: Queryable,
  actor: StaffActor,
  filter: { q?: string; page?: number; shop?: number; role?: StaffRole; active?: 'yes' | 'no' },
): Promise<{ rows: StaffMember[]; total: number; page: number; pages: number }> {
  if (!may(actor.role, can.runShop)) throw forbidden('managers and head office manage staff');
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('$?', `$${params.length}`));
  };
  if (!runsChain(actor)) add('pizzeria_id = $?', actor.pizzeriaId);
  else if (filter.shop) add('pizzeria_id = $?', filter.shop);
  if (filter.q) {
    params.push(`%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(name ILIKE $${params.length} OR email ILIKE $${params.length})`);
  }
  if (filter.role) add('role = $?', filter.role);
  if (filter.active) add('active = $?', filter.active === 'yes');
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const page = Math.max(1, filter.page ?? 1);
  const [{ rows }, { rows: count }] = await Promise.all([
    q.query(`${STAFF_VIEW} ${clause} ORDER BY active DESC, pizzeria_id NULLS FIRST, role, name LIMIT ${STAFF_PAGE} OFFSET ${(page - 1) * STAFF_PAGE}`, params),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM users ${clause}`, params),
  ]);
  return { rows: rows.map(toMember), total: count[0].n, page, pages: Math.max(1, Math.ceil(count[0].n / STAFF_PAGE)) };
}

export async function getStaff(q: Queryable, actor: StaffActor, id: number): Promise<StaffMember> {
  const { rows } = await q.query(`${STAFF_VIEW} WHERE id = $1`, [id]);
  const m = rows[0] ? toMember(rows[0]) : null;
  if (!m || !mayManage(actor, m)) throw notFound('staff member');
  return m;
}

function checkPlacement(actor: StaffActor, role: StaffRole, pizzeriaId: number | null) {
  if (may(role, can.runChain) && pizzeriaId !== null) throw invalid({ pizzeriaId: 'head office belongs to no shop' });
  if (!may(role, can.runChain) && pizzeriaId === null) throw invalid({ pizzeriaId: 'which shop?' });
  if (!mayManage(actor, { role, pizzeriaId })) {
    throw forbidden(may(actor.role, can.runShop) ? 'a manager manages the kitchen, counter and drivers of their own shop' : 'you may not manage staff');
  }
}

async function lockMember(tx: Tx, actor: StaffActor, id: number) {
  const { rows } = await tx.query(`${STAFF_VIEW} WHERE id = $1 FOR UPDATE`, [id]);
  const m = rows[0] ? toMember(rows[0]) : null;
  if (!m || !mayManage(actor, m)) throw notFound('staff member');
  return m;
}

/** A link that works once: its token goes in the email, only its HMAC in the database. */
async function issueLink(tx: Tx, userId: number, purpose: 'invite' | 'reset', ttlMs: number, by: number | null): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  // a link a manager sends replaces the earlier unused ones of the same purpose; one asked for from
  // outside ("forgot your password?") does not, or anyone could keep breaking a colleague's links
  if (by !== null) await tx.query('DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL', [userId, purpose]);
  await tx.query(
    `INSERT INTO account_tokens (id, user_id, purpose, expires_at, created_by) VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8 / 1000), $5)`,
    [tokenId(token), userId, purpose, ttlMs, by],
  );
  return token;
}

function linkMail(purpose: 'invite' | 'reset', member: { name: string; email: string }, url: string, ttl: string) {
  return purpose === 'invite'
    ? {
        to: member.email,
        subject: 'OC Pizza : votre compte / your account',
        text:
          `Bonjour ${member.name},\n\nUn compte OC Pizza Live a été créé pour vous. Choisissez votre mot de passe ici (lien valable ${ttl}, une seule fois) :\n${url}\n\n` +
          `Hello ${member.name},\n\nAn OC Pizza Live account was made for you. Choose your password here (the link works once, for ${ttl}):\n${url}\n`,
      }
    : {
        to: member.email,
        subject: 'OC Pizza : nouveau mot de passe / new password',
        text:
          `Bonjour ${member.name},\n\nPour choisir un nouveau mot de passe, suivez ce lien (valable ${ttl}, une seule fois) :\n${url}\nSi vous n'avez rien demandé, ignorez ce message.\n\n` +
          `Hello ${member.name},\n\nTo choose a new password, follow this link (it works once, for ${ttl}):\n${url}\nIf you did not ask for it, ignore this message.\n`,
      };
}

async function mailLink(links: AccountLinks, purpose: 'invite' | 'reset', member: { name: string; email: string }, token: string) {
  const url = `${links.origin.replace(/\/$/, '')}/account/password?token=${token}`;
  const ttl = purpose === 'invite' ? `${links.inviteTtlHours} h` : `${links.resetTtlMinutes} min`;
  await links.mailer.send(linkMail(purpose, member, url, ttl));
}

export async function createStaff(db: Db, actor: StaffActor, req: StaffCreateRequest, links: AccountLinks): Promise<StaffMember> {
  const pizzeriaId = may(req.role, can.runChain) ? null : (req.pizzeriaId ?? (runsChain(actor) ? null : actor.pizzeriaId));
  checkPlacement(actor, req.role, pizzeriaId);
  const { member, token } = await transaction(db, async (tx) => {
    if (pizzeriaId !== null && !(await tx.query('SELECT 1 FROM pizzerias WHERE id = $1', [pizzeriaId])).rowCount) throw invalid({ pizzeriaId: 'no such shop' });
    // no password until its owner chooses one: a hash of random bytes nobody knows
    const unusable = await hashPassword(randomBytes(32).toString('hex'));
    const { rows } = await tx.query(
      `INSERT INTO users (email, password_hash, name, role, pizzeria_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [req.email, unusable, req.name, req.role, pizzeriaId],
    );
    if (!rows[0]) throw conflict('email_taken', 'an account already uses this email', { fields: { email: 'already used' } });
    const { rows: m } = await tx.query(`${STAFF_VIEW} WHERE id = $1`, [rows[0].id]);
    const member = toMember(m[0]);
    await audit(tx, actor, { action: 'staff.create', entity: 'user', entityId: member.id, pizzeriaId, before: null, after: member });
    return { member, token: await issueLink(tx, member.id, 'invite', links.inviteTtlHours * 3600_000, actor.id) };
  });
  await mailLink(links, 'invite', member, token).catch((err) => {
    throw new AppError(502, 'mail_failed', `the account was made but the invitation could not be sent (${(err as Error).message}): send it again`);
  });
  return member;
}

export async function updateStaff(db: Db, actor: StaffActor, id: number, req: StaffUpdateRequest): Promise<StaffMember> {
  return transaction(db, async (tx) => {
    const before = await lockMember(tx, actor, id);
    const role = req.role ?? before.role;
    const pizzeriaId = may(role, can.runChain) ? null : (req.pizzeriaId ?? before.pizzeriaId);
    if (id === actor.id && role !== before.role) throw conflict('not_allowed', 'you cannot change your own role');
    checkPlacement(actor, role, pizzeriaId);
    if (pizzeriaId !== null && !(await tx.query('SELECT 1 FROM pizzerias WHERE id = $1', [pizzeriaId])).rowCount) throw invalid({ pizzeriaId: 'no such shop' });
    if (req.email && req.email !== before.email && (await tx.query('SELECT 1 FROM users WHERE email = $1', [req.email])).rowCount) {
      throw conflict('email_taken', 'an account already uses this email', { fields: { email: 'already used' } });
    }
    await tx.query(
      `UPDATE users SET email = $2, name = $3, role = $4::user_role, pizzeria_id = $5, lent_to = CASE WHEN $4::user_role = 'driver' THEN lent_to END WHERE id = $1`,
      [id, req.email ?? before.email, req.name ?? before.name, role, pizzeriaId],
    );
    // a new role or shop is a new job: sign in again with it
    if (role !== before.role || pizzeriaId !== before.pizzeriaId) await tx.query('DELETE FROM sessions WHERE user_id = $1', [id]);
    // links mailed to the old address die with it: whoever reads that mailbox now must not choose the password
    if (req.email && req.email !== before.email) await tx.query('DELETE FROM account_tokens WHERE user_id = $1 AND used_at IS NULL', [id]);
    const { rows } = await tx.query(`${STAFF_VIEW} WHERE id = $1`, [id]);
    const after = toMember(rows[0]);
    await audit(tx, actor, { action: 'staff.update', entity: 'user', entityId: id, pizzeriaId: after.pizzeriaId, before, after });
    return after;
  });
}

/** Disables (ends every session and socket at once) or enables an account. */
export async function setStaffActive(db: Db, actor: StaffActor, id: number, active: boolean): Promise<StaffMember> {
  if (id === actor.id && !active) throw conflict('not_allowed', 'you cannot disable your own account');
  return transaction(db, async (tx) => {
    const before = await lockMember(tx, actor, id);
    if (before.active === active) return before;
    await tx.query('UPDATE users SET active = $2, on_shift = on_shift AND $2, lent_to = CASE WHEN $2 THEN lent_to END WHERE id = $1', [id, active]);
    // their open offers go to the next driver at once
    if (!active && may(before.role, can.drive)) await handOffersOn(tx, id, actor, 'withdrawn');
    const { rows } = await tx.query(`${STAFF_VIEW} WHERE id = $1`, [id]);
    const after = toMember(rows[0]);
    await audit(tx, actor, { action: active ? 'staff.enable' : 'staff.disable', entity: 'user', entityId: id, pizzeriaId: after.pizzeriaId, before, after });
    return after;
  });
}

/** Sends a new link: the invitation again (no password yet), else a password reset. */
export async function sendAccountLink(db: Db, actor: StaffActor, id: number, links: AccountLinks): Promise<{ sent: 'invite' | 'reset' }> {
  const { member, token, purpose } = await transaction(db, async (tx) => {
    const member = await lockMember(tx, actor, id);
    if (!member.active) throw conflict('not_allowed', 'the account is disabled: enable it first');
    const purpose = member.invited ? ('invite' as const) : ('reset' as const);
    const ttl = purpose === 'invite' ? links.inviteTtlHours * 3600_000 : links.resetTtlMinutes * 60_000;
    const token = await issueLink(tx, id, purpose, ttl, actor.id);
    await audit(tx, actor, { action: `staff.${purpose}_sent`, entity: 'user', entityId: id, pizzeriaId: member.pizzeriaId, before: null, after: { email: member.email } });
    return { member, token, purpose };
  });
  await mailLink(links, purpose, member, token);
  return { sent: purpose };
}

/** How long a reset request may wait for Redis before the answer says to try again. */
const ENQUEUE_TIMEOUT_MS = 3000;

/**
 * "Forgot your password?", as the request does it: the email is handed to the workers, and that is
 * all, whether an account has it or not, so neither the answer nor its time tells which emails are
 * staff accounts. The workers send the link (`sendPasswordReset`).
 */
export async function requestPasswordReset(queue: QueueOf<'accounts'>, email: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('queue unreachable')), ENQUEUE_TIMEOUT_MS)));
  try {
    await Promise.race([addJob(queue, 'password-reset', { email }, passwordResetJobOptions()), late]);
  } catch {
    throw new AppError(503, 'unavailable', 'this cannot be done right now: try again in a minute');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * However often "forgot your password?" is asked for one account, at most one email a minute, three
 * an hour and ten a day: enough for someone locked out, no mail bombing of a colleague.
 */
export const RESET_EMAIL_INTERVAL_SECONDS = 60;
export const RESET_EMAILS_PER_HOUR = 3;
export const RESET_EMAILS_PER_DAY = 10;

/**
 * A reset link to an active account's email (its invitation again if it has no password yet);
 * nothing for any other email, nor past RESET_EMAIL_INTERVAL_SECONDS, RESET_EMAILS_PER_HOUR or RESET_EMAILS_PER_DAY.
 */
export async function sendPasswordReset(db: Db, email: string, links: AccountLinks): Promise<'sent' | 'no_account' | 'recently_sent'> {
  const { rows } = await db.query<{ id: number; name: string; email: string; invited: boolean }>(
    'SELECT id, name, email, password_set_at IS NULL AS invited FROM users WHERE email = $1 AND active',
    [email],
  );
  const member = rows[0];
  if (!member) return 'no_account';
  const purpose = member.invited ? 'invite' : 'reset';
  const token = await transaction(db, async (tx) => {
    // one request of this account at a time, so two at once cannot both find nothing recent
    await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [member.id]);
    const { rows: sent } = await tx.query<{ minute: number; hour: number; day: number }>(
      `SELECT count(*) FILTER (WHERE created_at > now() - make_interval(secs => $2))::int AS minute,
              count(*) FILTER (WHERE created_at > now() - interval '1 hour')::int AS hour,
              count(*)::int AS day
       FROM account_tokens WHERE user_id = $1 AND created_by IS NULL AND created_at > now() - interval '1 day'`,
      [member.id, RESET_EMAIL_INTERVAL_SECONDS],
    );
    if (sent[0].minute > 0 || sent[0].hour >= RESET_EMAILS_PER_HOUR || sent[0].day >= RESET_EMAILS_PER_DAY) return null;
    return issueLink(tx, member.id, purpose, purpose === 'invite' ? links.inviteTtlHours * 3600_000 : links.resetTtlMinutes * 60_000, null);
  });
  if (!token) return 'recently_sent';
  try {
    await mailLink(links, purpose, member, token);
  } catch (err) {
    // not sent: the job's next attempt makes a new link, unhindered by this one
    await db.query('DELETE FROM account_tokens WHERE id = $1', [tokenId(token)]);
    throw err;
  }
  return 'sent';
}

/** What a link is for, while it can still be used; null once used, expired, or unknown. */
export async function linkInfo(q: Queryable, token: string): Promise<{ email: string; name: string; purpose: 'invite' | 'reset' } | null> {
  const { rows } = await q.query(
    `SELECT u.email, u.name, t.purpose FROM account_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.id = $1 AND t.used_at IS NULL AND t.expires_at > now() AND u.active`,
    [tokenId(token)],
  );
  return rows[0] ?? null;
}

/** Chooses the password with a link: once, before it expires; every other session of the account ends. */
export async function setPasswordWithLink(db: Db, token: string, password: string): Promise<{ email: string }> {
  const hashed = await hashPassword(password);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ user_id: number; purpose: string; email: string; pizzeria_id: number | null; role: StaffRole; name: string }>(
      `UPDATE account_tokens t SET used_at = now() FROM users u
       WHERE t.id = $1 AND t.used_at IS NULL AND t.expires_at > now() AND u.id = t.user_id AND u.active
       RETURNING t.user_id, t.purpose, u.email, u.pizzeria_id, u.role, u.name`,
      [tokenId(token)],
    );
    if (!rows[0]) throw new AppError(410, 'link_expired', 'this link was already used or has expired: ask for a new one');
    const u = rows[0];
    await tx.query('UPDATE users SET password_hash = $2, password_set_at = now() WHERE id = $1', [u.user_id, hashed]);
    // the password chosen, the account's other links are over (kept used, they still count against mail bombing)
    await tx.query('UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [u.user_id]);
    await tx.query('DELETE FROM sessions WHERE user_id = $1', [u.user_id]);
    await tx.query('DELETE FROM login_failures WHERE email = $1', [u.email]);
    const self: StaffActor = { kind: 'staff', id: u.user_id, role: u.role, pizzeriaId: u.pizzeria_id, name: u.name };
    await audit(tx, self, { action: u.purpose === 'invite' ? 'staff.password_chosen' : 'staff.password_reset', entity: 'user', entityId: u.user_id, pizzeriaId: u.pizzeria_id, before: null, after: null });
    return { email: u.email };
  });
}
