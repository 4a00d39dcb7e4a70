// The shops' private networks as ranges of addresses: the settings check them when the servers
// start, and the printers are held to them (printing/address.ts).
import { BlockList, isIP } from 'node:net';

/** RFC 1918 and IPv6 unique local addresses: the ranges a shop's own network uses. */
export const DEFAULT_PRINTER_NETWORKS = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';

/** "10.0.0.0/8,fd12::/16" as a list of ranges; throws on anything else, and on no range at all. */
export function parseNetworks(list: string): BlockList {
  const networks = new BlockList();
  const parts = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new Error('no network given');
  for (const part of parts) {
    const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(part);
    const family = m ? isIP(m[1]) : 0;
    const prefix = m ? Number(m[2]) : -1;
    if (!m || !family || prefix > (family === 4 ? 32 : 128)) throw new Error(`${part}: not a network (e.g. 10.20.0.0/16 or fd00::/8)`);
    networks.addSubnet(m[1], prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return networks;
}
