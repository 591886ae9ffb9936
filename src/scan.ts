import pLimit from 'p-limit';
import type { ReportedPackage } from './types.js';
import { fetchTarball, FetchError, type FetchOptions, type FetchedTarball } from './fetch/fetch.js';
import { unpackTarball } from './unpack/tarball.js';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './engine/analyze.js';
import { scoreFindings } from './score/score.js';
import type { Rule } from './engine/rule.js';
import { RULES } from '../heuristics/index.js';

export interface ScanOptions {
  fetch?: FetchOptions;
  engine?: EngineOptions;
  rules?: readonly Rule[];
  concurrency?: number;
  /** Called as each target finishes, for progress output. */
  onResult?: (result: ReportedPackage, done: number, total: number) => void;
}

/** Analyze tarball bytes already in hand: unpack -> analyze -> score. Pure apart from timing. */
export async function analyzeTarball(
  tarball: Pick<FetchedTarball, 'data' | 'name' | 'version' | 'integrity' | 'spec'> & { source?: string },
  options: Pick<ScanOptions, 'engine' | 'rules'> = {},
): Promise<ReportedPackage> {
  const started = performance.now();
  const unpacked = await unpackTarball(tarball.data);
  const analysis = analyzePackage(unpacked, options.rules ?? RULES, options.engine ?? DEFAULT_ENGINE_OPTIONS);
  const scored = scoreFindings(analysis.findings);
  const findings = [...analysis.findings].sort(byImportance);
  return {
    name: unpacked.manifest?.name ?? tarball.name ?? tarball.spec,
    version: unpacked.manifest?.version ?? tarball.version ?? '',
    source: tarball.source ?? 'file',
    integrity: tarball.integrity,
    score: scored.score,
    verdict: scored.verdict,
    reasons: scored.reasons,
    findings,
    timing: { fetchMs: 0, analyzeMs: Math.round(performance.now() - started), bytes: analysis.stats.codeBytes },
  };
}

const SEV_RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 } as const;
function byImportance(a: { severity: keyof typeof SEV_RANK; file?: string; line?: number }, b: typeof a): number {
  return SEV_RANK[b.severity] - SEV_RANK[a.severity] || (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0);
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
    const result = await analyzeTarball(fetched, options);
    result.source = fetched.source;
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
