// The rush-hour benchmark's child processes (scripts/bench-rush.ts runs itself with --idle-clients
// or --bare): storefront visitors held with a live menu open, and the bare relay it measures the
// project against.
import { createServer as createHttpServer } from 'node:http';
import pg from 'pg';
import { Server as IoServer } from 'socket.io';
import { io as ioClient, type Socket } from 'socket.io-client';
import { CONNECT_BATCH, NOTIFY_CHANNEL } from './bench-rush-common.ts';

// =====================================================================================
// Idle clients (--idle-clients): IDLE_COUNT storefront sockets with a live menu open, held until stopped.
// =====================================================================================

export const IDLE_PER_CLIENT = 8000;

export async function idleClients() {
  const shops = process.env.IDLE_SHOPS!.split(',').map(Number);
  const count = Number(process.env.IDLE_COUNT);
  const sockets: Socket[] = [];
  process.on('SIGTERM', () => {
    for (const s of sockets) s.disconnect();
    process.exit(0);
  });
  try {
    for (let i = 0; i < count; i += CONNECT_BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, (_, j) => {
          const socket = ioClient(process.env.IDLE_BASE!, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 });
          sockets.push(socket);
          return new Promise<void>((resolve, reject) => {
            socket.once('connect_error', reject);
            socket.once('connect', () =>
              socket.timeout(30_000).emit('subscribe', { scope: 'menu', pizzeriaId: shops[(i + j) % shops.length] }, (err: Error | null, ack: any) =>
                err || !ack || 'error' in ack ? reject(err ?? new Error(JSON.stringify(ack?.error))) : resolve(),
              ),
            );
          });
        }),
      );
    }
    process.send!({ connected: sockets.length });
  } catch (err) {
    process.send!({ error: (err as Error).message });
  }
}

// =====================================================================================
// The bare relay (--bare): LISTEN → Socket.io rooms, and one endpoint that makes a move.
// =====================================================================================

export async function bare() {
  const url = process.env.BARE_DATABASE_URL!;
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();

  const http = createHttpServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/move') {
      res.writeHead(404).end();
      return;
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const { id, to, version } = JSON.parse(raw) as { id: string; to: string; version: number };
      // one statement: the update and the notification commit together
      pool
        .query<{ version: number }>(
          `WITH u AS (
             UPDATE bare_orders SET status = $2, version = version + 1,
                    doc = doc || jsonb_build_object('status', $2::text, 'version', version + 1)
              WHERE id = $1 AND version = $3
              RETURNING version, doc)
           SELECT u.version, pg_notify($4, json_build_object('type', 'order.status', 'at', now(), 'order', u.doc)::text) FROM u`,
          [id, to, version, NOTIFY_CHANNEL],
        )
        .then(
          (r) => {
            const row = r.rows[0];
            res.writeHead(row ? 200 : 409, { 'content-type': 'application/json' }).end(JSON.stringify(row ? { id, version: row.version } : { error: 'stale' }));
          },
          (err: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message })),
        );
    });
  });
  const io = new IoServer(http, { serveClient: false, maxHttpBufferSize: 16_384, pingInterval: 10_000, pingTimeout: 8_000 });
  io.on('connection', (socket) => {
    socket.on('subscribe', (req: { room?: unknown }, ack: (r: unknown) => void) => {
      if (typeof req?.room !== 'string') return ack({ error: { code: 'invalid', message: 'room' } });
      void socket.join(req.room);
      ack({ data: { lastEventId: 0 } });
    });
  });
  listener.on('notification', (n) => {
    if (!n.payload) return;
    const e = JSON.parse(n.payload) as { order: { id: string; pizzeriaId: number } };
    io.to([`kitchen:${e.order.pizzeriaId}`, `shop:${e.order.pizzeriaId}`, 'hq', `order:${e.order.id}`]).emit('order:updated', e);
  });
  await listener.query(`LISTEN ${NOTIFY_CHANNEL}`);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  process.send?.({ port });
  process.on('SIGTERM', () => {
    io.close();
    void Promise.allSettled([listener.end(), pool.end()]).then(() => process.exit(0));
  });
}
