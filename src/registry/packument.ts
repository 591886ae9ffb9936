// One packument request per package, for the registry half of the evidence: publish times,
// publishers, maintainers, provenance attestations and every version's manifest. The full document
// (`Accept: application/json`) is needed: the abbreviated one npm installs from has no `time`,
// `_npmUser`, `maintainers` or `repository`.
//
// Requests go through npm-registry-fetch (pacote's own HTTP layer) with the same npm config as the
// tarball fetcher, so scoped registries, auth, proxies and TLS settings agree. Answers are kept on
// disk, trimmed to the fields we read, with their ETag / Last-Modified; the next run revalidates with
// If-None-Match and a 304 costs no body. When the registry cannot be reached, a cached copy is used
// and says how old it is; with no copy the caller reports missing evidence, never "clean".
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import npmFetch from 'npm-registry-fetch';
import { toFetchOptions } from '../fetch/npm-config.js';
import { DEFAULT_DEADLINE_MS } from '../fetch/fetch.js';
import { redactText } from '../io/redact.js';
import { trimTrailingSlashes } from '../text.js';

export interface Person {
  name?: string;
  email?: string;
}

/** The part of one version's manifest (as the registry serves it) that the registry checks read. */
export interface VersionMeta {
  name?: string;
  version?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
  bin?: string | Record<string, string>;
  directories?: { bin?: string };
  repository?: unknown;
  gypfile?: boolean;
  deprecated?: string;
  _npmUser?: Person;
  maintainers?: Person[];
  dist?: {
    tarball?: string;
    integrity?: string;
    shasum?: string;
    /** npm provenance: present when the version was published with a signed build attestation. */
    attestations?: { url?: string; provenance?: { predicateType?: string } };
    signatures?: unknown[];
  };
}

/** A typed subset of the full packument. */
export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, VersionMeta>;
  /** `created`, `modified` and one ISO date per version (some mirrors omit created/modified). */
  time: Record<string, string>;
  maintainers?: Person[];
  repository?: unknown;
  /** Whether the packument carried a non-empty readme (it is not kept). */
  hasReadme?: boolean;
}

export type PackumentSource = 'network' | 'revalidated' | 'cache-offline' | 'cache-stale';

export interface PackumentResult {
  packument: Packument;
  url: string;
  /** network: fresh 200; revalidated: 304 against our copy; cache-*: the registry was not asked or not reachable. */
  source: PackumentSource;
  /** When the copy in hand was last confirmed by the registry (ISO). */
  fetchedAt: string;
}

export class PackumentError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PackumentError';
  }
}

export interface PackumentOptions {
  /** npm config as from `loadNpmConfig` (registry, scoped registries, auth, proxy, offline). */
  npmConfig?: Record<string, unknown>;
  /** Folder for the ETag cache (`<dir>/packuments/`); false for none. */
  cacheDir?: string | false;
  timeoutMs?: number;
  /** Total time for the request and its body (default 5 min): a server may trickle forever under the idle timeout. */
  deadlineMs?: number;
  /** Refuse packuments larger than this (default 128 MiB; the biggest real ones are tens of MiB). */
  maxBytes?: number;
}

interface CacheEntry {
  url: string;
  etag?: string;
  lastModified?: string;
  fetchedAt: string;
  packument: Packument;
}

const VERSION_FIELDS = [
  'name', 'version', 'scripts', 'dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies',
  'bin', 'directories', 'repository', 'gypfile', 'deprecated', '_npmUser', 'maintainers',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keep only what the checks read: a cached 40 MB packument becomes a few hundred KB. */
export function trimPackument(raw: unknown, name: string): Packument {
  if (!isObject(raw) || !isObject(raw.versions)) throw new PackumentError(`registry answer for "${name}" is not a packument`, 'EBADPACKUMENT');
  const versions: Record<string, VersionMeta> = {};
  for (const [v, m] of Object.entries(raw.versions)) {
    if (!isObject(m)) continue;
    const kept: Record<string, unknown> = {};
    for (const k of VERSION_FIELDS) if (m[k] !== undefined) kept[k] = m[k];
    if (isObject(m.dist)) {
      const d = m.dist;
      kept.dist = { tarball: d.tarball, integrity: d.integrity, shasum: d.shasum, attestations: d.attestations, signatures: d.signatures };
    }
    versions[v] = kept as VersionMeta;
  }
  const time: Record<string, string> = {};
  if (isObject(raw.time)) for (const [k, t] of Object.entries(raw.time)) if (typeof t === 'string') time[k] = t;
  return {
    name: typeof raw.name === 'string' ? raw.name : name,
    'dist-tags': isObject(raw['dist-tags']) ? (raw['dist-tags'] as Record<string, string>) : {},
    versions,
    time,
    maintainers: Array.isArray(raw.maintainers) ? (raw.maintainers as Person[]) : undefined,
    repository: raw.repository,
    hasReadme: typeof raw.readme === 'string' ? raw.readme.trim() !== '' && !/^ERROR: No README/i.test(raw.readme) : undefined,
  };
}

/** The packument URL npm would use for `name` under this config (scoped registries honoured). */
export function packumentUrl(name: string, fetchOpts: Record<string, unknown>): string {
  const registry = trimTrailingSlashes(String(npmFetch.pickRegistry(name, fetchOpts as npmFetch.Options)));
  return `${registry}/${name.replace('/', '%2f')}`;
}

function cacheFile(dir: string, url: string): string {
  return path.join(dir, 'packuments', `${createHash('sha256').update(url).digest('hex').slice(0, 40)}.json`);
}

function readCache(file: string, url: string): CacheEntry | undefined {
  try {
    const e = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    return e.url === url && isObject(e.packument) ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Write-then-rename, so a concurrent reader never sees half a file. Failing to cache is not fatal. */
function writeCache(file: string, entry: CacheEntry): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(entry));
    fs.renameSync(tmp, file);
  } catch {
    // read-only or full disk: the next run fetches again
  }
}

