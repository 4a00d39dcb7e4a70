// The fiscal journal's key: an Ed25519 key that signs every entry, kept outside the database (the
// environment, or a file only the application reads), never in the repository. Its id is a
// fingerprint of its public half, written on every entry, so a change of key shows; the public half
// goes into the technical events journal when the key first signs (jet.ts), where a verifier finds it.
//
// Production refuses to start without one (config.ts). Elsewhere an install makes its own on first
// use and keeps it beside it in .fiscal-key.pem (mode 0600, git-ignored), as it does its session
// secret: every process of the install signs with the same key, and a fresh checkout has none.
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import type { SignatureCheck, Signer } from '../../domain/fiscal-chain.ts';
import { pemBlocks, type PublicKeyRecord } from '../../domain/fiscal-archive.ts';
import { fiscalPrivateKey, writeOnce, type Config } from '../kernel/config.ts';

/** Where an install without FISCAL_SIGNING_KEY nor FISCAL_KEY_FILE keeps the key made for it (git-ignored). */
export const INSTALL_FISCAL_KEY_FILE = '.fiscal-key.pem';

export interface FiscalKey extends Signer {
  /** The public half (SPKI, PEM): what a verifier needs. */
  publicKeyPem: string;
}

/** A key's id: the first 32 hex digits of the SHA-256 of its public half (DER). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

/** A signer from an Ed25519 private key in PEM. */
export function fiscalKeyFromPem(pem: string): FiscalKey {
  const privateKey = fiscalPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (text) => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  };
}

/** The install's own key, made the first time it is needed and read back by every process after. */
export function installFiscalKey(file = INSTALL_FISCAL_KEY_FILE): string {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeOnce(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  // readable by others on this machine: keep it to its owner
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return readFileSync(file, 'utf8');
}

/** The key the settings name: FISCAL_SIGNING_KEY, the file FISCAL_KEY_FILE, or (never in production) the install's own. */
export function fiscalKey(config: Pick<Config, 'NODE_ENV' | 'FISCAL_SIGNING_KEY' | 'FISCAL_KEY_FILE'>): FiscalKey {
  if (config.FISCAL_SIGNING_KEY) return fiscalKeyFromPem(config.FISCAL_SIGNING_KEY);
  if (config.FISCAL_KEY_FILE) return fiscalKeyFromPem(readFileSync(config.FISCAL_KEY_FILE, 'utf8'));
  if (config.NODE_ENV === 'production') throw new Error('invalid environment: FISCAL_SIGNING_KEY: required in production (or FISCAL_KEY_FILE)');
  return fiscalKeyFromPem(installFiscalKey());
}

/**
 * Checks signatures with the public keys given (PEM), each known by its id; a key whose id does not
 * match its own public half is not taken.
 */
export function signatureCheck(publicKeys: Iterable<{ keyId: string; publicKeyPem: string }>): SignatureCheck {
  const keys = new Map<string, KeyObject>();
  for (const k of publicKeys) {
    try {
      const key = createPublicKey(k.publicKeyPem);
      if (key.asymmetricKeyType === 'ed25519' && keyIdOf(key) === k.keyId) keys.set(k.keyId, key);
    } catch {
      // not a key: entries signed by that id are reported as signed by an unknown key
    }
  }
  return (keyId, text, signature) => {
    const key = keys.get(keyId);
    if (!key) return 'unknown_key';
    try {
      return verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  };
}

/**
 * The public keys in PEM text (one or several blocks), with their ids; a block that is not an
 * Ed25519 public key is refused, naming it.
 */
export function publicKeysFromPem(pem: string, where = 'the file'): PublicKeyRecord[] {
  const blocks = pemBlocks(pem);
  if (!blocks.length) throw new Error(`${where} holds no public key (-----BEGIN PUBLIC KEY-----)`);
  return blocks.map((block, i) => {
    const key = createPublicKey(block);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${where}: key ${i + 1} is not an Ed25519 key`);
    return { keyId: keyIdOf(key), publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() };
  });
}

/**
 * The public keys the operator vouches for: the key in use (read from the environment, not from the
 * database) and those of FISCAL_PUBLIC_KEYS_FILE (the earlier keys, kept by the operator).
 */
export function operatorPublicKeys(config: Pick<Config, 'FISCAL_PUBLIC_KEYS_FILE'>, current?: FiscalKey): PublicKeyRecord[] {
  const keys = new Map<string, PublicKeyRecord>();
  if (current) keys.set(current.keyId, { keyId: current.keyId, publicKeyPem: current.publicKeyPem });
  if (config.FISCAL_PUBLIC_KEYS_FILE) {
    for (const k of publicKeysFromPem(readFileSync(config.FISCAL_PUBLIC_KEYS_FILE, 'utf8'), config.FISCAL_PUBLIC_KEYS_FILE)) keys.set(k.keyId, k);
  }
  return [...keys.values()];
}

/**
 * The fiscal settings of the configuration, as the JET records them at the workers' start (a
 * change between two starts is a `setting_change`): where the signing key comes from, and which
 * earlier public keys the operator vouches for. A fiscal setting added to the configuration goes here.
 */
export function fiscalSettingsOf(
  config: Pick<Config, 'FISCAL_SIGNING_KEY' | 'FISCAL_KEY_FILE' | 'FISCAL_PUBLIC_KEYS_FILE'> & Partial<Pick<Config, 'FISCAL_CLOSING_HOUR' | 'FISCAL_YEAR_START_MONTH'>>,
): Record<string, string | null> {
  return {
    // when days are closed and the fiscal year starts: a change moves what later closings cover
    ...(config.FISCAL_CLOSING_HOUR === undefined ? {} : { FISCAL_CLOSING_HOUR: String(config.FISCAL_CLOSING_HOUR) }),
    ...(config.FISCAL_YEAR_START_MONTH === undefined ? {} : { FISCAL_YEAR_START_MONTH: String(config.FISCAL_YEAR_START_MONTH) }),
    FISCAL_KEY_SOURCE: config.FISCAL_SIGNING_KEY ? 'FISCAL_SIGNING_KEY' : config.FISCAL_KEY_FILE ? `FISCAL_KEY_FILE ${config.FISCAL_KEY_FILE}` : INSTALL_FISCAL_KEY_FILE,
    FISCAL_PUBLIC_KEYS: config.FISCAL_PUBLIC_KEYS_FILE ? operatorPublicKeys(config).map((k) => k.keyId).sort().join(',') : null,
  };
}
