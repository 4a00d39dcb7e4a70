// A fleet on this machine, as production runs it: N server processes behind Debian's Nginx (the
// shipped site, deploy/nginx/ocpizza.conf, moved onto local ports with a throwaway certificate) and
// M workers processes, all real child processes on the settings given (DATABASE_URL, REDIS_URL,
// QUEUE_PREFIX...). Any of them can be killed (SIGKILL, as a crash) and started again; `stop` ends
// everything it started. Used by tests/ops/ha-servers.test.ts and the failover drill.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FleetOptions {
  /** How many server processes (pages, API, hub) behind Nginx. */
  servers?: number;
  /** How many workers processes. */
  workers?: number;
  /** The settings every process starts with (DATABASE_URL, QUEUE_PREFIX, REDIS_URL, NODE_ENV...). */
  env: Record<string, string>;
  /** Settings for the servers only, or the workers only, over `env`. */
  serverEnv?: Record<string, string>;
  workersEnv?: Record<string, string>;
  /** Ports from this one up (Nginx's two, then the servers'); free ports the system gives otherwise. */
  basePort?: number;
  /** Run the compiled entries (dist/, `npm run build`) rather than the TypeScript ones through tsx. */
  compiled?: boolean;
  /** The checkout the processes run from (the pages need its build/). */
  root?: string;
  /** Told every line a process writes, with its name ("server 0", "workers 1", "nginx"). */
  onLine?: (name: string, line: string) => void;
}

