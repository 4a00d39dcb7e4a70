// The container of a fiscal archive: a tar (ustar, by tar-stream) compressed with gzip (node:zlib),
// which any system opens (`tar -xzf`, 7-Zip, the archive tools of Windows and macOS), holding the
// members of src/lib/domain/fiscal-archive.ts. The gzip layer carries a CRC-32 of the whole tar, its
// length, and a header of ours whose every byte is fixed; the compressed data between them is read
// a second time (archive-deflate.ts) for the bits the CRC does not cover: padding, where it ends,
// the distance of each copy. So one byte flipped anywhere in the file (header, data or trailer) is
// found before a member is read. A member changed and the container rebuilt whole is found by the
// manifest (its SHA-256), and the manifest changed by its signature.
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, gunzipSync } from 'node:zlib';
import type * as TarStream from 'tar-stream';
import { whenNeeded } from '../kernel/when-needed.ts';
import { deflateNotAsWritten } from './archive-deflate.ts';

/** tar-stream, loaded when an archive is first made or read (kernel/when-needed.ts). */
const tarStream = whenNeeded<typeof TarStream>('tar-stream');

/** The gzip header we write: no name, no time (0), maximum compression (2), OS unknown (255). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff]);

export interface Member {
  name: string;
  bytes: Uint8Array;
}

/** The members as a tar.gz (in the order given), each dated `mtime` (the archive's making). */
export async function packArchive(members: readonly Member[], mtime: Date): Promise<Buffer> {
  const p = tarStream().pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const m of members) {
    await new Promise<void>((resolve, reject) => {
      p.entry({ name: m.name, size: m.bytes.length, mtime, mode: 0o444, uid: 0, gid: 0, uname: 'ocpizza', gname: 'ocpizza' }, Buffer.from(m.bytes), (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(tar) >>> 0, 0);
  trailer.writeUInt32LE(tar.length % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, deflateRawSync(tar, { level: 9 }), trailer]);
}

export class ContainerError extends Error {}

/** The tar inside the file, or a ContainerError saying what of the container is damaged. */
export function unzipArchive(file: Uint8Array): Buffer {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < GZIP_HEADER.length + 8) throw new ContainerError(`the file is too short to be an archive (${buf.length} bytes)`);
  for (let i = 0; i < GZIP_HEADER.length; i++) {
    if (buf[i] !== GZIP_HEADER[i]) throw new ContainerError(`the gzip header is not the one written (byte ${i} is 0x${buf[i].toString(16).padStart(2, '0')}): the file was altered or is not an archive of ours`);
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(buf);
  } catch (err) {
    throw new ContainerError(`the compressed data is damaged (${(err as Error).message}): the file was altered`);
  }
  // the trailer at the very end of the file is this tar's (a stream that ends early leaves bytes after it)
  if (buf.readUInt32LE(buf.length - 8) !== crc32(tar) >>> 0 || buf.readUInt32LE(buf.length - 4) !== tar.length % 2 ** 32) {
    throw new ContainerError('the end of the file is not the end of its compressed data: the file was altered');
  }
  // what the CRC-32 does not cover: the compressed data must be exactly as zlib writes it
  const notAsWritten = deflateNotAsWritten(buf.subarray(GZIP_HEADER.length, buf.length - 8), tar);
  if (notAsWritten) throw new ContainerError(`${notAsWritten}: the file was altered`);
  return tar;
}

/** The members of a tar.gz, in order; a ContainerError when it cannot be read. */
export async function unpackArchive(file: Uint8Array): Promise<Member[]> {
  const tar = unzipArchive(file);
  const members: Member[] = [];
  const x = tarStream().extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') members.push({ name: header.name, bytes: Buffer.concat(chunks) });
        next();
      });
      stream.on('error', reject);
    });
    x.on('finish', () => resolve());
    x.on('error', reject);
  });
  x.end(tar);
  try {
    await done;
  } catch (err) {
    throw new ContainerError(`the tar inside is damaged (${(err as Error).message})`);
  }
  return members;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
