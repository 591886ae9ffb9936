// Spec -> tarball bytes, through pacote so registries, auth, caching and integrity behave the way
// npm's do. The one thing we must never inherit from npm is running code: pacote runs a package's
// `prepare` script when packing a folder or a git checkout unless told `ignoreScripts: true`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// Declared at pacote's version, so it is the very copy pacote uses (test/dependencies.test.ts holds
// that): our reading of a spec (registry / file / directory / git ...) cannot disagree with pacote's.
import npa from 'npm-package-arg';
import pacote from 'pacote';
import type { ReadEntry } from 'tar';
import { readTar } from '../unpack/tarball.js';
import { DEFAULT_UNPACK_LIMITS } from '../unpack/limits.js';
import { toFetchOptions } from './npm-config.js';
import { redactText } from '../io/redact.js';
import { MAX_MANIFEST_BYTES, readBoundedText } from '../io/read-bounded.js';
import type { Finding } from '../types.js';
import { withDeadline as withTotalDeadline } from '../io/deadline.js';

export type TarballSource = 'registry' | 'file' | 'directory' | 'remote' | 'git' | 'alias';

export interface FetchOptions {
  /** cacache folder; defaults to pacote's (~/.npm/_cacache) or `<cache>/_cacache` from npm config. */
  cache?: string;
  /** npm config as from `loadNpmConfig` (verbatim keys); registry, auth, TLS and proxy come from here. */
  npmConfig?: Record<string, unknown>;
  /** Folder relative paths in the spec are resolved from (default: process.cwd()). */
  where?: string;
  /** Per-request idle timeout (default 60s): how long a socket may stay silent. */
  timeoutMs?: number;
  /**
   * Total time one download (a packument, a tarball) may take, retries included (default 5 min).
   * The idle timeout alone never fires on a server that sends one byte every few seconds.
   */
  deadlineMs?: number;
  /** Refuse tarballs larger than this (default 200 MiB). */
  maxTarballBytes?: number;
  /** Expected SRI (e.g. from a lockfile); a mismatch is an EINTEGRITY error. */
  integrity?: string;
  /**
   * For tarball files and URLs, leave name and version unread: the caller takes them from the
   * unpacked manifest anyway (the audit does), and finding package.json means decompressing the
   * tarball up to it, which npm puts wherever it sorts (half of next's 150 MB in).
   */
  skipIdentity?: boolean;
  /**
   * The tarball's size when known (a prefetch measured it): its bytes are then read into one
   * buffer of that size instead of a list of chunks joined at the end, which for a 44 MB tarball
   * briefly held it twice.
   */
  expectedBytes?: number;
  /**
   * Revalidate instead of trusting a download cached under the URL (for entries with no integrity,
   * whose bytes the URL alone does not pin).
   */
  fresh?: boolean;
}

export interface FetchedTarball {
  spec: string;
  name?: string;
  version?: string;
  source: TarballSource;
  /** SRI of `data`: the registry's verified `dist.integrity`, or sha512 of what we read locally. */
  integrity?: string;
  resolved?: string;
  data: Buffer;
  /** What the fetch itself found (a bundled dependency linking out of a folder): scored with the package. */
  findings?: Finding[];
}

export class FetchError extends Error {
  constructor(
    message: string,
    readonly spec: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FetchError';
  }
}

export const DEFAULT_MAX_TARBALL_BYTES = 200 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_DEADLINE_MS = 5 * 60_000;

/** One download under a total deadline (src/io/deadline.ts), failing as EDEADLINE for this spec. */
function withDeadline<T>(spec: string, what: string, opts: FetchOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ms = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const expired = () =>
    new FetchError(
      `EDEADLINE: the ${what} for "${spec}" did not arrive within ${Math.round(ms / 1000)} s (the server kept the connection open but sent too slowly); it was not analyzed. Retry later, or check the registry or proxy`,
      spec,
      'EDEADLINE',
    );
  return withTotalDeadline(ms, expired, run);
}

type Spec = npa.Result & { subSpec?: npa.Result };
type PacoteOpts = pacote.Options & Record<string, unknown>;

function sourceOf(parsed: Spec): TarballSource {
  switch (parsed.type) {
    case 'alias':
      return 'alias';
    case 'version':
    case 'range':
    case 'tag':
      return 'registry';
    case 'file':
    case 'directory':
    case 'remote':
    case 'git':
      return parsed.type;
    default:
      return 'registry';
  }
}

