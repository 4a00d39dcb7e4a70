// What several test files start the same way: the app with its workers on the run's database and
// queues, the environment that points both at the local Stripe server, and an SMTP server that
// keeps what it receives.
import { createServer } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type pg from 'pg';
import { freePort, silentLog, startTestApp, testConfig, testPool, workersStartFromNow } from './helpers.ts';
import type { App } from '../server/app.ts';
import { startWorkers } from '../workers/workers.ts';

/** The three Stripe keys (test-shaped, not real) and the local server's address, as the app and workers read them. */
export const stripeEnv = (apiUrl: string, webhookSecret: string) => ({
  STRIPE_SECRET_KEY: 'sk_test_localserver',
  STRIPE_WEBHOOK_SECRET: webhookSecret,
  STRIPE_PUBLISHABLE_KEY: 'pk_test_localserver',
  STRIPE_API_URL: apiUrl,
});

export interface Stack {
  app: App;
  base: string;
  pool: pg.Pool;
  workers: Awaited<ReturnType<typeof startWorkers>>;
  close(): Promise<void>;
}

/**
 * The server and the workers with the same settings; the workers' reactor starts from now, so
 * events of other test files are not replayed.
 */
export async function startStack(env: Record<string, string>): Promise<Stack> {
  const pool = testPool();
  await workersStartFromNow(pool);
  const { app, base } = await startTestApp(env);
  const workers = await startWorkers(testConfig(env), silentLog);
  return {
    app,
    base,
    pool,
    workers,
    async close() {
      await workers.close();
      await app.close();
      await pool.end();
    },
  };
}

export interface TestSmtp {
  url: string;
  inbox: ParsedMail[];
  close(): Promise<void>;
}

/** An SMTP server in the test process; `refuse` answers 451 (try again later) to a message while it says so. */
export async function startTestSmtp(opts: { refuse?: () => boolean } = {}): Promise<TestSmtp> {
  const inbox: ParsedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      simpleParser(stream).then((mail) => {
        if (opts.refuse?.()) return done(Object.assign(new Error('try again later'), { responseCode: 451 }));
        inbox.push(mail);
        done();
      }, done);
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, inbox, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

export interface TestSmsGateway {
  /** SMS_HTTP_URL and SMS_HTTP_TOKEN for a stack that sends its texts here. */
  env: { SMS_HTTP_URL: string; SMS_HTTP_TOKEN: string };
  /** The texts taken, in order, with the bearer token each came with. */
  texts: { to: string; from: string; text: string; auth: string | undefined }[];
  close(): Promise<void>;
}

/** A local HTTP server playing the SMS gateway (JSON in, an id out); `refuse` answers 503 while it says so. */
export async function startTestSmsGateway(opts: { refuse?: () => boolean } = {}): Promise<TestSmsGateway> {
  const texts: TestSmsGateway['texts'] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (opts.refuse?.()) {
        res.writeHead(503).end('{}');
        return;
      }
      texts.push({ ...JSON.parse(raw), auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `sms-${texts.length}` }));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    env: { SMS_HTTP_URL: `http://127.0.0.1:${port}/messages`, SMS_HTTP_TOKEN: 'test-gateway-token' },
    texts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
