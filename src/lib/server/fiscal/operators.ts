// Who an entry's operator is, as people read it: the journal keeps `role:id` (a member of staff),
// `system` (the workers) or `customer`; a page shows the person's name and role instead.
import type { Queryable } from '../kernel/db.ts';

export interface OperatorName {
  name: string;
  role: string;
}

/** The staff behind `role:id` operators, by operator (others, and unknown ids, are left out). */
export async function operatorNames(q: Queryable, operators: Iterable<string>): Promise<Record<string, OperatorName>> {
  const ids = new Map<number, string>();
  for (const op of operators) {
    const m = /^[a-z_]+:(\d+)$/.exec(op);
    if (m) ids.set(Number(m[1]), op);
  }
  if (!ids.size) return {};
  const { rows } = await q.query<{ id: number; name: string }>('SELECT id, name FROM users WHERE id = ANY($1::int[])', [[...ids.keys()]]);
  const out: Record<string, OperatorName> = {};
  // the role the entry recorded (the one held when it was written), the name as it is now
  for (const r of rows) {
    const op = ids.get(r.id)!;
    out[op] = { name: r.name, role: op.slice(0, op.indexOf(':')) };
  }
  return out;
}
