// The one client for what staff do on their screens: bump a ticket, hand over a pickup, start or end
// a shift, pick up and deliver, place an order at the counter. Every tap is in flight, done or failed
// (with a reason and a retry), and a tap made while the connection is down waits and is sent once
// when it returns. Plain TypeScript: fetch, the online signal and timers are given, so it is tested alone.
import type { OrderStatus } from '../domain/order-states.ts';
import type { HandoverMethod } from '../domain/payment-split.ts';
import type { FailureReason, OrderView, ShopPaymentMethod } from '../shapes/views.ts';

/** What the counter sends to place an order (the body of POST /api/orders, as its schema says), and what it answers. */
export type { PlaceOrderBody, PlacedOrderAnswer as PlacedOrder } from '../shapes/order-requests.ts';
import type { PlaceOrderBody, PlacedOrderAnswer as PlacedOrder } from '../shapes/order-requests.ts';

export type StaffAction =
  | { kind: 'advance'; orderId: string; number: number; to: OrderStatus; version: number; paymentMethod?: ShopPaymentMethod }
  | { kind: 'shift'; onShift: boolean }
  | { kind: 'place'; body: PlaceOrderBody; idempotencyKey: string }
  /** Handed over at the door, with the proof and what was collected. */
  | {
      kind: 'deliver';
      orderId: string;
      number: number;
      version: number;
      proof: { pin: string } | { photo: true };
      collected?: { amountCents: number; method: HandoverMethod };
    }
  /** Could not hand it over: back to the shop with the reason. */
  | { kind: 'fail'; orderId: string; number: number; version: number; reason: FailureReason; note?: string }
  /** A line of a ticket crossed off as made, or un-crossed (setting it twice is harmless). */
  | { kind: 'line'; orderId: string; number: number; lineId: number; done: boolean }
  /** Marked urgent (first on every kitchen screen), or not any more. */
  | { kind: 'urgent'; orderId: string; number: number; urgent: boolean }
  /** A ready order taken back to the oven (a bump undone, within its window). */
  | { kind: 'recall'; orderId: string; number: number; version: number };

export type ActionResult<A extends StaffAction = StaffAction> = A extends { kind: 'advance' | 'deliver' | 'fail' | 'line' | 'urgent' | 'recall' }
  ? OrderView
  : A extends { kind: 'shift' }
    ? { onShift: boolean }
    : PlacedOrder;

export interface ActionError {
  /** The server's code (stale, not_allowed, forbidden, unauthorized, rate_limited, …), or timeout / cancelled. */
  code: string;
  /** HTTP status, null when no answer came. */
  status: number | null;
  /** The server's own words (English); pages show their own message per code. */
  message: string;
  /** Whether sending the same tap again can succeed (the server or the network failed, not the tap). */
  retryable: boolean;
  /** The ticket as it is now, when the tap was refused because it had changed meanwhile. */
  order?: OrderView;
  /** The rest of the server's error (field messages, unavailable items). */
  details?: Record<string, unknown>;
}

export type Outcome<A extends StaffAction = StaffAction> =
  | { ok: true; result: ActionResult<A> }
  | { ok: false; error: ActionError };

/** sending: the request is out; waiting: the connection is down, it goes when it returns. */
export type ActionState = 'sending' | 'waiting' | 'done' | 'failed';

export interface ActionEntry {
  key: string;
  action: StaffAction;
  state: ActionState;
  attempts: number;
  error: ActionError | null;
}

