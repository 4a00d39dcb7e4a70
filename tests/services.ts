// What the test files start the same way: the stack (the app, its workers if the file needs them,
// and a pool, on the run's database and queues, with one set of settings), the environment that
// points it at the local Stripe server, an SMTP server and an SMS gateway that keep what they receive.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import Stripe from 'stripe';
import { FakeStripe } from './stripe-server.ts';
import { startTestApp, testConfig, testLog, testPool, workersStartFromNow, type TestSocket } from './helpers.ts';
import type { App, AppOptions } from '../server/app.ts';
import type { Config } from '../src/lib/server/kernel/config.ts';
import { startWorkers } from '../workers/workers.ts';

/**
 * Stripe's API of a test file's own, in this process (started before the file's tests, stopped
 * after them), a client that signs webhook events as Stripe does, and the settings that point the
 * app at both. Call it before useStack, whose settings read `env()` once the fake has started.
 */
export function useFakeStripe(webhookSecret: string) {
  const fake = new FakeStripe();
  let url = '';
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(() => fake.stop());
  return { fake, signer: new Stripe('sk_test_signer'), env: () => stripeEnv(url, webhookSecret) };
}

/** The three Stripe keys (test-shaped, not real) and the local server's address, as the app and workers read them. */
export const stripeEnv = (apiUrl: string, webhookSecret: string) => ({
  STRIPE_SECRET_KEY: 'sk_test_localserver',
  STRIPE_WEBHOOK_SECRET: webhookSecret,
  STRIPE_PUBLISHABLE_KEY: 'pk_test_localserver',
  STRIPE_API_URL: apiUrl,
});

type Env = Record<string, string>;
type Workers = Awaited<ReturnType<typeof startWorkers>>;

export interface StackOptions {
  /**
   * The settings of the stack over the tests' own (testConfig), the same for the app and the
   * workers; a function when they name something the file starts first (a local SMTP or Stripe
   * server), read when the stack starts.
   */
  env?: Env | (() => Env | Promise<Env>);
  /** The workers too, their reactor starting from now: events of other test files are not replayed. */
  workers?: boolean;
  /** How many hubs (apps) on the same settings; `app` and `base` are the first's. */
  hubs?: number;
  /** What else the apps are made with (another payment provider's webhook). */
  app?: Omit<AppOptions, 'config' | 'log'>;
  /** What else the workers are made with (another payment provider). */
  workerOptions?: Parameters<typeof startWorkers>[2];
}

export interface Stack {
  /** The first hub, and the address its HTTP and socket clients use. */
  app: App;
  base: string;
  /** Every hub: one unless `hubs` said more. */
  hubs: { app: App; base: string }[];
  /** The settings the apps and the workers run with. */
  config: Config;
  /** A pool on the run's database, for what a test reads or sets up directly. */
  pool: pg.Pool;
  /** The workers (only with `workers: true`). */
  workers: Workers;
  /** The sockets a test opened and keeps here: closed after the file, before the stack. */
  sockets: TestSocket[];
  /** Stops the first hub, as a server that goes away (its port is kept for `startApp`). */
  stopApp(): Promise<void>;
  /** Starts the first hub again on the port it had, with the same settings. */
  startApp(): Promise<void>;
  /** Stops the workers, as workers that are down for a while. */
  stopWorkers(): Promise<void>;
  /** Starts the workers again, with the same settings. */
  startWorkers(): Promise<void>;
  /** Ends what started, once (useStack calls it after the file). */
  close(): Promise<void>;
}

