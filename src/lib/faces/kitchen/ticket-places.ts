// Where each ticket sits on the wall, and why it stays there. The make line reads like a newspaper:
// columns of tickets, oldest first, top to bottom then left to right, a screen ("page") of columns at
// a time; the screen lays each page out in columns (CSS multi-column), so a ticket that does not fit
// under the last one starts there and goes on at the top of the next column ("suite →"), between
// two of its lines, and no column keeps an empty band. This file decides which tickets each page
// holds, from the tickets' measured shapes (their head, each line, their foot): as many as fit in the
// page's columns, whole; the next one starts the next page. A ticket keeps its page and its rank
// while it is on the wall: one bumped anywhere leaves its place held (its height kept, "n°12 →
// ready" for a moment), a new one goes after the last, and nothing moves under a finger. The wall
// settles (the held places close, urgent and lit tickets come first, the pages are cut afresh) only
// when nobody has touched it for a moment, and the screen animates those moves. Plain TypeScript.

/** One place on a page: a ticket, or the place a ticket left (held until the wall settles). */
export interface Place {
  id: string;
  /** When its ticket left the wall (ms), null while it is there. */
  goneAt: number | null;
}

/** The wall: its pages, each a list of places in reading order. */
export type Pages = Place[][];

/** A ticket as measured whole (px): its head (number, times, notes), each line, its foot (the bump). */
export interface Shape {
  head: number;
  lines: number[];
  foot: number;
}

/** The room a page offers, and the tickets' shapes (measured by the screen). */
export interface Room {
  /** A column's height (px); Infinity when the page scrolls (a phone). */
  height: number;
  /** How many columns a page has. */
  columns: number;
  /** The space between two tickets of a column (px). */
  gap: number;
  /** What a ticket going on in the next column costs (its top and bottom edges drawn again, px). */
  breakCost: number;
  shapeOf(id: string): Shape;
}

const total = (s: Shape) => s.head + s.lines.reduce((n, h) => n + h, 0) + s.foot;
/** The pieces a ticket never breaks inside: its head with its first line, each line, the last with its foot. */
function pieces(s: Shape): number[] {
  if (!s.lines.length) return [s.head + s.foot];
  const p = [s.head + s.lines[0], ...s.lines.slice(1)];
  p[p.length - 1] += s.foot;
  return p;
}

/** Where each place of a page starts (its column and how far down), and how many columns the page takes. */
export function layout(places: readonly Place[], room: Room): { at: { col: number; top: number }[]; columns: number } {
  let col = 0;
  let y = 0;
  const at: { col: number; top: number }[] = [];
  for (const p of places) {
    const parts = pieces(room.shapeOf(p.id));
    if (y > 0) y += room.gap;
    // a ticket whose head and first line do not fit under the last one starts the next column
    if (y > 0 && y + parts[0] > room.height) {
      col++;
      y = 0;
    }
    at.push({ col, top: y });
    parts.forEach((h, k) => {
      if (k > 0 && y + h > room.height) {
        col++;
        y = room.breakCost;
      }
      y += h;
    });
  }
  return { at, columns: places.length ? col + 1 : 0 };
}

const fitsPage = (places: readonly Place[], room: Room) => layout(places, room).columns <= Math.max(1, room.columns);

/** Puts a ticket after the last place: on the last page while the page's columns hold it, else on a new page. */
function append(pages: Pages, id: string, room: Room) {
  const last = pages.at(-1);
  const place = { id, goneAt: null };
  if (last && (last.length === 0 || fitsPage([...last, place], room))) last.push(place);
  else pages.push([place]);
}

/** Everything in its order, afresh: each page holds as many tickets as its columns take, whole. */
export function flow(ids: readonly string[], room: Room): Pages {
  const pages: Pages = [];
  for (const id of ids) append(pages, id, room);
  return pages;
}

