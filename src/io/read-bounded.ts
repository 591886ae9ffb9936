// One way to read a file whose path came from a project (config, lockfile, .npmrc): only a
// regular file, only up to a size fixed before reading. A path committed as a symlink to
// /dev/zero, a FIFO or a device would otherwise be read until memory runs out, or block forever.
import fs from 'node:fs';

export class BoundedReadError extends Error {
  constructor(
    readonly file: string,
    /** ENOTREG (not a regular file), ETOOBIG (over the cap), or the errno of open/read (ENOENT...). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BoundedReadError';
  }
}

export interface BoundedReadOptions {
  /** Refuse files larger than this many bytes (checked before reading, and again while reading). */
  maxBytes: number;
  /** What the file is, for messages ("tollgate.config.json", "lockfile", ".npmrc"). */
  what: string;
}

/**
 * The bytes of `file`, which must be a regular file (symlinks are followed to one) of at most
 * `maxBytes`. Opened non-blocking so a FIFO cannot hang the open; the type and size are taken
 * from the open descriptor, so a swap after a stat cannot slip a device in.
 */
export function readBoundedFile(file: string, o: BoundedReadOptions): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BoundedReadError(file, code, `${o.what} ${file} cannot be read (${(err as Error).message})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      throw new BoundedReadError(file, 'ENOTREG', `${o.what} ${file} is not a regular file (${kindOf(stat)}); it is not read. Commit the file itself, not a link to a device or a pipe`);
    }
    if (stat.size > o.maxBytes) throw tooBig(file, o, stat.size);
    // Read at most one byte past the cap: a file that grows while being read is still refused.
    const buf = Buffer.allocUnsafe(Math.min(stat.size, o.maxBytes) + 1);
    let got = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > o.maxBytes) throw tooBig(file, o, got);
      if (got === buf.length) break;
    }
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof BoundedReadError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BoundedReadError(file, code, `${o.what} ${file} cannot be read (${(err as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}

/** UTF-8 text of a bounded regular file, without a leading byte-order mark. */
export function readBoundedText(file: string, o: BoundedReadOptions): string {
  return readBoundedFile(file, o).toString('utf8').replace(/^\uFEFF/, '');
}

function tooBig(file: string, o: BoundedReadOptions, size: number): BoundedReadError {
  return new BoundedReadError(file, 'ETOOBIG', `${o.what} ${file} is ${size > o.maxBytes ? `over ${o.maxBytes}` : size} bytes; files over ${o.maxBytes} bytes are not read`);
}

function kindOf(s: fs.Stats): string {
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  if (s.isDirectory()) return 'a folder';
  return 'not a file';
}

/** Caps, defined once. Lockfiles of large monorepos reach tens of MB; config files are small. */
export const MAX_CONFIG_BYTES = 1 << 20;
export const MAX_NPMRC_BYTES = 1 << 20;
export const MAX_LOCKFILE_BYTES = 256 * 1024 * 1024;
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
