// The live-update benchmark's clients (scripts/bench-live.ts): the API over HTTP, and the screens'
// sockets counting what each receives.
import { performance } from 'node:perf_hooks';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, OrderUpdated, ServerToClientEvents, SubscribeRequest } from '../src/lib/realtime/contract.ts';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// ---------- HTTP ----------

export class Http {
  constructor(readonly base: string, readonly password: string) {}
  /** Returns the body and the time the answer arrived (headers in), before the body is parsed. */
  async post(path: string, body: unknown, cookie?: string) {
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    const answeredAt = performance.now();
    const json = (await res.json().catch(() => null)) as any;
    return { status: res.status, body: json, answeredAt, setCookie: res.headers.get('set-cookie') };
  }
  async login(email: string): Promise<string> {
    const r = await this.post('/api/auth/login', { email, password: this.password });
    if (r.status !== 200 || !r.setCookie) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.setCookie.split(';')[0];
  }
}

// ---------- what sockets receive ----------

export const keyOf = (orderId: string, version: number) => `${orderId}#${version}`;

export interface Receipts {
  /** (order, version) → receipt times, one per socket that got it */
  byKey: Map<string, number[]>;
  duplicates: number;
  disconnects: number;
}

export function connect(base: string, auth: { cookie?: string; trackingToken?: string }, rec: Receipts): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(base, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false, // a dropped socket must show up as lost events, not be papered over
    extraHeaders: auth.cookie ? { cookie: auth.cookie } : undefined,
    auth: auth.trackingToken ? { trackingToken: auth.trackingToken } : {},
    timeout: 20_000,
  });
  const seen = new Set<string>();
  socket.on('order:updated', (e: OrderUpdated) => {
    const t = performance.now();
    const k = keyOf(e.order.id, e.order.version);
    if (seen.has(k)) {
      rec.duplicates++;
      return;
    }
    seen.add(k);
    let list = rec.byKey.get(k);
    if (!list) rec.byKey.set(k, (list = []));
    list.push(t);
  });
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') rec.disconnects++;
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

export function subscribe(socket: ClientSocket, req: SubscribeRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.timeout(20_000).emit('subscribe', req, (err: Error | null, res: any) => {
      if (err) return reject(err);
      if (!res || 'error' in res) return reject(new Error(`subscribe ${JSON.stringify(req)} refused: ${JSON.stringify(res?.error)}`));
      resolve();
    });
  });
}

export async function inBatches<T>(tasks: (() => Promise<T>)[], size: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < tasks.length; i += size) out.push(...(await Promise.all(tasks.slice(i, i + size).map((t) => t()))));
  return out;
}

/** n items spread over k buckets as evenly as possible */
export const spread = (n: number, k: number) => Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
