import type { Plugin } from 'vite';

/**
 * `vite dev` has no Express: this plugin mounts the same API and Socket.io hub on Vite's server,
 * so development and production share one code path.
 */
export function devHub(): Plugin {
  return {
    name: 'ocpizza-dev-hub',
    apply: 'serve',
    async configureServer(server) {
      if (!server.httpServer || process.env.VITEST) return;
      const { config } = await import('../src/lib/server/kernel/config.ts');
      const { createApi } = await import('./api/index.ts');
      const { createHub } = await import('./hub.ts');
      const { createPool, setDb } = await import('../src/lib/server/kernel/db.ts');
      const express = (await import('express')).default;
      const pino = (await import('pino')).default;
      const cfg = config();
      const log = pino({ level: cfg.LOG_LEVEL });
      const db = createPool(cfg.DATABASE_URL);
      setDb(db);
      server.middlewares.use('/api', express().use(createApi({ db, config: cfg, log })));
      await createHub(server.httpServer as import('node:http').Server, {
        db,
        config: cfg,
        log,
      });
    },
  };
}