/** Credentials must never reach a message (`user:pass@`, token query parameters, `_authToken=`). */
const redact = redactText;

function sri(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

function tooBig(spec: string, max: number): FetchError {
  return new FetchError(
    `ETOOBIG: tarball for "${spec}" is larger than the ${max}-byte limit; raise maxTarballBytes if this package is legitimately that big`,
    spec,
    'ETOOBIG',
  );
}

/**
 * pacote forwards every error of an aborted response to the stream it hands us: the abort itself,
 * then the socket's "aborted" when it closes. Iterating the stream listens for the first only, so
 * the second would be an uncaught exception that ends the process. The first still rejects the read.
 */
function absorbLateErrors(stream: AsyncIterable<Buffer>): void {
  const s = stream as unknown as { on?: (event: string, fn: (err: unknown) => void) => void };
  s.on?.('error', () => {});
}

/** Drain a tarball stream into memory, giving up as soon as it passes `max` bytes. */
async function collect(stream: AsyncIterable<Buffer>, max: number, spec: string, expected?: number): Promise<Buffer> {
  absorbLateErrors(stream);
  const chunks: Buffer[] = [];
  let size = 0;
  // Filled in place while the bytes match the expected size; anything else falls back to chunks.
  let into = expected !== undefined && expected > 0 && expected <= max ? Buffer.allocUnsafe(expected) : undefined;
  for await (const chunk of stream) {
    if (into && size + chunk.length <= into.length) {
      chunk.copy(into, size);
      size += chunk.length;
      continue;
    }
    if (into) {
      chunks.push(into.subarray(0, size));
      into = undefined;
    }
    size += chunk.length;
    if (size > max) throw tooBig(spec, max);
    chunks.push(chunk);
  }
  if (into) return size === into.length ? into : into.subarray(0, size);
  return Buffer.concat(chunks, size);
}

/**
 * Read name/version from `package/package.json` inside a tarball, in memory. pacote's own
 * `manifest()` for file and remote specs *extracts the whole tarball to disk* to read that one
 * file, which we don't want for hostile input. Best effort: the unpacker validates for real.
 */
async function peekManifest(data: Buffer): Promise<{ name?: string; version?: string }> {
  let found: string | undefined;
  // npm packs package.json first, so reading stops there (streamed in small chunks): decompressing
  // all of next's 44 MB tarball only to find its first entry cost an audit seconds of main-thread
  // time. The unpacker's reader and limits: an archive without package.json stops at the bomb cap.
  await readTar(data, DEFAULT_UNPACK_LIMITS, {
    filter: (p) => /^[^/]+\/package\.json$/.test(p.replace(/\\/g, '/')),
    wholeSmall: false,
    chunkSize: 64 * 1024,
    done: () => found !== undefined,
    onReadEntry: (entry: ReadEntry) => {
      const parts: Buffer[] = [];
      let n = 0;
      entry.on('data', (c: Buffer) => {
        n += c.length;
        if (n <= 1024 * 1024) parts.push(c);
      });
      entry.on('end', () => {
        if (found === undefined && n <= 1024 * 1024) found = Buffer.concat(parts).toString('utf8');
      });
    },
  });
  if (!found) return {};
  try {
    const pkg = JSON.parse(found) as { name?: unknown; version?: unknown };
    return {
      name: typeof pkg.name === 'string' ? pkg.name : undefined,
      version: typeof pkg.version === 'string' ? pkg.version : undefined,
    };
  } catch {
    return {};
  }
}

interface MiniNode {
  path: string;
  package: Record<string, unknown>;
  isProjectRoot: boolean;
  isLink: false;
  target: MiniNode;
  edgesOut: Map<string, { to: MiniNode; peer: false; dev: false }>;
}

function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readBoundedText(file, { maxBytes: MAX_MANIFEST_BYTES, what: 'package.json' })) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * pacote 21's DirFetcher needs an Arborist tree (or the Arborist class, which we don't ship) so
 * npm-packlist can find bundled dependencies. We hand it the minimal tree packlist reads: each
 * node's path, package.json, and edges to whatever bundled deps exist in node_modules (resolved
 * the Node way: nested first, then up the folders to the root). This only reads package.json files.
 */
