import { describe, expect, it } from 'vitest';
import { parseConfig } from '../kernel/config.ts';
import { REFUSED_ADDRESS, REFUSED_PORT, UNKNOWN_NAME, addressAllowed, checkPrinter, parseNetworks, printerPolicy } from './address.ts';
import { generateKeyPairSync } from 'node:crypto';

const strict = printerPolicy();
const dev = printerPolicy({ allowLoopback: true });
/** A name server that answers what the test says (nothing for any other name). */
const dns = (answers: Record<string, string[]>) => async (host: string) => answers[host] ?? [];

describe("a printer's address", () => {
  it("allows the shops' private ranges and refuses public, cloud metadata, link-local, multicast and this network", () => {
    for (const ip of ['10.0.0.5', '10.255.255.254', '172.16.0.1', '172.31.255.254', '192.168.1.50', 'fd12:3456::10', 'fc00::1', '::ffff:192.168.1.50']) {
      expect(addressAllowed(ip, strict), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '172.15.255.255', '192.169.0.1', '11.0.0.1', '169.254.169.254', '169.254.0.1', '100.100.100.200', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', 'fe80::1', 'ff02::1', '::', '2001:4860:4860::8888', 'fd00:ec2::254', '::ffff:169.254.169.254', '::ffff:8.8.8.8', 'not-an-ip']) {
      expect(addressAllowed(ip, strict), ip).toBe(false);
    }
  });

  it('allows this machine only when told (development, tests), and never the metadata even when a network lists it', () => {
    for (const ip of ['127.0.0.1', '127.45.6.7', '::1', '::ffff:127.0.0.1']) {
      expect(addressAllowed(ip, strict), ip).toBe(false);
      expect(addressAllowed(ip, dev), ip).toBe(true);
    }
    const wide = printerPolicy({ networks: '0.0.0.0/0,::/0,100.64.0.0/10' });
    expect(addressAllowed('100.64.3.4', wide)).toBe(true);
    for (const ip of ['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', 'fe80::1', '127.0.0.1']) expect(addressAllowed(ip, wide), ip).toBe(false);
    // a narrower list leaves the rest of the private ranges out
    const vpn = printerPolicy({ networks: '10.50.0.0/16' });
    expect(addressAllowed('10.50.1.2', vpn)).toBe(true);
    expect(addressAllowed('10.0.0.5', vpn)).toBe(false);
  });

  it('reads networks as comma-separated ranges and refuses anything else', () => {
    expect(parseNetworks(' 10.0.0.0/8 , fd00::/8').check('fd00::1', 'ipv6')).toBe(true);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'printer.lan/24', '10.0.0.0/8;rm']) expect(() => parseNetworks(bad), bad).toThrow();
  });
});

describe('checking a printer before it is saved and before each print', () => {
  it('takes only the raw printing ports, and says which field is wrong', async () => {
    expect(await checkPrinter('192.168.1.50', 9100, strict)).toEqual({ ok: true, addresses: ['192.168.1.50'] });
    expect((await checkPrinter('192.168.1.50', 9103, strict)).ok).toBe(true);
    for (const port of [22, 80, 443, 515, 631, 6379, 9099, 9104]) {
      expect(await checkPrinter('192.168.1.50', port, strict), String(port)).toEqual({ ok: false, refusal: { port: REFUSED_PORT } });
    }
    expect(await checkPrinter('169.254.169.254', 80, strict)).toEqual({ ok: false, refusal: { host: REFUSED_ADDRESS, port: REFUSED_PORT } });
  });

  it('resolves a name and wants every address it gives allowed; the socket goes to an address checked', async () => {
    const resolve = dns({ 'printer.lan': ['192.168.1.50', 'fd12::50'], 'mixed.example': ['192.168.1.50', '169.254.169.254'], 'public.example': ['93.184.216.34'] });
    expect(await checkPrinter('printer.lan', 9100, strict, { resolve })).toEqual({ ok: true, addresses: ['192.168.1.50', 'fd12::50'] });
    expect(await checkPrinter('mixed.example', 9100, strict, { resolve })).toEqual({ ok: false, refusal: { host: REFUSED_ADDRESS } });
    expect(await checkPrinter('public.example', 9100, strict, { resolve })).toEqual({ ok: false, refusal: { host: REFUSED_ADDRESS } });
    expect(await checkPrinter('nowhere.lan', 9100, strict, { resolve })).toEqual({ ok: false, refusal: { host: UNKNOWN_NAME } });
    // a resolver that fails or never answers is a name not found, in time
    expect(await checkPrinter('x.lan', 9100, strict, { resolve: () => Promise.reject(new Error('ENOTFOUND')) })).toEqual({ ok: false, refusal: { host: UNKNOWN_NAME } });
    const started = Date.now();
    expect(await checkPrinter('slow.lan', 9100, strict, { resolve: () => new Promise(() => {}), timeoutMs: 50 })).toEqual({ ok: false, refusal: { host: UNKNOWN_NAME } });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('judges the odd ways of writing an address by what they resolve to', async () => {
    // "2130706433", "0x7f000001" and "127.1" are 127.0.0.1 to the system's resolver
    for (const host of ['2130706433', '0x7f000001', '127.1']) {
      expect(await checkPrinter(host, 9100, strict), host).toEqual({ ok: false, refusal: { host: REFUSED_ADDRESS } });
    }
    expect(await checkPrinter('0xa9fea9fe', 9100, strict)).toEqual({ ok: false, refusal: { host: REFUSED_ADDRESS } });
  });
});

describe('the printing settings', () => {
  const production = {
    NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_ORIGIN: 'https://commande.ocpizza.example',
    FISCAL_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  it('default to the private ranges without loopback, and refuse loopback in production and ranges that are none', () => {
    const c = parseConfig(production);
    expect(c.PRINTER_NETWORKS).toBe('10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7');
    expect(c.PRINTER_ALLOW_LOOPBACK).toBe(false);
    expect(parseConfig({ NODE_ENV: 'development', PRINTER_ALLOW_LOOPBACK: 'true' }).PRINTER_ALLOW_LOOPBACK).toBe(true);
    expect(() => parseConfig({ ...production, PRINTER_ALLOW_LOOPBACK: 'true' })).toThrow(/PRINTER_ALLOW_LOOPBACK: refused in production/);
    for (const bad of ['192.168.1.0', 'printers.lan/24', ' , ']) expect(() => parseConfig({ NODE_ENV: 'development', PRINTER_NETWORKS: bad }), bad).toThrow(/PRINTER_NETWORKS/);
  });
});
