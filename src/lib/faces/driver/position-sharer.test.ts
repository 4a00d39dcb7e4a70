import { describe, expect, it } from 'vitest';
import { PositionSharer, type SendResult } from './position-sharer.ts';
import type { PositionReport } from '../../realtime/contract.ts';

const at = (s: number, lat = 48.86, lng = 2.37): PositionReport => ({ lat, lng, accuracy: 10, at: 1_800_000_000_000 + s * 1000 });

function server(answer: (p: PositionReport) => SendResult = () => 'accepted') {
  const got: PositionReport[] = [];
  return { got, send: async (p: PositionReport) => { const a = answer(p); if (a !== 'unreachable') got.push(p); return a; } };
}

describe('sharing positions from the phone', () => {
  it('keeps a fix every 5 s or every 25 m, whichever comes first', async () => {
    const s = server();
    const sharer = new PositionSharer({ send: s.send });
    expect(sharer.offer(at(0))).toBe(true);
    expect(sharer.offer(at(2))).toBe(false); // 2 s, no move
    expect(sharer.offer(at(3, 48.8603))).toBe(true); // 33 m
    expect(sharer.offer(at(4, 48.8603))).toBe(false);
    expect(sharer.offer(at(8, 48.8603))).toBe(true); // 5 s since the last kept
    expect(sharer.offer(at(7))).toBe(false); // older than the last: never
    await sharer.flush();
    expect(s.got.map((p) => p.at)).toEqual([at(0).at, at(3).at, at(8).at]);
  });

  it('keeps fixes while offline and sends them when the network returns, in order, once each', async () => {
    let up = false;
    const s = server(() => (up ? 'accepted' : 'unreachable'));
    const sharer = new PositionSharer({ send: s.send });
    for (let i = 0; i < 6; i++) sharer.offer(at(i * 5));
    await sharer.flush();
    expect(sharer.waiting).toBe(6);
    expect(s.got).toHaveLength(0);
    up = true;
    sharer.setOnline(true);
    await sharer.flush();
    sharer.setOnline(true); // a second "back online" sends nothing twice
    await sharer.flush();
    expect(s.got.map((p) => p.at)).toEqual([0, 5, 10, 15, 20, 25].map((x) => at(x).at));
    expect(sharer.waiting).toBe(0);
  });

  it('drops what the server refuses (too old, out of order) and goes on', async () => {
    const s = server((p) => (p.at === at(5).at ? 'refused' : 'accepted'));
    const sharer = new PositionSharer({ send: s.send });
    sharer.setOnline(false);
    for (const x of [0, 5, 10]) sharer.offer(at(x));
    sharer.setOnline(true);
    await sharer.flush();
    expect(sharer.sent).toBe(2);
    expect(sharer.refused).toBe(1);
    expect(sharer.waiting).toBe(0);
  });

  it('after a long time offline keeps the newest fixes whole and thins the older ones', async () => {
    const s = server();
    const sharer = new PositionSharer({ send: s.send, maxWaiting: 10 });
    sharer.setOnline(false);
    for (let i = 0; i < 30; i++) sharer.offer(at(i * 5));
    expect(sharer.waiting).toBeLessThanOrEqual(10);
    sharer.setOnline(true);
    await sharer.flush();
    const times = s.got.map((p) => p.at);
    expect(times.at(-1)).toBe(at(29 * 5).at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
