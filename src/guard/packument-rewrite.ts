// A packument rewritten as it streams through the proxy: every `versions.<v>.dist.tarball` that is
// an http(s) URL is replaced by the proxy's URL for <v>, and what the proxy needs later to check
// that tarball (where upstream serves it, the integrity the registry promised) is recorded. Only
// the few strings on those paths are held; everything else is copied through byte for byte, so a
// packument of hundreds of MB costs the proxy no more memory than one chunk.
//
// The scanner is a strict JSON grammar over bytes (structural characters are ASCII, so UTF-8 needs
// no decoding): anything that is not JSON is an error, and the proxy then cuts the answer off. That
// matters for safety, not style: a document that a lenient package manager parsed differently from
// this scanner could hide a tarball URL from the rewrite, and the tarball would bypass the proxy.
import { tarballPath } from './paths.js';

/** What the registry said about one version's tarball. */
export interface TarballRecord {
  name: string;
  version: string;
  /** Where the upstream registry serves it (never sent to the package manager). */
  upstreamUrl: string;
  /** SRI from dist.integrity, else sha1 from dist.shasum; undefined when the registry gave neither. */
  integrity?: string;
}

/** `dist.shasum` (hex sha1, what old packages have instead of dist.integrity) as an SRI string. */
export function shasumToSri(hex: string): string | undefined {
  return /^[0-9a-f]{40}$/i.test(hex) ? `sha1-${Buffer.from(hex, 'hex').toString('base64')}` : undefined;
}

export function integrityOf(dist: Record<string, unknown>): string | undefined {
  if (typeof dist.integrity === 'string' && /^sha(?:256|384|512)-/.test(dist.integrity.trim())) return dist.integrity.trim();
  return typeof dist.shasum === 'string' ? shasumToSri(dist.shasum) : undefined;
}

/**
 * The records of a whole packument, parsed: the records PackumentRewriter finds in the same text,
 * for reads where nothing is sent on (a tarball asked for straight from a lockfile). JSON.parse
 * reads a packument about four times faster than the byte scanner; the caller keeps this to
 * packuments small enough to hold. Throws PackumentSyntaxError on anything that is not JSON.
 */
export function packumentRecords(name: string, text: string): TarballRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // A SyntaxError, or a RangeError for nesting deeper than the stack.
    throw new PackumentSyntaxError(`registry metadata for "${name}" is not valid JSON: ${(err as Error).message}`, 0);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const out: TarballRecord[] = [];
  if (!isObject(doc) || !isObject(doc.versions)) return out;
  for (const [version, meta] of Object.entries(doc.versions)) {
    if (!isObject(meta) || !isObject(meta.dist)) continue;
    const upstream = meta.dist.tarball;
    if (typeof upstream !== 'string' || !/^https?:\/\//i.test(upstream)) continue;
    if (Buffer.byteLength(upstream) > MAX_CAPTURE) throw new PackumentSyntaxError(`registry metadata for "${name}": a tarball URL longer than ${MAX_CAPTURE} bytes`, 0);
    out.push({ name, version, upstreamUrl: upstream, integrity: integrityOf(meta.dist) });
  }
  return out;
}

/**
 * A packument read only for its records (a tarball asked for straight from a lockfile, so nothing is
 * sent on). Up to `wholeBytes` it is held and parsed whole at the end (packumentRecords, four times
 * faster than the byte scanner); past that it streams through a PackumentRewriter from the bytes
 * held so far, so memory stays bounded. Either way the records are the rewriter's.
 */
export class PackumentRecordReader {
  private held: Buffer[] = [];
  private size = 0;
  private stream: PackumentRewriter | undefined;
  private readonly found: TarballRecord[] = [];

  constructor(
    private readonly name: string,
    private readonly wholeBytes: number,
  ) {}

  /** Consume one chunk; returns the records completed so far (streaming only). Throws PackumentSyntaxError. */
  push(chunk: Buffer): TarballRecord[] {
    if (!this.stream) {
      this.size += chunk.length;
      if (this.size <= this.wholeBytes) {
        this.held.push(chunk);
        return [];
      }
      // The rewritten text is dropped: only the records are read, so any base does.
      this.stream = new PackumentRewriter(this.name, 'http://records.invalid', (r) => this.found.push(r));
      for (const c of this.held) this.stream.push(c);
      this.held = [];
    }
    this.stream.push(chunk);
    return this.found.splice(0);
  }

  /** The records not yet returned. Throws PackumentSyntaxError when the document is not JSON. */
  end(): TarballRecord[] {
    if (this.stream) {
      this.stream.end();
      return this.found.splice(0);
    }
    const text = Buffer.concat(this.held, this.size).toString('utf8');
    this.held = [];
    return packumentRecords(this.name, text);
  }
}

/** Deeper than any real packument (versions.<v>.dist is depth 3); bounds the scanner's stack. */
const MAX_DEPTH = 256;
/** A captured string (an object key, a tarball URL, an integrity): longer ones are refused. */
const MAX_CAPTURE = 64 * 1024;
/** A number or literal token. */
const MAX_LITERAL = 4096;

