import { describe, expect, it, vi } from 'vitest';
import { OnlineSignal, StaffActions, errorMessageKey, type ActionEntry, type Outcome } from './staff-actions.ts';
import type { OrderView } from '../shapes/views.ts';

const ORDER = '0b5f9a0e-2f43-4a52-9a33-0d1c7c0c7a11';

/** A tiny stand-in for the order API: one ticket with a version, moved once per accepted request. */
function fakeServer() {
  const order = { id: ORDER, number: 12, status: 'received', version: 3 } as unknown as OrderView;
  const calls: { url: string; init?: RequestInit }[] = [];
  let down = false;
  let loseNextAnswer = false;
  let failNext: { status: number; body: unknown } | null = null;
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    if (down) throw new TypeError('Failed to fetch');
    if (failNext) {
      const f = failNext;
      failNext = null;
      return json(f.status, f.body);
    }
    const u = String(url);
    if (u === `/api/orders/${ORDER}` && !init?.method) return json(200, order);
    if (u === `/api/orders/${ORDER}/status`) {
      const body = JSON.parse(String(init!.body));
      if (body.version !== order.version) return json(409, { error: { code: 'stale', message: 'the order changed since you saw it' } });
      Object.assign(order, { status: body.to, version: order.version + 1 });
      if (loseNextAnswer) {
        loseNextAnswer = false;
        throw new TypeError('network changed');
      }
      return json(200, { ...order });
    }
    if (u === '/api/driver/shift') return json(200, { onShift: JSON.parse(String(init!.body)).onShift });
    if (u === '/api/orders') return json(201, { id: 'x', number: 40, status: 'received', total: 1050, trackingToken: 't' });
    return json(404, { error: { code: 'not_found', message: 'route not found' } });
  });
  return {
    order,
    calls,
    fetch: fetch as unknown as typeof globalThis.fetch,
    moves: () => calls.filter((c) => c.url.endsWith('/status')).length,
    setDown: (v: boolean) => (down = v),
    loseNextAnswer: () => (loseNextAnswer = true),
    failNext: (status: number, body: unknown) => (failNext = { status, body }),
  };
}

/** Timers the test fires by hand. */
function manualTimers() {
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    setTimer: (fn: () => void, ms: number) => {
      const id = next++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimer: (h: unknown) => void timers.delete(h as number),
    /** Runs the timers of at most `ms` (retries and the done flash, not the request timeout). */
    fire(ms = 20_000) {
      for (const [id, t] of [...timers]) {
        if (t.ms <= ms) {
          timers.delete(id);
          t.fn();
        }
      }
    },
    delays: () => [...timers.values()].map((t) => t.ms),
  };
}

function setup(online = true) {
  const server = fakeServer();
  const signal = new OnlineSignal(online);
  const timers = manualTimers();
  const settled: { entry: ActionEntry; outcome: Outcome }[] = [];
  const actions = new StaffActions({
    fetch: server.fetch,
    online: signal,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    onSettled: (entry, outcome) => settled.push({ entry, outcome }),
  });
  const changes: string[] = [];
  actions.subscribe(() => changes.push(actions.list().map((e) => e.state).join(',')));
  return { server, signal, timers, actions, settled, changes };
}