async function readBody(body: AsyncIterable<Buffer>, max: number, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > max) throw new PackumentError(`packument of "${name}" is larger than ${max} bytes`, 'ETOOBIG');
    chunks.push(c);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function describe(err: unknown): { code: string; message: string } {
  const e = (err ?? {}) as { code?: string; statusCode?: number; message?: string };
  const code = e.code ?? (e.statusCode ? `E${e.statusCode}` : 'EFETCH');
  // Credentials must never reach a message.
  return { code, message: redactText(e.message ?? String(err)) };
}

/** Fetch (or revalidate) the full packument of `name`. Throws PackumentError when there is none to use. */
export async function fetchPackument(name: string, opts: PackumentOptions = {}): Promise<PackumentResult> {
  const config = opts.npmConfig ?? {};
  const fetchOpts = { ...toFetchOptions(config) };
  // Our own ETag cache replaces make-fetch-happen's: no cacache path, no cache modes.
  const offline = fetchOpts.offline === true;
  for (const k of ['cache', 'offline', 'preferOffline', 'preferOnline']) delete fetchOpts[k];
  const url = packumentUrl(name, fetchOpts);
  const file = opts.cacheDir ? cacheFile(opts.cacheDir, url) : undefined;
  const cached = file ? readCache(file, url) : undefined;

  if (offline) {
    if (cached) return { packument: cached.packument, url, source: 'cache-offline', fetchedAt: cached.fetchedAt };
    throw new PackumentError(`offline (npm config offline=true) and no cached registry metadata for "${name}"`, 'EOFFLINE');
  }

  const headers: Record<string, string> = { accept: 'application/json' };
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new PackumentError(`EDEADLINE: registry metadata for "${name}" did not arrive within ${Math.round(deadlineMs / 1000)} s (the server sent too slowly)`, 'EDEADLINE');
      ctl.abort(err);
      reject(err);
    }, deadlineMs);
    timer.unref?.();
  });
  try {
    const res = await Promise.race([
      npmFetch(url, {
        fetchRetries: 2,
        ...fetchOpts,
        ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
        spec: name,
        headers,
        integrity: undefined,
        signal: ctl.signal,
      } as npmFetch.Options),
      expired,
    ]);
    // An aborted body can report its error twice; the read below sees the first.
    (res.body as unknown as { on?: (e: string, f: () => void) => void } | undefined)?.on?.('error', () => {});
    const now = new Date().toISOString();
    if (res.status === 304 && cached) {
      res.body?.resume();
      const entry = { ...cached, fetchedAt: now };
      if (file) writeCache(file, entry);
      return { packument: cached.packument, url, source: 'revalidated', fetchedAt: now };
    }
    if (!res.body) throw new PackumentError(`empty registry answer for "${name}" (HTTP ${res.status})`, 'EEMPTY');
    const text = await Promise.race([readBody(res.body as unknown as AsyncIterable<Buffer>, opts.maxBytes ?? 128 * 1024 * 1024, name), expired]);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new PackumentError(`registry answer for "${name}" is not JSON (${(err as Error).message})`, 'EJSONPARSE');
    }
    const packument = trimPackument(raw, name);
    const entry: CacheEntry = { url, etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined, fetchedAt: now, packument };
    if (file) writeCache(file, entry);
    return { packument, url, source: 'network', fetchedAt: now };
  } catch (err) {
    const d = err instanceof PackumentError ? { code: err.code, message: err.message } : describe(err);
    // Unreachable registry: an older copy is better evidence than none, and says how old it is.
    if (cached && d.code !== 'E404') return { packument: cached.packument, url, source: 'cache-stale', fetchedAt: cached.fetchedAt };
    throw err instanceof PackumentError ? err : new PackumentError(`${d.code}: could not fetch registry metadata for "${name}": ${d.message}`, d.code, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
