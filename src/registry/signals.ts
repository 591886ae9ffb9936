// The registry half of the evidence for one scanned package, as findings the scorer weighs with the
// code's: manifest confusion, release diff against the previous version, small metadata signals,
// and dependency confusion against the user's private scopes. Name-only checks (typosquat,
// dependency confusion by name and version) are rules in heuristics/ and run on every package.
//
// Missing metadata is missing evidence: when the packument cannot be had, one `registry-metadata`
// finding with the `analysis-gap` signal says which checks did not run. Nothing here ever makes a
// package look cleaner because a request failed.
import type { Finding, Manifest } from '../types.js';
import { assessDependencyConfusion, privateScopeCopy, privateScopesOf } from './dependency-confusion.js';
import { manifestConfusion } from './manifest-confusion.js';
import { registryMetadata } from './metadata.js';
import { fetchPackument, PackumentError, type Packument, type PackumentResult, type VersionMeta } from './packument.js';
import { diffReleases, previousVersion, type PreviousAnalysis } from './release-diff.js';

export interface RegistrySignalOptions {
  /** npm config (as from `loadNpmConfig`): registries, auth, proxies, offline, private scopes. */
  npmConfig?: Record<string, unknown>;
  /** Root of the packument ETag cache (`<dir>/packuments/`); false for none. */
  cacheDir?: string | false;
  /** Compare with the previous release (its analysis from the results cache, else fetched). Default true. */
  releaseDiff?: boolean;
  timeoutMs?: number;
  /** Clock for package age (tests). */
  now?: () => number;
}

export interface RegistryTarget {
  name: string;
  version: string;
  /** Where the tarball came from: only `registry` and `alias` get packument checks. */
  source: string;
  manifest?: Manifest;
  files: Iterable<string>;
  findings: readonly Finding[];
}

/** Analyzes another version of the same package (the caller owns fetching, analysis and caching). */
export type AnalyzeVersion = (version: string, meta: VersionMeta) => Promise<PreviousAnalysis>;

const gap = (message: string): Finding => ({ rule: 'registry-metadata', severity: 'low', message, signals: ['analysis-gap'] });

/** Dependency confusion against scopes the user's npm config routes to a private registry. */
export function privateScopeFindings(target: Pick<RegistryTarget, 'name' | 'version' | 'manifest'>, npmConfig: Record<string, unknown>): Finding[] {
  const scopes = privateScopesOf(npmConfig);
  if (!scopes.length || !privateScopeCopy(target.name, scopes)) return [];
  const scripts = target.manifest?.scripts ?? {};
  const hasInstallScript = ['preinstall', 'install', 'postinstall'].some((s) => typeof scripts[s] === 'string' && scripts[s]!.trim() !== '');
  const r = assessDependencyConfusion({ name: target.name, version: target.version, hasInstallScript, privateScopes: scopes });
  return r ? [{ rule: 'dependency-confusion', severity: r.severity, message: r.message, evidence: r.evidence, signals: r.strong ? ['registry:dependency-confusion'] : undefined }] : [];
}

export async function registrySignals(target: RegistryTarget, opts: RegistrySignalOptions, analyzeVersion?: AnalyzeVersion): Promise<Finding[]> {
  const npmConfig = opts.npmConfig ?? {};
  const out: Finding[] = privateScopeFindings(target, npmConfig);
  if (target.source !== 'registry' && target.source !== 'alias') return out;

  let got: PackumentResult;
  try {
    got = await fetchPackument(target.name, { npmConfig, cacheDir: opts.cacheDir, timeoutMs: opts.timeoutMs });
  } catch (err) {
    const why = err instanceof PackumentError ? err.message : `could not fetch registry metadata (${(err as Error).message})`;
    out.push(gap(`registry metadata unavailable: ${why}. Manifest confusion, release diff, publisher, provenance and age were NOT checked; this is missing evidence, not a clean result`));
    return out;
  }
  const p: Packument = got.packument;
  if (got.source === 'cache-stale') {
    out.push({ rule: 'registry-metadata', severity: 'info', message: `registry unreachable; used registry metadata cached at ${got.fetchedAt}`, signals: ['analysis-gap'] });
  }
  const meta = p.versions[target.version];
  if (!meta) {
    out.push(gap(`registry metadata for "${target.name}" has no version ${target.version}${got.source.startsWith('cache') ? ' (cached copy may be out of date)' : ''}; manifest confusion and release diff were NOT checked`));
    return out;
  }
  const files = [...target.files];
  if (target.manifest) out.push(...manifestConfusion({ registry: meta, tarball: target.manifest, hasBindingGyp: files.includes('binding.gyp') }));
  out.push(...registryMetadata({ packument: p, version: target.version, meta, files, tarballRepository: target.manifest?.repository, now: (opts.now ?? Date.now)() }));

  if (opts.releaseDiff === false) return out;
  const prev = previousVersion(p, target.version);
  if (!prev) return out;
  const prevMeta = p.versions[prev]!;
  let previousFindings: readonly Finding[] | undefined;
  let previousError: string | undefined;
  if (analyzeVersion) {
    try {
      const r = await analyzeVersion(prev, prevMeta);
      if ('error' in r) previousError = r.error;
      else previousFindings = r.result.findings;
    } catch (err) {
      previousError = (err as Error).message;
    }
  } else previousError = 'not fetched';
  // What runs is the tarball's scripts and bins (the registry's copy can hide them; see manifest-confusion).
  const current: VersionMeta = { ...meta, scripts: target.manifest?.scripts ?? meta.scripts, bin: target.manifest?.bin ?? meta.bin };
  out.push(...diffReleases(p, { version: target.version, meta: current, findings: target.findings, bindingGyp: files.includes('binding.gyp') }, { version: prev, meta: prevMeta, findings: previousFindings }, previousError));
  return out;
}
