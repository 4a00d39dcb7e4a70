// What a screen received, held against what Postgres stored for it: every event once, in id order,
// none missing. The same check for a test and for the failover drill.

export interface HistoryCheck {
  /** Stored events the screen never received. */
  lost: number[];
  /** Events the screen received more than once. */
  duplicated: number[];
  /** Events received after one with a higher id. */
  outOfOrder: number[];
}

/** `received`: the event ids in the order the screen got them; `stored`: the ids it should have, in id order. */
export function checkHistory(received: number[], stored: number[]): HistoryCheck {
  const seen = new Set<number>();
  const duplicated: number[] = [];
  const outOfOrder: number[] = [];
  let highest = 0;
  for (const id of received) {
    if (seen.has(id)) duplicated.push(id);
    else if (id < highest) outOfOrder.push(id);
    seen.add(id);
    highest = Math.max(highest, id);
  }
  return { lost: stored.filter((id) => !seen.has(id)), duplicated, outOfOrder };
}
