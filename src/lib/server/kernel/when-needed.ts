// Packages a process loads the first time it calls them rather than at its start. Loading every
// module of a server took some 2.3-2.6 s of CPU, and a third of it went to packages most processes
// never call: Stripe's SDK (218 modules; demo payments and a chain without online payment never
// need it), the S3 client (photos and backups on disk), nodemailer (no SMTP_URL), the migration
// runner (the server only reads which migrations are pending) and the QR code maker (a door payment).
// Every restart of a server or a workers process (a deploy, a failover, a crash) paid for them.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** A CommonJS package, loaded (once: Node keeps it) the first time the function is called. */
export function whenNeeded<T>(name: string): () => T {
  return () => load(name) as T;
}
