import { createHmac, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_ETA_SETTINGS, type EtaSettings } from '../../domain/eta.ts';
import { DEFAULT_PRINTER_NETWORKS, parseNetworks } from './networks.ts';
import { parseSentinels } from './sentinels.ts';

// One schema for the environment, parsed once by server and workers.
const DEV_DEMO_PASSWORD = 'pizza-demo-dev'; // development default only; refused in production

/** QUEUE_PREFIX: a plain name, or one in a single pair of braces (a Redis Cluster hash tag). */
const QUEUE_PREFIX_FORM = /^(?:[a-zA-Z0-9_-]+|\{[a-zA-Z0-9_-]+\})$/;

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/ocpizza'),
    /**
     * The role that owns the tables and migrates them (db:migrate, db:restore), when the product runs
     * as another (DATABASE_URL: a member of ocpizza_app, which may only read and add to the fiscal
     * journal: db/migrations/0091). Unset: DATABASE_URL does both (a development machine).
     */
    DATABASE_OWNER_URL: z.string().url().optional(),
    /**
     * How many synchronous standbys the Postgres behind DATABASE_URL has (a Patroni cluster: 1):
     * /readyz, the system page and the metrics say when fewer are in sync.
     */
    DATABASE_SYNC_STANDBYS: z.coerce.number().int().min(0).max(10).default(0),
    /** redis:// or, with TLS, rediss:// (managed Redis on a PaaS). */
    REDIS_URL: z.string().url().refine((u) => /^rediss?:\/\//i.test(u), 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** With rediss://: "false" accepts a managed Redis's self-signed certificate (the platform's own network only). */
    REDIS_TLS_VERIFY: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /** With rediss://: a CA certificate (PEM file) to trust for the Redis server. */
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    /**
     * Redis with Sentinel: the sentinels (host:port, comma-separated), asked for the current master
     * instead of REDIS_URL's host. REDIS_URL's user, password, database and rediss:// still apply to the nodes.
     */
    REDIS_SENTINELS: z
      .string()
      .optional()
      .refine((v) => v === undefined || (parseSentinels(v).length > 0 && parseSentinels(v).length === v.split(',').filter((e) => e.trim()).length), 'host:port of each sentinel, comma separated (e.g. 10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379)'),
    /** The master's name in the sentinels' configuration (sentinel monitor <name> …). */
    REDIS_SENTINEL_NAME: z.string().regex(/^[a-zA-Z0-9._-]+$/).default('ocpizza'),
    /** The sentinels' own password (requirepass in sentinel.conf), when they have one; the nodes' is REDIS_URL's. */
    REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    /**
     * The site's public origin (https://…): every link the system sends (password resets,
     * invitations, customers' messages) starts with it, never with a request's Host. Required in
     * production; http://localhost:$PORT otherwise.
     */
    PUBLIC_ORIGIN: z.string().url({ protocol: /^https?$/, message: 'an http:// or https:// URL' }).optional(),
    /** More origins (comma-separated, e.g. a second domain) whose pages may change state through the API and sockets. */
    ALLOWED_ORIGINS: z.string().optional(),
    /**
     * The start of every Redis key and stream of the install (queues, the hubs' stream, positions,
     * rate limits, SMS limits): letters, digits, `_` and `-`, or the same between one pair of braces
     * and nothing else, `{ocpizza}`. Braces make it a Redis Cluster hash tag, which BullMQ needs on a
     * cluster: its scripts touch several keys of a queue at once, and "to make bull compatible with
     * Redis cluster, use a queue prefix inside brackets", e.g. `prefix: '{myprefix}'` (BullMQ's docs,
     * Patterns, Redis Cluster: https://docs.bullmq.io/patterns/redis-cluster). Redis hashes only what
     * lies between the first `{` and the next `}`, so one pair around the whole prefix puts every key
     * of the install in one slot; anything before or after the pair, or a second pair, is refused.
     */
    QUEUE_PREFIX: z
      .string()
      .regex(QUEUE_PREFIX_FORM, 'letters, digits, _ and - (e.g. ocpizza), or the same in one pair of braces for Redis Cluster (e.g. {ocpizza}), nothing before or after them')
      .default('ocpizza'),
    DEMO_PASSWORD: z.string().min(8).optional(),
    SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
    PREP_TARGET_SECONDS: z.coerce.number().int().positive().default(15 * 60),
    // a new ticket nobody touched chimes again this often on the kitchen screen (0: once only)
    KITCHEN_REMIND_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
    PRINTER_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(4000),
    /**
     * The networks a shop's printer may be on (comma-separated ranges): the workers reach nothing else,
     * so a printer's address cannot probe the servers' own network. Private ranges by default; narrow it
     * to the shops' own (their VPN's) where the servers' network is private too.
     */
    PRINTER_NETWORKS: z
      .string()
      .default(DEFAULT_PRINTER_NETWORKS)
      .refine((v) => {
        try {
          return !!parseNetworks(v);
        } catch {
          return false;
        }
      }, 'ranges such as 10.20.0.0/16,192.168.0.0/16,fd00::/8 (comma separated)'),
    /** A printer on this machine (127.0.0.0/8, ::1): development and tests only, refused in production. */
    PRINTER_ALLOW_LOOPBACK: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    KITCHEN_UNDO_SECONDS: z.coerce.number().int().min(0).max(900).default(120),
    DISPATCH_RETRY_MS: z.coerce.number().int().positive().default(5000),
    /** Seconds a driver has to accept or decline a delivery offered to them (then it goes to the next); 0 assigns at once, without offers. */
    OFFER_TIMEOUT_SECONDS: z.coerce.number().min(0).max(600).default(45),
    /**
     * Deliveries are offered only to drivers whose phone is connected now with a position fresher
     * than DRIVER_POSITION_FRESH_SECONDS; "false" offers to every driver on shift (drivers without the app).
     */
    DISPATCH_PRESENT_ONLY: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    LATE_NOTICES: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /** The managers' alert for an order the shop's plan expects late (a customer about to be told raises it anyway). */
    LATE_ALERTS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    DRIVER_POSITION_FRESH_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
    /** Ready deliveries one driver takes on one trip at most (1: never batched). */
    BATCH_MAX_PER_TRIP: z.coerce.number().int().min(1).max(3).default(3),
    /** An online order still unpaid this long after its payment started is cancelled and its stock given back (fractions allowed). */
    PAYMENT_EXPIRY_MINUTES: z.coerce.number().positive().default(15),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    RESUME_MAX_EVENTS: z.coerce.number().int().positive().default(500),
    SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
    /**
     * The key that signs the fiscal journal (src/lib/server/fiscal/): an Ed25519 private key in PEM
     * (line breaks as they are, or written \n), or FISCAL_KEY_FILE, a file holding one. One of them is
     * required in production; elsewhere an install makes its own, kept in .fiscal-key.pem (git-ignored).
     */
    FISCAL_SIGNING_KEY: z.string().optional().refine((v) => v === undefined || isFiscalKey(v), 'an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)'),
    FISCAL_KEY_FILE: z.string().min(1).optional(),
    /**
     * The hour (0 to 23, Paris time) the workers close each shop's day that is over (its daily
     * closing, then the month's and the fiscal year's when that day ends them): after the last
     * delivery of the night.
     */
    FISCAL_CLOSING_HOUR: z.coerce.number().int().min(0).max(23).default(4),
    /** The first month of the fiscal year (1 to 12): the yearly closing is made when the month before it is closed. */
    FISCAL_YEAR_START_MONTH: z.coerce.number().int().min(1).max(12).default(1),
    /**
     * The fiscal journal's earlier public keys the operator keeps (PEM, one block after the other):
     * a verification trusts these and the key in use, never only the keys the database recorded.
     */
    FISCAL_PUBLIC_KEYS_FILE: z.string().min(1).optional(),
    /**
     * The anchor file: each chain's head, written by the workers with every checkpoint of the fiscal
     * journal (src/lib/server/fiscal/anchors.ts), outside the database, so a chain cut from its end is
     * seen by the verification. "off": none (the JET's checkpoints still anchor the shops' chains).
     */
    FISCAL_ANCHOR_FILE: z.union([z.literal('off'), z.string().min(1)]).default('.fiscal-anchors.jsonl').transform((v) => (v === 'off' ? null : v)),
    SENTRY_DSN: z.string().url().optional(),
    BACKUP_DIR: z.string().min(1).default('backups'),
    /** When the workers take the daily backup (cron, UTC); "off" when something else does (a systemd timer, the platform's own backups). */
    BACKUP_CRON: z.union([z.literal('off'), z.string().min(9)]).default('0 3 * * *'),
    BACKUP_RETENTION_DAYS: z.coerce.number().int().positive().default(14),
    /**
     * An S3-compatible bucket that keeps the dumps (with the S3_* endpoint and keys of the photos):
     * where the machine's disk does not last. Each dump is checked in BACKUP_DIR, then moved there.
     */
    BACKUP_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name').optional(),
    BACKUP_S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'a folder such as backups/ (or empty)').default('backups/'),
    MAINTENANCE_CRON: z.string().min(9).default('30 4 * * 0'),
    EVENT_ARCHIVE_DAYS: z.coerce.number().int().positive().default(90),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /**
     * How much the workers' process yields the CPU to the server's (a nice value, 0 to 19): on a
     * machine both share, a burst of jobs (a rush's messages) must not slow the answers and the
     * screens. Lowering one's own priority needs no privilege.
     */
    WORKERS_NICE: z.coerce.number().int().min(0).max(19).default(10),
    /** Failed logins allowed per IP and email in 15 minutes. */
    RATE_LIMIT_LOGIN: z.coerce.number().int().positive().default(10),
    /**
     * How many sales the counter may re-book from cash to card (or back) in a shift without a
     * manager confirming it (src/lib/server/flows/payment-correction.ts); a sale corrected once
     * already always needs one.
     */
    COUNTER_CORRECTIONS_PER_SHIFT: z.coerce.number().int().min(0).max(50).default(2),
    /**
     * Every sale sealed in the transaction that makes it (src/lib/server/fiscal/seal.ts); false: the
     * workers journal the sales a second or so after (a training shop's are sealed either way), for
     * an install that must spare the CPU the seal costs (docs/benchmarks.md).
     */
    FISCAL_SEAL_SALES: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /** Orders, cancels and changes allowed per IP in 10 minutes from customers (staff are not limited). */
    RATE_LIMIT_ORDERS: z.coerce.number().int().positive().default(60),
    /** Sign-in codes a customer may ask for, and codes they may try, per IP in 15 minutes (besides the limits per email or phone). */
    RATE_LIMIT_CUSTOMER_CODES: z.coerce.number().int().positive().default(10),
    /**
     * Online orders awaiting payment that one client address, phone number or email may have at once,
     * and the items they may hold together: unpaid orders hold stock, so one client cannot take a menu off sale.
     */
    UNPAID_ORDERS_PER_CLIENT: z.coerce.number().int().positive().default(2),
    UNPAID_ITEMS_PER_CLIENT: z.coerce.number().int().positive().default(20),
    /** The share of a shop's stock of an ingredient (free, plus held by unpaid orders) that all its unpaid online orders may hold together. */
    UNPAID_STOCK_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
    /**
     * A customer's order for later paid at the door whose fire time is more than these hours away
     * counts as unpaid (the allowance and the share above): it holds stock long before the kitchen makes it.
     */
    UNPAID_AHEAD_HOURS: z.coerce.number().gt(0).max(168).default(3),
    /** Online orders per hour for one phone number or email (each order sends messages there). */
    ORDERS_PER_CONTACT_PER_HOUR: z.coerce.number().int().positive().default(6),
    /** Messages per hour to one email address, and to one phone number; beyond, a message is recorded and not sent. */
    MESSAGES_PER_DESTINATION_PER_HOUR: z.coerce.number().int().positive().default(10),
    /** Messages per hour caused by the customer orders of one client address (customers behind one carrier address included: about 40 orders' worth). */
    MESSAGES_PER_CLIENT_PER_HOUR: z.coerce.number().int().positive().default(200),
    /**
     * How long a run that died while sending a customer message holds it before another run sends it,
     * in seconds: longer than a send and its note, which is tried again for half of it (through a
     * database failover). A message is never sent twice; this is how late one can be after a workers
     * process dies mid-send.
     */
    MESSAGE_CLAIM_LEASE_SECONDS: z.coerce.number().int().min(20).max(3600).default(120),
    /**
     * Where texts go (sign-in codes, order messages): numbers starting with one of these prefixes, comma
     * separated. France and its overseas departments by default (Mayotte is +262 with La Réunion).
     */
    SMS_ALLOWED_PREFIXES: z
      .string()
      .regex(/^\s*\+\d{1,6}\s*(,\s*\+\d{1,6}\s*)*$/, 'prefixes such as +33,+262 (a plus, then 1 to 6 digits, comma separated)')
      .default('+33,+262,+590,+594,+596')
      .transform((v) => v.split(',').map((p) => p.trim())),
    /** Texts the whole chain may send per hour (every server and worker together): past it, codes by email only and order messages by email. */
    SMS_PER_HOUR: z.coerce.number().int().positive().default(1000),
    /** Texts per hour to one number range (its allowed prefix and the SMS_RANGE_DIGITS digits after it). */
    SMS_PER_RANGE_PER_HOUR: z.coerce.number().int().positive().default(30),
    SMS_RANGE_DIGITS: z.coerce.number().int().min(1).max(8).default(4),
    /** Which proxies' X-Forwarded-* headers to believe (Express "trust proxy": loopback, a CIDR list, or a hop count). */
    TRUST_PROXY: z.string().min(1).default('loopback'),
    /** When set, GET /metrics requires "Authorization: Bearer <token>". */
    METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
    /** Live sockets one client address may hold at once on one server (a shop's tablets and phones, customers behind one carrier address). */
    SOCKET_MAX_PER_ADDRESS: z.coerce.number().int().positive().default(100),
    /** New socket connections one client address may open per minute. */
    SOCKET_CONNECTS_PER_MINUTE: z.coerce.number().int().positive().default(120),
    /** Calls (subscribe and any other message) one socket may send per 10 seconds. */
    SOCKET_CALLS_PER_10S: z.coerce.number().int().positive().default(20),
    /** On SIGTERM, how long to keep serving while /readyz says not ready, so a load balancer stops sending traffic first. */
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(0),
    /** A hold-up of the event loop longer than this makes /readyz answer 503 for the next 10 s (kernel/loop-watch.ts). */
    EVENT_LOOP_STALL_MS: z.coerce.number().int().positive().default(2000),
    /** An event loop that has not turned for this long kills its process, for its supervisor to start it again (0: never). */
    EVENT_LOOP_EXIT_MS: z.coerce.number().int().min(0).default(30_000),
    /** Positions one driver's phone may share per 10 seconds (every 5 s or 25 m on the road, a few more after a tunnel). */
    POSITIONS_PER_10S: z.coerce.number().int().positive().default(10),
    /**
     * Which hubs read a driver's position: "watching", only those with a screen of the driver's shop
     * or of an order the driver carries (Redis 7's sharded pub/sub); "all", every hub, through the
     * hubs' shared stream (a Redis 6 without SPUBLISH).
     */
    POSITIONS_TO_HUBS: z.enum(['watching', 'all']).default('watching'),
    /** The address geocoder (the national address service's protocol); "none" to place addresses only from the pin or the phone's position. */
    GEOCODER_URL: z.union([z.literal('none'), z.string().url()]).default('https://api-adresse.data.gouv.fr'),
    GEOCODER_TIMEOUT_MS: z.coerce.number().int().positive().default(2500),
    /** Map tiles for every map ({z}/{x}/{y}); "none" draws shops, zones, drivers and customers on a blank map. */
    MAP_TILE_URL: z.string().min(1).default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
    /** How drivers ride (for travel times), and the average speeds in km/h. */
    DELIVERY_MODE: z.enum(['bike', 'scooter', 'car']).default('scooter'),
    SPEED_BIKE_KMH: z.coerce.number().positive().max(80).default(DEFAULT_ETA_SETTINGS.speedKmh.bike),
    SPEED_SCOOTER_KMH: z.coerce.number().positive().max(80).default(DEFAULT_ETA_SETTINGS.speedKmh.scooter),
    SPEED_CAR_KMH: z.coerce.number().positive().max(80).default(DEFAULT_ETA_SETTINGS.speedKmh.car),
    /** Kitchen estimate: minutes per order, minutes per pizza, pizzaiolos baking at once. */
    PREP_BASE_MINUTES: z.coerce.number().min(0).max(120).default(DEFAULT_ETA_SETTINGS.basePrepMinutes),
    PREP_MINUTES_PER_ITEM: z.coerce.number().min(0).max(60).default(DEFAULT_ETA_SETTINGS.minutesPerItem),
    KITCHEN_PARALLEL: z.coerce.number().int().positive().max(50).default(DEFAULT_ETA_SETTINGS.parallel),
    /** Where product photos are kept (a folder; relative to the working directory unless absolute). */
    MEDIA_DIR: z.string().min(1).default('media'),
    /**
     * S3-compatible object storage for the photos (AWS S3, MinIO, Scaleway, OVH…): set S3_BUCKET to
     * use it instead of MEDIA_DIR; the keys come from the environment only.
     */
    S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name').optional(),
    // "minio:9000" parses as a URL (scheme "minio:"): ask for the scheme the SDK needs
    S3_ENDPOINT: z.string().url({ protocol: /^https?$/, message: 'an http:// or https:// URL' }).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Bucket in the path (MinIO and most S3-compatible stores), not in the host name (AWS). */
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /**
     * Stripe (card payments held, then captured when the kitchen starts): the secret key, the
     * webhook endpoint's signing secret and the publishable key the payment form uses; all three
     * or none (then the demo payment). STRIPE_API_URL points the client at another server (tests).
     */
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'a Stripe secret key (sk_test_…, sk_live_…)').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'a webhook signing secret (whsec_…)').optional(),
    STRIPE_PUBLISHABLE_KEY: z.string().regex(/^pk_(test|live)_[A-Za-z0-9]+$/, 'a publishable key (pk_test_…, pk_live_…)').optional(),
    STRIPE_API_URL: z.string().url().optional(),
    /**
     * The delivery platforms (src/lib/server/marketplaces/): the chain's API credentials of each,
     * all of a platform's or none (then it takes no order). Each shop's store on a platform is
     * connected in the back office. The *_API_URL and *_AUTH_URL point at another server (tests).
     */
    UBER_EATS_CLIENT_ID: z.string().min(8).optional(),
    /** Also the key Uber Eats signs its webhooks with (X-Uber-Signature). */
    UBER_EATS_CLIENT_SECRET: z.string().min(16).optional(),
    UBER_EATS_API_URL: z.string().url().default('https://api.uber.com'),
    UBER_EATS_AUTH_URL: z.string().url().default('https://auth.uber.com/oauth/v2/token'),
    /** Uber's consent page, where a merchant's user activates their stores for the chain (the back office's "Activer via Uber Eats"). */
    UBER_EATS_AUTHORIZE_URL: z.string().url().default('https://auth.uber.com/oauth/v2/authorize'),
    DELIVEROO_CLIENT_ID: z.string().min(8).optional(),
    DELIVEROO_CLIENT_SECRET: z.string().min(16).optional(),
    /** The webhook secret Deliveroo signs with (X-Deliveroo-Hmac-Sha256). */
    DELIVEROO_WEBHOOK_SECRET: z.string().min(16).optional(),
    /** The chain's brand on Deliveroo (its menus and sites are the brand's). */
    DELIVEROO_BRAND_ID: z.string().min(1).optional(),
    DELIVEROO_API_URL: z.string().url().default('https://api.developers.deliveroo.com'),
    DELIVEROO_AUTH_URL: z.string().url().default('https://auth.developers.deliveroo.com/oauth2/token'),
    /** The brand's JET Connect API key (Just Eat, sent as X-Flyt-Api-Key). */
    JUST_EAT_API_KEY: z.string().min(8).optional(),
    /** The key given to Just Eat for its webhooks: it comes back as their Authorization header. */
    JUST_EAT_WEBHOOK_KEY: z.string().min(16).optional(),
    /** The HMAC secret given to Just Eat: its orders are signed with it (X-JET-Connect-Hash). */
    JUST_EAT_WEBHOOK_SECRET: z.string().min(16).optional(),
    JUST_EAT_API_URL: z.string().url().default('https://api.flytplatform.com'),
    JUST_EAT_ORDER_STATUS_URL: z.string().url().default('https://order-injection-status-updater.flyt-platform.com'),
    /**
     * Without Stripe's keys: the demo payment page (clearly labelled, no card charged), whose events
     * are signed locally and go through the same webhook and workers as Stripe's. On by default
     * outside production; refused in production (its sales would enter the fiscal journal as paid).
     */
    PAYMENTS_DEMO: z.enum(['true', 'false']).optional(),
    /** The most a titre-restaurant card may pay a day, in cents (the legal amount: 25 € in 2026; it changes by decree). */
    MEAL_VOUCHER_DAILY_LIMIT_CENTS: z.coerce.number().int().min(100).max(100_000).default(2500),
    /** Outgoing email (staff invitations, password resets): smtp://user:password@host:587 or smtps://…:465; unset: written to the log. */
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'smtp:// or smtps://').optional(),
    MAIL_FROM: z.string().min(3).default('OC Pizza <no-reply@ocpizza.example>'),
    /**
     * Text messages to customers: an HTTP provider (POST JSON { to, from, text } with a bearer token)
     * when SMS_HTTP_URL is set; written to the log otherwise.
     */
    SMS_HTTP_URL: z.string().url({ protocol: /^https?$/, message: 'an http:// or https:// URL' }).optional(),
    SMS_HTTP_TOKEN: z.string().min(8).optional(),
    SMS_FROM: z.string().min(2).max(20).default('OCPizza'),
    /** How long a staff invitation link, and a password reset link, stay valid. */
    INVITE_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(72),
    RESET_TTL_MINUTES: z.coerce.number().positive().max(24 * 60).default(60),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'required in production' });
    }
    // the demo page takes no money, yet its sales would enter the fiscal journal as paid online
    if (env.NODE_ENV === 'production' && env.PAYMENTS_DEMO === 'true') {
      ctx.addIssue({ code: 'custom', path: ['PAYMENTS_DEMO'], message: 'refused in production: the demo page takes no money, and its sales would be journaled as paid (a demo or staging install runs with NODE_ENV=development)' });
    }
    if (env.FISCAL_SIGNING_KEY && env.FISCAL_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['FISCAL_KEY_FILE'], message: 'FISCAL_SIGNING_KEY or FISCAL_KEY_FILE, not both' });
    } else if (env.FISCAL_KEY_FILE && !fiscalKeyFileReadable(env.FISCAL_KEY_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['FISCAL_KEY_FILE'], message: `no Ed25519 private key in PEM can be read from ${env.FISCAL_KEY_FILE}` });
    }
    if (env.FISCAL_PUBLIC_KEYS_FILE && !publicKeysFileReadable(env.FISCAL_PUBLIC_KEYS_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['FISCAL_PUBLIC_KEYS_FILE'], message: `no public key in PEM can be read from ${env.FISCAL_PUBLIC_KEYS_FILE}` });
    }
    if (env.NODE_ENV === 'production' && !env.FISCAL_SIGNING_KEY && !env.FISCAL_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['FISCAL_SIGNING_KEY'], message: 'required in production (or FISCAL_KEY_FILE): the key that signs the fiscal journal' });
    }
    if (env.NODE_ENV === 'production' && !env.PUBLIC_ORIGIN) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_ORIGIN'], message: 'required in production: the site\'s address (https://your.domain), the start of every link the system sends' });
    }
    const uber = [env.UBER_EATS_CLIENT_ID, env.UBER_EATS_CLIENT_SECRET].filter(Boolean).length;
    if (uber === 1) ctx.addIssue({ code: 'custom', path: ['UBER_EATS_CLIENT_ID'], message: 'UBER_EATS_CLIENT_ID and UBER_EATS_CLIENT_SECRET go together' });
    const deliveroo = [env.DELIVEROO_CLIENT_ID, env.DELIVEROO_CLIENT_SECRET, env.DELIVEROO_WEBHOOK_SECRET, env.DELIVEROO_BRAND_ID].filter(Boolean).length;
    if (deliveroo > 0 && deliveroo < 4) {
      ctx.addIssue({ code: 'custom', path: ['DELIVEROO_CLIENT_ID'], message: 'DELIVEROO_CLIENT_ID, DELIVEROO_CLIENT_SECRET, DELIVEROO_WEBHOOK_SECRET and DELIVEROO_BRAND_ID go together' });
    }
    const justEat = [env.JUST_EAT_API_KEY, env.JUST_EAT_WEBHOOK_KEY, env.JUST_EAT_WEBHOOK_SECRET].filter(Boolean).length;
    if (justEat > 0 && justEat < 3) {
      ctx.addIssue({ code: 'custom', path: ['JUST_EAT_API_KEY'], message: 'JUST_EAT_API_KEY, JUST_EAT_WEBHOOK_KEY and JUST_EAT_WEBHOOK_SECRET go together' });
    }
    const stripe = [env.STRIPE_SECRET_KEY, env.STRIPE_WEBHOOK_SECRET, env.STRIPE_PUBLISHABLE_KEY].filter(Boolean).length;
    if (stripe !== 0 && stripe !== 3) {
      ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PUBLISHABLE_KEY go together' });
    }
    if ((env.S3_BUCKET || env.BACKUP_S3_BUCKET) && (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['S3_ACCESS_KEY_ID'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are needed with S3_BUCKET or BACKUP_S3_BUCKET' });
    }
    if (env.NODE_ENV === 'production' && env.PRINTER_ALLOW_LOOPBACK) {
      ctx.addIssue({ code: 'custom', path: ['PRINTER_ALLOW_LOOPBACK'], message: "refused in production: the workers' own machine is no printer" });
    }
    if (env.NODE_ENV === 'production' && env.DEMO_PASSWORD === DEV_DEMO_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['DEMO_PASSWORD'], message: 'the development default is refused in production' });
    }
  });

