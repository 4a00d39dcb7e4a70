// A fiscal archive with no database: made from chains of entries, checked whole; one byte flipped
// anywhere in the file is found; a member altered and the container rebuilt is found by its SHA-256
// and the entry's own signature, with its number; a manifest rewritten by its signature; a key the
// operator does not hold is named; a part of a chain hangs on the entry before it.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainEntry, type ChainHead, type Entry } from '../../domain/fiscal-chain.ts';
import { verifyArchiveMembers } from '../../domain/fiscal-archive.ts';
import { buildArchive, verifyArchiveFile, type ChainPart } from './archive.ts';
import { packArchive, sha256, unpackArchive } from './archive-file.ts';
import { fiscalKeyFromPem, publicKeysFromPem, signatureCheck, type FiscalKey } from './keys.ts';

const newKey = (): FiscalKey => fiscalKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const key = newKey();
const recorded = [{ keyId: key.keyId, publicKeyPem: key.publicKeyPem }];

function chain(name: string, n: number, signer: FiscalKey, from: ChainHead = { lastSeq: 0, lastSignature: null }): { all: Entry[]; part: (after: number) => ChainPart } {
  const all: Entry[] = [];
  let head = from;
  for (let i = 1; i <= n; i++) {
    const e = chainEntry(name, head, {
      kind: name === 'jet' ? 'start' : 'sale', sourceKey: `${name}:${i}`, occurredAt: '2026-11-27T19:30:00.000Z', operator: 'counter:4', orderId: null,
      body: { lines: [{ name: 'Margherita', quantity: 1, unitCents: 1050 + i, rateBp: 1000 }] }, salesCents: 1050 + i, vatCents: 95, moneyCents: 1050 + i,
    }, signer, '2026-11-27T19:31:00.000Z');
    all.push(e);
    head = { lastSeq: e.seq, lastSignature: e.signature };
  }
  return {
    all,
    part: (after) => {
      const entries = all.filter((e) => e.seq > after);
      const before = after === 0 ? { lastSeq: 0, lastSignature: null } : { lastSeq: after, lastSignature: all[after - 1].signature };
      const last = entries.length ? { lastSeq: entries.at(-1)!.seq, lastSignature: entries.at(-1)!.signature } : before;
      return { chain: name, shop: name === 'jet' ? null : 'bastille', entries, before, last };
    },
  };
}