const bump = (version = 3) => ({ kind: 'advance' as const, orderId: ORDER, number: 12, to: 'preparing' as const, version });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('staff actions', () => {
  it('a bump is shown in flight, then done, and the page gets the moved ticket', async () => {
    const { actions, settled, changes, server, timers } = setup();
    const outcome = await actions.submit(bump());
    expect(outcome.ok && outcome.result.status).toBe('preparing');
    expect(changes[0]).toBe('sending');
    expect(actions.get(`order:${ORDER}`)?.state).toBe('done');
    expect(settled).toHaveLength(1);
    expect(server.moves()).toBe(1);
    timers.fire();
    expect(actions.list()).toEqual([]);
  });

  it('the next bump of a ticket, tapped while the first is still on its way, goes once the first is through', async () => {
    const { actions, server } = setup();
    // the screen shows the ticket started as soon as the hub relays it, before the answer is back:
    // the cook bumps it again, to ready
    const started = actions.submit(bump());
    const ready = actions.submit({ ...bump(4), to: 'ready' as const });
    const [a, b] = await Promise.all([started, ready]);
    expect(a.ok && a.result.status).toBe('preparing');
    expect(b.ok && b.result.status).toBe('ready');
    expect(server.moves()).toBe(2);
    expect(server.order.status).toBe('ready');
  });

  it('a next bump after a first that failed is not sent, and says why the first failed', async () => {
    const { actions, server } = setup();
    server.failNext(409, { error: { code: 'stale', message: 'the order changed since you saw it' } });
    const started = actions.submit(bump());
    const ready = actions.submit({ ...bump(4), to: 'ready' as const });
    const [a, b] = await Promise.all([started, ready]);
    expect(a.ok).toBe(false);
    expect(b.ok).toBe(false);
    expect(!b.ok && b.error.code).toBe('stale');
    expect(server.moves()).toBe(1);
    expect(server.order.status).toBe('received');
  });

  it('a tap made while offline waits, and is sent once when the connection returns', async () => {
    const { actions, signal, server } = setup(false);
    const outcome = actions.submit(bump());
    expect(actions.get(`order:${ORDER}`)?.state).toBe('waiting');
    expect(actions.pending).toBe(1);
    // the cook taps again, impatient: it is the same tap
    const again = actions.submit(bump());
    expect(server.calls).toHaveLength(0);
    signal.set(true);
    const [a, b] = await Promise.all([outcome, again]);
    expect(a.ok && b.ok).toBe(true);
    expect(server.moves()).toBe(1);
    expect(server.order.status).toBe('preparing');
    // the signal flickers: nothing is sent again
    signal.set(false);
    signal.set(true);
    await tick();
    expect(server.moves()).toBe(1);
  });

  it('a network error keeps the tap and resends it, with growing delays, until it goes through', async () => {
    const { actions, server, timers } = setup();
    server.setDown(true);
    const outcome = actions.submit(bump());
    await tick();
    expect(actions.get(`order:${ORDER}`)?.state).toBe('waiting');
    expect(timers.delays()).toContain(1000);
    timers.fire(1000);
    await tick();
    expect(timers.delays()).toContain(2000);
    server.setDown(false);
    timers.fire(2000);
    const o = await outcome;
    expect(o.ok).toBe(true);
    expect(server.order.version).toBe(4);
  });

  it('an answer lost on the way back is not applied twice: the resend sees its own move and is done', async () => {
    const { actions, server, timers } = setup();
    server.loseNextAnswer();
    const outcome = actions.submit(bump());
    await tick();
    expect(actions.get(`order:${ORDER}`)?.state).toBe('waiting');
    timers.fire(1000);
    const o = await outcome;
    expect(o.ok && o.result.status).toBe('preparing');
    expect(server.order.version).toBe(4);
  });

  it('a request left unanswered is given up after the timeout and resent, still applied once', async () => {
    const server = fakeServer();
    const timers = manualTimers();
    let hang = true;
    const fetch = (async (url: string, init?: RequestInit) => {
      if (!hang) return server.fetch(url, init);
      hang = false;
      // the server applies it, but the answer never comes back until the tablet gives up waiting
      await server.fetch(url, init);
      return new Promise<Response>((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }) as typeof globalThis.fetch;
    const actions = new StaffActions({ fetch, online: new OnlineSignal(true), setTimer: timers.setTimer, clearTimer: timers.clearTimer, timeoutMs: 12_000 });
    const outcome = actions.submit(bump());
    await tick();
    expect(actions.get(`order:${ORDER}`)?.state).toBe('sending');
    timers.fire(12_000);
    await tick();
    expect(actions.get(`order:${ORDER}`)?.state).toBe('waiting');
    timers.fire(1000);
    const o = await outcome;
    expect(o.ok && o.result.status).toBe('preparing');
    expect(server.order.version).toBe(4);
  });

  it('a closed page sends nothing more', async () => {
    const { actions, signal, server } = setup(false);
    void actions.submit(bump());
    actions.dispose();
    signal.set(true);
    await tick();
    expect(server.calls).toHaveLength(0);
    expect(actions.list()).toEqual([]);
  });

  it('a stale tap fails visibly with the ticket as it is now, and offers no retry', async () => {
    const { actions, server, settled } = setup();
    Object.assign(server.order, { status: 'cancelled', version: 4 });
    const o = await actions.submit(bump(3));
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.error.code).toBe('stale');
    expect(o.error.retryable).toBe(false);
    expect(o.error.order?.status).toBe('cancelled');
    expect(errorMessageKey(o.error)).toBe('staff.errors.stale');
    expect(settled[0].entry.state).toBe('failed');
    expect(server.order.status).toBe('cancelled');
  });

  it('a server failure shows a message and can be retried by hand', async () => {
    const { actions, server } = setup();
    server.failNext(500, { error: { code: 'server_error', message: 'something went wrong' } });
    const first = await actions.submit(bump());
    expect(first.ok).toBe(false);
    if (first.ok) return;
    expect(first.error.retryable).toBe(true);
    expect(errorMessageKey(first.error)).toBe('staff.errors.server');
    expect(actions.get(`order:${ORDER}`)?.state).toBe('failed');
    const second = await actions.retry(`order:${ORDER}`);
    expect(second?.ok).toBe(true);
    expect(server.moves()).toBe(2);
    expect(server.order.version).toBe(4);
  });

  it('a retry while offline waits for the connection', async () => {
    const { actions, server, signal } = setup();
    server.failNext(503, { error: { code: 'unavailable_service', message: 'down' } });
    await actions.submit(bump());
    signal.set(false);
    const retried = actions.retry(`order:${ORDER}`)!;
    expect(actions.get(`order:${ORDER}`)?.state).toBe('waiting');
    signal.set(true);
    expect((await retried).ok).toBe(true);
  });

  it('a waiting tap can be given up, and then is never sent', async () => {
    const { actions, signal, server } = setup(false);
    const outcome = actions.submit(bump());
    actions.dismiss(`order:${ORDER}`);
    const o = await outcome;
    expect(!o.ok && o.error.code).toBe('cancelled');
    signal.set(true);
    await tick();
    expect(server.calls).toHaveLength(0);
    expect(actions.list()).toEqual([]);
  });

  it('switches a shift and places a counter order with its idempotency key', async () => {
    const { actions, server } = setup();
    const shift = await actions.submit({ kind: 'shift', onShift: true });
    expect(shift.ok && shift.result.onShift).toBe(true);
    const body = {
      pizzeriaId: 1,
      channel: 'counter' as const,
      fulfilment: 'pickup' as const,
      customer: { name: 'Léa', phone: '0611223344' },
      items: [{ productId: 1, quantity: 1 }],
      payment: 'on_delivery' as const,
    };
    const placed = await actions.submit({ kind: 'place', body, idempotencyKey: 'k-1' });
    expect(placed.ok && placed.result.number).toBe(40);
    const call = server.calls.find((c) => c.url === '/api/orders')!;
    expect((call.init!.headers as Record<string, string>)['idempotency-key']).toBe('k-1');
    expect(JSON.parse(String(call.init!.body))).toEqual(body);
  });

  it('a refused checkout keeps the server\'s field messages and is not retried blindly', async () => {
    const { actions, server } = setup();
    server.failNext(422, { error: { code: 'invalid', message: 'some fields are invalid', fields: { 'customer.phone': 'a phone number' } } });
    const o = await actions.submit({ kind: 'place', body: {} as never, idempotencyKey: 'k-2' });
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.error.retryable).toBe(false);
    expect(o.error.details?.fields).toEqual({ 'customer.phone': 'a phone number' });
  });

  it('names a message for every kind of refusal', () => {
    const e = (code: string, status: number | null) => ({ code, status, message: '', retryable: true });
    expect(errorMessageKey(e('forbidden', 403))).toBe('staff.errors.forbidden');
    expect(errorMessageKey(e('unauthorized', 401))).toBe('staff.errors.unauthorized');
    expect(errorMessageKey(e('no_driver', 409))).toBe('staff.errors.noDriver');
    expect(errorMessageKey(e('rate_limited', 429))).toBe('staff.errors.rateLimited');
    expect(errorMessageKey(e('not_found', 404))).toBe('staff.errors.notFound');
    expect(errorMessageKey(e('wrong_pin', 422))).toBe('staff.errors.wrongPin');
    expect(errorMessageKey(e('pin_locked', 422))).toBe('staff.errors.pinLocked');
    expect(errorMessageKey(e('whatever', 400))).toBe('staff.errors.other');
    expect(errorMessageKey(e('unavailable', 503))).toBe('staff.errors.server');
  });

  it('a spell offline that queued taps is told to the server once back, from when to when and what it queued; one that queued nothing is not', async () => {
    const server = fakeServer();
    const signal = new OnlineSignal(true);
    let clock = Date.parse('2026-11-28T19:00:00Z');
    const actions = new StaffActions({ fetch: server.fetch, online: signal, screen: 'counter', now: () => clock });
    // a flicker with nothing tapped: nothing told
    signal.set(false);
    clock += 5_000;
    signal.set(true);
    await tick();
    expect(server.calls.filter((c) => c.url === '/api/till/offline-periods')).toEqual([]);
    // eleven minutes offline, an order taken and a ticket bumped meanwhile
    signal.set(false);
    const placed = actions.submit({ kind: 'place', idempotencyKey: 'k-1', body: {} as never });
    const bumped = actions.submit(bump());
    clock += 11 * 60_000;
    signal.set(true);
    await Promise.all([placed, bumped]);
    await tick();
    const told = server.calls.filter((c) => c.url === '/api/till/offline-periods');
    expect(told).toHaveLength(1);
    expect(JSON.parse(String(told[0].init!.body))).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9-]{8,64}$/), screen: 'counter', from: '2026-11-28T19:00:05.000Z', to: '2026-11-28T19:11:05.000Z', taps: { place: 1, advance: 1 },
    });
    actions.dispose();
  });
});
