// Error reporting goes to Sentry only when SENTRY_DSN is set. The DSN here points at a local
// HTTP server standing in for Sentry's ingestion endpoint; the real SDK does the sending.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Client, createSideDatabase } from '../helpers.ts';
import { useStack } from '../services.ts';
import * as Sentry from '@sentry/node';
import { flushErrorReports, initErrorReporting } from '../../src/lib/server/kernel/observability.ts';

let ingest: Server;
let port: number;
const envelopes: string[] = [];
let side: Awaited<ReturnType<typeof createSideDatabase>>;

beforeAll(async () => {
  ingest = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      envelopes.push(`${req.url}\n${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => ingest.listen(0, '127.0.0.1', () => r()));
  port = (ingest.address() as { port: number }).port;
  // a broken database of its own: the menu query fails with a server error
  side = await createSideDatabase('sentry', { seed: true });
  const pool = new pg.Pool({ connectionString: side.url, max: 1 });
  await pool.query('ALTER TABLE recipe_ingredients RENAME TO recipe_ingredients_gone');
  await pool.end();
});
afterAll(async () => {
  await side?.drop();
  await new Promise((r) => ingest.close(r));
});
const stack = useStack({ env: () => ({ DATABASE_URL: side.url }) });

describe('error reporting', () => {
  it('sends nothing anywhere while SENTRY_DSN is not set: no Sentry client exists, even with a DSN lying in the process environment', async () => {
    // the SDK would pick this up by itself if anything initialised it without our configured DSN
    process.env.SENTRY_DSN = `http://publickey@127.0.0.1:${port}/41`;
    try {
      expect(await initErrorReporting(undefined, 'test', 'ocpizza-server')).toBe(false);
      expect(Sentry.getClient()).toBeUndefined();
      const r = await new Client(stack.base).get('/api/pizzerias/1/menu');
      expect(r.status).toBe(500);
      expect(r.body.error.requestId).toEqual(expect.any(String));
      await flushErrorReports(500);
      await Sentry.flush(500);
      expect(envelopes).toEqual([]);
    } finally {
      delete process.env.SENTRY_DSN;
    }
  });

  it('reports an unhandled API error to Sentry with its request id once SENTRY_DSN is set', async () => {
    expect(await initErrorReporting(`http://publickey@127.0.0.1:${port}/42`, 'test', 'ocpizza-server')).toBe(true);
    const res = await fetch(`${stack.base}/api/pizzerias/1/menu`, { headers: { 'x-request-id': 'req-sentry-check-1' } });
    expect(res.status).toBe(500);
    expect((await res.json()).error).toEqual({ code: 'server_error', message: 'something went wrong', requestId: 'req-sentry-check-1' });
    await flushErrorReports(5000);
    const sent = envelopes.find((e) => e.includes('recipe_ingredients'));
    expect(sent, envelopes.join('\n---\n').slice(0, 500)).toBeDefined();
    expect(sent).toMatch(/^\/api\/42\/envelope\//);
    expect(sent).toContain('req-sentry-check-1');
  });
});
