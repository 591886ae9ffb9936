import zlib from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import type { Finding, Manifest, PackageFile, UnpackedPackage } from '../types.js';
import { DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './limits.js';
import { parseManifest } from './manifest.js';

const RULE = 'unpack-hazard';
/** C0/C1 controls, DEL, line and paragraph separators, bidirectional overrides and isolates. */
const UNREPRESENTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Files analyzed as text: kept whole. Anything else over BINARY_WHOLE_BYTES keeps only its ends. */
const TEXTLIKE = /\.(?:[cm]?[jt]sx?|json|md|markdown|txt|ya?ml|toml|gyp|gypi|sh|bash|ps1|cmd|bat|py|html?|svg|css|npmrc|cursorrules|mdc)$|(?:^|\/)(?:[^./]+|\.[^/]+)$/i;
const BINARY_WHOLE_BYTES = 2 * 1024 * 1024;
const BINARY_END_BYTES = 256 * 1024;
const SOURCE_MAP = /\.map$/i;
const SOURCE_MAP_END_BYTES = 4 * 1024;

function hazard(message: string, file?: string, severity: Finding['severity'] = 'high'): Finding {
  return { rule: RULE, severity, message, file, signals: ['unpack-hazard'] };
}

/** Strip npm's single leading folder ("package/" or anything else) and normalise separators. */
function packagePath(raw: string): string {
  const p = raw.replace(/\\/g, '/');
  const slash = p.indexOf('/');
  const rest = slash === -1 ? p : p.slice(slash + 1);
  // npm's extractor treats `package/./x` and `package//x` as `x`; so must we, or a file could hide
  // from the module graph (and from the duplicate check) under a different spelling.
  return rest.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

function isUnsafePath(raw: string): boolean {
  const p = raw.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return true;
  return p.split('/').includes('..');
}

/** Tarballs up to this size (compressed) are decompressed in one synchronous call... */
const SYNC_GUNZIP_MAX_COMPRESSED = 2 * 1024 * 1024;
/** ...unless they decompress to more than this; those are streamed like the large ones. */
const SYNC_GUNZIP_MAX_OUTPUT = 32 * 1024 * 1024;

/**
 * A small tarball decompressed at once, on this thread: a few milliseconds, where streaming it
 * through the thread pool cost each of the benchmark lockfile's 547 small tarballs about 20 ms of
 * waiting while the analysis held this thread (11 s in all). Undefined for anything large, damaged
 * or over the output cap: the streaming path reads those, with its limits and findings.
 */
function gunzipSmall(tgz: Buffer): Buffer | undefined {
  if (tgz.length > SYNC_GUNZIP_MAX_COMPRESSED) return undefined;
  try {
    return zlib.gunzipSync(tgz, { maxOutputLength: SYNC_GUNZIP_MAX_OUTPUT });
  } catch {
    return undefined;
  }
}

export interface TarReadOptions {
  onReadEntry(entry: ReadEntry): void;
  onwarn?(code: string, text: string): void;
  /** Entries whose path fails it are skipped unread. */
  filter?(path: string): boolean;
  /** Checked after each chunk: true stops decompressing (a peek needs only the first entries). */
  done?(): boolean;
  /** Decompress a small archive in one synchronous call (default true); a peek that stops early streams instead. */
  wholeSmall?: boolean;
  /** Streaming chunk size (default 1 MB). */
  chunkSize?: number;
}

export interface TarReadOutcome {
  /** Bytes of tar fed to the parser. */
  decompressed: number;
  /** Reading stopped at limits.maxUnpackedBytes. */
  tooBig: boolean;
  /** Why the gzip or tar stream could not be read to its end, if it could not. */
  damaged?: string;
}

/**
 * The one tar reader: gunzip (when gzipped) and parse, in memory, never decompressing more than
 * limits.maxUnpackedBytes however small the archive is. Entries go to `onReadEntry`.
 */
export async function readTar(tgz: Buffer, limits: UnpackLimits, o: TarReadOptions): Promise<TarReadOutcome> {
  const parser = new Parser({
    strict: false,
    ...(o.filter ? { filter: (p: string) => o.filter!(p) } : {}),
    onwarn: (code: string, message: string | Error) => {
      if (code === 'TAR_ENTRY_INFO') return;
      o.onwarn?.(code, typeof message === 'string' ? message : message.message);
    },
    onReadEntry: o.onReadEntry,
  });
  const gzipped = tgz.length >= 2 && tgz[0] === 0x1f && tgz[1] === 0x8b;
  let decompressed = 0;
  let tooBig = false;
  let damaged: string | undefined;
  const feed = (chunk: Buffer): boolean => {
    decompressed += chunk.length;
    if (decompressed > limits.maxUnpackedBytes) {
      tooBig = true;
      return false;
    }
    try {
      parser.write(chunk);
    } catch (err) {
      damaged ??= (err as Error).message;
      return false;
    }
    return !o.done?.();
  };
  const whole = gzipped && o.wholeSmall !== false ? gunzipSmall(tgz) : undefined;
  if (whole) {
    feed(whole);
  } else if (gzipped) {
    // Stream through a gunzip so a bomb costs at most maxUnpackedBytes of work, never its full size.
    // Large chunks: each one is a round trip between libuv's thread pool and this thread, which
    // waits its turn behind whatever analysis this thread is doing.
    await new Promise<void>((resolve) => {
      const gunzip = zlib.createGunzip({ chunkSize: o.chunkSize ?? 1024 * 1024 });
      let done = false;
      const finish = () => { if (!done) { done = true; resolve(); } };
      gunzip.on('data', (chunk: Buffer) => {
        if (done) return;
        if (!feed(chunk)) { gunzip.destroy(); finish(); }
      });
      gunzip.on('error', (err) => { damaged ??= err.message; finish(); });
      gunzip.on('end', finish);
      gunzip.on('close', finish);
      gunzip.end(tgz);
    });
  } else {
    // npm tarballs are always gzip; a plain tar is read as-is so odd inputs still get analyzed.
    feed(tgz);
  }
  if (!o.done?.()) {
    try {
      parser.end();
    } catch (err) {
      damaged ??= (err as Error).message;
    }
  }
  return { decompressed, tooBig, damaged };
}

/**
 * Read an npm tarball entirely in memory. Nothing is written to disk, so nothing we read can be
 * loaded by accident; links and devices are recorded as findings and never followed.
 */
export async function unpackTarball(tgz: Buffer, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS): Promise<UnpackedPackage> {
  const findings: Finding[] = [];
  const files = new Map<string, PackageFile>();
  let entries = 0;
  let unpacked = 0;
  let stopped = false;
  const onReadEntry = (entry: ReadEntry): void => {
    entries++;
    if (stopped || entries > limits.maxEntries) {
      if (!stopped) {
        stopped = true;
        findings.push({ ...hazard(`archive has more than ${limits.maxEntries} entries; the rest were not read`, undefined, 'high'), signals: ['unpack-hazard', 'analysis-gap'] });
      }
      entry.resume();
      return;
    }
    const raw = entry.path;
    const rel = packagePath(raw);
    if (isUnsafePath(raw)) {
      findings.push(hazard(`entry "${raw}" escapes the package folder (absolute path or "..")`, rel, 'critical'));
      entry.resume();
      return;
    }
    // A name with control or invisible characters (`x.js\n`) is not what a reader sees, and its
    // extension no longer matches what decides that a file is code; Node still loads it as
    // JavaScript. Never clean: a finding, whatever the analysis makes of the file (issue 19).
    if (UNREPRESENTABLE.test(rel)) {
      findings.push(hazard(`entry name ${JSON.stringify(rel)} holds control or invisible characters; file names like this hide what a file is (Node still runs "x.js\\n" as JavaScript)`, rel, 'high'));
    }
    const type = entry.type;
    if (type === 'SymbolicLink' || type === 'Link') {
      findings.push(hazard(`${type === 'Link' ? 'hard link' : 'symlink'} "${rel}" -> "${entry.linkpath ?? ''}" (never followed; npm packages have no reason to ship links)`, rel, 'high'));
      entry.resume();
      return;
    }
    if (type === 'CharacterDevice' || type === 'BlockDevice' || type === 'FIFO') {
      findings.push(hazard(`device or FIFO entry "${rel}" (${type}) is not a file a package needs`, rel, 'high'));
      entry.resume();
      return;
    }
    if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile') {
      entry.resume();
      return;
    }
    const size = entry.size ?? 0;
    // Code and text are kept whole (up to the keep limit); large binaries and source maps only by
    // their ends (magic bytes, appended payloads), which is all any rule reads of them.
    // Source maps are never executed and no rule reads past their head; whole, they were 40% of
    // the bytes kept for next (63 MB of 157 MB), so they keep their ends like binaries.
    const sourceMap = SOURCE_MAP.test(rel) && size > 2 * SOURCE_MAP_END_BYTES;
    const whole = !sourceMap && (size <= BINARY_WHOLE_BYTES || TEXTLIKE.test(rel));
    const endBytes = sourceMap ? SOURCE_MAP_END_BYTES : BINARY_END_BYTES;
    const keep = whole ? Math.min(size, limits.maxKeptFileBytes) : endBytes;
    const chunks: Buffer[] = [];
    let got = 0;
    let tail: Buffer[] = [];
    let tailBytes = 0;
    entry.on('data', (d: Buffer) => {
      unpacked += d.length;
      if (got < keep) {
        const take = d.subarray(0, keep - got);
        chunks.push(take);
        got += take.length;
      } else if (!whole) {
        tail.push(d);
        tailBytes += d.length;
        while (tailBytes - tail[0]!.length >= endBytes) tailBytes -= tail.shift()!.length;
      }
    });
    entry.on('end', () => {
      if (files.has(rel)) {
        findings.push(hazard(`duplicate entry "${rel}": the last copy wins on install, and that one is analyzed`, rel, 'medium'));
      }
      const file: PackageFile = { path: rel, size, data: Buffer.concat(whole ? chunks : [...chunks, ...tail]), mode: entry.mode };
      tail = [];
      if (!whole) file.partial = true;
      else if (size > keep) {
        findings.push({ rule: 'too-large', severity: 'low', message: `file is ${size} bytes; only the first ${keep} were kept for a lexical scan`, file: rel, signals: ['analysis-gap'] });
      }
      files.set(rel, file);
    });
  };
  const { decompressed, tooBig, damaged } = await readTar(tgz, limits, {
    onReadEntry,
    onwarn: (code, text) => findings.push({ ...hazard(`tar reader: ${code} ${text}`, undefined, 'low'), signals: ['unpack-hazard'] }),
  });
  if (tooBig) {
    findings.push({ ...hazard(`archive decompresses to more than ${limits.maxUnpackedBytes} bytes (${tgz.length} compressed): possible decompression bomb; reading stopped there`, undefined, 'high'), signals: ['unpack-hazard', 'analysis-gap'] });
  } else if (tgz.length > 0 && decompressed > 10 * 1024 * 1024 && decompressed / tgz.length > limits.maxCompressionRatio) {
    findings.push(hazard(`compression ratio ${(decompressed / tgz.length).toFixed(0)}:1 over ${decompressed} bytes: archives this lopsided are decompression bombs, not code`, undefined, 'high'));
  }
  if (damaged) {
    findings.push({ ...hazard(`archive is damaged (${damaged}); only the readable part was analyzed`, undefined, 'medium'), signals: ['unpack-hazard', 'analysis-gap'] });
  }
  if (entries === 0) {
    findings.push({ ...hazard('archive contains no readable entries', undefined, 'medium'), signals: ['unpack-hazard', 'analysis-gap'] });
  }

  const { manifest, error: manifestError, findings: mf } = readManifest(files);
  findings.push(...mf);
  return {
    files,
    manifest,
    manifestError,
    findings,
    stats: { compressedBytes: tgz.length, unpackedBytes: Math.max(unpacked, 0), entries },
  };
}

export function readManifest(files: Map<string, PackageFile>): { manifest?: Manifest; error?: string; findings: Finding[] } {
  const pj = files.get('package.json');
  if (!pj?.data) {
    return { error: 'package.json is missing', findings: [{ rule: 'manifest-invalid', severity: 'medium', message: 'package has no package.json at its root', signals: ['analysis-gap'] }] };
  }
  const res = parseManifest(pj.data);
  if (res.error !== undefined) {
    return { error: res.error, findings: [{ rule: 'manifest-invalid', severity: 'medium', message: `package.json cannot be read: ${res.error}`, file: 'package.json', signals: ['analysis-gap'] }] };
  }
  return { manifest: res.manifest, findings: [] };
}

