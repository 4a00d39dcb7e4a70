import { flow, keep, moved, offPage, pageCount, pageWith, settleDue, type Pages, type Place, type Room } from './ticket-places.ts';

/** A ticket bumped while hands are on the screen leaves its place held (saying where it went) at least this long. */
export const HOLD_MS = 3000;
/** The wall settles only after this long without a touch or a key. */
export const QUIET_MS = 2500;
/** A tap on a ticket that moved this recently is held back (the cook aimed at what was there). */
export const GUARD_MS = 700;
/** Left on another screen this long untouched, the wall comes back to its first screen (the oldest tickets). */
export const HOME_MS = 30_000;

/**
 * One stretch of the wall (the make line, or the pass): its tickets' places page by page, held still
 * while hands are on the screen (ticket-places.ts), the screen shown, and which tickets just moved.
 */
export class Wall {
  pages = $state.raw<Pages>([]);
  page = $state(0);
  /** Tickets that have just moved (for GUARD_MS): a tap on one of them is held back. */
  moving = $state<Record<string, true>>({});
  /** When a touch or a key last reached the screen (ms). */
  lastInput = 0;

  get count(): number {
    return pageCount(this.pages);
  }

  /** The places the screen shows now. */
  get shown(): Place[] {
    return this.pages[this.page] ?? [];
  }

  /** How many tickets the screens before and after this one hold. */
  get off(): { before: number; after: number } {
    return offPage(this.pages, this.page);
  }

  /** The screen a ticket is on (null: not on the wall). */
  pageOf(id: string): number | null {
    return pageWith(this.pages, id);
  }

  /** Whether a ticket has a place yet (a new one gets it once measured). */
  has(id: string): boolean {
    return this.pages.some((c) => c.some((p) => p.id === id));
  }

  /** The wall after its tickets changed, nothing moved. */
  update(ids: readonly string[], room: Room, nowMs: number) {
    const next = keep(this.pages, ids, room, nowMs);
    if (JSON.stringify(next) !== JSON.stringify(this.pages)) this.pages = next;
    this.clamp();
  }

  /** Everything afresh in its order (a new station, size or screen, or the wall settling): the tickets that moved. */
  settle(ids: readonly string[], room: Room): string[] {
    const next = flow(ids, room);
    const gone = moved(this.pages, next, room);
    this.pages = next;
    for (const id of gone) {
      this.moving[id] = true;
      setTimeout(() => delete this.moving[id], GUARD_MS);
    }
    this.clamp();
    return gone;
  }

  /** Settles if it is worth it and nobody has touched the screen for a moment; the tickets that moved, or null. */
  settleIfQuiet(ids: readonly string[], room: Room, nowMs: number): string[] | null {
    if (nowMs - this.lastInput < QUIET_MS) return null;
    // a place is held (and says where its ticket went) only for hands that were on the screen lately:
    // a ticket bumped from another tablet while nobody touches this one leaves no empty place
    const hold = nowMs - this.lastInput < QUIET_MS + HOLD_MS ? HOLD_MS : 0;
    if (!settleDue(this.pages, ids, room, nowMs, hold)) return null;
    return this.settle(ids, room);
  }

  /** A touch or a key: the wall holds still for a while; left long on another screen, it comes home. */
  touched(nowMs: number) {
    this.lastInput = nowMs;
  }

  comeHomeIfIdle(nowMs: number) {
    if (this.page > 0 && nowMs - this.lastInput >= HOME_MS) this.page = 0;
  }

  /** Whether a tap on this ticket now would land on what was there before it moved. */
  guarded(id: string): boolean {
    return this.moving[id] === true;
  }

  go(page: number) {
    this.page = Math.min(this.count - 1, Math.max(0, page));
  }

  private clamp() {
    if (this.page > this.count - 1) this.page = this.count - 1;
  }
}
