// Release diff: what is new in this version compared with the one before it. Hijacked releases
// (a stolen token, as in the 2025 worm waves) look like an ordinary patch release that suddenly runs
// code on install, reaches for the network or the environment, ships an obfuscated file, comes from
// a publisher nobody has seen before, or lacks the provenance attestation every earlier release had.
//
// "The one before": the highest version below this one that was published before it (by the
// packument's `time`), so a 4.x backport published after 5.0.0 is compared with 4.x, not with 5.0.0.
// Its analysis comes from the results cache when present (keyed by tarball integrity and engine
// version, shared with `tollgate audit`); otherwise its tarball is fetched and analyzed like any other.
import semver from 'semver';
import type { Finding, ReportedPackage, Severity, Signal } from '../types.js';
import type { Packument, VersionMeta } from './packument.js';

export interface ReleaseSide {
  version: string;
  /** The version's manifest as the registry serves it. */
  meta: VersionMeta;
  /** Findings of its code analysis; undefined when it could not be analyzed. */
  findings?: readonly Finding[];
}

const DAY = 24 * 3600 * 1000;
const INSTALL = ['preinstall', 'install', 'postinstall'] as const;
/** Install-time commands that build or fetch a native addon the usual way. */
const BUILD_TOOL = /^(?:node-gyp(?:-build)?|prebuild-install|node-pre-gyp|@mapbox\/node-pre-gyp|napi-postinstall|cmake-js|husky|patch-package|opencollective(?:-postinstall)?|node-gyp-build-optional-packages)\b/;

const timeOf = (p: Packument, v: string): number | undefined => {
  const t = p.time[v] ? Date.parse(p.time[v]!) : NaN;
  return Number.isFinite(t) ? t : undefined;
};

/**
 * The version this one should be compared with, or undefined for a first release: the highest lower
 * version published before it. When `time` says no lower version came first (mirrors that rewrite
 * publish dates, or none at all), semver order alone decides.
 */
export function previousVersion(p: Packument, version: string): string | undefined {
  const cur = semver.parse(version);
  if (!cur) return undefined;
  const published = timeOf(p, version);
  const lower = Object.keys(p.versions)
    .filter((v) => {
      const sv = semver.parse(v);
      return !!sv && semver.lt(sv, cur) && (!sv.prerelease.length || cur.prerelease.length > 0);
    })
    .sort(semver.rcompare);
  const before = lower.filter((v) => {
    const t = timeOf(p, v);
    return published === undefined || t === undefined || t <= published;
  });
  return before[0] ?? lower[0];
}

function capabilityOf(s: Signal): string | undefined {
  if (s === 'sink:network' || s === 'sink:dns' || s === 'sink:exfil-endpoint' || s === 'sink:recon-endpoint') return 'network access';
  if (s === 'source:env-bulk' || s === 'source:env-secret') return 'environment variables';
  if (s === 'source:credential-file') return 'credential files';
  if (s === 'source:fingerprint') return 'host fingerprinting';
  if (s === 'exec' || s.startsWith('exec:')) return 'child processes';
  if (s === 'dynamic-code' || s === 'dynamic-code:decoded') return 'dynamic code';
  if (s === 'sink:file-write-home') return 'writes to the home folder';
  if (s.startsWith('flow:')) return 'data sent out';
  return undefined;
}

/** Capability -> the finding that shows it best (install reach first, then severity). */
function capabilities(findings: readonly Finding[]): Map<string, Finding> {
  const rank: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  const weight = (f: Finding) => (f.reach === 'install' ? 10 : 0) + rank[f.severity];
  const out = new Map<string, Finding>();
  for (const f of findings) {
    // Ordinary network use is an info finding, but still a capability the previous release lacked.
    if (f.reach === 'unreached') continue;
    for (const s of f.signals ?? []) {
      const cap = capabilityOf(s);
      if (!cap) continue;
      const best = out.get(cap);
      if (!best || weight(f) > weight(best)) out.set(cap, f);
    }
  }
  return out;
}

/** What a secret flow is, across versions: its message names the values and the host (lines move). */
function secretFlowKey(f: Finding): string {
  return f.message;
}

function obfuscatedFiles(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    if (f.file && (f.signals ?? []).includes('obfuscation') && f.severity !== 'info' && f.severity !== 'low' && !out.has(f.file)) out.set(f.file, f);
  }
  return out;
}