/** Whether the screen can reach the server now: the browser is online and its live socket is up. */
export interface OnlineSource {
  readonly current: boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export class OnlineSignal implements OnlineSource {
  private value: boolean;
  private readonly listeners = new Set<(online: boolean) => void>();
  constructor(initial = true) {
    this.value = initial;
  }
  get current() {
    return this.value;
  }
  set(online: boolean) {
    if (online === this.value) return;
    this.value = online;
    for (const l of [...this.listeners]) l(online);
  }
  subscribe(listener: (online: boolean) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

export interface StaffActionsOptions {
  fetch: typeof fetch;
  online: OnlineSource;
  /** Called once per settled tap (also after a retry): pages apply the order it returned. */
  onSettled?: (entry: ActionEntry, outcome: Outcome) => void;
  /** A request with no answer after this long is treated as a lost connection (then resent, safely). */
  timeoutMs?: number;
  /** How long a done tap stays shown as done. */
  doneMs?: number;
  /** Delay before resending after a network error while the screen still believes it is online. */
  retryDelayMs?: (attempt: number) => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /**
   * The screen these taps are made on (counter, kitchen, pass, driver): once back online after a
   * spell offline during which taps were queued, it tells the server (POST /api/till/offline-periods,
   * a JET `offline_period`: a till keeps when it worked offline). None: nothing told.
   */
  screen?: string;
  /** The clock (tests). */
  now?: () => number;
}

/** A spell offline: since when, and the taps queued meanwhile by kind. */
interface OfflineSpell {
  from: number;
  taps: Partial<Record<StaffAction['kind'], number>>;
}

/** Whether two taps on the same thing ask for the same (a double tap), not a next step (a bump to the next status, a line crossed then uncrossed). */
function sameTap(a: StaffAction, b: StaffAction): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'advance' && b.kind === 'advance') return a.to === b.to;
  if (a.kind === 'line' && b.kind === 'line') return a.done === b.done;
  if (a.kind === 'urgent' && b.kind === 'urgent') return a.urgent === b.urgent;
  if (a.kind === 'shift' && b.kind === 'shift') return a.onShift === b.onShift;
  return true;
}

/** One tap per ticket at a time; one shift switch; one checkout per idempotency key. */
export function actionKey(a: StaffAction): string {
  switch (a.kind) {
    case 'advance':
    case 'deliver':
    case 'fail':
    case 'recall':
      return `order:${a.orderId}`;
    case 'urgent':
      return `urgent:${a.orderId}`;
    case 'line':
      return `line:${a.orderId}:${a.lineId}`;
    case 'shift':
      return 'shift';
    case 'place':
      return `place:${a.idempotencyKey}`;
  }
}

/** Worth sending again as it was: the server or the way to it failed, not the tap itself. */
const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

class NetworkError extends Error {}

interface Slot {
  entry: ActionEntry;
  waiters: ((o: Outcome) => void)[];
  timer: unknown;
  removeTimer: unknown;
}

export class StaffActions {
  private readonly slots = new Map<string, Slot>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeOnline: () => void;
  private readonly opts: Required<Omit<StaffActionsOptions, 'onSettled' | 'screen'>> & Pick<StaffActionsOptions, 'onSettled' | 'screen'>;
  private offline: OfflineSpell | null = null;

  constructor(options: StaffActionsOptions) {
    this.opts = {
      timeoutMs: 12_000,
      doneMs: 2_000,
      retryDelayMs: (n) => Math.min(1000 * 2 ** Math.max(0, n - 1), 15_000),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
      ...options,
    };
    if (!options.online.current) this.offline = { from: this.opts.now(), taps: {} };
    this.unsubscribeOnline = options.online.subscribe((online) => {
      if (!online) {
        this.offline ??= { from: this.opts.now(), taps: {} };
        return;
      }
      const spell = this.offline;
      this.offline = null;
      this.flush();
      if (spell && Object.keys(spell.taps).length) void this.reportOffline(spell, this.opts.now());
    });
  }

