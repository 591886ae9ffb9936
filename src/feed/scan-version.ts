// Scan one version announced by the feed: the same pipeline as `tollgate scan name@version`
// (fetch -> unpack -> analyze -> registry signals incl. the release diff against the previous
// version -> score), with the tarball pinned to the integrity the packument announced, so what is
// scanned is exactly what `npm install` would get for that announcement. Never throws: a version
// that could not be fetched or analyzed comes back with verdict `error` and `error` set.
import { scanTarget, type ScanOptions } from '../scan.js';
import { toJsonReport } from '../report/json.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../engine/run/analyze.js';
import type { ResultCache } from '../cache/results.js';
import type { VersionJob, WatchResult } from './types.js';

export interface ScanVersionOptions {
  /** Registry the feed's packuments and tarballs come from (default: npmConfig's, else npm's). */
  registry?: string;
  /**
   * npm config (proxy, TLS, auth for the registry host). Scoped-registry keys (`@scope:registry`)
   * are dropped: the feed announces public packages, and routing a scope to a private registry
   * would scan a different package than the one announced.
   */
  npmConfig?: Record<string, unknown>;
  /** pacote's download cache folder (default npm's, ~/.npm/_cacache). */
  fetchCache?: string;
  /** Packument ETag cache root for the registry signals; false for none. */
  cacheDir?: string | false;
  /** Per-request timeout for tarball and packument fetches. */
  timeoutMs?: number;
  engine?: EngineOptions;
  /** Analyses of previous versions (release diff) are read from and written to this cache. */
  results?: ResultCache;
  /** Clock for scannedAt and package age (tests). */
  now?: () => Date;
}

/** npm config for fetching announced versions: the given registry, no scope routing. */
export function feedNpmConfig(options: Pick<ScanVersionOptions, 'registry' | 'npmConfig'>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options.npmConfig ?? {})) if (!/^@[^:]+:registry$/.test(k)) config[k] = v;
  if (options.registry) config.registry = options.registry;
  return config;
}

export async function scanVersion(job: VersionJob, options: ScanVersionOptions = {}): Promise<WatchResult> {
  const now = options.now ?? (() => new Date());
  const spec = `${job.name}@${job.version}`;
  const npmConfig = feedNpmConfig(options);
  const scanOptions: ScanOptions = {
    engine: options.engine ?? DEFAULT_ENGINE_OPTIONS,
    fetch: { npmConfig, integrity: job.integrity, cache: options.fetchCache, timeoutMs: options.timeoutMs },
    registry: {
      cacheDir: options.cacheDir ?? false,
      results: options.results,
      timeoutMs: options.timeoutMs,
      releaseDiff: true,
      now: () => now().getTime(),
    },
  };
  try {
    const r = await scanTarget(spec, scanOptions);
    const [json] = toJsonReport([r]).packages;
    if (r.verdict !== 'error' && r.version !== job.version) {
      // pacote resolved an exact version, so this means the tarball's package.json disagrees with
      // the registry: worth a look, and not something to call clean silently.
      r.reasons = [...r.reasons, `tarball package.json says version ${r.version || '(none)'}, the registry announced ${job.version}`];
    }
    return {
      name: job.name,
      version: job.version,
      integrity: r.integrity ?? job.integrity ?? null,
      score: r.score,
      verdict: r.verdict,
      findings: json?.findings ?? [],
      reasons: r.reasons,
      ...(r.verdict === 'error' ? { error: r.error ?? r.reasons[0] ?? `${spec} could not be analyzed` } : {}),
      publishedAt: job.publishedAt ?? null,
      scannedAt: now().toISOString(),
    };
  } catch (err) {
    return errorWatchResult(job, `${spec}: scan failed (${(err as Error).message})`, now());
  }
}

/** A version that could not be analyzed: verdict `error`, never clean. */
export function errorWatchResult(job: VersionJob, message: string, at: Date = new Date()): WatchResult {
  return {
    name: job.name,
    version: job.version,
    integrity: job.integrity ?? null,
    score: 0,
    verdict: 'error',
    findings: [],
    reasons: [message],
    error: message,
    publishedAt: job.publishedAt ?? null,
    scannedAt: at.toISOString(),
  };
}