function binMap(meta: VersionMeta): Record<string, string> {
  const b = meta.bin;
  if (typeof b === 'string') return { [(meta.name ?? '').replace(/^@[^/]+\//, '')]: b };
  return b && typeof b === 'object' ? b : {};
}

const where = (f: Finding): string => (f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : 'package');
const ago = (ms: number): string => (ms >= 365 * DAY ? `${(ms / (365 * DAY)).toFixed(1)} years` : `${Math.round(ms / DAY)} days`);

/**
 * What `current` adds over `previous`. Pure: the packument, both manifests and both analyses in,
 * `release-diff` findings out. `previousError` explains a previous version that could not be analyzed.
 */
export function diffReleases(p: Packument, current: ReleaseSide, previous: ReleaseSide, previousError?: string): Finding[] {
  const out: Finding[] = [];
  const vs = `${previous.version} -> ${current.version}`;
  const add = (severity: Severity, message: string, evidence: string, signals?: Signal[], extra: Partial<Finding> = {}) =>
    out.push({ rule: 'release-diff', severity, message, evidence, ...(signals ? { signals } : {}), ...extra });
  const cur = semver.parse(current.version);
  const prev = semver.parse(previous.version);
  const bump = cur && prev ? (cur.major !== prev.major ? 'major' : cur.minor !== prev.minor ? 'minor' : 'patch') : 'unknown';
  let news = 0;

  // Install scripts: the most common way a hijacked release runs its payload.
  const prevScripts = previous.meta.scripts ?? {};
  const curScripts = current.meta.scripts ?? {};
  for (const s of INSTALL) {
    const now = curScripts[s];
    const before = prevScripts[s];
    if (typeof now !== 'string' || !now.trim() || now === before) continue;
    news++;
    const build = BUILD_TOOL.test(now.trim());
    if (typeof before !== 'string' || !before.trim()) {
      const sev: Severity = build ? 'low' : bump === 'major' ? 'medium' : 'high';
      add(sev, `${s} script added in a ${bump} release (${vs}): ${now.slice(0, 120)}`, `"${s}": ${JSON.stringify(now).slice(0, 200)}`, build ? undefined : ['registry:new-install-script'], { file: 'package.json' });
    } else {
      // Renamed install files are routine; what the changed script runs is judged by the code rules.
      add(build ? 'low' : 'medium', `${s} script changed in ${vs}: was ${JSON.stringify(before.slice(0, 80))}, now ${JSON.stringify(now.slice(0, 80))}`, `"${s}": ${JSON.stringify(now).slice(0, 200)}`, undefined, { file: 'package.json' });
    }
  }

  // New commands on the user's PATH.
  const prevBins = binMap(previous.meta);
  for (const [cmd, file] of Object.entries(binMap(current.meta))) {
    if (prevBins[cmd] === undefined) {
      news++;
      add('low', `new bin entry "${cmd}" (${file}) in ${vs}`, `"bin": { "${cmd}": "${file}" }`, undefined, { file: 'package.json' });
    }
  }

  // New code capabilities and newly obfuscated files, when both versions were analyzed.
  if (current.findings && previous.findings) {
    const before = capabilities(previous.findings);
    for (const [cap, f] of capabilities(current.findings)) {
      if (before.has(cap)) continue;
      news++;
      const install = f.reach === 'install';
      add(install ? 'medium' : 'low', `new capability in ${current.version}: ${cap}${install ? ' at install time' : ''} (${where(f)}: ${f.message.slice(0, 120)}); ${previous.version} had none`, f.evidence ?? where(f), undefined, { file: f.file, line: f.line, reach: f.reach });
    }
    const prevObf = obfuscatedFiles(previous.findings);
    for (const [file, f] of obfuscatedFiles(current.findings)) {
      if (prevObf.has(file)) continue;
      news++;
      add('medium', `newly obfuscated file in ${current.version}: ${file} (${f.message.slice(0, 120)})`, f.evidence ?? file, undefined, { file, line: f.line, reach: f.reach });
    }
    // A library that starts sending the secrets its callers hand it to a foreign host (issue 18):
    // the shape of a hijacked release of a wallet or SDK package, whatever else stayed the same.
    const prevSecretFlows = new Set(previous.findings.filter((f) => f.signals?.includes('flow:library-secret')).map(secretFlowKey));
    for (const f of current.findings) {
      if (!f.signals?.includes('flow:library-secret') || prevSecretFlows.has(secretFlowKey(f))) continue;
      news++;
      add('critical', `new in ${current.version}: ${f.message.slice(0, 160)} (${where(f)}); ${previous.version} did not send it (a hijacked release?)`, f.evidence ?? where(f), ['flow:library-secret'], { file: f.file, line: f.line, reach: f.reach });
      break;
    }
  }

  // Dependencies added: how event-stream pulled in flatmap-stream.
  const prevDeps = { ...(previous.meta.optionalDependencies ?? {}), ...(previous.meta.dependencies ?? {}) };
  const added = Object.keys({ ...(current.meta.optionalDependencies ?? {}), ...(current.meta.dependencies ?? {}) }).filter((d) => !(d in prevDeps));
  if (added.length) {
    news++;
    // A patch release has little reason to pull in new code; a major one often does.
    add(bump === 'patch' ? 'low' : 'info', `dependencies added in a ${bump} release (${vs}): ${added.slice(0, 10).join(', ')}${added.length > 10 ? `, and ${added.length - 10} more` : ''}`, added.slice(0, 10).join(', '));
  }

  // Who published it.
  const curUser = current.meta._npmUser?.name;
  if (curUser) {
    const earlier = Object.entries(p.versions)
      .filter(([v]) => v !== current.version && (timeOf(p, v) ?? 0) <= (timeOf(p, current.version) ?? Infinity))
      .map(([, m]) => m._npmUser?.name)
      .filter((n): n is string => !!n);
    if (earlier.length && !earlier.includes(curUser)) {
      news++;
      const names = [...new Set(earlier)].slice(0, 5).join(', ');
      add('low', `first release published by "${curUser}"; earlier releases were published by ${names}`, `_npmUser: ${curUser}`, ['registry:new-publisher']);
    }
  }
  const prevMaint = new Set((previous.meta.maintainers ?? []).map((m) => m.name).filter(Boolean));
  const newMaint = prevMaint.size ? (current.meta.maintainers ?? []).map((m) => m.name).filter((n): n is string => !!n && !prevMaint.has(n)) : [];
  if (newMaint.length) {
    news++;
    add('low', `maintainer${newMaint.length > 1 ? 's' : ''} added in ${vs}: ${newMaint.join(', ')}`, `maintainers: ${newMaint.join(', ')}`, ['registry:new-publisher']);
  }

  // Provenance: a release built by CI with a signed attestation, followed by one without.
  if (previous.meta.dist?.attestations && !current.meta.dist?.attestations) {
    news++;
    add('medium', `published without the provenance attestation ${previous.version} had: the signature of a release made with a stolen token rather than by the project's CI`, `dist.attestations missing (present in ${previous.version})`, ['registry:lost-provenance']);
  }

  // Version jumps and long silences.
  if (cur && prev && (cur.major - prev.major >= 10 || (cur.major >= 90 && prev.major < 90) || (cur.major === prev.major && cur.minor - prev.minor >= 100))) {
    news++;
    add('low', `very large version jump ${vs}`, vs);
  }
  const curTime = timeOf(p, current.version);
  if (curTime !== undefined) {
    const before = Object.keys(p.versions)
      .filter((v) => v !== current.version)
      .map((v) => timeOf(p, v))
      .filter((t): t is number => t !== undefined && t < curTime);
    const last = before.length ? Math.max(...before) : undefined;
    if (last !== undefined && curTime - last >= 2 * 365 * DAY) {
      news++;
      add('low', `published after ${ago(curTime - last)} without a release: a long-dormant package suddenly republished`, `${new Date(last).toISOString().slice(0, 10)} -> ${new Date(curTime).toISOString().slice(0, 10)}`);
    }
  }

  if (previousError) {
    add('info', `${previous.version} could not be analyzed (${previousError}); new code capabilities were not compared`, previous.version, ['analysis-gap']);
  } else if (news === 0 && current.findings && previous.findings) {
    // Nothing new for a while: the same code shipped before without incident weighs a little less.
    const prevTime = timeOf(p, previous.version);
    const settled = curTime !== undefined && prevTime !== undefined && curTime - prevTime >= 30 * DAY;
    add('info', `nothing new since ${previous.version}: same install scripts, bins, capabilities, dependencies, publisher and provenance${prevTime !== undefined && curTime !== undefined ? ` (${previous.version} was published ${ago(curTime - prevTime)} earlier)` : ''}`, vs, settled ? ['registry:unchanged'] : undefined);
  }
  return out;
}

/** The previous version's analysis key in the results cache (shared with `tollgate audit`). */
export const resultKey = (integrity: string): string => `sri:${integrity}`;

export type PreviousAnalysis = { result: ReportedPackage; cached: boolean } | { error: string };
