import pLimit from 'p-limit';
import type { ReportedPackage } from './types.js';
import { fetchTarball, FetchError, type FetchOptions, type FetchedTarball } from './fetch/fetch.js';
import { unpackTarball } from './unpack/tarball.js';
import { analyzePackage, analyzePackageAsync, DEFAULT_ENGINE_OPTIONS, type EngineOptions, type FileProgress } from './engine/run/analyze.js';
import { scoreFindings } from './score/score.js';
import type { Rule } from './engine/run/rule.js';
import { RULES } from '../heuristics/index.js';
import type { Finding, UnpackedPackage } from './types.js';
import type { Analysis } from './engine/run/analyze.js';
import type { ResultCache } from './cache/results.js';
import { registrySignals, type RegistrySignalOptions } from './registry/signals.js';
import { resultKey, type PreviousAnalysis } from './registry/release-diff.js';
import { withContext } from './report/excerpt.js';

export interface ScanOptions {
  fetch?: FetchOptions;
  engine?: EngineOptions;
  rules?: readonly Rule[];
  concurrency?: number;
  /** Called as each target finishes, for progress output. */
  onResult?: (result: ReportedPackage, done: number, total: number) => void;
  /** Called every few tens of milliseconds while one package's files are analyzed (a large package takes seconds). */
  onFiles?: (name: string, progress: Readonly<FileProgress>) => void;
  /**
   * Registry evidence (packument, manifest confusion, release diff, private-scope confusion), added
   * to the package's findings before scoring. Absent: code evidence only (the CLI turns it on).
   */
  registry?: RegistrySignalOptions & {
    /** Analyses of previous versions are read from and written to this cache. */
    results?: ResultCache;
  };
}

type TarballInput = Pick<FetchedTarball, 'data' | 'name' | 'version' | 'integrity' | 'spec'> & { source?: string };

/** A package unpacked and analyzed, not yet scored: registry evidence can still be added. */
export interface AnalyzedTarball {
  tarball: TarballInput;
  unpacked: UnpackedPackage;
  analysis: Analysis;
  /** Unpack and analysis time; the registry step in between is not counted. */
  analyzeMs: number;
}

/** Tarball bytes handed over for good: the analysis empties `data` once the package is unpacked. */
export interface ReleaseOption {
  release?: boolean;
}

const RELEASED = Buffer.alloc(0);

/** Unpack and analyze tarball bytes already in hand (no scoring yet). */
export async function analyzeUnscored(tarball: TarballInput, options: Pick<ScanOptions, 'engine' | 'rules' | 'onFiles'> & ReleaseOption = {}): Promise<AnalyzedTarball> {
  return analyzeUnpacked(await unpackForAnalysis(tarball, options), options);
}

/** A tarball unpacked in memory, waiting for its analysis. */
export interface UnpackedTarball {
  tarball: TarballInput;
  unpacked: UnpackedPackage;
  unpackMs: number;
}

/** The first half of analyzeUnscored: gunzip and untar, in memory. */
export async function unpackForAnalysis(tarball: TarballInput, options: ReleaseOption = {}): Promise<UnpackedTarball> {
  const started = performance.now();
  const unpacked = await unpackTarball(tarball.data);
  if (options.release) tarball.data = RELEASED;
  return { tarball, unpacked, unpackMs: performance.now() - started };
}

/** The second half of analyzeUnscored: every rule over a package already unpacked. */
export async function analyzeUnpacked(u: UnpackedTarball, options: Pick<ScanOptions, 'engine' | 'rules' | 'onFiles'> = {}): Promise<AnalyzedTarball> {
  const started = performance.now();
  const label = `${u.unpacked.manifest?.name ?? u.tarball.name ?? u.tarball.spec}${u.unpacked.manifest?.version ? `@${u.unpacked.manifest.version}` : ''}`;
  const onFiles = options.onFiles;
  const analysis = await analyzePackageAsync(u.unpacked, options.rules ?? RULES, options.engine ?? DEFAULT_ENGINE_OPTIONS, 20, onFiles ? (p) => onFiles(label, p) : undefined);
  return { tarball: u.tarball, unpacked: u.unpacked, analysis: { ...analysis, findings: withContext(analysis.findings, u.unpacked.files) }, analyzeMs: u.unpackMs + performance.now() - started };
}

/** Score an analysis together with any findings added after it (registry evidence) and report it. */
export function scoreAnalyzed(a: AnalyzedTarball, extra: readonly Finding[] = []): ReportedPackage {
  const part: AnalysisPart = { name: a.unpacked.manifest?.name, version: a.unpacked.manifest?.version, findings: [...a.analysis.findings, ...extra], codeBytes: a.analysis.stats.codeBytes, analyzeMs: a.analyzeMs };
  return scoreParts(a.tarball, [part]);
}

/** What one analysis (or one shard of it) hands back for scoring: small enough to post between threads. */
export interface AnalysisPart {
  name?: string;
  version?: string;
  findings: Finding[];
  codeBytes: number;
  analyzeMs: number;
}

/** Analyze one shard (EngineOptions.shard) of a package already unpacked, unscored. */
export function analyzePart(unpacked: UnpackedPackage, options: Pick<ScanOptions, 'engine' | 'rules'> = {}): AnalysisPart {
  const started = performance.now();
  const analysis = analyzePackage(unpacked, options.rules ?? RULES, options.engine ?? DEFAULT_ENGINE_OPTIONS);
  return { name: unpacked.manifest?.name, version: unpacked.manifest?.version, findings: withContext(analysis.findings, unpacked.files), codeBytes: analysis.stats.codeBytes, analyzeMs: performance.now() - started };
}

/**
 * The findings of every shard of one package, scored together as one analysis. The shards ran at
 * once, so the package's analysis time is the longest shard's.
 */
