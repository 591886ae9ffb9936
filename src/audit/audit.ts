// The audit pipeline: lockfile entries -> units (one per distinct tarball / folder / git dep)
// -> results cache -> fetch by tarball URL + lockfile integrity (no packument requests) ->
// analyze -> store -> rank. One failing unit never stops the others: it becomes an `error`
// result, never a clean one.
import pLimit from 'p-limit';
import { analyzeUnpacked, errorResult, rankResults, scoreAnalyzed, unpackForAnalysis } from '../scan.js';
import { fetchTarball, FetchError, prefetchTarball, type FetchedTarball } from '../fetch/fetch.js';
import type { EngineOptions } from '../engine/run/analyze.js';
import type { Rule } from '../engine/run/rule.js';
import type { ResultCache } from '../cache/results.js';
import type { LockEntry, Lockfile } from '../lockfile/types.js';
import type { Finding, ReportedPackage } from '../types.js';
import fs from 'node:fs';
import path from 'node:path';
import { planUnits, registryFor, type Unit } from './plan.js';
import { redactUrl } from '../io/redact.js';
import type { ProgressState } from './progress.js';
import { AnalysisPool } from './analysis-pool.js';
import { ByteGate } from './byte-gate.js';

export interface AuditOptions {
  /** Folder local paths in the lockfile are relative to (the lockfile's folder). */
  root: string;
  npmConfig: Record<string, unknown>;
  /** Download cache (cacache) folder; pacote's default when absent. */
  downloadCache?: string;
  results?: ResultCache;
  /** Units fetched and analyzed at once (default 8: fetching overlaps analysis). */
  concurrency?: number;
  engine?: EngineOptions;
  rules?: readonly Rule[];
  /** Skip dev-only packages. */
  prod?: boolean;
  timeoutMs?: number;
  /** Total time per download (see FetchOptions.deadlineMs). */
  deadlineMs?: number;
  /**
   * Refuse registry and tarball entries that have no integrity (an error result, nothing fetched).
   * Off: they are fetched once and scanned by the sha512 of what was read, with a finding.
   */
  requireIntegrity?: boolean;
  onProgress?: (s: ProgressState) => void;
  /**
   * Worker threads for unpack + analysis (compiled code only). Default 0: on this thread, one
   * package at a time, which measured the least memory (about 630 MB peak on the benchmark
   * lockfile against about 1.1 GB with two workers). Two workers, with large packages sharded
   * across them, were about 20% faster on this shared 2-vCPU machine: two threads that allocate
   * as hard as a parser does share the cores' caches and the collector's helper threads, so the
   * second core adds far less than a second core's worth. Custom `rules` always run in-process.
   */
  workers?: number;
}

/** A result plus where it sits in the project. */
export interface AuditedPackage extends ReportedPackage {
  paths: string[][];
  dev: boolean;
  optional: boolean;
  kind: LockEntry['kind'];
  aliases: string[];
  /** Served from the results cache. */
  cached: boolean;
}

export interface AuditSummary {
  entries: number;
  units: number;
  scanned: number;
  cached: number;
  errors: number;
  notFetchedGit: number;
  skippedDev: number;
  skipped: Array<{ name: string; version: string; reason: string; count: number }>;
  bytes: number;
  ms: number;
}

export interface AuditReport {
  lockfile: Lockfile;
  packages: AuditedPackage[];
  summary: AuditSummary;
}

/** Bytes of tarballs read back from the download cache and waiting to be unpacked, at most. */
export const DOWNLOAD_AHEAD_BYTES = 16 * 1024 * 1024;

export const GIT_NOT_FETCHED = 'git dependency not fetched';

function gitResult(u: Unit): ReportedPackage {
  const finding: Finding = {
    rule: 'git-dependency',
    severity: 'medium',
    message: `not fetched: git dependency ${redactUrl(u.target || u.name)}. Fetching a git dependency runs its prepare script, so Tollgate does not; review the commit by hand or depend on a published version`,
    evidence: u.target ? redactUrl(u.target) : undefined,
  };
  return { name: u.name, version: u.version, source: 'git', score: 0, verdict: 'error', reasons: [GIT_NOT_FETCHED], findings: [finding], error: `${u.name}: ${GIT_NOT_FETCHED} (${redactUrl(u.target)})` };
}

