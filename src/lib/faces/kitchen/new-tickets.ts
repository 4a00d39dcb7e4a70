// New tickets nobody has touched yet: each chimes when it arrives and again every `remindMs` until
// someone on the kitchen taps it or starts it, so a ticket that came in while everyone was at the
// oven is not missed. Plain TypeScript (the screen gives the time), tested alone.
export class Untouched {
  /** Order id → when it last chimed. */
  private readonly chimedAt = new Map<string, number>();

  add(id: string, nowMs: number): void {
    this.chimedAt.set(id, nowMs);
  }

  /** Someone touched the ticket (or it left the "to start" state): no more reminders for it. */
  touch(id: string): boolean {
    return this.chimedAt.delete(id);
  }

  has(id: string): boolean {
    return this.chimedAt.has(id);
  }

  get ids(): string[] {
    return [...this.chimedAt.keys()];
  }

  /** Forgets the tickets no longer waiting to be started (started elsewhere, cancelled). */
  keepOnly(waiting: ReadonlySet<string>): void {
    for (const id of this.chimedAt.keys()) if (!waiting.has(id)) this.chimedAt.delete(id);
  }

  /** Whether to chime again now: a ticket untouched for `remindMs` since its last chime (each counts from its own); 0 never reminds. */
  due(nowMs: number, remindMs: number): boolean {
    if (remindMs <= 0) return false;
    let due = false;
    for (const [id, at] of this.chimedAt) {
      if (nowMs - at >= remindMs) {
        this.chimedAt.set(id, nowMs);
        due = true;
      }
    }
    return due;
  }
}
