// Where a shop's printer may be. The workers run in the cloud and open a socket to whatever address a
// manager types: left open, that is a probe of the cloud's own network (its metadata service, its
// databases) whose answer shows in the printer status. So a printer is only ever an address of the
// shops' private networks, on a raw printing port, checked when it is set and again before every
// connection (a name may resolve elsewhere by then), and the socket goes to the address that was
// checked, never to the name again.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { DEFAULT_PRINTER_NETWORKS, parseNetworks } from '../kernel/networks.ts';

export { DEFAULT_PRINTER_NETWORKS, parseNetworks };

/**
 * The raw ESC/POS ports (9100, and 9101-9103 for the second to fourth port of a print server). LPD
 * (515) and IPP (631) speak other protocols that the workers do not: a label sent there would never
 * print, so they are refused like any other port.
 */
export const PRINTER_PORTS: readonly number[] = [9100, 9101, 9102, 9103];


export interface PrinterPolicy {
  networks: BlockList;
  /** This machine (127/8, ::1): development and tests only, where the fake printer runs. */
  loopback: boolean;
}

export function printerPolicy(opts: { networks?: string; allowLoopback?: boolean } = {}): PrinterPolicy {
  return { networks: parseNetworks(opts.networks ?? DEFAULT_PRINTER_NETWORKS), loopback: opts.allowLoopback ?? false };
}

/** The settings' policy (PRINTER_NETWORKS, PRINTER_ALLOW_LOOPBACK). */
export const policyOf = (c: { PRINTER_NETWORKS: string; PRINTER_ALLOW_LOOPBACK: boolean }): PrinterPolicy =>
  printerPolicy({ networks: c.PRINTER_NETWORKS, allowLoopback: c.PRINTER_ALLOW_LOOPBACK });

// Never a printer, whatever PRINTER_NETWORKS says: link-local (169.254/16 and fe80::/10 hold the
// clouds' metadata services, with their credentials), "this network", multicast, broadcast and
// reserved space, and the metadata addresses that sit inside ranges an operator may list (AWS's in
// fc00::/7, Alibaba's in the carrier-grade 100.64/10 a shop's VPN may use).
const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('169.254.0.0', 16, 'ipv4');
NEVER.addSubnet('224.0.0.0', 3, 'ipv4');
NEVER.addAddress('100.100.100.200', 'ipv4');
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('fe80::', 10, 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6');
NEVER.addAddress('fd00:ec2::254', 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether the workers may open a socket to this address (an IP, as resolved). */
export function addressAllowed(ip: string, policy: PrinterPolicy): boolean {
  // an IPv4 address written the IPv6 way is judged as the IPv4 one it is
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1] : ip;
  const family = isIP(address);
  if (!family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(address, type)) return false;
  if (LOOPBACK.check(address, type)) return policy.loopback;
  return policy.networks.check(address, type);
}

export const portAllowed = (port: number) => PRINTER_PORTS.includes(port);

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Why an address is refused, by field: what the manager's form says. */
export type PrinterRefusal = Partial<Record<'host' | 'port', string>>;

export const REFUSED_PORT = `a printer's raw port: ${PRINTER_PORTS.join(', ')}`;
export const REFUSED_ADDRESS = "an address of the shop's own network (e.g. 192.168.1.50): public, cloud and link-local addresses are refused";
export const UNKNOWN_NAME = "a name the servers cannot find: give the printer's IP address (e.g. 192.168.1.50)";

/**
 * The addresses the workers may connect to for this printer, or why not. A name must resolve, and
 * every address it resolves to must be allowed (one bad answer among good ones refuses it all: the
 * connection would not be the one checked). The port is judged without resolving anything.
 */
export async function checkPrinter(
  host: string,
  port: number,
  policy: PrinterPolicy,
  opts: { resolve?: Resolver; timeoutMs?: number } = {},
): Promise<{ ok: true; addresses: string[] } | { ok: false; refusal: PrinterRefusal }> {
  const refusal: PrinterRefusal = {};
  if (!portAllowed(port)) refusal.port = REFUSED_PORT;
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    const resolve = opts.resolve ?? systemResolver;
    let timer: NodeJS.Timeout | undefined;
    addresses = await Promise.race([
      resolve(host).catch(() => []),
      new Promise<string[]>((r) => (timer = setTimeout(() => r([]), opts.timeoutMs ?? 3000))),
    ]).finally(() => clearTimeout(timer));
    if (!addresses.length) refusal.host = UNKNOWN_NAME;
  }
  if (!refusal.host && !addresses.every((a) => addressAllowed(a, policy))) refusal.host = REFUSED_ADDRESS;
  return refusal.host || refusal.port ? { ok: false, refusal } : { ok: true, addresses };
}