function integrityResult(u: Unit, err: FetchError): ReportedPackage {
  const finding: Finding = {
    rule: 'integrity-mismatch',
    severity: 'high',
    message: `the tarball served for ${u.name}@${u.version} does not match the lockfile's integrity: possible tampering (of the registry response, a proxy, or the lockfile). Nothing from it was analyzed or should be installed`,
    evidence: u.integrity,
  };
  return { ...errorResult(`${u.name}@${u.version}`, err), name: u.name, version: u.version, source: 'registry', integrity: u.integrity, findings: [finding] };
}

/**
 * Cache key of a unit before fetching: the lockfile's integrity. Never the URL: what a URL serves
 * can change (or depend on who asks), so an entry without integrity is fetched, and its result is
 * looked up by the sha512 of the bytes read.
 */
function preKey(u: Unit): string | undefined {
  if (u.action !== 'fetch') return undefined;
  return u.integrity ? `sri:${u.integrity}` : undefined;
}

/**
 * Findings about where a unit comes from, added to every result for it (fresh or cached, never
 * stored): no integrity in the lockfile, or a registry entry served by another host than the
 * registry npm is configured with for its name.
 */
function sourceFindings(u: Unit, npmConfig: Record<string, unknown>, requireIntegrity: boolean): Finding[] {
  if (u.action !== 'fetch') return [];
  const out: Finding[] = [];
  if (!u.integrity) {
    out.push({
      rule: 'no-integrity',
      severity: requireIntegrity ? 'high' : 'medium',
      message: requireIntegrity
        ? `the lockfile has no integrity for ${u.name}@${u.version}: refused (--require-integrity). Regenerate the lockfile so it pins a sha512, or pass --no-require-integrity to scan what the URL serves now`
        : `the lockfile has no integrity for ${u.name}@${u.version}: what is installed is whatever ${hostOf(u.target)} serves at install time; this scan covers the bytes it served now (their sha512 is the reported integrity)`,
      evidence: redactUrl(u.target),
    });
  }
  if (isForeign(u, npmConfig)) {
    out.push({
      rule: 'foreign-registry',
      severity: 'medium',
      message: `${u.name}@${u.version} is a registry package but the lockfile fetches it from ${hostOf(u.target)}, not from the configured registry ${hostOf(registryFor(u.name, npmConfig))}`,
      evidence: redactUrl(u.target),
    });
  }
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return redactUrl(url);
  }
}

/** A registry entry whose tarball URL is not under the configured registry for its name. */
function isForeign(u: Unit, npmConfig: Record<string, unknown>): boolean {
  return u.entries[0]!.kind === 'registry' && !u.target.startsWith(registryFor(u.name, npmConfig));
}

/** A file: / link: / workspace target must resolve (symlinks too) inside the project folder. */
function outsideProject(u: Unit, root: string): boolean {
  if (u.action !== 'folder' && u.action !== 'local-tarball') return false;
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const rel = path.relative(real(root), real(u.target));
  return rel.startsWith('..') || path.isAbsolute(rel);
}

function outsideResult(u: Unit): ReportedPackage {
  const finding: Finding = {
    rule: 'outside-project',
    severity: 'high',
    message: `${u.name}${u.version ? `@${u.version}` : ''} points outside the project folder (${u.target}); Tollgate does not read it. Move the dependency into the project, or scan that folder on its own`,
    evidence: u.target,
  };
  return { name: u.name, version: u.version, source: u.action === 'folder' ? 'directory' : 'file', score: 0, verdict: 'error', reasons: ['points outside the project folder: not read'], findings: [finding], error: `${u.name}: ${finding.message}` };
}

function refusedResult(u: Unit, findings: Finding[]): ReportedPackage {
  const message = findings.find((f) => f.rule === 'no-integrity')!.message;
  return { name: u.name, version: u.version, source: isForeignSource(findings), score: 0, verdict: 'error', reasons: ['no integrity in the lockfile: refused'], findings, error: `${u.name}@${u.version}: ${message}` };
}

