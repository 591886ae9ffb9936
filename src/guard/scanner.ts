// One tarball requested through the guard: fetched from its upstream pinned to the integrity the
// registry promised, scanned with the same pipeline as `tollgate scan` (code analysis, then the
// registry evidence), the result kept in the results cache shared with `audit` and `scan` (keyed by
// integrity). The bytes handed back are the bytes scanned. Concurrent requests for one tarball
// share one scan.
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { fetchTarball, FetchError, type FetchedTarball } from '../fetch/fetch.js';
import { analyzeUnscored, collectRegistrySignals, errorResult, scoreAnalyzed } from '../scan.js';
import type { EngineOptions } from '../engine/run/analyze.js';
import type { ResultCache } from '../cache/results.js';
import { resultKey } from '../registry/release-diff.js';
import type { ReportedPackage } from '../types.js';
import type { TarballRecord } from './packument-rewrite.js';

export interface ScannerOptions {
  npmConfig: Record<string, unknown>;
  /** Download cache (cacache); npm config's, else pacote's default. */
  downloadCache?: string;
  results?: ResultCache;
  engine?: EngineOptions;
  /** Registry evidence (manifest confusion, metadata, private-scope confusion); the release diff is not run. */
  registrySignals: boolean;
  /** Packument ETag cache root for the registry evidence. */
  cacheDir?: string | false;
  /** Downloads at once (default 16). */
  downloads?: number;
  /** Analyses at once (default 1: analysis is CPU-bound and a thread is a core). */
  analyses?: number;
  timeoutMs?: number;
  deadlineMs?: number;
}

export interface ScanOutcome {
  result: ReportedPackage;
  cached: boolean;
  /** The tarball, when it was fetched and matched its integrity. */
  data?: Buffer;
  /** The bytes did not match the registry's integrity: never served, whatever the policy. */
  tampered?: boolean;
}

export class TarballScanner {
  private readonly downloadLimit;
  private readonly analyzeLimit;
  private readonly inflight = new Map<string, Promise<ScanOutcome>>();

  constructor(private readonly o: ScannerOptions) {
    this.downloadLimit = pLimit(Math.max(1, o.downloads ?? 16));
    this.analyzeLimit = pLimit(Math.max(1, o.analyses ?? 1));
  }

  /** The cached result for a tarball whose registry integrity is a sha512, without downloading it. */
  cachedResult(rec: TarballRecord): ReportedPackage | undefined {
    return rec.integrity?.startsWith('sha512-') ? this.o.results?.get(resultKey(rec.integrity)) : undefined;
  }

  /** Scan (or look up) one tarball. Never throws: failures are `error` results. */
  scan(rec: TarballRecord): Promise<ScanOutcome> {
    const key = `${rec.name}@${rec.version}#${rec.integrity ?? rec.upstreamUrl}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.run(rec).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private fail(rec: TarballRecord, message: string): ReportedPackage {
    return { ...errorResult(`${rec.name}@${rec.version}`, new Error(message)), name: rec.name, version: rec.version, source: 'registry', integrity: rec.integrity };
  }

  private async fetch(rec: TarballRecord): Promise<FetchedTarball> {
    return this.downloadLimit(() =>
      fetchTarball(rec.upstreamUrl, {
        npmConfig: this.o.npmConfig,
        cache: this.o.downloadCache,
        integrity: rec.integrity,
        // Without an integrity to pin, what upstream serves now is what is scanned and served.
        fresh: !rec.integrity,
        skipIdentity: true,
        timeoutMs: this.o.timeoutMs,
        deadlineMs: this.o.deadlineMs,
      }),
    );
  }

  private async run(rec: TarballRecord): Promise<ScanOutcome> {
    let fetched: FetchedTarball;
    try {
      fetched = await this.fetch(rec);
    } catch (err) {
      if (err instanceof FetchError && err.code === 'EINTEGRITY') {
        const result = this.fail(rec, `the tarball upstream served for ${rec.name}@${rec.version} does not match the registry's integrity (${rec.integrity}): possible tampering in transit, in a proxy or in the cache`);
        result.findings = [{ rule: 'integrity-mismatch', severity: 'high', message: result.error!, evidence: rec.integrity }];
        return { result, cached: false, tampered: true };
      }
      // Even a verdict in the cache needs the bytes: without them there is nothing to serve.
      return { result: this.fail(rec, `could not download it from upstream (${(err as Error).message})`), cached: false };
    }
    // The cache key is a sha512: the registry's, else computed from the bytes (an old package's
    // sha1 shasum is checked above but is too weak to look a verdict up by).
    const integrity = rec.integrity?.startsWith('sha512-') ? rec.integrity : `sha512-${createHash('sha512').update(fetched.data).digest('base64')}`;
    const hit = this.o.results?.get(resultKey(integrity));
    if (hit) return { result: hit, cached: true, data: fetched.data };
    const tarball = { ...fetched, name: rec.name, version: rec.version, source: 'registry' as const, integrity };
    let result: ReportedPackage;
    try {
      const analyzed = await this.analyzeLimit(() => analyzeUnscored(tarball, { engine: this.o.engine }));
      const registry = this.o.registrySignals
        ? await collectRegistrySignals(tarball, analyzed, { fetch: { npmConfig: this.o.npmConfig, timeoutMs: this.o.timeoutMs }, registry: { cacheDir: this.o.cacheDir, releaseDiff: false } })
        : [];
      result = scoreAnalyzed(analyzed, [...(fetched.findings ?? []), ...registry]);
    } catch (err) {
      return { result: this.fail(rec, `analysis failed (${(err as Error).message}); please report this with the package name`), cached: false, data: fetched.data };
    }
    result.source = 'registry';
    result.integrity = integrity;
    this.o.results?.put(resultKey(integrity), result);
    return { result, cached: false, data: fetched.data };
  }
}