function miniTree(root: string, pkg: Record<string, unknown>, escaped: string[] = []): MiniNode {
  const made = new Map<string, MiniNode>();
  const realRoot = realOr(root);
  const node = (dir: string, manifest: Record<string, unknown>, isRoot: boolean): MiniNode => {
    const existing = made.get(dir);
    if (existing) return existing;
    const n = { path: dir, package: manifest, isProjectRoot: isRoot, isLink: false, edgesOut: new Map() } as MiniNode;
    n.target = n;
    made.set(dir, n);
    const names = isRoot
      ? Array.isArray(manifest.bundleDependencies ?? manifest.bundledDependencies)
        ? ((manifest.bundleDependencies ?? manifest.bundledDependencies) as unknown[])
        : []
      : [
          ...Object.keys((manifest.dependencies as object | undefined) ?? {}),
          ...Object.keys((manifest.optionalDependencies as object | undefined) ?? {}),
        ];
    for (const name of names) {
      if (typeof name !== 'string') continue;
      for (let base = dir; base.startsWith(root); base = path.dirname(base)) {
        const depDir = path.join(base, 'node_modules', name);
        // A bundled dependency that is a symlink out of the folder is not packed: packing would
        // read wherever it points (issue 19). Reported by the caller instead.
        if (fs.existsSync(depDir) && !isInside(realRoot, realOr(depDir))) {
          escaped.push(`${path.relative(root, depDir).split(path.sep).join('/')} -> ${realOr(depDir)}`);
          break;
        }
        const depPkg = readJson(path.join(depDir, 'package.json'));
        if (depPkg) {
          n.edgesOut.set(name, { to: node(depDir, depPkg, false), peer: false, dev: false });
          break;
        }
        if (base === root) break;
      }
    }
    return n;
  };
  return node(root, pkg, true);
}

function registryFor(parsed: Spec, opts: PacoteOpts): string {
  const target = parsed.type === 'alias' && parsed.subSpec ? parsed.subSpec : parsed;
  const scoped = target.scope ? opts[`${target.scope}:registry`] : undefined;
  return String(scoped ?? opts.registry ?? 'https://registry.npmjs.org/');
}

/** Turn whatever pacote / npm-registry-fetch / fs threw into a FetchError that says what to do next. */
function toFetchError(err: unknown, spec: string, parsed: Spec, opts: PacoteOpts): FetchError {
  if (err instanceof FetchError) return err;
  const e = (err ?? {}) as { code?: string; statusCode?: number; message?: string };
  const code = e.code ?? (e.statusCode ? `E${e.statusCode}` : undefined);
  const detail = redact(e.message ?? String(err));
  const target = parsed.type === 'alias' && parsed.subSpec ? parsed.subSpec : parsed;
  const name = target.name ?? spec;
  const registry = redact(registryFor(parsed, opts));
  const local = parsed.type === 'file' || parsed.type === 'directory';
  let message: string;
  switch (code) {
    case 'EINTEGRITY':
      message =
        `EINTEGRITY: the tarball for "${spec}" does not match its expected integrity checksum; ` +
        `it may have been tampered with (or corrupted in transit or in the cache). Do not install it; ` +
        `compare with the registry's dist.integrity and retry with a fresh cache. (${detail})`;
      break;
    case 'E404':
      message = `E404: package "${name}" not found in registry ${registry}; check the name or your registry config (registry / @scope:registry in .npmrc)`;
      break;
    case 'ETARGET':
    case 'ENOVERSIONS':
      message = `${code}: no version of "${name}" matches "${target.rawSpec || 'latest'}" in registry ${registry}; check the version range or dist-tag (\`npm view ${name} versions\`)`;
      break;
    case 'E401':
    case 'E403':
      message = `${code}: registry ${registry} refused access to "${name}"; check the auth token for this registry in your .npmrc (//host/:_authToken)`;
      break;
    case 'ENOENT':
    case 'ENOTDIR':
      message = local
        ? `${code}: "${spec}" does not exist (resolved to ${target.fetchSpec}); check the path`
        : `${code}: failed to fetch "${spec}": ${detail}`;
      break;
    case 'EJSONPARSE':
      message = `EJSONPARSE: package.json of "${spec}" is not valid JSON; fix it and retry (${detail})`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'ERR_SOCKET_TIMEOUT':
    case 'FETCH_ERROR':
    case 'ECONNECTIONTIMEOUT':
      message = `${code}: could not reach ${local ? 'the source' : `registry ${registry}`} while fetching "${spec}"; check your network, proxy and registry settings, or raise timeoutMs (${detail})`;
      break;
    default:
      message = `${code ?? 'EFETCH'}: failed to fetch "${spec}": ${detail}`;
  }
  return new FetchError(message, spec, code ?? 'EFETCH', { cause: err });
}

