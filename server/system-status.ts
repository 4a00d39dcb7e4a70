import type { Logger } from 'pino';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { SystemStatus } from '../src/lib/shapes/views.ts';
import type { HubServer, HubSocket } from './hub-types.ts';
import { can, may, runsChain } from '../src/lib/domain/permissions.ts';

export type SystemInfo = () => Promise<Pick<SystemStatus, 'queues' | 'backup' | 'maintenance' | 'printers' | 'database' | 'redis'>>;

/** The relay's last 200 commit-to-emit lags, for the operations page. */
export function createLagWindow() {
  const recent: number[] = [];
  return {
    record(lagMs: number) {
      recent.push(lagMs);
      if (recent.length > 200) recent.shift();
    },
    get last(): number | null {
      return recent.at(-1) ?? null;
    },
    get p99(): number | null {
      const sorted = [...recent].sort((a, b) => a - b);
      return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : null;
    },
  };
}
export type LagWindow = ReturnType<typeof createLagWindow>;

/** The operations page's live view: connected screens, queues, backups and the relay's health. */
export function createSystemStatus(opts: {
  io: HubServer;
  log: Logger;
  systemInfo?: SystemInfo;
  relay: () => { listening: boolean; lastEventId: number };
  lags: LagWindow;
  intervalMs?: number;
}) {
  const { io, log } = opts;
  const startedAt = new Date().toISOString();

  async function status(): Promise<SystemStatus> {
    const info = (await opts.systemInfo?.().catch((err) => (log.error({ err }, 'system info failed'), null))) ?? {
      queues: [],
      backup: null,
      maintenance: null,
      printers: [],
      database: null,
      redis: null,
    };
    // every hub's screens (through the adapter); this hub's alone when the others cannot answer
    const sockets = await io.fetchSockets().catch((err: Error) => {
      log.warn({ err: err.message }, 'other hubs did not answer: showing this hub\'s screens');
      return [...io.of('/').sockets.values()];
    });
    const screens = sockets
      .filter((s) => s.data.user && !may(s.data.user.role, can.runShop))
      .map((s) => ({
        socketId: s.id,
        role: s.data.user!.role,
        pizzeriaId: s.data.user!.pizzeriaId,
        name: s.data.user!.name,
        scopes: s.data.scopes,
        connectedAt: s.data.connectedAt,
      }));
    return {
      at: new Date().toISOString(),
      screens,
      ...info,
      relay: {
        ...opts.relay(),
        lastLagMs: opts.lags.last,
        p99LagMs: opts.lags.p99,
      },
      hub: { pid: process.pid, startedAt },
    };
  }

  /** Sends each watcher the status it may see: a manager only their shop's screens. */
  async function push(targets?: HubSocket[]) {
    const ids = io.of('/').adapter.rooms.get(roomFor.system()) ?? new Set<string>();
    const watchers = targets ?? [...ids].map((id) => io.of('/').sockets.get(id)).filter((s): s is HubSocket => !!s);
    if (!watchers.length) return;
    const s = await status();
    for (const w of watchers) {
      const u = w.data.user;
      const screens = runsChain(u) ? s.screens : s.screens.filter((x) => x.pizzeriaId === u?.pizzeriaId);
      w.emit('system:status', { ...s, screens });
    }
  }
  const timer = setInterval(() => void push().catch(() => {}), opts.intervalMs ?? 2000);
  timer.unref();

  return {
    push,
    stop() {
      clearInterval(timer);
    },
  };
}
