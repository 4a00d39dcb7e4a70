// What the simulator's parts share (scripts/simulate.ts): its settings, the log, the server's
// comings and goings, a session that outlives a server's restart, one round of a loop, the shops.
import type { LatLng } from '../src/lib/domain/geo.ts';

export interface SimSettings {
  /** The running server. */
  base: string;
  /** Orders per minute across the chain. */
  rate: number;
  /** How much faster than life the kitchens and the scooters go. */
  pace: number;
  /** Share of offers a driver declines. */
  decline: number;
  /** The demo password the seed set. */
  password: string;
  /** A scooter's speed, m/s. */
  speedMs: number;
}

let settings: SimSettings;

/** The simulation as it goes: whether it is stopping, and each order's tracking token (its PIN is on the tracking page). */
export const sim = { stopping: false, tracking: new Map<string, string>() };

/** Sets what every part reads, once, before any runs. */
export function configure(s: SimSettings): SimSettings {
  settings = s;
  return s;
}

export const log = (msg: string) => process.stdout.write(`${new Date().toLocaleTimeString('fr-FR')} ${msg}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const jitter = (min: number, max: number) => min + Math.random() * (max - min);

/**
 * Whether the server answers: said once when it stops answering and once when it is back, however
 * many calls were waiting meanwhile.
 */
const server = {
  awaySince: 0,
  away(reason: string) {
    if (this.awaySince) return;
    this.awaySince = Date.now();
    log(`server unreachable (${reason}): retrying with backoff until it is back`);
  },
  back() {
    if (!this.awaySince) return;
    log(`server back after ${Math.round((Date.now() - this.awaySince) / 1000)} s: carrying on`);
    this.awaySince = 0;
  },
};
let limitSaidAt = 0;

/**
 * An HTTP client with a session cookie, as a browser keeps one. A call the server did not answer
 * (restarting, a proxy's 502/503/504) is tried again after 0.5 s, 1 s, 2 s… up to 10 s; a staff
 * session the server no longer knows is opened again; a refusal of the per-address limit waits as
 * the server says. A POST keeps its idempotency key across tries, so an order is placed once.
 */
export class Session {
  cookie = '';
  email: string | null = null;
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && sim.stopping) throw new Error('stopping');
      let res: Response;
      try {
        res = await fetch(settings.base + path, {
          method,
          headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(15_000),
        });
      } catch (err) {
        server.away((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name);
        await sleep(backoff(attempt));
        continue;
      }
      if (res.status === 502 || res.status === 503 || res.status === 504) {
        server.away(`HTTP ${res.status}`);
        await sleep(backoff(attempt));
        continue;
      }
      server.back();
      const set = res.headers.get('set-cookie');
      if (set) this.cookie = set.split(';')[0];
      const answer = await res.json().catch(() => null);
      if (res.status === 401 && this.email && !relogged && path !== '/api/auth/login') {
        log(`${this.email}: session gone, logging in again`);
        relogged = true;
        await this.login(this.email);
        continue;
      }
      if (res.status === 429 && answer?.error?.code === 'rate_limited') {
        const wait = Math.min(600, Number(res.headers.get('retry-after')) || 60);
        if (Date.now() - limitSaidAt > 60_000) {
          limitSaidAt = Date.now();
          log(`the server refused a customer call: its limit per address (RATE_LIMIT_ORDERS) is too low for ${settings.rate} orders/min; start it with RATE_LIMIT_ORDERS=1000 for a simulation (docs/simulator.md). Waiting ${wait} s`);
        }
        await sleep(wait * 1000);
        continue;
      }
      return { status: res.status, body: answer };
    }
  }
  async login(email: string) {
    this.email = email;
    this.cookie = '';
    const r = await this.call('POST', '/api/auth/login', { email, password: settings.password });
    if (r.status !== 200) throw new Error(`${email} could not log in (${r.status}): is the database seeded with this DEMO_PASSWORD?`);
    return this;
  }
}

const backoff = (attempt: number) => Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)) * jitter(0.8, 1.2);


/** Runs one round of a loop; a round that fails is said and the loop goes on (nothing stops silently). */
export async function round(who: string, work: () => Promise<void>) {
  try {
    await work();
  } catch (err) {
    if (!sim.stopping) log(`${who}: ${(err as Error).message}; going on`);
  }
}

/** What a shop sells, as the customers pick: its pizzas, and its drinks and desserts. */
export interface Menu {
  pizzas: number[];
  sides: number[];
}

export interface Shop {
  id: number;
  slug: string;
  name: string;
  lat: number;
  lng: number;
  zone: { kind: 'radius'; radiusM: number } | { kind: 'polygon' };
}

/** A point `metres` from `from` towards `bearing` degrees. */
export function offset(from: LatLng, metres: number, bearing: number): LatLng {
  const rad = (bearing * Math.PI) / 180;
  return {
    lat: from.lat + (metres * Math.cos(rad)) / 111_320,
    lng: from.lng + (metres * Math.sin(rad)) / (111_320 * Math.cos((from.lat * Math.PI) / 180)),
  };
}