/** The fiscal journal's signing key from its PEM (a variable may carry its line breaks as \n); throws unless Ed25519. */
export function fiscalPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is needed, not ${key.asymmetricKeyType}`);
  return key;
}

function isFiscalKey(pem: string): boolean {
  try {
    return !!fiscalPrivateKey(pem);
  } catch {
    return false;
  }
}

function publicKeysFileReadable(file: string): boolean {
  try {
    return /-----BEGIN PUBLIC KEY-----/.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

function fiscalKeyFileReadable(file: string): boolean {
  try {
    return isFiscalKey(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/** The name of every variable the schema reads (docs/configuration.md documents each, once; tests/ops/config-docs.test.ts checks it). */
export const CONFIG_KEYS: readonly string[] = Object.keys(schema.shape);

/** How online payments are taken: Stripe, the demo payment page, or not at all (pay at the door or counter only). */
export type PaymentMode = 'stripe' | 'demo' | 'off';

export type Config = z.infer<typeof schema> & {
  demoPassword: string | null;
  secureCookies: boolean;
  sessionSecret: string;
  /** Where every link the system sends points: PUBLIC_ORIGIN, or http://localhost:$PORT outside production. */
  publicOrigin: string;
  eta: EtaSettings;
  paymentMode: PaymentMode;
  /** The secret payment webhooks are signed with: Stripe's, or in demo mode one derived from the session secret. */
  paymentWebhookSecret: string | null;
};

export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // an empty variable (compose passes "${X:-}") means "not set"
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${names}`);
  }
  const c = parsed.data;
  // without SESSION_SECRET (never in production): the test suite's own key under NODE_ENV=test, else
  // a random key for this process alone; config() gives every process of an install the same one
  const sessionSecret = c.SESSION_SECRET ?? (c.NODE_ENV === 'test' ? TEST_SESSION_SECRET : randomBytes(48).toString('base64url'));
  const paymentMode: PaymentMode = c.STRIPE_SECRET_KEY
    ? 'stripe'
    : (c.PAYMENTS_DEMO ?? (c.NODE_ENV === 'production' ? 'false' : 'true')) === 'true' ? 'demo' : 'off';
  return {
    ...c,
    demoPassword: c.DEMO_PASSWORD ?? (c.NODE_ENV === 'production' ? null : DEV_DEMO_PASSWORD),
    secureCookies: c.NODE_ENV === 'production',
    sessionSecret,
    publicOrigin: new URL(c.PUBLIC_ORIGIN ?? `http://localhost:${c.PORT}`).origin,
    paymentMode,
    paymentWebhookSecret: paymentMode === 'stripe' ? c.STRIPE_WEBHOOK_SECRET! : paymentMode === 'demo' ? demoWebhookSecret(sessionSecret) : null,
    eta: {
      ...DEFAULT_ETA_SETTINGS,
      basePrepMinutes: c.PREP_BASE_MINUTES,
      minutesPerItem: c.PREP_MINUTES_PER_ITEM,
      parallel: c.KITCHEN_PARALLEL,
      speedKmh: { bike: c.SPEED_BIKE_KMH, scooter: c.SPEED_SCOOTER_KMH, car: c.SPEED_CAR_KMH },
    },
  };
}

