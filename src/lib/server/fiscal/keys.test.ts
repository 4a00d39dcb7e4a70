import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fiscalKey, fiscalKeyFromPem, installFiscalKey, signatureCheck } from './keys.ts';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('the fiscal signing key', () => {
  it('signs, and its public half checks what it signed and nothing else; its id is a fingerprint of that half', () => {
    const key = fiscalKeyFromPem(pem());
    expect(key.keyId).toMatch(/^[0-9a-f]{32}$/);
    const check = signatureCheck([{ keyId: key.keyId, publicKeyPem: key.publicKeyPem }]);
    const signature = key.sign('{"seq":1}');
    expect(check(key.keyId, '{"seq":1}', signature)).toBe(true);
    expect(check(key.keyId, '{"seq":2}', signature)).toBe(false);
    expect(check('0'.repeat(32), '{"seq":1}', signature)).toBe('unknown_key');
    // a public key filed under another key's id is not taken
    const other = fiscalKeyFromPem(pem());
    expect(signatureCheck([{ keyId: key.keyId, publicKeyPem: other.publicKeyPem }])(key.keyId, '{"seq":1}', signature)).toBe('unknown_key');
  });

  it('comes from the settings, else (never in production) from the install\'s own file, made once and kept private', () => {
    const given = pem();
    expect(fiscalKey({ NODE_ENV: 'production', FISCAL_SIGNING_KEY: given }).keyId).toBe(fiscalKeyFromPem(given).keyId);
    expect(() => fiscalKey({ NODE_ENV: 'production' })).toThrow(/FISCAL_SIGNING_KEY: required in production/);
    const dir = mkdtempSync(join(tmpdir(), 'ocpizza-fiscal-key-'));
    try {
      const named = join(dir, 'named.pem');
      writeFileSync(named, given);
      expect(fiscalKey({ NODE_ENV: 'production', FISCAL_KEY_FILE: named }).keyId).toBe(fiscalKeyFromPem(given).keyId);
      const file = join(dir, '.fiscal-key.pem');
      const first = installFiscalKey(file);
      expect(installFiscalKey(file)).toBe(first);
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(fiscalKeyFromPem(first).keyId).not.toBe(fiscalKeyFromPem(installFiscalKey(join(dir, 'another.pem'))).keyId);
      // made readable by others (a careless copy): kept to its owner again
      chmodSync(file, 0o644);
      expect(installFiscalKey(file)).toBe(first);
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain(['BEGIN', 'PRIVATE KEY'].join(' '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