export class PackumentSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'PackumentSyntaxError';
  }
}

const enum S {
  Value, // a value is expected
  ValueOrClose, // after '[': a value or ']'
  KeyOrClose, // after '{': a key or '}'
  Key, // after ',' in an object
  Colon,
  AfterValue, // ',' or the container's close
  String,
  Literal,
  Done,
}

interface Frame {
  array: boolean;
  /** The current key of an object (undefined for arrays and for keys too long to matter). */
  key?: string;
}

/** What a string being read is for. */
const enum Role {
  Key,
  Value,
}

const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;
const LITERAL_CHAR = new Uint8Array(256);
for (const c of '0123456789+-.eEtruefalsn') LITERAL_CHAR[c.charCodeAt(0)] = 1;
const LITERAL = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;
const DIST_FIELDS = new Set(['tarball', 'integrity', 'shasum']);

export class PackumentRewriter {
  private state = S.Value;
  private readonly stack: Frame[] = [];
  private offset = 0;
  // The string being read.
  private role = Role.Value;
  private escape = false;
  /** Raw bytes of a string that is captured (keys, dist fields); undefined when it only streams through. */
  private capture: number[] | undefined;
  /** A dist.tarball value: held back from the output until it is complete. */
  private holding = false;
  private literal = '';
  // The dist object being read: versions.<version>.dist.
  private dist: Record<string, string> | undefined;

  constructor(
    private readonly name: string,
    /** Proxy base URL without a trailing slash. */
    private readonly proxyBase: string,
    private readonly onRecord: (r: TarballRecord) => void,
  ) {}

  /** Consume one chunk; returns the bytes to send on (possibly empty). Throws PackumentSyntaxError. */
  push(chunk: Uint8Array): Buffer {
    const out: Buffer[] = [];
    let from = 0; // start of the bytes of this chunk not yet sent on
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      switch (this.state) {
        case S.String: {
          if (!this.capture && !this.escape) {
            // Most of a packument is string bytes nothing reads (readmes, descriptions): jump
            // natively to the next quote or backslash. A raw control character there is not
            // looked for: it cannot change where anything ends, and a strict client refuses it.
            const q = chunk.indexOf(0x22, i);
            const b = q < 0 ? chunk.indexOf(0x5c, i) : chunk.subarray(i, q).indexOf(0x5c);
            const to = b >= 0 ? (q < 0 ? b : i + b) : q < 0 ? chunk.length : q;
            if (to > i) {
              this.offset += to - i;
              i = to - 1;
              continue;
            }
          }
          if (this.escape) this.escape = false;
          else if (c === 0x5c) this.escape = true;
          else if (c === 0x22) {
            this.endString(out);
            if (this.holding) {
              this.holding = false;
              from = i + 1;
            }
            break;
          } else if (c < 0x20) this.fail('control character in a string');
          if (this.capture) {
            if (this.capture.length >= MAX_CAPTURE) this.fail(`string longer than ${MAX_CAPTURE} bytes where the proxy must read it`);
            this.capture.push(c);
          }
          break;
        }
        case S.Literal: {
          if (LITERAL_CHAR[c]) {
            if (this.literal.length >= MAX_LITERAL) this.fail('literal too long');
            this.literal += String.fromCharCode(c);
            break;
          }
          this.endLiteral();
          // The byte after a literal is read again, in the new state.
          i--;
          continue;
        }
        default:
          if (WS[c]) break;
          this.structural(c, out, chunk, from, i);
          if (this.holding) from = i + 1;
      }
      this.offset++;
    }
    if (!this.holding) out.push(Buffer.from(chunk.buffer, chunk.byteOffset + from, chunk.length - from));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The document ended: throws unless it was one complete JSON value. */
  end(): void {
    if (this.state === S.Literal) this.endLiteral();
    if (this.state !== S.Done) this.fail('the document ended early');
  }

  private fail(message: string): never {
    throw new PackumentSyntaxError(`registry metadata for "${this.name}" is not valid JSON: ${message}`, this.offset);
  }

  private structural(c: number, out: Buffer[], chunk: Uint8Array, from: number, i: number): void {
    switch (this.state) {
      case S.Done:
        return this.fail('more than one value');
      case S.Colon:
        if (c !== 0x3a) this.fail("':' expected");
        this.state = S.Value;
        return;
      case S.KeyOrClose:
      case S.Key:
        if (c === 0x7d && this.state === S.KeyOrClose) return this.close(false);
        if (c !== 0x22) this.fail('an object key expected');
        return this.startString(Role.Key, out, chunk, from, i);
      case S.AfterValue: {
        const top = this.stack[this.stack.length - 1];
        if (!top) return this.fail('unexpected character');
        if (c === 0x2c) {
          this.state = top.array ? S.Value : S.Key;
          return;
        }
        if (c === (top.array ? 0x5d : 0x7d)) return this.close(top.array);
        return this.fail("',' or the end of the container expected");
      }
      case S.ValueOrClose:
        if (c === 0x5d) return this.close(true);
        return this.value(c, out, chunk, from, i);
      case S.Value:
        return this.value(c, out, chunk, from, i);
    }
  }