/**
 * The app (one hub or more) and, if asked, the workers, with the same settings by construction;
 * `close` ends what started. Most files want `useStack`; this is for a stack of a test's own.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const env = typeof opts.env === 'function' ? await opts.env() : (opts.env ?? {});
  const config = testConfig(env);
  // on the stack's database: the run's, unless the settings name another
  const pool = testPool(config.DATABASE_URL);
  const hubs: { app: App; base: string }[] = [];
  let stopped = false;
  let workers: Workers | null = null;
  const sockets: TestSocket[] = [];
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      for (const s of sockets.splice(0)) s.disconnect();
      await workers?.close();
      for (const [i, h] of hubs.entries()) if (i > 0 || !stopped) await h.app.close();
      await pool.end();
    })());
  try {
    if (opts.workers) await workersStartFromNow(pool);
    for (let i = 0; i < (opts.hubs ?? 1); i++) {
      const { app, base } = await startTestApp(env, opts.app);
      hubs.push({ app, base });
    }
    if (opts.workers) workers = await startWorkers(config, testLog(config), opts.workerOptions);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    get app() {
      if (stopped) throw new Error('the app is stopped');
      return hubs[0].app;
    },
    base: hubs[0].base,
    hubs,
    config,
    pool,
    sockets,
    get workers() {
      if (!workers) throw new Error(opts.workers ? 'the workers are stopped' : 'this stack has no workers: useStack({ workers: true })');
      return workers;
    },
    async stopApp() {
      if (stopped) return;
      stopped = true;
      await hubs[0].app.close();
    },
    async startApp() {
      if (!stopped) return;
      ({ app: hubs[0].app } = await startTestApp(env, { ...opts.app, port: Number(new URL(hubs[0].base).port) }));
      stopped = false;
    },
    async stopWorkers() {
      const stopping = workers;
      workers = null;
      await stopping?.close();
    },
    async startWorkers() {
      workers ??= await startWorkers(config, testLog(config), opts.workerOptions);
    },
    close,
  };
}

/**
 * The stack of a test file: started before its tests (beforeAll), closed after them (afterAll,
 * after the file's own afterAll hooks registered later, so those still have the app and the pool).
 * Its fields are read in hooks and tests, once it has started.
 */
export function useStack(opts: StackOptions = {}): Stack {
  let stack: Stack | null = null;
  // kept before the start too: a file's helpers may hold on to it
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    stack = await startStack(opts);
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    await stack?.close();
  });
  const started = (): Stack => {
    if (!stack) throw new Error('the stack starts in beforeAll: read it in a hook or a test');
    return stack;
  };
  return {
    get app() { return started().app; },
    get base() { return started().base; },
    get hubs() { return started().hubs; },
    get config() { return started().config; },
    get pool() { return started().pool; },
    get workers() { return started().workers; },
    sockets,
    stopApp: () => started().stopApp(),
    startApp: () => started().startApp(),
    stopWorkers: () => started().stopWorkers(),
    startWorkers: () => started().startWorkers(),
    close: () => started().close(),
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
  // loaded by the files that read mail only
  const [{ SMTPServer }, { simpleParser }] = await Promise.all([import('smtp-server'), import('mailparser')]);
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
  // a client that dies in the middle of a mail (a workers process killed during a failover drill)
  // is a dropped connection to a mail server, not its end: without a listener the 'error' would end this process
  smtp.on('error', () => undefined);
  // port 0: the system's free port, which no other file running beside this one can take meanwhile
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: { SMS_HTTP_URL: `http://127.0.0.1:${port}/messages`, SMS_HTTP_TOKEN: 'test-gateway-token' },
    texts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Messages {
  readonly smtp: TestSmtp;
  readonly gateway: TestSmsGateway;
  /** SMTP_URL and the SMS gateway's settings, for the stack's env. */
  env(): Record<string, string>;
}

/**
 * A mail server and an SMS gateway of a test file's own, started before its tests and closed after
 * them; call it before `useStack`, whose env reads `messages.env()`.
 */
export function useMessages(): Messages {
  let smtp: TestSmtp | null = null;
  let gateway: TestSmsGateway | null = null;
  beforeAll(async () => {
    smtp = await startTestSmtp();
    gateway = await startTestSmsGateway();
  });
  afterAll(async () => {
    await smtp?.close();
    await gateway?.close();
  });
  const started = <T>(x: T | null): T => {
    if (!x) throw new Error('the mail server and SMS gateway start in beforeAll: read them in a hook or a test');
    return x;
  };
  return {
    get smtp() { return started(smtp); },
    get gateway() { return started(gateway); },
    env: () => ({ SMTP_URL: started(smtp).url, ...started(gateway).env }),
  };
}