export function scoreParts(tarball: Omit<TarballInput, 'data'>, parts: readonly AnalysisPart[]): ReportedPackage {
  const started = performance.now();
  // One order whatever the shards' order, so the reasons a score gives are the same too.
  const findings = parts.flatMap((p) => p.findings).sort(byImportance);
  const scored = scoreFindings(findings);
  const first = parts[0];
  return {
    name: first?.name ?? tarball.name ?? tarball.spec,
    version: first?.version ?? tarball.version ?? '',
    source: tarball.source ?? 'file',
    integrity: tarball.integrity,
    score: scored.score,
    verdict: scored.verdict,
    reasons: scored.reasons,
    findings,
    timing: { fetchMs: 0, analyzeMs: Math.round(Math.max(0, ...parts.map((p) => p.analyzeMs)) + performance.now() - started), bytes: parts.reduce((n, p) => n + p.codeBytes, 0) },
  };
}

/** Analyze tarball bytes already in hand: unpack -> analyze -> score. Pure apart from timing. */
export async function analyzeTarball(tarball: TarballInput, options: Pick<ScanOptions, 'engine' | 'rules'> & ReleaseOption = {}): Promise<ReportedPackage> {
  return scoreAnalyzed(await analyzeUnscored(tarball, options));
}

/**
 * The registry step, between analysis and scoring: what the registry knows about this package and
 * its previous release. Failures become `analysis-gap` findings inside; this never throws.
 */
export async function collectRegistrySignals(fetched: FetchedTarball, analyzed: AnalyzedTarball, options: ScanOptions): Promise<Finding[]> {
  const reg = options.registry;
  if (!reg) return [];
  const manifest = analyzed.unpacked.manifest;
  const name = fetched.name ?? manifest?.name;
  const version = fetched.version ?? manifest?.version;
  if (!name || !version) return [];
  // The previous release: from the results cache when present, else fetched like any registry spec
  // (so scoped registries and tarball-host rewriting apply) pinned to the packument's integrity,
  // then analyzed with the same engine and cached.
  const analyzeVersion = async (v: string, meta: { dist?: { integrity?: string } }): Promise<PreviousAnalysis> => {
    const integrity = meta.dist?.integrity;
    const hit = integrity ? reg.results?.get(resultKey(integrity)) : undefined;
    if (hit) return { result: hit, cached: true };
    try {
      const prev = await fetchTarball(`${name}@${v}`, { ...options.fetch, integrity });
      const result = await analyzeTarball({ ...prev, source: 'registry' }, options);
      if (integrity) reg.results?.put(resultKey(integrity), result);
      return { result, cached: false };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
  try {
    return await registrySignals(
      { name, version, source: fetched.source, manifest, files: analyzed.unpacked.files.keys(), findings: analyzed.analysis.findings },
      { npmConfig: options.fetch?.npmConfig, timeoutMs: options.fetch?.timeoutMs, ...reg },
      analyzeVersion,
    );
  } catch (err) {
    return [{ rule: 'registry-metadata', severity: 'low', message: `registry checks failed (${(err as Error).message}); they are missing evidence, not a clean result`, signals: ['analysis-gap'] }];
  }
}

const SEV_RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 } as const;
function byImportance(a: { severity: keyof typeof SEV_RANK; file?: string; line?: number; column?: number; rule: string; message: string }, b: typeof a): number {
  return (
    SEV_RANK[b.severity] - SEV_RANK[a.severity] ||
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    a.rule.localeCompare(b.rule) ||
    a.message.localeCompare(b.message)
  );
}

/** A target that could not be fetched or read: never reported as clean. */
export function errorResult(spec: string, err: unknown): ReportedPackage {
  const message = err instanceof Error ? err.message : String(err);
  return {
    name: spec,
    version: '',
    source: 'unknown',
    score: 0,
    verdict: 'error',
    reasons: [message],
    findings: [],
    error: message,
  };
}

export async function scanTarget(spec: string, options: ScanOptions = {}): Promise<ReportedPackage> {
  const t0 = performance.now();
  let fetched: FetchedTarball;
  try {
    fetched = await fetchTarball(spec, options.fetch);
  } catch (err) {
    return errorResult(spec, err instanceof FetchError ? err : new Error(`${spec}: ${(err as Error).message}`));
  }
  const fetchMs = Math.round(performance.now() - t0);
  try {
    const analyzed = await analyzeUnscored({ ...fetched, source: fetched.source }, options);
    const registry = await collectRegistrySignals(fetched, analyzed, options);
    const result = scoreAnalyzed(analyzed, [...(fetched.findings ?? []), ...registry]);
    if (result.timing) result.timing.fetchMs = fetchMs;
    return result;
  } catch (err) {
    return errorResult(spec, new Error(`${spec}: analysis failed (${(err as Error).message}); please report this with the package name`));
  }
}

/** Scan many targets with bounded concurrency; one failure never stops the others. */
export async function scanTargets(specs: readonly string[], options: ScanOptions = {}): Promise<ReportedPackage[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  let done = 0;
  const results = await Promise.all(
    specs.map((spec) =>
      limit(async () => {
        const r = await scanTarget(spec, options);
        done++;
        options.onResult?.(r, done, specs.length);
        return r;
      }),
    ),
  );
  return rankResults(results);
}

const VERDICT_RANK = { malicious: 3, suspicious: 2, error: 1, clean: 0 } as const;
export function rankResults(results: readonly ReportedPackage[]): ReportedPackage[] {
  return [...results].sort((a, b) => VERDICT_RANK[b.verdict] - VERDICT_RANK[a.verdict] || b.score - a.score || a.name.localeCompare(b.name));
}
