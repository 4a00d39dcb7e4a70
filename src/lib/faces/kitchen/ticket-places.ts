// Where each ticket sits on the wall, and why it stays there. The make line reads like a newspaper:
// columns of tickets, oldest first, top to bottom then left to right, a screen ("page") of columns at
// a time. A ticket keeps its place while it is on the wall: one bumped anywhere leaves its place
// held (its height kept, "n°12 → ready" for a moment, then blank), a new one goes after the last, and
// nothing moves under a finger. The wall settles (the held places close, urgent and lit tickets come
// first, a ticket grown past the foot of its column moves on) only when nobody has touched it for a
// moment, and the screen animates those moves. Plain TypeScript: the screen measures the heights.

/** One place in a column: a ticket, or the place a ticket left (held until the wall settles). */
export interface Place {
  id: string;
  /** When its ticket left the wall (ms), null while it is there. */
  goneAt: number | null;
}

export type Columns = Place[][];

/** The room a column offers, and the tickets' heights (measured by the screen). */
export interface Room {
  /** A column's height (px); Infinity when the page scrolls (a phone). */
  height: number;
  /** The space between two tickets of a column (px). */
  gap: number;
  heightOf(id: string): number;
}

const used = (column: readonly Place[], room: Room) => column.reduce((h, p, i) => h + (i ? room.gap : 0) + room.heightOf(p.id), 0);
/** Whether a ticket of height h fits under what the column holds (an empty column takes any ticket). */
const fits = (column: readonly Place[], h: number, room: Room) => column.length === 0 || used(column, room) + room.gap + h <= room.height;

/** Everything in its order, afresh: each ticket under the previous one while it fits, else at the top of the next column. */
export function flow(ids: readonly string[], room: Room): Columns {
  const columns: Columns = [];
  for (const id of ids) {
    const last = columns.at(-1);
    if (last && fits(last, room.heightOf(id), room)) last.push({ id, goneAt: null });
    else columns.push([{ id, goneAt: null }]);
  }
  return columns;
}

/**
 * The wall after a change, with nothing moved: every ticket still there keeps its column and its
 * place; a ticket gone leaves its place held (since `nowMs`); one back (a ready order taken back to
 * the oven) takes its held place again; a new one goes after the last place, under it when it fits,
 * else at the top of the next column.
 */
export function keep(columns: Columns, ids: readonly string[], room: Room, nowMs: number): Columns {
  const present = new Set(ids);
  const placed = new Set<string>();
  const next: Columns = columns.map((column) =>
    column.map((p) => {
      placed.add(p.id);
      if (present.has(p.id)) return p.goneAt === null ? p : { id: p.id, goneAt: null };
      return p.goneAt === null ? { id: p.id, goneAt: nowMs } : p;
    }),
  );
  for (const id of ids) {
    if (placed.has(id)) continue;
    const last = next.at(-1);
    if (last && fits(last, room.heightOf(id), room)) last.push({ id, goneAt: null });
    else next.push([{ id, goneAt: null }]);
  }
  return next;
}

/** The tickets on the wall in reading order: down each column, then the next. */
export const readingOrder = (columns: Columns): string[] => columns.flatMap((c) => c.filter((p) => p.goneAt === null).map((p) => p.id));

/**
 * Whether the wall is worth settling now: a place held for `holdMs` or more, a ticket out of its
 * order (an order marked urgent, one lit on the pass), a column grown past its foot with more than
 * one ticket in it, or room on a page that a later ticket would take.
 */
export function settleDue(columns: Columns, ids: readonly string[], room: Room, nowMs: number, holdMs: number): boolean {
  if (columns.some((c) => c.some((p) => p.goneAt !== null && nowMs - p.goneAt >= holdMs))) return true;
  const shown = readingOrder(columns);
  const wanted = ids.filter((id) => shown.includes(id));
  if (wanted.some((id, i) => shown[i] !== id)) return true;
  if (columns.some((c) => c.length > 1 && used(c, room) > room.height)) return true;
  // a column that could take the first ticket of the next one (its head left since)
  return columns.some((c, i) => {
    const head = columns[i + 1]?.find((p) => p.goneAt === null);
    return head !== undefined && c.every((p) => p.goneAt === null) && fits(c, room.heightOf(head.id), room);
  });
}

/** The tickets whose place changed between two walls (a tap on one of them a moment later is held). */
export function moved(before: Columns, after: Columns): string[] {
  const at = (columns: Columns) => {
    const m = new Map<string, string>();
    columns.forEach((c, i) => c.forEach((p, j) => p.goneAt === null && m.set(p.id, `${i}/${j}`)));
    return m;
  };
  const was = at(before);
  return [...at(after)].filter(([id, where]) => was.has(id) && was.get(id) !== where).map(([id]) => id);
}

/** A screen of `perPage` columns: which columns page `page` shows. */
export const pageOf = (columns: Columns, page: number, perPage: number): Columns => columns.slice(page * perPage, (page + 1) * perPage);

/** How many screens the columns take (one at least). */
export const pageCount = (columns: Columns, perPage: number): number => Math.max(1, Math.ceil(columns.length / Math.max(1, perPage)));

/** The screen a ticket is on, or null when it is not on the wall. */
export function pageWith(columns: Columns, id: string, perPage: number): number | null {
  const i = columns.findIndex((c) => c.some((p) => p.id === id && p.goneAt === null));
  return i < 0 ? null : Math.floor(i / Math.max(1, perPage));
}

/** How many tickets are on the screens before and after this one: "‹ 4" and "+10 ›". */
export function offPage(columns: Columns, page: number, perPage: number): { before: number; after: number } {
  const count = (cs: Columns) => cs.reduce((n, c) => n + c.filter((p) => p.goneAt === null).length, 0);
  return { before: count(columns.slice(0, page * perPage)), after: count(columns.slice((page + 1) * perPage)) };
}

/** Where a ticket of the shown page sits, for the bump bar's arrows: its column and its row. */
export const gridOf = (columns: Columns): { id: string; col: number; row: number }[] =>
  columns.flatMap((c, col) => c.filter((p) => p.goneAt === null).map((p, row) => ({ id: p.id, col, row })));

/**
 * A strip of chips on one row, page by page: as many as fit in `room` px each page, in order, never
 * one cut (a chip wider than the row gets a page of its own).
 */
export function stripPages(widths: readonly number[], room: number, gap: number): number[][] {
  const pages: number[][] = [];
  let width = 0;
  widths.forEach((w, i) => {
    const page = pages.at(-1);
    if (page && width + gap + w <= room) {
      page.push(i);
      width += gap + w;
    } else {
      pages.push([i]);
      width = w;
    }
  });
  return pages.length ? pages : [[]];
}