const isForeignSource = (findings: readonly Finding[]): string => (findings.some((f) => f.rule === 'foreign-registry') ? 'remote' : 'registry');

export async function runAudit(lockfile: Lockfile, opts: AuditOptions): Promise<AuditReport> {
  const started = performance.now();
  const wanted = opts.prod ? lockfile.entries.filter((e) => !e.dev) : lockfile.entries;
  const units = planUnits(wanted, opts.root, opts.npmConfig);
  const work = units.filter((u) => u.action !== 'skip');
  const progress: ProgressState = { done: 0, total: work.length, bytes: 0, cached: 0, doneBytes: 0, pendingBytes: 0, unsized: work.length };
  // Tarball sizes as they become known (prefetched or fetched), for an ETA weighed by bytes.
  const sizes = new Map<Unit, number>();
  const finished = new Set<Unit>();
  const sized = (u: Unit, n: number) => {
    if (finished.has(u)) return;
    if (sizes.has(u)) {
      progress.pendingBytes! += n - sizes.get(u)!;
    } else {
      progress.pendingBytes! += n;
      progress.unsized!--;
    }
    sizes.set(u, n);
  };
  const limit = pLimit(Math.max(1, opts.concurrency ?? 8));
  // Downloads overlap; analysis runs one package at a time. Analysis is single-threaded anyway, and
  // letting eight unpacked packages wait in memory at once is what made RSS spike. The analysis
  // hands the thread back between files (analyzePackageAsync), so downloads go on meanwhile.
  // Unpacking is a stage of its own, one package ahead of the analysis: the gunzip of a large
  // tarball runs on libuv's thread pool, and done in turn with the analysis its wall time (7.4 s
  // for the benchmark lockfile's 973 MB decompressed, mostly waiting) added to the analysis's.
  const unpackLimit = pLimit(1);
  const analyzeLimit = pLimit(1);
  // At most one package unpacked ahead of the one being analyzed: unpacked, a package is about
  // three times its tarball.
  const pipelineLimit = pLimit(2);
  // Name and version come from the unpacked manifest (and are checked against the lockfile).
  const fetchOpts = { npmConfig: opts.npmConfig, cache: opts.downloadCache, where: opts.root, timeoutMs: opts.timeoutMs, deadlineMs: opts.deadlineMs, skipIdentity: true };
  const requireIntegrity = opts.requireIntegrity ?? false;
  const gate = new ByteGate(DOWNLOAD_AHEAD_BYTES);
  const pool = opts.rules || !opts.workers ? undefined : AnalysisPool.create({ size: opts.workers });

  // Every tarball not in the results cache is downloaded into the download cache at once, up to
  // `concurrency` at a time, without waiting for analysis: the network finishes as early as it can
  // and no download starts late (next's 44 MB took 7 s to arrive, and started 15 s into a cold
  // audit when downloads waited on the analysis). Each unit then reads its tarball back from the
  // cache when its analysis is due, so memory holds only what waits for the analysis.
  const hits = new Map<Unit, ReportedPackage>();
  const prefetched = new Map<Unit, Promise<number | undefined>>();
  const prefetchLimit = pLimit(Math.max(1, opts.concurrency ?? 8));
  for (const u of work) {
    const key = preKey(u);
    const hit = key ? opts.results?.get(key) : undefined;
    if (hit) hits.set(u, hit);
    // Entries without integrity are fetched once, by the analysis itself: two requests could get two different answers.
    else if (u.action === 'fetch' && u.integrity && /^https?:/i.test(u.target)) {
      // A failed prefetch is ignored here: the unit's own fetch tries again and reports the error.
      prefetched.set(
        u,
        prefetchLimit(() => prefetchTarball(u.target, { ...fetchOpts, integrity: u.integrity })).then(
          (n) => {
            if (typeof n === 'number') sized(u, n);
            return n;
          },
          () => undefined,
        ),
      );
    }
  }

  const analyzeUnit = async (u: Unit): Promise<{ result: ReportedPackage; cached: boolean }> => {
    if (u.action === 'git') return { result: gitResult(u), cached: false };
    if (outsideProject(u, opts.root)) return { result: outsideResult(u), cached: false };
    const origin = sourceFindings(u, opts.npmConfig, requireIntegrity);
    if (requireIntegrity && !u.integrity && u.action === 'fetch') return { result: refusedResult(u, origin), cached: false };
    const { result, cached } = await analyzeSourced(u);
    if (!origin.length) return { result, cached };
    // Added after the cache write, so a stored result never carries (or hides) them.
    return { result: { ...result, source: result.verdict === 'error' ? result.source : isForeignSource(origin), findings: [...origin, ...result.findings] }, cached };
  };

  const analyzeSourced = async (u: Unit): Promise<{ result: ReportedPackage; cached: boolean }> => {
    const key = preKey(u);
    const hit = hits.get(u);
    if (hit) return { result: hit, cached: true };
    // Its size is known once prefetched: the bytes are reserved before they are read back.
    const expected = await prefetched.get(u);
    await gate.acquire(expected ?? 0);
    const t0 = performance.now();
    let fetched: FetchedTarball | undefined;
    try {
      fetched = await fetchTarball(u.target, { ...fetchOpts, integrity: u.integrity, expectedBytes: expected, fresh: !u.integrity });
    } catch (err) {
      gate.release(expected ?? 0);
      if (err instanceof FetchError && err.code === 'EINTEGRITY') return { result: integrityResult(u, err), cached: false };
      const e = err instanceof Error ? err : new Error(String(err));
      return { result: { ...errorResult(`${u.name}@${u.version}`, e), name: u.name, version: u.version }, cached: false };
    }
    const size = fetched.data.length;
    progress.bytes += size;
    sized(u, size);
    gate.adjust(size - (expected ?? 0));
    // The budget is for tarballs waiting their turn: once this one is being unpacked (one at a
    // time), it no longer waits, and others may be read while it is unpacked and analyzed.
    let waiting = true;
    const started = () => {
      if (waiting) gate.release(size);
      waiting = false;
    };
    // From here the tarball is owned by `tarball`, which the analysis empties once it is unpacked:
    // holding next's 44 MB through its whole analysis was a tenth of the audit's peak memory.
    const tarball = { data: fetched.data, name: fetched.name, version: fetched.version, integrity: fetched.integrity, spec: fetched.spec, source: fetched.source, findings: fetched.findings };
    fetched = undefined;
    try {
      return await analyzeFetched(u, key, tarball, t0, started);
    } finally {
      started();
    }
  };

  const analyzeFetched = async (u: Unit, key: string | undefined, tarball: Omit<FetchedTarball, 'packument' | 'manifest'> & { source: string }, t0: number, started: () => void = () => {}): Promise<{ result: ReportedPackage; cached: boolean }> => {
    // Folders and local tarballs have no integrity until read: look them up by what was read.
    const postKey = `sri:${tarball.integrity}`;
    if (!key && tarball.integrity) {
      const again = opts.results?.get(postKey);
      if (again) return { result: again, cached: true };
    }
    const fetchMs = Math.round(performance.now() - t0);
    const source = tarball.source;
    let result: ReportedPackage;
    try {
      result = pool
        ? await pool.analyze(tarball, opts.engine)
        : await pipelineLimit(async () => {
            const unpacked = await unpackLimit(() => {
              started();
              return unpackForAnalysis(tarball, { release: true });
            });
            return scoreAnalyzed(await analyzeLimit(() => analyzeUnpacked(unpacked, { engine: opts.engine, rules: opts.rules })), tarball.findings);
          });
      if (pool && tarball.findings?.length) result = { ...result, findings: [...tarball.findings, ...result.findings] };
    } catch (err) {
      return { result: { ...errorResult(`${u.name}@${u.version}`, new Error(`analysis failed (${(err as Error).message}); please report this with the package name`)), name: u.name, version: u.version }, cached: false };
    }
    if (result.timing) result.timing.fetchMs = fetchMs;
    if (u.action === 'fetch') checkIdentity(u, result);
    result.source = u.action === 'fetch' ? (u.entries[0]!.kind === 'registry' && !isForeign(u, opts.npmConfig) ? 'registry' : 'remote') : source;
    // What was scanned, by content: the lockfile's integrity, or the sha512 of the bytes read.
    result.integrity = tarball.integrity;
    opts.results?.put(key ?? postKey, result);
    return { result, cached: false };
  };

  let packages: AuditedPackage[];
  try {
    packages = await Promise.all(
      work.map((u) =>
        limit(async (): Promise<AuditedPackage> => {
          progress.current = `${u.name}${u.version ? '@' + u.version : ''}`;
          const { result, cached } = await analyzeUnit(u);
          progress.done++;
          if (cached) progress.cached++;
          const size = sizes.get(u);
          if (size === undefined) progress.unsized!--;
          else {
            progress.pendingBytes! -= size;
            if (!cached) progress.doneBytes! += size;
          }
          sizes.delete(u);
          finished.add(u);
          opts.onProgress?.(progress);
          return toAudited(u, result, cached);
        }),
      ),
    );
  } finally {
    await pool?.close();
  }

  const skipped = new Map<string, AuditSummary['skipped'][number]>();
  for (const u of units.filter((x) => x.action === 'skip')) {
    const k = `${u.name}@${u.version}|${u.reason}`;
    const s = skipped.get(k);
    if (s) s.count += u.entries.length;
    else skipped.set(k, { name: u.name, version: u.version, reason: u.reason ?? 'skipped', count: u.entries.length });
  }
  const ranked = rankResults(packages) as AuditedPackage[];
  return {
    lockfile,
    packages: ranked,
    summary: {
      entries: lockfile.entries.length,
      units: units.length,
      scanned: packages.filter((p) => !p.cached && p.verdict !== 'error').length,
      cached: packages.filter((p) => p.cached).length,
      errors: packages.filter((p) => p.verdict === 'error' && !isGitResult(p)).length,
      notFetchedGit: packages.filter(isGitResult).length,
      skippedDev: lockfile.entries.length - wanted.length,
      skipped: [...skipped.values()],
      bytes: progress.bytes,
      ms: Math.round(performance.now() - started),
    },
  };
}