  /** Tells the server of a spell offline that queued taps; tried again a few times while it cannot. */
  private async reportOffline(spell: OfflineSpell, to: number) {
    if (!this.opts.screen) return;
    const body = JSON.stringify({ id: randomId(), screen: this.opts.screen, from: new Date(spell.from).toISOString(), to: new Date(to).toISOString(), taps: spell.taps });
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const res = await this.opts.fetch('/api/till/offline-periods', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)) return;
      } catch {
        // the network again: a while later
      }
      await new Promise((resolve) => this.opts.setTimer(() => resolve(null), this.opts.retryDelayMs(attempt)));
    }
  }

  /** Sends the tap now, or keeps it until the connection returns. Resolves when it is done or has failed. */
  submit<A extends StaffAction>(action: A): Promise<Outcome<A>> {
    const key = actionKey(action);
    const existing = this.slots.get(key);
    if (existing && (existing.entry.state === 'sending' || existing.entry.state === 'waiting')) {
      // a second tap on the same ticket while the first is on its way is the same tap
      if (sameTap(existing.entry.action, action)) return new Promise((resolve) => existing.waiters.push(resolve as (o: Outcome) => void));
      // the next step of it (started, now ready: the screen shows the first move as soon as the hub
      // relays it, before its answer is back) goes once the first is through, not swallowed; after a
      // failed first it is not sent, and says why the first failed
      return new Promise((resolve) =>
        existing.waiters.push((first) => resolve(first.ok ? this.submit(action) : (first as Outcome<A>))),
      );
    }
    if (existing) this.drop(existing);
    const slot: Slot = { entry: { key, action, state: 'waiting', attempts: 0, error: null }, waiters: [], timer: null, removeTimer: null };
    this.slots.set(key, slot);
    const settled = new Promise<Outcome<A>>((resolve) => slot.waiters.push(resolve as (o: Outcome) => void));
    if (this.opts.online.current) void this.send(slot);
    else {
      // queued offline: counted in the spell the screen reports once back
      if (this.offline) this.offline.taps[action.kind] = (this.offline.taps[action.kind] ?? 0) + 1;
      this.changed();
    }
    return settled;
  }

  /** Sends a failed (or waiting) tap again. */
  retry(key: string): Promise<Outcome> | null {
    const slot = this.slots.get(key);
    if (!slot || slot.entry.state === 'sending' || slot.entry.state === 'done') return null;
    const settled = new Promise<Outcome>((resolve) => slot.waiters.push(resolve));
    slot.entry = { ...slot.entry, state: 'waiting', error: null };
    if (this.opts.online.current) void this.send(slot);
    else this.changed();
    return settled;
  }

  /** Forgets a failed tap, or gives up one still waiting for the connection. */
  dismiss(key: string) {
    const slot = this.slots.get(key);
    if (!slot || slot.entry.state === 'sending') return;
    this.drop(slot);
    this.resolve(slot, { ok: false, error: { code: 'cancelled', status: null, message: 'given up', retryable: false } });
    this.changed();
  }

  get(key: string): ActionEntry | undefined {
    return this.slots.get(key)?.entry;
  }

  list(): ActionEntry[] {
    return [...this.slots.values()].map((s) => s.entry);
  }

  /** Taps not yet answered: sending or waiting for the connection. */
  get pending(): number {
    return this.list().filter((e) => e.state === 'sending' || e.state === 'waiting').length;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  dispose() {
    this.unsubscribeOnline();
    for (const s of this.slots.values()) this.drop(s);
    this.listeners.clear();
  }

  /** What waited goes out in the order it was tapped, one after the other (each once: a repeat is its own move). */
  private flushing: Promise<void> | null = null;
  private flush() {
    this.flushing ??= (async () => {
      for (const slot of [...this.slots.values()]) {
        if (slot.entry.state !== 'waiting' || this.slots.get(slot.entry.key) !== slot || !this.opts.online.current) continue;
        if (slot.timer !== null) this.opts.clearTimer(slot.timer);
        slot.timer = null;
        await this.send(slot);
      }
    })().finally(() => (this.flushing = null));
  }

  private async send(slot: Slot) {
    if (slot.timer !== null) this.opts.clearTimer(slot.timer);
    slot.timer = null;
    slot.entry = { ...slot.entry, state: 'sending', attempts: slot.entry.attempts + 1, error: null };
    this.changed();
    let outcome: Outcome;
    try {
      outcome = await this.perform(slot.entry.action);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      if (this.slots.get(slot.entry.key) !== slot) return; // dismissed meanwhile
      // no answer: keep it and send it again when the connection is back (the version makes a repeat harmless)
      slot.entry = { ...slot.entry, state: 'waiting' };
      if (this.opts.online.current) {
        slot.timer = this.opts.setTimer(() => {
          slot.timer = null;
          if (slot.entry.state === 'waiting' && this.opts.online.current) void this.send(slot);
        }, this.opts.retryDelayMs(slot.entry.attempts));
      }
      this.changed();
      return;
    }
    if (this.slots.get(slot.entry.key) !== slot) return;
    if (outcome.ok) {
      slot.entry = { ...slot.entry, state: 'done' };
      slot.removeTimer = this.opts.setTimer(() => {
        if (this.slots.get(slot.entry.key) === slot && slot.entry.state === 'done') {
          this.slots.delete(slot.entry.key);
          this.changed();
        }
      }, this.opts.doneMs);
    } else {
      slot.entry = { ...slot.entry, state: 'failed', error: outcome.error };
    }
    this.changed();
    this.opts.onSettled?.(slot.entry, outcome);
    this.resolve(slot, outcome);
  }

  private async perform(a: StaffAction): Promise<Outcome> {
    switch (a.kind) {
      case 'advance': {
        const res = await this.request(`/api/orders/${a.orderId}/status`, { to: a.to, version: a.version, ...(a.paymentMethod ? { paymentMethod: a.paymentMethod } : {}) });
        if (res.ok) return { ok: true, result: res.json as OrderView };
        const error = toError(res);
        if (error.code === 'stale') {
          // our own earlier try may have gone through before the connection dropped: then it is done, once
          const now = await this.read(`/api/orders/${a.orderId}`);
          if (now?.status === a.to) return { ok: true, result: now };
          if (now) error.order = now;
        }
        return { ok: false, error };
      }
      case 'deliver':
      case 'fail': {
        const res =
          a.kind === 'deliver'
            ? await this.request(`/api/orders/${a.orderId}/deliver`, { version: a.version, proof: a.proof, ...(a.collected ? { collected: a.collected } : {}) })
            : await this.request(`/api/orders/${a.orderId}/failed`, { version: a.version, reason: a.reason, ...(a.note ? { note: a.note } : {}) });
        if (res.ok) return { ok: true, result: res.json as OrderView };
        const error = toError(res);
        if (error.code === 'stale' || error.code === 'not_allowed') {
          // our own earlier try may have gone through before the connection dropped: then it is done, once
          const now = await this.read(`/api/orders/${a.orderId}`);
          const landed = a.kind === 'deliver' ? now?.status === 'delivered' : now?.status === 'ready' && now.delivery.awaitingDecision && now.version === a.version + 1;
          if (now && landed) return { ok: true, result: now };
          if (now) error.order = now;
        }
        return { ok: false, error };
      }
      case 'urgent':
      case 'recall': {
        const res = a.kind === 'urgent' ? await this.request(`/api/orders/${a.orderId}/urgent`, { urgent: a.urgent }) : await this.request(`/api/orders/${a.orderId}/recall`, { version: a.version });
        return res.ok ? { ok: true, result: res.json as OrderView } : { ok: false, error: toError(res) };
      }
      case 'line': {
        const res = await this.request(`/api/orders/${a.orderId}/lines/${a.lineId}`, { done: a.done });
        return res.ok ? { ok: true, result: res.json as OrderView } : { ok: false, error: toError(res) };
      }
      case 'shift': {
        const res = await this.request('/api/driver/shift', { onShift: a.onShift });
        return res.ok ? { ok: true, result: res.json as { onShift: boolean } } : { ok: false, error: toError(res) };
      }
      case 'place': {
        const res = await this.request('/api/orders', a.body, { 'idempotency-key': a.idempotencyKey });
        return res.ok ? { ok: true, result: res.json as PlacedOrder } : { ok: false, error: toError(res) };
      }
    }
  }

  private async request(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const abort = new AbortController();
    const timer = this.opts.setTimer(() => abort.abort(), this.opts.timeoutMs);
    try {
      const res = await this.opts.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      const json = await res.json().catch(() => null);
      return { ok: res.ok, status: res.status, json };
    } catch {
      // offline, refused, reset or timed out: the tap may or may not have reached the server
      throw new NetworkError();
    } finally {
      this.opts.clearTimer(timer);
    }
  }

  private async read(url: string): Promise<OrderView | null> {
    try {
      const res = await this.opts.fetch(url, { headers: { accept: 'application/json' } });
      return res.ok ? ((await res.json()) as OrderView) : null;
    } catch {
      return null;
    }
  }

  private drop(slot: Slot) {
    if (slot.timer !== null) this.opts.clearTimer(slot.timer);
    if (slot.removeTimer !== null) this.opts.clearTimer(slot.removeTimer);
    slot.timer = slot.removeTimer = null;
    if (this.slots.get(slot.entry.key) === slot) this.slots.delete(slot.entry.key);
  }

  private resolve(slot: Slot, outcome: Outcome) {
    const waiters = slot.waiters.splice(0);
    for (const w of waiters) w(outcome);
  }

  private changed() {
    for (const l of [...this.listeners]) l();
  }
}