/** The demo mode's webhook signing secret: the same on every process of an install, known to no one outside it. */
export function demoWebhookSecret(sessionSecret: string): string {
  return `whsec_${createHmac('sha256', sessionSecret).update('demo payment webhooks').digest('base64url').replace(/[-_]/g, '')}`;
}

/** Only under NODE_ENV=test, where no install runs. */
const TEST_SESSION_SECRET = 'test-suite-only-session-key-used-by-no-install';

/** Where an install started without SESSION_SECRET keeps the one made for it (git-ignored). */
export const INSTALL_SECRET_FILE = '.session-secret';

/**
 * The install's own session secret, made at random the first time any of its processes starts
 * without SESSION_SECRET (npm run up, npm run dev) and read back by all the others, so the server,
 * the workers and the scripts agree and nothing derives it from the repository.
 */
export function installSecret(file = INSTALL_SECRET_FILE): string {
  const read = () => {
    const secret = readFileSync(file, 'utf8').trim();
    // an empty or cut file would leave each process with a key of its own: links made by the workers would not open
    if (secret.length < 32) throw new Error(`invalid environment: SESSION_SECRET: not set, and ${file} holds no usable secret (at least 32 characters): delete it to make a new one, or set SESSION_SECRET`);
    // readable by others on this machine: keep it to its owner
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return secret;
  };
  if (existsSync(file)) return read();
  try {
    writeOnce(file, `${randomBytes(48).toString('base64url')}\n`);
  } catch (err) {
    throw new Error(`invalid environment: SESSION_SECRET: not set, and this install's own cannot be kept in ${file} (${(err as Error).message}): set SESSION_SECRET`, { cause: err });
  }
  return read();
}

/**
 * Writes `content` to `file` (mode 0600) unless it exists: written whole under another name, then
 * linked, so of two processes starting at once the first one's is kept and both read it.
 */
export function writeOnce(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') {
      // a file system without hard links: created only if absent, so the first process still wins
      try {
        writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    } else if (code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

let cached: Config | undefined;
export function config(): Config {
  if (!cached) {
    const testing = process.env.NODE_ENV === 'test' || !!process.env.VITEST;
    // a .env file in the working directory, for operators who keep settings there;
    // variables already in the environment win
    if (existsSync('.env') && !testing) process.loadEnvFile('.env');
    const env = { ...process.env };
    if (!env.SESSION_SECRET && !testing && env.NODE_ENV !== 'production') env.SESSION_SECRET = installSecret();
    cached = parseConfig(env);
  }
  return cached;
}