/**
 * The tarball a lockfile points at must be the package the lockfile names. A resolved URL swapped
 * for another package's tarball (with a matching integrity) is the "lockfile injection" attack.
 */
function checkIdentity(u: Unit, result: ReportedPackage): void {
  const nameOk = result.name === u.name;
  const versionOk = !u.version || !result.version || result.version === u.version;
  if (nameOk && versionOk) return;
  result.findings.unshift({
    rule: 'lockfile-mismatch',
    severity: 'high',
    message: `the lockfile names ${u.name}@${u.version} but the tarball it points to is ${result.name}@${result.version}: the lockfile may have been edited to install something else`,
    evidence: redactUrl(u.target),
  });
  result.reasons.unshift(`lockfile entry ${u.name}@${u.version} resolves to a tarball of ${result.name}@${result.version}`);
  if (result.verdict === 'clean') result.verdict = 'suspicious';
  result.score = Math.max(result.score, 50);
}

export function isGitResult(p: ReportedPackage): boolean {
  return p.verdict === 'error' && p.findings.some((f) => f.rule === 'git-dependency');
}

function toAudited(u: Unit, result: ReportedPackage, cached: boolean): AuditedPackage {
  const seen = new Set<string>();
  const paths = u.entries
    .flatMap((e) => e.paths)
    .sort((a, b) => a.length - b.length)
    .filter((p) => {
      const k = p.join('\0');
      return !seen.has(k) && seen.add(k);
    })
    .slice(0, 3);
  const aliases = [...new Set(u.entries.map((e) => e.alias).filter((a): a is string => !!a))];
  return {
    ...result,
    // The lockfile's identity, which is what the user installs (the manifest inside may differ).
    name: u.name,
    version: u.version || result.version,
    paths,
    dev: u.entries.every((e) => e.dev),
    optional: u.entries.every((e) => e.optional),
    kind: u.entries[0]!.kind,
    aliases,
    cached,
  };
}
