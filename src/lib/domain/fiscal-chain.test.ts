import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainEntry, signedEntry, signedText, verifyChain, type ChainHead, type Entry, type EntryDraft, type SignatureCheck, type Signer } from './fiscal-chain.ts';

function keyPair(): { signer: Signer; check: SignatureCheck } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
  return {
    signer: { keyId, sign: (text) => sign(null, Buffer.from(text), privateKey).toString('base64') },
    check: (id, text, signature) => (id !== keyId ? 'unknown_key' : verify(null, Buffer.from(text), publicKey, Buffer.from(signature, 'base64'))),
  };
}

const sale = (n: number): EntryDraft => ({
  kind: 'sale',
  sourceKey: `sale:${n}`,
  occurredAt: '2026-11-27T19:30:00.000Z',
  operator: 'counter:4',
  orderId: null,
  body: { lines: [{ name: 'Margherita', quantity: 2, unitCents: 1050, rateBp: 1000 }], vat: [{ rateBp: 1000, netCents: 1909, vatCents: 191, grossCents: 2100 }] },
  salesCents: 2100,
  vatCents: 191,
  moneyCents: 2100 + n,
});

function chainOf(n: number, signer: Signer): Entry[] {
  const entries: Entry[] = [];
  let head: ChainHead = { lastSeq: 0, lastSignature: null };
  for (let i = 1; i <= n; i++) {
    const e = chainEntry('shop:1', head, sale(i), signer, '2026-11-27T19:31:00.000Z');
    entries.push(e);
    head = { lastSeq: e.seq, lastSignature: e.signature };
  }
  return entries;
}

describe('the canonical form of an entry', () => {
  it('sorts keys at every level, keeps arrays in their order, and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é"' }], c: true } })).toBe('{"a":{"c":true,"d":[3,{"y":"é\\"","z":null}]},"b":1}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('writes a sale as the journal has always signed it, byte for byte (entries signed before stay verifiable)', () => {
    const entry = {
      chain: 'shop:3', seq: 41, kind: 'sale', occurredAt: '2026-11-27T19:31:00.000Z', recordedAt: '2026-11-27T19:31:01.250Z', operator: 'counter:12',
      orderId: '05193afa-aec0-4ea0-b14b-79cc2448bddf', sourceKey: 'sale:05193afa-aec0-4ea0-b14b-79cc2448bddf',
      body: {
        order: { id: '05193afa-aec0-4ea0-b14b-79cc2448bddf', number: 12, businessDay: '2026-11-27', fulfilment: 'pickup', channel: 'counter' },
        lines: [{ name: 'Reine « maison »', options: 'sans olives, + œuf', quantity: 2, unitCents: 1250, totalCents: 2500, rateBp: 1000 }, { name: 'Peroni "33 cl"', options: '', quantity: 1, unitCents: 400, totalCents: 400, rateBp: 2000 }],
        deliveryFeeCents: 0, discount: null, totalCents: 2900,
        vat: [{ rateBp: 1000, netCents: 2273, vatCents: 227, grossCents: 2500 }, { rateBp: 2000, netCents: 333, vatCents: 67, grossCents: 400 }],
        payments: [{ way: 'counter_cash', cents: 2900 }], ref: null,
      },
      salesCents: 2900, vatCents: 294, moneyCents: 2900, prevSignature: 'c2lnbmF0dXJl', keyId: '0123456789abcdef0123456789abcdef',
    };
    expect(signedText(entry)).toBe(
      '{"body":{"deliveryFeeCents":0,"discount":null,"lines":[{"name":"Reine « maison »","options":"sans olives, + œuf","quantity":2,"rateBp":1000,"totalCents":2500,"unitCents":1250},' +
      '{"name":"Peroni \\"33 cl\\"","options":"","quantity":1,"rateBp":2000,"totalCents":400,"unitCents":400}],' +
      '"order":{"businessDay":"2026-11-27","channel":"counter","fulfilment":"pickup","id":"05193afa-aec0-4ea0-b14b-79cc2448bddf","number":12},' +
      '"payments":[{"cents":2900,"way":"counter_cash"}],"ref":null,"totalCents":2900,' +
      '"vat":[{"grossCents":2500,"netCents":2273,"rateBp":1000,"vatCents":227},{"grossCents":400,"netCents":333,"rateBp":2000,"vatCents":67}]},' +
      '"chain":"shop:3","format":1,"keyId":"0123456789abcdef0123456789abcdef","kind":"sale","moneyCents":2900,"occurredAt":"2026-11-27T19:31:00.000Z",' +
      '"operator":"counter:12","orderId":"05193afa-aec0-4ea0-b14b-79cc2448bddf","prevSignature":"c2lnbmF0dXJl","recordedAt":"2026-11-27T19:31:01.250Z",' +
      '"salesCents":2900,"seq":41,"sourceKey":"sale:05193afa-aec0-4ea0-b14b-79cc2448bddf","vatCents":294}',
    );
    // an array keeps its undefined as null, as JSON does
    expect(canonicalJson([1, undefined, 'a'])).toBe('[1,null,"a"]');
  });

  it('refuses what could be written two ways: a fraction, a date object, a class', () => {
    expect(() => canonicalJson({ rate: 5.5 })).toThrow(/not an integer/);
    expect(() => canonicalJson({ at: new Date() })).toThrow(/plain objects/);
    expect(() => canonicalJson(Number.NaN)).toThrow(/not an integer/);
  });

  it('is the same for the same entry whatever the order its fields were built in', () => {
    const { signer } = keyPair();
    const [e] = chainOf(1, signer);
    const shuffled = Object.fromEntries(Object.entries(e).reverse()) as unknown as Entry;
    expect(signedText(shuffled)).toBe(signedText(e));
    // the signature itself is not part of what it signs
    const resigned: Entry = { ...e, signature: 'other' };
    expect(signedText(resigned)).toBe(signedText(e));
  });
});