const shop = chain('shop:1', 12, key);
const jet = chain('jet', 3, key);
const make = (parts: ChainPart[], signer = key, keys = recorded) =>
  buildArchive({ archiveId: 7, period: { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' }, shop: null, createdBy: 'admin:1', parts, recorded: keys, createdAt: '2027-01-01T03:00:00.000Z' }, signer);

/** The members, one changed by `change`, packed again into a valid container. */
async function repacked(file: Buffer, change: (m: { name: string; bytes: Uint8Array }) => Uint8Array | null): Promise<Buffer> {
  const members = (await unpackArchive(file)).flatMap((m) => {
    const bytes = change(m);
    return bytes === null ? [] : [{ name: m.name, bytes }];
  });
  return packArchive(members, new Date('2027-01-01T03:00:00.000Z'));
}

describe('a fiscal archive file', () => {
  it('holds each chain as JSON Lines with a signed manifest, and verifies with no database', async () => {
    const { file, manifest, entries } = await make([jet.part(0), shop.part(4)]);
    expect(entries).toBe(3 + 8);
    const names = (await unpackArchive(file)).map((m) => m.name);
    expect(names).toEqual(['manifest.json', 'manifest.sig', 'chains/jet.jsonl', 'chains/shop-1.jsonl', 'public-keys.pem', 'LISEZMOI.txt']);
    expect(manifest.chains.find((c) => c.chain === 'shop:1')).toMatchObject({ entries: 8, from: { lastSeq: 4 }, to: { lastSeq: 12 } });
    const report = await verifyArchiveFile(file);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => [c.chain, c.entries, c.lastSeq, c.broken])).toEqual([['jet', 3, 3, null], ['shop:1', 8, 12, null]]);
    // with the operator's public key (as fiscal:verify --public-key reads it)
    expect((await verifyArchiveFile(file, publicKeysFromPem(key.publicKeyPem))).ok).toBe(true);
  });

  it('fails on one byte flipped anywhere in the file, saying what broke', async () => {
    // every byte of archives whose manifest three keys sign (the compressed data, its copies from
    // earlier bytes, differ with the signatures' bytes), each of its bits for the first, the lowest
    // and the highest for the others: none may be flipped unseen
    const reasons = new Set<string>();
    let flips = 0;
    for (const [signer, bits] of [[key, [0, 1, 2, 3, 4, 5, 6, 7]], [newKey(), [0, 7]], [newKey(), [0, 7]]] as const) {
      const { file } = await make([jet.part(0), shop.part(0)], signer, [...recorded, { keyId: signer.keyId, publicKeyPem: signer.publicKeyPem }]);
      expect((await verifyArchiveFile(file)).ok).toBe(true);
      for (let at = 0; at < file.length; at++) {
        for (const bit of bits) {
          const flipped = Buffer.from(file);
          flipped[at] ^= 1 << bit;
          const report = await verifyArchiveFile(flipped);
          if (report.ok) expect.fail(`byte ${at} of ${file.length}, bit ${bit}, flipped unseen`);
          expect(report.problems.length).toBeGreaterThan(0);
          reasons.add(report.problems[0].kind === 'container' ? report.problems[0].reason.replace(/\d+/g, 'N') : report.problems[0].kind);
          flips++;
        }
      }
    }
    expect(flips).toBeGreaterThan(12 * 2500);
    // the container's own words, among them those of what the CRC-32 does not cover
    expect([...reasons].join('\n')).toContain('the gzip header is not the one written');
    expect([...reasons].join('\n')).toContain('the compressed data is damaged');
  }, 60_000);

  it('finds a member altered and the container rebuilt: the SHA-256 differs, and the entry, with its number, no longer matches its signature', async () => {
    const { file } = await make([jet.part(0), shop.part(0)]);
    const altered = await repacked(file, (m) => (m.name === 'chains/shop-1.jsonl' ? Buffer.from(Buffer.from(m.bytes).toString('utf8').replace('"salesCents":1055', '"salesCents":1')) : m.bytes));
    const report = await verifyArchiveFile(altered);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(['member_altered', 'chain']);
    expect(report.chains.find((c) => c.chain === 'shop:1')!.broken).toMatchObject({ seq: 5, kind: 'bad_signature' });
  });

  it('finds an entry removed and one at the end removed, with their numbers', async () => {
    const { file } = await make([shop.part(0)]);
    const drop = (seq: number) => (m: { name: string; bytes: Uint8Array }) =>
      m.name === 'chains/shop-1.jsonl' ? Buffer.from(Buffer.from(m.bytes).toString('utf8').split('\n').filter((l) => !l.includes(`"seq":${seq},`)).join('\n')) : m.bytes;
    const middle = await verifyArchiveFile(await repacked(file, drop(6)));
    expect(middle.chains[0].broken).toMatchObject({ seq: 6, kind: 'gap' });
    const tail = await verifyArchiveFile(await repacked(file, drop(12)));
    expect(tail.chains[0].broken).toMatchObject({ seq: 12, kind: 'missing_tail' });
  });

  it('finds a manifest rewritten (its signature), a member added, and a key the operator does not hold', async () => {
    const { file } = await make([shop.part(0)]);
    const rewritten = await repacked(file, (m) => (m.name === 'manifest.json' ? Buffer.from(Buffer.from(m.bytes).toString('utf8').replace('"createdBy":"admin:1"', '"createdBy":"admin:2"')) : m.bytes));
    expect((await verifyArchiveFile(rewritten)).problems.map((p) => p.kind)).toEqual(['signature']);

    const added = await packArchive([...(await unpackArchive(file)), { name: 'chains/shop-9.jsonl', bytes: Buffer.from('{}\n') }], new Date());
    expect((await verifyArchiveFile(added)).problems).toMatchObject([{ kind: 'member_unexpected', member: 'chains/shop-9.jsonl' }]);

    // re-signed whole by someone else's key: fine by the archive's own account, refused by the operator's keys
    const other = newKey();
    const forged = chain('shop:1', 12, other);
    const { file: forgery } = await make([forged.part(0)], other, [{ keyId: other.keyId, publicKeyPem: other.publicKeyPem }]);
    expect((await verifyArchiveFile(forgery)).ok).toBe(true);
    const checked = await verifyArchiveFile(forgery, publicKeysFromPem(key.publicKeyPem));
    expect(checked.ok).toBe(false);
    expect(checked.problems[0]).toMatchObject({ kind: 'unknown_key', reason: expect.stringContaining("not among the operator's public keys") });
    expect(checked.chains[0].broken).toMatchObject({ seq: 1, kind: 'unknown_key' });
  });

  it('checks the members in memory with the pure verifier (the container aside), a part of a chain from the entry before it', async () => {
    const { file } = await make([shop.part(10)]);
    const members = await unpackArchive(file);
    const r = verifyArchiveMembers(members, { sha256, signatureCheck });
    expect(r.chains).toMatchObject([{ chain: 'shop:1', entries: 2, lastSeq: 12, broken: null }]);
    // a part hangs on the entry before it (10): its first entry (11) missing is found
    const wrongAnchor = members.map((m) => m.name === 'chains/shop-1.jsonl' ? { ...m, bytes: Buffer.from(Buffer.from(m.bytes).toString('utf8').split('\n')[1] + '\n') } : m);
    expect(verifyArchiveMembers(wrongAnchor, { sha256, signatureCheck }).problems.map((p) => p.kind)).toEqual(['member_altered', 'chain']);
  });
});
