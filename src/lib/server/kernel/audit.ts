// The back office's audit log: who changed what and when, with the record before and after. Each
// change writes its row in its own transaction, so a change and its trace stand or fall together.
import type { Queryable, Tx } from './db.ts';
import type { StaffActor } from './actors.ts';

export interface AuditEntry {
  action: string;
  entity: string;
  entityId: string | number;
  pizzeriaId: number | null;
  before: unknown;
  after: unknown;
}

/**
 * A member of staff, or a customer: by their tracking link (a rating: no account, so no actor id), or
 * signed in to their account (named by its number only: the log keeps no contact of theirs).
 */
export async function audit(tx: Tx, actor: StaffActor | { kind: 'customer'; accountId?: string }, e: AuditEntry): Promise<void> {
  const [actorId, label] =
    actor.kind === 'staff' ? [actor.id, `${actor.name} (${actor.role})`]
    : actor.accountId ? [null, `customer account #${actor.accountId}`]
    : [null, 'customer (tracking link)'];
  await tx.query(
    `INSERT INTO audit_log (actor_id, actor, action, entity, entity_id, pizzeria_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [actorId, label, e.action, e.entity, String(e.entityId), e.pizzeriaId, JSON.stringify(e.before ?? null), JSON.stringify(e.after ?? null)],
  );
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  pizzeriaId: number | null;
  before: unknown;
  after: unknown;
}

export const AUDIT_PAGE = 50;

/**
 * Head office's search: newest first, by words in the action, entity, actor or the records, a page of
 * 50 at a time. `textIds`: the record ids the text also stands for, where the log keeps a value keyed
 * rather than in clear (a phone number typed finds the lookups of that number: callers.ts).
 */
export async function searchAudit(
  q: Queryable,
  filter: { text?: string; textIds?: string[]; entity?: string; pizzeriaId?: number; page?: number },
): Promise<{ rows: AuditRow[]; total: number; page: number; pages: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.text) {
    params.push(`%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const p = `$${params.length}`;
    params.push(filter.textIds ?? []);
    const ids = `$${params.length}`;
    where.push(`(action ILIKE ${p} OR entity ILIKE ${p} OR entity_id ILIKE ${p} OR actor ILIKE ${p} OR before::text ILIKE ${p} OR after::text ILIKE ${p} OR entity_id = ANY(${ids}::text[]))`);
  }
  if (filter.entity) {
    params.push(filter.entity);
    where.push(`entity = $${params.length}`);
  }
  if (filter.pizzeriaId) {
    params.push(filter.pizzeriaId);
    where.push(`pizzeria_id = $${params.length}`);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const page = Math.max(1, filter.page ?? 1);
  const [{ rows }, { rows: count }] = await Promise.all([
    q.query(
      `SELECT id, at, actor, action, entity, entity_id, pizzeria_id, before, after FROM audit_log ${clause}
       ORDER BY at DESC, id DESC LIMIT ${AUDIT_PAGE} OFFSET ${(page - 1) * AUDIT_PAGE}`,
      params,
    ),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log ${clause}`, params),
  ]);
  return {
    rows: rows.map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      pizzeriaId: r.pizzeria_id,
      before: r.before,
      after: r.after,
    })),
    total: count[0].n,
    page,
    pages: Math.max(1, Math.ceil(count[0].n / AUDIT_PAGE)),
  };
}