function pacoteOptions(opts: FetchOptions, where: string): PacoteOpts {
  const base: PacoteOpts = {
    fetchRetries: 2,
    ...toFetchOptions(opts.npmConfig ?? {}),
    ...(opts.cache ? { cache: opts.cache } : {}),
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    where,
    // Safety switches last so no config can turn them off: never run lifecycle scripts, and never
    // clone git (aliases or odd specs could otherwise reach GitFetcher, which runs `prepare`).
    ignoreScripts: true,
    allowGit: 'none',
  };
  base.timeout ??= DEFAULT_TIMEOUT_MS;
  if (opts.fresh) {
    base.preferOnline = true;
    base.preferOffline = false;
    base.offline = false;
  }
  if (opts.integrity) base.integrity = opts.integrity;
  return base;
}

function parseSpec(spec: string, where: string): Spec {
  try {
    return npa(spec, where);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new FetchError(`EINVALIDSPEC: "${spec}" is not a valid package spec (${detail}); use name, name@range, a .tgz path or a folder`, spec, 'EINVALIDSPEC', { cause: err });
  }
}

export interface ResolvedManifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
}

/**
 * Resolve a registry spec (name, name@range, npm: alias) to one version's manifest, from the
 * packument only: nothing is downloaded or run. For planning what an install would add.
 */
export async function resolveManifest(spec: string, opts: FetchOptions = {}): Promise<ResolvedManifest> {
  const where = path.resolve(opts.where ?? process.cwd());
  const parsed = parseSpec(spec, where);
  if (sourceOf(parsed) !== 'registry' && sourceOf(parsed) !== 'alias') throw new FetchError(`ENOTREGISTRY: "${spec}" is not a registry spec`, spec, 'ENOTREGISTRY');
  const base = pacoteOptions(opts, where);
  try {
    const m = (await withDeadline(spec, 'package metadata', opts, (signal) => pacote.manifest(spec, { ...base, signal }))) as unknown as Record<string, unknown>;
    const deps = (v: unknown): Record<string, string> =>
      typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
    return { name: String(m.name), version: String(m.version), dependencies: deps(m.dependencies), optionalDependencies: deps(m.optionalDependencies) };
  } catch (err) {
    throw toFetchError(err, spec, parsed, base);
  }
}

/**
 * Download a tarball URL into the download cache (`opts.cache`) without holding its bytes: an
 * audit downloads every tarball at once this way, as fast as the network allows, then reads each
 * back from the cache (pacote looks a tarball up there by its integrity first) when its analysis
 * is due. Holding downloaded bytes until their turn instead forces a choice between memory and
 * starting a large download late: next's 44 MB tarball alone takes seconds to arrive.
 * Errors are thrown as by fetchTarball; the caller may ignore them and let the real fetch report.
 */
export async function prefetchTarball(spec: string, opts: FetchOptions = {}): Promise<number> {
  const where = path.resolve(opts.where ?? process.cwd());
  const parsed = parseSpec(spec, where);
  if (sourceOf(parsed) !== 'remote') throw new FetchError(`ENOTREMOTE: "${spec}" is not a tarball URL; only those are prefetched`, spec, 'ENOTREMOTE');
  const max = opts.maxTarballBytes ?? DEFAULT_MAX_TARBALL_BYTES;
  const base = pacoteOptions(opts, where);
  try {
    return await withDeadline(spec, 'tarball', opts, (signal) =>
      pacote.tarball.stream(spec, async (stream: AsyncIterable<Buffer>) => {
        absorbLateErrors(stream);
        let size = 0;
        for await (const chunk of stream) {
          size += chunk.length;
          if (size > max) throw tooBig(spec, max);
        }
        return size;
      }, { ...base, signal }),
    );
  } catch (err) {
    throw toFetchError(err, spec, parsed, base);
  }
}

