// The compressed data of a fiscal archive, read a second time, bit by bit, to refuse what zlib
// ignores. The gzip trailer's CRC-32 and length cover the tar, not the way it was compressed: a
// deflate stream can say the same bytes in more than one way, and an inflater skips some bits. So
// one bit flipped there would leave the tar, hence every check after it, unchanged. Three kinds of
// bit are free that way, and each is held here to what zlib writes:
//
// - the padding bits, after the last block and before a stored block's length: zlib writes zeros;
// - where the stream ends: exactly where the gzip trailer starts, nothing after it;
// - the distance of a copy (`copy L bytes from D bytes back`): a flip in it, or in the code that
//   names it, can point at another place holding the same bytes (runs of zeros in the tar, its
//   headers, JSON keys). zlib always copies from the nearest place: it looks at the places holding
//   the same first three bytes from the nearest back, and takes a farther one only when it matches
//   more bytes; at the end of the data it takes the first that reaches the end ("do not look for
//   matches beyond the end of the input: necessary to make deflate deterministic", deflate.c).
//   So a copy whose bytes also stand nearer was not written by zlib.
//
// The tar it reads is the one zlib inflated; every literal and copy read here must agree with it.

/** What of the compressed data is not as zlib writes it; `null` when all is. */
export function deflateNotAsWritten(stream: Uint8Array, tar: Uint8Array): string | null {
  try {
    read(stream, tar);
    return null;
  } catch (err) {
    if (err instanceof NotAsWritten) return err.message;
    throw err;
  }
}

class NotAsWritten extends Error {}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const WINDOW = 32768;

/** A Huffman code as a table indexed by the next `bits` bits of the stream: symbol << 4 | length (0: no code). */
interface Code {
  table: Int32Array;
  bits: number;
}

function code(lengths: ArrayLike<number>): Code {
  let bits = 0;
  for (let s = 0; s < lengths.length; s++) bits = Math.max(bits, lengths[s]);
  const count = new Array<number>(bits + 1).fill(0);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) count[lengths[s]]++;
  const next = new Array<number>(bits + 1).fill(0);
  for (let len = 1, c = 0; len <= bits; len++) {
    c = (c + count[len - 1]) << 1;
    next[len] = c;
  }
  next[0] = 0;
  const table = new Int32Array(1 << bits);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (!len) continue;
    const c = next[len]++;
    let reversed = 0;
    for (let i = 0; i < len; i++) reversed |= ((c >> i) & 1) << (len - 1 - i);
    for (let k = reversed; k < table.length; k += 1 << len) table[k] = (s << 4) | len;
  }
  return { table, bits };
}

const FIXED_LITERALS = code([...new Array<number>(144).fill(8), ...new Array<number>(112).fill(9), ...new Array<number>(24).fill(7), ...new Array<number>(8).fill(8)]);
const FIXED_DISTANCES = code(new Array<number>(30).fill(5));

const fail = (why: string): never => {
  throw new NotAsWritten(why);
};

/** The stream's bits, lowest first, as deflate packs them. */
class Bits {
  at = 0; // next byte to take
  held = 0; // bits taken, not yet used
  heldCount = 0;
  constructor(readonly stream: Uint8Array) {}

  take(n: number): number {
    while (this.heldCount < n) {
      if (this.at >= this.stream.length) fail('the compressed data ends before its last block does');
      this.held |= this.stream[this.at++] << this.heldCount;
      this.heldCount += 8;
    }
    const v = this.held & ((1 << n) - 1);
    this.held >>>= n;
    this.heldCount -= n;
    return v;
  }

  symbol(c: Code): number {
    // the next `c.bits` bits, zeros past the end (a code must not reach them)
    let avail = this.heldCount;
    let peek = this.held;
    for (let k = this.at; avail < c.bits; k++, avail += 8) if (k < this.stream.length) peek |= this.stream[k] << avail;
    const e = c.table[peek & ((1 << c.bits) - 1)];
    if (!(e & 15)) fail('the compressed data holds a code its table does not have');
    this.take(e & 15);
    return e >> 4;
  }
}

/** A dynamic block's codes, from its header. */
function dynamicCodes(b: Bits): [Code, Code] {
  const nLiterals = b.take(5) + 257;
  const nDistances = b.take(5) + 1;
  const nCodeLengths = b.take(4) + 4;
  const cl = new Array<number>(19).fill(0);
  for (let i = 0; i < nCodeLengths; i++) cl[CODE_LENGTH_ORDER[i]] = b.take(3);
  const clCode = code(cl);
  const lengths: number[] = [];
  while (lengths.length < nLiterals + nDistances) {
    const s = b.symbol(clCode);
    if (s < 16) lengths.push(s);
    else if (s === 16) {
      if (!lengths.length) fail('the compressed data repeats a code length before the first');
      const p = lengths[lengths.length - 1];
      for (let r = 3 + b.take(2); r > 0; r--) lengths.push(p);
    } else for (let r = s === 17 ? 3 + b.take(3) : 11 + b.take(7); r > 0; r--) lengths.push(0);
  }
  if (lengths.length !== nLiterals + nDistances) fail('the code lengths of the compressed data overrun their table');
  return [code(lengths.slice(0, nLiterals)), code(lengths.slice(nLiterals))];
}

