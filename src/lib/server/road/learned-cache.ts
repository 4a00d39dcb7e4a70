// What a shop's history teaches (its road, its kitchen's pace), read at most every `refreshMs` per
// shop and process: past that it is read again in the background while the last reading still
// answers, so no order waits for 28 days of history to be read; a reading that failed keeps the last.

export interface LearnedCache<T> {
  /** What was learned of the shop (null when it cannot be read: the caller then keeps its rule). */
  of(shop: number, read: () => Promise<T>, now?: number): Promise<T | null>;
  /** Forgets everything learned (a test that wrote a history, a restore). */
  clear(): void;
}

export function learnedCache<T>(refreshMs: number): LearnedCache<T> {
  const cache = new Map<number, { at: number; learned: Promise<T | null> }>();
  return {
    of(shop, read, now = Date.now()) {
      const held = cache.get(shop);
      if (held && now - held.at < refreshMs) return held.learned;
      const learned = read().catch(() => null);
      if (!held) {
        cache.set(shop, { at: now, learned });
        return learned;
      }
      held.at = now;
      void learned.then((l) => l !== null && cache.set(shop, { at: now, learned: Promise.resolve(l) }));
      return held.learned;
    },
    clear: () => cache.clear(),
  };
}