interface Answer {
  ok: boolean;
  status: number;
  json: unknown;
}

function toError(res: Answer): ActionError {
  const e = (res.json as { error?: { code?: string; message?: string } } | null)?.error;
  const code = e?.code ?? (res.status >= 500 ? 'server_error' : `http_${res.status}`);
  const { code: _c, message: _m, ...details } = (e ?? {}) as Record<string, unknown>;
  return {
    code,
    status: res.status,
    message: e?.message ?? `HTTP ${res.status}`,
    retryable: retryableStatus(res.status),
    details,
  };
}

/** The message key a page shows for a failed tap, in the user's language (staff.errors.*). */
export function errorMessageKey(error: ActionError): string {
  if (error.status !== null && error.status >= 500) return 'staff.errors.server';
  switch (error.code) {
    case 'stale':
    case 'not_allowed':
    case 'too_late':
      return 'staff.errors.stale';
    case 'forbidden':
      return 'staff.errors.forbidden';
    case 'unauthorized':
      return 'staff.errors.unauthorized';
    case 'not_found':
      return 'staff.errors.notFound';
    case 'no_driver':
      return 'staff.errors.noDriver';
    case 'rate_limited':
      return 'staff.errors.rateLimited';
    case 'wrong_pin':
      return 'staff.errors.wrongPin';
    case 'pin_locked':
      return 'staff.errors.pinLocked';
    case 'invalid':
      return 'staff.errors.invalid';
    default:
      return 'staff.errors.other';
  }
}

/** An id for a report (the server writes the same report once). */
function randomId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
