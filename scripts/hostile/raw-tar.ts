// A raw ustar writer for hostile test inputs: `tar`'s Header/Pack normalise or refuse the paths
// and entry types these inputs need, so the 512-byte headers are built by hand.
import zlib from 'node:zlib';

export interface RawEntry {
  path: string;
  /** '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO, 'x' PAX, 'L' GNU long name. */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x' | 'L';
  linkpath?: string;
  body?: Buffer | string;
  /** Declared size, when it differs from the body (used for bombs). */
  size?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(499162500, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write(e.type ?? '0', 156, 'ascii');
  if (e.linkpath) h.write(e.linkpath, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

export const tarPad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

export function rawTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body);
    parts.push(tarHeader(e, e.size ?? body.length), body, tarPad(body.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const rawTgz = (entries: RawEntry[]): Buffer => zlib.gzipSync(rawTar(entries));

/** Deterministic pseudo-random bytes (xorshift), so a failure reproduces. */
export function randomBytes(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A gzip stream of one tar entry declaring `size` bytes of zeros, compressed in chunks (~1 MB per GiB). */
export async function zeroBomb(path: string, size: number): Promise<Buffer> {
  const gz = zlib.createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<void>((r) => gz.on('end', () => r()));
  gz.write(tarHeader({ path }, size));
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    if (!gz.write(part)) await new Promise<void>((r) => gz.once('drain', () => r()));
  }
  gz.end(Buffer.concat([tarPad(size), Buffer.alloc(1024)]));
  await done;
  return Buffer.concat(out);
}