/** The copies of a tar, each held to zlib's choice: the longest, from the nearest place. */
class Copies {
  // where the same first bytes stood before, nearest first (as zlib keeps them)
  head = new Int32Array(1 << 15).fill(-1);
  prev = new Int32Array(WINDOW).fill(-1);
  inserted = 0; // positions of the tar indexed so far
  constructor(readonly tar: Uint8Array) {}

  hash(q: number): number {
    return ((this.tar[q] << 10) ^ (this.tar[q + 1] << 5) ^ this.tar[q + 2]) & 0x7fff;
  }

  /** `len` bytes at `out` copied from `dist` bytes back. */
  check(out: number, len: number, dist: number): void {
    const tar = this.tar;
    if (dist > out || out + len > tar.length) fail('the compressed data does not read the same twice');
    for (let i = 0; i < len; i++) if (tar[out + i] !== tar[out + i - dist]) fail('the compressed data does not read the same twice');
    // zlib takes the longest copy it finds: one that could go on was shortened
    if (len < 258 && out + len < tar.length && tar[out + len] === tar[out + len - dist]) {
      fail(`the compressed data copies ${len} bytes at byte ${out} of the tar from ${dist} bytes back, though the copy goes on there: zlib would copy more`);
    }
    // the places before `out` holding the same first bytes, nearer than `dist`: none may hold
    // all `len` (a copy of 3 bytes: none may hold the same first 4, zlib having hashed 3 or 4)
    for (; this.inserted < out; this.inserted++) {
      const h = this.hash(this.inserted);
      this.prev[this.inserted & (WINDOW - 1)] = this.head[h];
      this.head[h] = this.inserted;
    }
    const need = len === 3 ? 4 : len;
    const stop = len === 3 && out + 3 >= tar.length ? out : out - dist; // the 4th byte past the end: not known
    // (zlib itself looks at 4,096 places at most; past twice that, the rest is taken as read)
    for (let q = this.head[this.hash(out)], seen = 0; q > stop && seen < 8192; q = this.prev[q & (WINDOW - 1)], seen++) {
      let i = 0;
      while (i < need && tar[q + i] === tar[out + i]) i++;
      if (i === need) {
        fail(`the compressed data copies ${len} bytes at byte ${out} of the tar from ${dist} bytes back, though they stand ${out - q} bytes back, nearer, where zlib copies from`);
      }
    }
  }
}

function read(stream: Uint8Array, tar: Uint8Array): void {
  const b = new Bits(stream);
  const copies = new Copies(tar);
  let out = 0; // bytes of the tar said so far
  for (let last = 0; !last; ) {
    last = b.take(1);
    const type = b.take(2);
    if (type === 0) {
      if (b.take(b.heldCount & 7) !== 0) fail(`the padding bits before a stored block (byte ${b.at - 1} of the compressed data) are not zero`);
      const len = b.take(16);
      if ((b.take(16) ^ 0xffff) !== len) fail('a stored block of the compressed data has a damaged length');
      for (let i = 0; i < len; i++) if (b.take(8) !== tar[out++]) fail('the compressed data does not read the same twice');
      continue;
    }
    if (type === 3) fail('the compressed data holds a block of an unknown type');
    const [literals, distances] = type === 1 ? [FIXED_LITERALS, FIXED_DISTANCES] : dynamicCodes(b);
    for (let s = b.symbol(literals); s !== 256; s = b.symbol(literals)) {
      if (s < 256) {
        if (tar[out++] !== s) fail('the compressed data does not read the same twice');
        continue;
      }
      if (s > 285) fail('the compressed data holds a length code that does not exist');
      const len = LENGTH_BASE[s - 257] + b.take(LENGTH_EXTRA[s - 257]);
      const dc = b.symbol(distances);
      if (dc > 29) fail('the compressed data holds a distance code that does not exist');
      copies.check(out, len, DIST_BASE[dc] + b.take(DIST_EXTRA[dc]));
      out += len;
    }
  }
  if (b.held !== 0) fail(`the padding bits after the last block (byte ${b.at - 1} of the compressed data) are not zero`);
  if (out !== tar.length) fail('the compressed data does not read the same twice');
  if (b.at !== stream.length) fail(`the compressed data ends ${stream.length - b.at} byte(s) before the gzip trailer`);
}