/**
 * Fetch the tarball a spec names, without running anything from it. Registry specs are resolved
 * to one version first, so the result says which version was scanned and its integrity is checked
 * against the registry's `dist.integrity` (and against `opts.integrity` if given).
 */
export async function fetchTarball(spec: string, opts: FetchOptions = {}): Promise<FetchedTarball> {
  const where = path.resolve(opts.where ?? process.cwd());
  const parsed = parseSpec(spec, where);
  const source = sourceOf(parsed);
  if (source === 'git') {
    // npm reads `owner/repo` as GitHub shorthand, so a relative folder named without `./` lands here.
    const hint = fs.existsSync(path.resolve(where, spec)) ? ` (if you meant the local folder, write it as ./${spec})` : '';
    throw new FetchError(
      `EGIT: "${spec}" is a git dependency; git dependencies are not fetched because fetching them ` +
        `can run the package's prepare scripts. Report it as is, or scan a published version or a local checkout instead${hint}.`,
      spec,
      'EGIT',
    );
  }
  const max = opts.maxTarballBytes ?? DEFAULT_MAX_TARBALL_BYTES;
  const base = pacoteOptions(opts, where);

  try {
    if (source === 'registry' || source === 'alias') {
      // One packument request: the manifest call fills the cache the tarball call reads from.
      const packumentCache = new Map();
      const manifest = await withDeadline(spec, 'package metadata', opts, (signal) => pacote.manifest(spec, { ...base, packumentCache, signal }));
      const exact = `${manifest.name}@${manifest.version}`;
      const data = await withDeadline(spec, 'tarball', opts, (signal) =>
        pacote.tarball.stream(exact, (s) => collect(s, max, spec), {
          ...base,
          packumentCache,
          signal,
          // Pin to exactly what the manifest said (pacote has already checked it against opts.integrity).
          integrity: manifest._integrity || opts.integrity,
          resolved: manifest._resolved,
        }),
      );
      return {
        spec,
        name: manifest.name,
        version: manifest.version,
        source,
        integrity: manifest._integrity || sri(data),
        resolved: manifest._resolved,
        data,
      };
    }

    if (source === 'directory') {
      // Reading the folder's package.json is safe (no scripts), and the tree is required to pack.
      const manifest = (await pacote.manifest(spec, base)) as unknown as Record<string, unknown>;
      const escaped: string[] = [];
      const tree = miniTree(parsed.fetchSpec as string, manifest, escaped);
      const data = await pacote.tarball.stream(spec, (s) => collect(s, max, spec), { ...base, tree });
      return {
        findings: escaped.map((link) => ({
          rule: 'unpack-hazard',
          severity: 'high' as const,
          message: `bundled dependency ${link} is a link out of the scanned folder: not followed, not read, so not analyzed`,
          file: link.slice(0, link.indexOf(' -> ')),
          signals: ['unpack-hazard' as const, 'analysis-gap' as const],
        })),
        spec,
        name: typeof manifest.name === 'string' ? manifest.name : undefined,
        version: typeof manifest.version === 'string' ? manifest.version : undefined,
        source,
        integrity: sri(data),
        resolved: parsed.fetchSpec ?? undefined,
        data,
      };
    }

    // file / remote: pacote streams the bytes (checking opts.integrity if given); we read
    // name/version from memory rather than via pacote.manifest, which would extract to disk.
    if (source === 'file') {
      // Cheap early refusal; collect() still enforces the limit while reading.
      if ((await fs.promises.stat(parsed.fetchSpec as string)).size > max) throw tooBig(spec, max);
    }
    const data = await withDeadline(spec, 'tarball', opts, (signal) => pacote.tarball.stream(spec, (s) => collect(s, max, spec, opts.expectedBytes), { ...base, signal }));
    const { name, version } = opts.skipIdentity ? {} : await peekManifest(data);
    // pacote has verified the bytes against the integrity we gave it: that is their SRI already.
    return { spec, name, version, source, integrity: opts.integrity ?? sri(data), resolved: parsed.fetchSpec ?? undefined, data };
  } catch (err) {
    throw toFetchError(err, spec, parsed, base);
  }
}
