import { describe, expect, it } from 'vitest';
import type { Ack, OrderUpdated, SubscribeRequest, SubscribeResult } from './contract.ts';
import { LiveLink, type LiveSocket, type LiveStatus } from './live-link.ts';

/** A socket the test drives: it fires server events and answers subscriptions by hand. */
function fakeSocket() {
  const handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  const subscribes: { req: SubscribeRequest; ack: (res: Ack<SubscribeResult>) => void }[] = [];
  let connects = 0;
  let closed = false;
  const socket = {
    on(event: string, fn: (...args: unknown[]) => void) {
      handlers.set(event, [...(handlers.get(event) ?? []), fn]);
      return socket;
    },
    emit(event: string, req: SubscribeRequest, ack: (res: Ack<SubscribeResult>) => void) {
      if (event === 'subscribe') subscribes.push({ req, ack });
      return socket;
    },
    connect() {
      connects++;
      return socket;
    },
    close() {
      closed = true;
      return socket;
    },
  };
  return {
    socket: socket as unknown as LiveSocket,
    subscribes,
    fire: (event: string, ...args: unknown[]) => handlers.get(event)?.forEach((fn) => fn(...args)),
    get connects() {
      return connects;
    },
    get closed() {
      return closed;
    },
  };
}

const event = (eventId: number): OrderUpdated => ({ eventId, type: 'order.status', at: '', order: { id: 'o', version: eventId } as never });
const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(lastEventId = 10, onResync?: () => Promise<number>) {
  const s = fakeSocket();
  const statuses: LiveStatus[] = [];
  const events: number[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const link = new LiveLink(s.socket, {
    subscription: { scope: 'kitchen', pizzeriaId: 1 },
    lastEventId,
    onEvent: (e) => events.push(e.eventId),
    onResync,
    onStatus: (st) => statuses.push(st),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    comebackDelayMs: () => 700,
  });
  return { s, link, statuses, events, timers };
}

describe('a screen\'s live link', () => {
  it('subscribes on connect from the snapshot\'s last event id, and is live once the server says yes', async () => {
    const { s, link, statuses } = setup(10);
    expect(link.status).toBe('connecting');
    s.fire('connect');
    expect(s.subscribes[0].req).toEqual({ scope: 'kitchen', pizzeriaId: 1, lastEventId: 10 });
    s.subscribes[0].ack({ data: { lastEventId: 12 } });
    await tick();
    expect(link.status).toBe('live');
    expect(link.lastEventId).toBe(12);
    expect(statuses).toEqual(['live']);
  });

  it('after a drop, subscribes again from the last event it saw, so it misses nothing', async () => {
    const { s, link, events } = setup(10);
    s.fire('connect');
    s.subscribes[0].ack({ data: { lastEventId: 10 } });
    s.fire('order:updated', event(11));
    s.fire('order:updated', event(13));
    s.fire('order:updated', event(12)); // a late repeat does not move it back
    expect(events).toEqual([11, 13, 12]);
    s.fire('disconnect', 'transport close');
    expect(link.status).toBe('reconnecting');
    s.fire('connect');
    expect(s.subscribes[1].req.lastEventId).toBe(13);
  });

  it('reloads the snapshot when the gap is too old to replay, and goes on from it', async () => {
    let reloads = 0;
    const { s, link } = setup(10, async () => {
      reloads++;
      return 500;
    });
    s.fire('connect');
    s.subscribes[0].ack({ data: { resync: true, lastEventId: 900 } });
    await tick();
    expect(reloads).toBe(1);
    expect(link.lastEventId).toBe(500);
    expect(link.status).toBe('live');
  });

  it('says so when the hub refuses the subscription', async () => {
    const { s, link } = setup();
    s.fire('connect');
    s.subscribes[0].ack({ error: { code: 'forbidden', message: 'not your shop' } });
    await tick();
    expect(link.status).toBe('refused');
    expect(link.error).toBe('not your shop');
  });

  it('shows a restart at once, and comes back by itself after the server let it go on purpose', () => {
    const { s, link, timers } = setup();
    s.fire('connect');
    s.fire('server:restarting');
    expect(link.status).toBe('reconnecting');
    s.fire('disconnect', 'io server disconnect');
    expect(timers.map((t) => t.ms)).toEqual([700]);
    timers[0].fn();
    expect(s.connects).toBe(1);
    s.fire('connect_error', new Error('refused'));
    expect(link.status).toBe('reconnecting');
  });

  it('does not come back once the page closed it', () => {
    const { s, link, timers } = setup();
    s.fire('disconnect', 'io server disconnect');
    link.close();
    timers[0].fn();
    expect(s.closed).toBe(true);
    expect(s.connects).toBe(0);
  });

  it('passes menu and system news through', () => {
    const s = fakeSocket();
    const menus: number[] = [];
    const systems: string[] = [];
    new LiveLink(s.socket, {
      subscription: { scope: 'menu', pizzeriaId: 2 },
      lastEventId: 0,
      onMenu: (m) => menus.push(m.pizzeriaId),
      onSystem: (st) => systems.push(st.at),
    });
    s.fire('menu:availability', { pizzeriaId: 2, products: [] });
    s.fire('system:status', { at: 'now' });
    expect(menus).toEqual([2]);
    expect(systems).toEqual(['now']);
  });
});