describe('a chain of signed entries', () => {
  it('numbers each entry after the last, links it to the last one\'s signature, and verifies whole', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(5, signer);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0].prevSignature).toBeNull();
    expect(entries[3].prevSignature).toBe(entries[2].signature);
    const report = verifyChain('shop:1', entries, check, { lastSeq: 5, lastSignature: entries[4].signature });
    expect(report).toEqual({ chain: 'shop:1', entries: 5, lastSeq: 5, keyIds: [signer.keyId], broken: null });
  });

  it('reports an amount altered as a bad signature at its number, and nothing after it', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(5, signer);
    entries[2] = { ...entries[2], moneyCents: 1 };
    expect(verifyChain('shop:1', entries, check).broken).toMatchObject({ seq: 3, kind: 'bad_signature' });
    const body = chainOf(5, signer);
    body[1] = { ...body[1], body: { ...body[1].body, lines: [] } };
    expect(verifyChain('shop:1', body, check)).toMatchObject({ entries: 1, broken: { seq: 2, kind: 'bad_signature', reason: expect.stringMatching(/altered/) } });
  });

  it('reports an entry removed as the number missing', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(5, signer);
    entries.splice(2, 1);
    expect(verifyChain('shop:1', entries, check).broken).toMatchObject({ seq: 3, kind: 'gap', reason: 'entry 3 is missing' });
  });

  it('reports the last entries removed against the head kept beside the chain', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(5, signer);
    const head = { lastSeq: 5, lastSignature: entries[4].signature };
    expect(verifyChain('shop:1', entries.slice(0, 3), check, head).broken).toMatchObject({ seq: 4, kind: 'missing_tail' });
    // the last entry replaced by another one signed by the key (its number and link right)
    const other = chainEntry('shop:1', { lastSeq: 4, lastSignature: entries[3].signature }, sale(99), signer, entries[4].recordedAt);
    expect(verifyChain('shop:1', [...entries.slice(0, 4), other], check, head).broken).toMatchObject({ seq: 5, kind: 'bad_signature' });
  });

  it('reports an entry removed and the ones after renumbered as a broken link', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(5, signer);
    const renumbered = [...entries.slice(0, 2), ...entries.slice(3).map((e) => ({ ...e, seq: e.seq - 1 }))];
    expect(verifyChain('shop:1', renumbered, check).broken).toMatchObject({ seq: 3, kind: 'wrong_previous' });
  });

  it('reports two entries swapped, their numbers swapped too or not, as reordered', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(5, signer);
    // kept in number order, the contents of 3 and 4 exchanged with their numbers (as rows updated in place)
    const swapped = [entries[0], entries[1], { ...entries[3], seq: 3 }, { ...entries[2], seq: 4 }, entries[4]];
    expect(verifyChain('shop:1', swapped, check).broken).toMatchObject({ seq: 3, kind: 'reordered' });
    // listed out of order with their own numbers (a file whose lines were moved)
    const moved = [entries[0], entries[1], entries[3], entries[2], entries[4]];
    expect(verifyChain('shop:1', moved, check).broken).toMatchObject({ seq: 3, kind: 'reordered' });
    // an entry repeated
    expect(verifyChain('shop:1', [entries[0], entries[1], entries[1], entries[2]], check).broken).toMatchObject({ seq: 2, kind: 'reordered' });
  });

  it('reports an entry signed by a key the journal does not know, and one of another chain', () => {
    const ours = keyPair();
    const theirs = keyPair();
    const entries = chainOf(2, ours.signer);
    const forged = chainEntry('shop:1', { lastSeq: 2, lastSignature: entries[1].signature }, sale(3), theirs.signer, entries[1].recordedAt);
    expect(verifyChain('shop:1', [...entries, forged], ours.check).broken).toMatchObject({ seq: 3, kind: 'unknown_key' });
    expect(verifyChain('shop:2', entries, ours.check).broken).toMatchObject({ seq: 1, kind: 'wrong_chain' });
  });

  it('reports a chain cut from its end, head and all, against the head it was anchored at', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(7, signer);
    const anchored = { seq: 7, signature: entries[6].signature, where: 'checkpoint in the JET, entry 40' };
    // the last two entries removed and the head moved back to the fifth: sound but for the anchor
    const cutHead = { lastSeq: 5, lastSignature: entries[4].signature };
    expect(verifyChain('shop:1', entries.slice(0, 5), check, cutHead).broken).toBeNull();
    expect(verifyChain('shop:1', entries.slice(0, 5), check, cutHead, undefined, [anchored]).broken).toEqual({
      chain: 'shop:1', seq: 6, kind: 'cut',
      reason: 'the chain ends at 5, before the head it was seen to reach, 7 (checkpoint in the JET, entry 40): entries 6 to 7 are missing, cut from its end',
    });
    // the same chain whole, and one that went on after the anchor, are sound
    expect(verifyChain('shop:1', entries, check, { lastSeq: 7, lastSignature: entries[6].signature }, undefined, [anchored]).broken).toBeNull();
    expect(verifyChain('shop:1', entries, check, undefined, undefined, [{ ...anchored, seq: 5, signature: entries[4].signature }]).broken).toBeNull();
  });

  it('reports a chain cut back and written again past its anchor: the entry at the anchored number is another', () => {
    const { signer, check } = keyPair();
    const entries = chainOf(7, signer);
    const anchored = { seq: 6, signature: entries[5].signature, where: 'the anchor file, line 3' };
    // cut back to 5, then two other entries signed after it (by whoever holds the key)
    let head: ChainHead = { lastSeq: 5, lastSignature: entries[4].signature };
    const rewritten = [...entries.slice(0, 5)];
    for (const n of [60, 70]) {
      const e = chainEntry('shop:1', head, sale(n), signer, '2026-11-27T20:00:00.000Z');
      rewritten.push(e);
      head = { lastSeq: e.seq, lastSignature: e.signature };
    }
    expect(verifyChain('shop:1', rewritten, check, head).broken).toBeNull();
    expect(verifyChain('shop:1', rewritten, check, head, undefined, [anchored]).broken).toMatchObject({ seq: 6, kind: 'anchor_mismatch', reason: expect.stringMatching(/the anchor file, line 3/) });
  });

  it('numbers sales tickets, credit notes, duplicates and closings each on their own, and finds a ticket missing from its series', () => {
    const { signer, check } = keyPair();
    const drafts: EntryDraft[] = [
      sale(1),
      { ...sale(2), kind: 'payment', sourceKey: 'payment:2', body: { payments: [] } },
      { ...sale(3), kind: 'refund', sourceKey: 'refund:3', body: { creditNote: true } },
      { ...sale(4), kind: 'duplicate', sourceKey: 'duplicate:4', body: { copy: 1 } },
      sale(5),
      { ...sale(6), kind: 'refund', sourceKey: 'refund:6', body: { creditNote: false } },
      sale(7),
    ];
    const entries: Entry[] = [];
    let head: ChainHead = { lastSeq: 0, lastSignature: null, tickets: {} };
    for (const d of drafts) {
      const made = signedEntry('shop:1', head, d, signer, '2026-11-27T19:31:00.000Z');
      entries.push(made.entry);
      head = made.head;
    }
    expect(entries.map((e) => e.body.numbered ?? null)).toEqual([
      { series: 'sale', no: 1 }, null, { series: 'credit_note', no: 1 }, { series: 'duplicate', no: 1 }, { series: 'sale', no: 2 }, null, { series: 'sale', no: 3 },
    ]);
    expect(head.tickets).toEqual({ sale: 3, credit_note: 1, duplicate: 1 });
    expect(verifyChain('shop:1', entries, check).broken).toBeNull();
    // the second sale's ticket taken out and the chain signed again from there (by whoever holds the key)
    let at: ChainHead = { lastSeq: 4, lastSignature: entries[3].signature, tickets: { sale: 2, credit_note: 1, duplicate: 1 } };
    const skipped = [...entries.slice(0, 4)];
    for (const d of drafts.slice(4)) {
      const made = signedEntry('shop:1', at, d, signer, '2026-11-27T19:31:00.000Z');
      skipped.push(made.entry);
      at = made.head;
    }
    expect(verifyChain('shop:1', skipped, check).broken).toEqual({ chain: 'shop:1', seq: 5, kind: 'ticket_gap', reason: 'entry 5 is sale no. 3, after no. 1: number 2 is missing' });
  });
});