  private value(c: number, out: Buffer[], chunk: Uint8Array, from: number, i: number): void {
    if (c === 0x7b || c === 0x5b) {
      if (this.stack.length >= MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
      const array = c === 0x5b;
      if (!array && this.atPath('dist')) this.dist = {};
      this.stack.push({ array });
      this.state = array ? S.ValueOrClose : S.KeyOrClose;
      return;
    }
    if (c === 0x22) return this.startString(Role.Value, out, chunk, from, i);
    if (LITERAL_CHAR[c]) {
      this.state = S.Literal;
      this.literal = String.fromCharCode(c);
      return;
    }
    this.fail('a value expected');
  }

  /**
   * Whether the value about to start sits at `versions.<v>.<field>` (field 'dist') or at
   * `versions.<v>.dist.<field>`: judged by the keys of the open objects.
   */
  private atPath(field: 'dist' | 'dist-field'): boolean {
    const s = this.stack;
    if (field === 'dist') return s.length === 3 && !s[0]!.array && s[0]!.key === 'versions' && !s[1]!.array && s[1]!.key !== undefined && !s[2]!.array && s[2]!.key === 'dist';
    return s.length === 4 && this.dist !== undefined && !s[3]!.array && s[3]!.key !== undefined && DIST_FIELDS.has(s[3]!.key);
  }

  /**
   * Whether the key about to be read can be on the path versions.<v>.dist.<field>: the root's keys,
   * those of `versions` and of each version, and those of a dist object. Keys deeper or elsewhere
   * (dependency maps, `time`, `users`) are not read, which is most of a packument's keys.
   */
  private keyMatters(): boolean {
    const s = this.stack;
    if (s.length === 1) return true;
    if (s.length === 2 || s.length === 3) return s[0]!.key === 'versions' && !s[1]!.array;
    return s.length === 4 && this.dist !== undefined;
  }

  private startString(role: Role, out: Buffer[], chunk: Uint8Array, from: number, i: number): void {
    this.state = S.String;
    this.role = role;
    this.escape = false;
    const dist = role === Role.Value && this.atPath('dist-field');
    this.capture = (role === Role.Key && this.keyMatters()) || dist ? [] : undefined;
    if (dist && this.stack[3]!.key === 'tarball') {
      // Everything before the opening quote goes out now; the string itself waits for its end.
      out.push(Buffer.from(chunk.buffer, chunk.byteOffset + from, i - from));
      this.holding = true;
    }
  }

  private endString(out: Buffer[]): void {
    const raw = this.capture;
    this.capture = undefined;
    this.state = this.role === Role.Key ? S.Colon : this.afterValue();
    if (!raw) {
      // A key off the path (a dependency name, a `time` entry): its object's key is no path key.
      if (this.role === Role.Key) this.stack[this.stack.length - 1]!.key = undefined;
      return;
    }
    let text: string | undefined;
    try {
      text = JSON.parse(`"${Buffer.from(raw).toString('utf8')}"`) as string;
    } catch {
      this.fail('bad escape in a string');
    }
    const top = this.stack[this.stack.length - 1]!;
    if (this.role === Role.Key) {
      top.key = text;
      return;
    }
    const field = top.key!;
    this.dist![field] = text;
    if (!this.holding) return;
    // The held tarball string ends in this chunk, possibly having started in an earlier one.
    const version = this.stack[1]!.key!;
    const QUOTE = Buffer.from('"');
    // A tarball that is not http(s) keeps its exact bytes (and gets no record: it cannot be fetched).
    out.push(/^https?:\/\//i.test(text) ? Buffer.from(JSON.stringify(this.proxyBase + tarballPath(this.name, version)), 'utf8') : Buffer.concat([QUOTE, Buffer.from(raw), QUOTE]));
  }

  private endLiteral(): void {
    if (!LITERAL.test(this.literal)) this.fail(`"${this.literal.slice(0, 40)}" is not a JSON value`);
    this.literal = '';
    this.state = this.afterValue();
  }

  private afterValue(): S {
    return this.stack.length ? S.AfterValue : S.Done;
  }

  private close(array: boolean): void {
    this.stack.pop();
    if (!array && this.stack.length === 3 && this.dist && this.atDistParent()) {
      const dist = this.dist;
      this.dist = undefined;
      const upstream = dist.tarball;
      if (upstream !== undefined && /^https?:\/\//i.test(upstream)) this.onRecord({ name: this.name, version: this.stack[1]!.key!, upstreamUrl: upstream, integrity: integrityOf(dist) });
    }
    this.state = this.afterValue();
  }

  /** The open objects are versions.<v> with the current key 'dist' (the dist object just closed). */
  private atDistParent(): boolean {
    const s = this.stack;
    return s[0]!.key === 'versions' && s[2]!.key === 'dist';
  }
}