export interface Member {
  readonly name: string;
  /** A server's own port (none for workers). */
  readonly port?: number;
  readonly pid: number | undefined;
  readonly alive: boolean;
  /** Every line it wrote (JSON log lines for the servers and workers), since the fleet started. */
  readonly lines: string[];
  /** Its JSON log lines, parsed. */
  logs(): { msg: string; level: number; time: number; [k: string]: unknown }[];
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Fleet {
  /** The site's address through Nginx (https, a self-signed certificate). */
  readonly origin: string;
  readonly servers: Member[];
  readonly workers: Member[];
  /** An HTTPS request through Nginx that accepts its throwaway certificate. */
  request(path: string, opts?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer>;
  /** SIGKILL to server i (a crash): resolves once it is gone, with the time it was killed. */
  killServer(i: number): Promise<number>;
  /** SIGKILL to workers process i. */
  killWorkers(i: number): Promise<number>;
  /** Starts server i again (on its port) and waits until it is ready. */
  startServer(i: number): Promise<void>;
  /** Starts workers process i again and waits until it says it started. */
  startWorkers(i: number): Promise<void>;
  /** Ends Nginx, the servers and the workers (SIGTERM, SIGKILL after a while), and removes the fleet's files. */
  stop(): Promise<void>;
}

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ms: number, check: () => Promise<unknown> | unknown) {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A port nobody listens on now: from `next` up when given, else one the system picks. */
async function portFrom(next?: { port: number }): Promise<number> {
  for (;;) {
    const wanted = next ? next.port++ : 0;
    const srv = createServer();
    const got = await new Promise<number | null>((resolve) => {
      srv.once('error', () => resolve(null));
      srv.listen(wanted, '127.0.0.1', () => resolve((srv.address() as { port: number }).port));
    });
    await new Promise((r) => srv.close(r));
    if (got) return got;
    if (!next) throw new Error('no free port');
  }
}

class Proc implements Member {
  child: ChildProcess | null = null;
  lines: string[] = [];
  exited: Promise<void> = Promise.resolve();
  constructor(
    readonly name: string,
    private readonly argv: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly onLine?: (name: string, line: string) => void,
    readonly port?: number,
  ) {}

  get pid() {
    return this.child?.pid;
  }
  get alive() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  logs() {
    return this.lines.filter((l) => l.startsWith('{')).flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  }

  start() {
    const child = spawn(this.argv[0], this.argv.slice(1), { cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        const parts = (rest + d).split('\n');
        rest = parts.pop()!;
        for (const line of parts) {
          this.lines.push(line);
          this.onLine?.(this.name, line);
        }
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  async kill(signal: NodeJS.Signals, graceMs = 15_000) {
    if (!this.alive) return;
    this.child!.kill(signal);
    const gone = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!gone) {
      this.child!.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** The shipped site, moved onto local ports with a throwaway certificate, in front of `ports`. */
function siteConf(root: string, dir: string, ports: { http: number; https: number; servers: number[] }) {
  const shipped = readFileSync(join(root, 'deploy/nginx/ocpizza.conf'), 'utf8');
  // the upstream's health settings as shipped (max_fails, fail_timeout)
  const params = /^\s*server 127\.0\.0\.1:\d+ (.*);$/m.exec(shipped)?.[1] ?? '';
  return shipped
    .replace(/^\s*listen \[::\]:\d+.*$/gm, '')
    .replace(/listen 80( default_server)?;/g, `listen 127.0.0.1:${ports.http}$1;`)
    .replace(/listen 443 ssl http2( default_server)?;/g, `listen 127.0.0.1:${ports.https} ssl http2$1;`)
    .replace(/server_name ocpizza\.example\.fr;/g, 'server_name 127.0.0.1;')
    .replace(/^\s*server 127\.0\.0\.1:\d+ .*$/gm, '')
    .replace(/least_conn;/, `least_conn;\n${ports.servers.map((p) => `    server 127.0.0.1:${p} ${params};`).join('\n')}`)
    .replace(/^(\s*)ssl_certificate\s+\S+;/gm, `$1ssl_certificate ${join(dir, 'cert.pem')};`)
    .replace(/^(\s*)ssl_certificate_key\s+\S+;/gm, `$1ssl_certificate_key ${join(dir, 'key.pem')};`)
    .replace(/proxy_cache_path \S+/, `proxy_cache_path ${join(dir, 'cache')}`)
    .replace(/root \/var\/www\/letsencrypt;/, `root ${join(dir, 'acme')};`);
}

function writeNginxConf(root: string, dir: string, ports: { http: number; https: number; servers: number[] }) {
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost']);
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  mkdirSync(join(dir, 'acme'));
  writeFileSync(join(dir, 'ocpizza.conf'), siteConf(root, dir, ports));
  writeFileSync(join(dir, 'nginx.conf'), [
    'daemon off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events {}',
    'http {',
    '  include /etc/nginx/mime.types;',
    "  log_format upstream '$upstream_addr $status $request_method $uri';",
    `  access_log ${join(dir, 'access.log')} upstream;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}-temp`)};`),
    `  include ${join(dir, 'ocpizza.conf')};`,
    '}',
  ].join('\n'));
}

/** Starts the servers (each ready), the workers (each started) and Nginx in front (answering). */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx)');
  const root = opts.root ?? process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'ocpizza-fleet-'));
  chmodSync(dir, 0o755); // nginx's workers run as nobody
  const next = opts.basePort ? { port: opts.basePort } : undefined;
  const http = await portFrom(next);
  const https = await portFrom(next);
  const serverPorts: number[] = [];
  for (let i = 0; i < (opts.servers ?? 2); i++) serverPorts.push(await portFrom(next));
  const origin = `https://127.0.0.1:${https}`;
  const { servers, workers } = fleetProcs(opts, root, origin, serverPorts);
  let nginx: Proc | null = null;
  const fleet: Fleet = {
    origin,
    servers,
    workers,
    request: (path, o = {}) => requestTo(https, path, o),
    async killServer(i) {
      const at = Date.now();
      await servers[i].kill('SIGKILL');
      return at;
    },
    async killWorkers(i) {
      const at = Date.now();
      await workers[i].kill('SIGKILL');
      return at;
    },
    startServer: (i) => serverReady(servers[i]),
    startWorkers: (i) => workersReady(workers[i]),
    async stop() {
      await nginx?.kill('SIGQUIT', 5000);
      await Promise.all([...servers, ...workers].map((p) => p.kill('SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(servers.map(serverReady));
    await Promise.all(workers.map(workersReady));
    writeNginxConf(root, dir, { http, https, servers: serverPorts });
    nginx = new Proc('nginx', [NGINX, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], process.env, dir, opts.onLine);
    nginx.start();
    await nginxAnswering(nginx, dir, fleet);
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}

/** The servers and the workers processes (not started), with the settings they share. */
function fleetProcs(opts: FleetOptions, root: string, origin: string, serverPorts: number[]) {
  const entry = (name: 'server' | 'workers') =>
    opts.compiled ? [process.execPath, `dist/${name}/index.js`] : [process.execPath, '--import', 'tsx', `${name}/index.ts`];
  const production = opts.env.NODE_ENV === 'production';
  // every server signs and reads the same sessions
  const shared: Record<string, string> = {
    SESSION_SECRET: opts.env.SESSION_SECRET ?? randomBytes(32).toString('base64'),
    ...(!production || opts.env.FISCAL_SIGNING_KEY || opts.env.FISCAL_KEY_FILE ? {} : { FISCAL_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
  };
  const base = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env, ...shared };
  const servers = serverPorts.map(
    (port, i) =>
      new Proc(`server ${i}`, entry('server'), {
        ...base, PUBLIC_ORIGIN: origin, TRUST_PROXY: 'loopback', ...opts.serverEnv, PORT: String(port), HOST: '127.0.0.1',
      }, root, opts.onLine, port),
  );
  const workers = Array.from({ length: opts.workers ?? 2 }, (_, i) => new Proc(`workers ${i}`, entry('workers'), { ...base, PUBLIC_ORIGIN: origin, ...opts.workersEnv }, root, opts.onLine));
  return { servers, workers };
}

/** Starts a server and waits until it says it is ready. */
async function serverReady(s: Proc) {
  s.start();
  await waitFor(`${s.name} to be ready`, 60_000, async () => {
    if (!s.alive) throw new Error(`${s.name} exited: ${s.lines.slice(-20).join('\n')}`);
    return (await fetch(`http://127.0.0.1:${s.port}/readyz`).catch(() => null))?.ok;
  });
}

/** Starts a workers process and waits for its log line. */
async function workersReady(w: Proc) {
  const from = w.lines.length;
  w.start();
  await waitFor(`${w.name} to start`, 60_000, () => {
    if (!w.alive) throw new Error(`${w.name} exited: ${w.lines.slice(-20).join('\n')}`);
    return w.lines.slice(from).some((l) => l.includes('workers started'));
  });
}

/** A request to Nginx's https port, its certificate taken as it is. */
function requestTo(https: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: https, path, method: o.method ?? 'GET', headers: { host: `127.0.0.1:${https}`, ...o.headers }, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Waits until Nginx answers /healthz through to a server. */
async function nginxAnswering(proc: Proc, dir: string, fleet: Fleet) {
  await waitFor('nginx to answer', 15_000, async () => {
    if (!proc.alive) {
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      throw new Error(`nginx exited: ${proc.lines.join('\n')}${log}`);
    }
    return (await fleet.request('/healthz').catch(() => null))?.status === 200;
  });
}
