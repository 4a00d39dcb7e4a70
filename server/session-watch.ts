import type { Logger } from 'pino';
import { forgetAccountSessions, forgetAllSessions, forgetSession, liveSessionIds } from '../src/lib/server/staff/auth.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { createPgListener } from '../src/lib/server/events/pg-listener.ts';
import type { HubServer } from './hub-types.ts';

export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/**
 * Ends the sockets of a session that ended: at once on a logout or a disabled account (Postgres
 * notifies `session_ended`), and by a sweep every `sweepMs` for sessions that expired or whose
 * notification was missed while the listening connection was down. An account that changed (its
 * role, its shop: `session_user`) has its sessions read again by the API at their next request;
 * when the listening connection comes back, every session is.
 */
export async function watchSessions(opts: { io: HubServer; db: Db; databaseUrl: string; log: Logger; sweepMs?: number }) {
  const { io, db, log } = opts;
  const end = (sessionId: string) => {
    forgetSession(sessionId);
    io.local.in(sessionRoom(sessionId)).disconnectSockets(true);
  };

  async function sweep() {
    const open = new Map<string, number>();
    for (const s of io.of('/').sockets.values()) if (s.data.sessionId) open.set(s.data.sessionId, 1);
    if (!open.size) return;
    const live = await liveSessionIds(db, [...open.keys()]);
    for (const id of open.keys()) if (!live.has(id)) end(id);
  }

  const listener = createPgListener(opts.databaseUrl, 'ocpizza-hub');
  listener.events.on('notification', (n: { channel?: string; payload?: unknown }) => {
    if (typeof n.payload !== 'string') return;
    if (n.channel === 'session_user') forgetAccountSessions(Number(n.payload));
    else end(n.payload);
  });
  // notifications sent while the connection was down are lost: check every open session instead
  listener.events.on('connected', () => {
    forgetAllSessions();
    void sweep().catch((err) => log.warn({ err }, 'session sweep failed'));
  });
  listener.events.on('error', (err: unknown) => log.error({ err }, 'session listener error'));
  await listener.connect();
  await listener.listenTo('session_ended');
  await listener.listenTo('session_user');

  const timer = setInterval(() => void sweep().catch((err) => log.warn({ err }, 'session sweep failed')), opts.sweepMs ?? 60_000);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await listener.close().catch(() => {});
    },
  };
}