/**
 * The wall after a change, with nothing moved: every ticket still there keeps its page and its
 * place; a ticket gone leaves its place held (since `nowMs`); one back (a ready order taken back to
 * the oven) takes its held place again; a new one goes after the last place.
 */
export function keep(pages: Pages, ids: readonly string[], room: Room, nowMs: number): Pages {
  const present = new Set(ids);
  const placed = new Set<string>();
  const next: Pages = pages.map((page) =>
    page.map((p) => {
      placed.add(p.id);
      if (present.has(p.id)) return p.goneAt === null ? p : { id: p.id, goneAt: null };
      return p.goneAt === null ? { id: p.id, goneAt: nowMs } : p;
    }),
  );
  for (const id of ids) if (!placed.has(id)) append(next, id, room);
  return next;
}

/** The tickets on the wall in reading order. */
export const readingOrder = (pages: Pages): string[] => pages.flatMap((c) => c.filter((p) => p.goneAt === null).map((p) => p.id));

const withoutGone = (pages: Pages): string => JSON.stringify(pages.map((c) => c.filter((p) => p.goneAt === null).map((p) => p.id)).filter((c) => c.length));

/**
 * Whether the wall is worth settling now: a place held for `holdMs` or more (while one is held for
 * less, not yet), or the pages not what they would be afresh (a ticket out of its order, an order
 * marked urgent, one lit on the pass, a ticket grown past its page, room a later ticket would take).
 */
export function settleDue(pages: Pages, ids: readonly string[], room: Room, nowMs: number, holdMs: number): boolean {
  const held = pages.flat().filter((p) => p.goneAt !== null);
  if (held.length) return held.some((p) => nowMs - p.goneAt! >= holdMs);
  const shown = new Set(readingOrder(pages));
  return withoutGone(pages) !== withoutGone(flow(ids.filter((id) => shown.has(id)), room));
}

/** The tickets whose place changed between two walls: another screen, another column, or more than a few px up or down (a tap on them a moment later is held). */
export function moved(before: Pages, after: Pages, room: Room): string[] {
  const at = (pages: Pages) => {
    const m = new Map<string, { page: number; col: number; top: number }>();
    pages.forEach((page, i) => {
      const l = layout(page, room).at;
      page.forEach((p, j) => p.goneAt === null && m.set(p.id, { page: i, ...l[j] }));
    });
    return m;
  };
  const was = at(before);
  return [...at(after)]
    .filter(([id, now]) => {
      const then = was.get(id);
      return then !== undefined && (then.page !== now.page || then.col !== now.col || Math.abs(then.top - now.top) > 2);
    })
    .map(([id]) => id);
}

/** How many screens the wall takes (one at least). */
export const pageCount = (pages: Pages): number => Math.max(1, pages.length);

/** The screen a ticket is on, or null when it is not on the wall. */
export function pageWith(pages: Pages, id: string): number | null {
  const i = pages.findIndex((c) => c.some((p) => p.id === id && p.goneAt === null));
  return i < 0 ? null : i;
}

/** How many tickets are on the screens before and after this one: "‹ 4" and "+10 ›". */
export function offPage(pages: Pages, page: number): { before: number; after: number } {
  const count = (cs: Pages) => cs.reduce((n, c) => n + c.filter((p) => p.goneAt === null).length, 0);
  return { before: count(pages.slice(0, page)), after: count(pages.slice(page + 1)) };
}

/** Where each ticket of a page sits, for the bump bar's arrows: its column and its row in that column. */
export function gridOf(page: readonly Place[], room: Room): { id: string; col: number; row: number }[] {
  const { at } = layout(page, room);
  const rows: number[] = [];
  return page.flatMap((p, i) => {
    const col = at[i].col;
    const row = (rows[col] = (rows[col] ?? -1) + 1);
    return p.goneAt === null ? [{ id: p.id, col, row }] : [];
  });
}

/** A ticket's whole height (px), for the place it leaves. */
export const heightOf = (s: Shape | undefined): number => (s ? total(s) : 0);

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
