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
import { splitShell } from '../engine/semantics/scripts.js';
import type { Finding, ReportedPackage, Severity, Signal } from '../types.js';
import type { Packument, VersionMeta } from './packument.js';

export interface ReleaseSide {
  version: string;
  /** The version's manifest as the registry serves it. */
  meta: VersionMeta;
  /** Findings of its code analysis; undefined when it could not be analyzed. */
  findings?: readonly Finding[];
  /** Does its tarball ship a binding.gyp (npm builds it with node-gyp)? Undefined when not known. */
  bindingGyp?: boolean;
}

const DAY = 24 * 3600 * 1000;
const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const INSTALL = ['preinstall', 'install', 'postinstall'] as const;
/**
 * Commands that build a native addon or fetch its prebuilt binary the usual way, each with the
 * packages that provide it: a tool counts only when the release depends on one of them (npm ships
 * node-gyp itself), so a bin of that name from some other dependency is not taken for the tool.
 * Matched against the whole command word: `./node-gyp` is a file of the package, not the tool.
 */
const NATIVE_BUILD_TOOLS: Readonly<Record<string, readonly string[] | 'npm'>> = {
  'node-gyp': 'npm',
  'node-gyp-build': ['node-gyp-build'],
  'node-gyp-build-optional-packages': ['node-gyp-build-optional-packages'],
  'prebuild-install': ['prebuild-install'],
  'node-pre-gyp': ['@mapbox/node-pre-gyp', 'node-pre-gyp'],
  'napi-postinstall': ['napi-postinstall'],
  'cmake-js': ['cmake-js'],
};
/** How deep `npm run NAME` is followed into the release's other scripts. */
const MAX_RUN_DEPTH = 3;
/** Other install-time tools that are common and honest: git hooks, patches, a funding notice. */
const INSTALL_TOOL = /^(?:husky|patch-package|opencollective|opencollective-postinstall)$/;
/** Shell no-ops that close a fallback chain (`node-gyp rebuild || exit 0`). */
const SHELL_NOOP = /^(?:true|:|exit)$/;

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
  const weight = (f: Finding) => (f.reach === 'install' ? 10 : 0) + RANK[f.severity];
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

/**
 * Install-time code that does more than look around the package folder: a capability (network,
 * environment, credentials, fingerprinting, processes, dynamic code, home writes, data sent out),
 * obfuscation, code that could not be analyzed, or anything else rated medium or worse. Reach is the
 * package's whole install-time reach (every lifecycle script), which can only make this stricter.
 */
function installTimeCapability(findings: readonly Finding[]): Finding | undefined {
  return findings.find(
    (f) => f.reach === 'install' && (RANK[f.severity] >= RANK.medium || (f.signals ?? []).some((s) => capabilityOf(s) !== undefined || s === 'obfuscation' || s === 'analysis-gap')),
  );
}

function installCapabilityLabel(f: Finding): string {
  for (const s of f.signals ?? []) {
    const cap = capabilityOf(s);
    if (cap) return cap;
  }
  if (f.signals?.includes('obfuscation')) return 'obfuscated code';
  if (f.signals?.includes('analysis-gap')) return 'code not fully analyzed';
  return `a ${f.severity} finding (${f.rule})`;
}

/**
 * What an install script added to a release does, read from its command:
 * - `native-build`: the native-addon build idiom. Every command is a native build tool (node-gyp,
 *   prebuild-install, node-gyp-build, cmake-js…), a known install tool, a shell no-op or echo, or
 *   `node FILE` whose install-time code shows no capability (installTimeCapability); and one of
 *   them builds or fetches the addon. `node scripts/prebuild.js || node-gyp rebuild` (check for a
 *   prebuilt binary, else compile) is the usual shape.
 * - `tool`: only known install tools (husky, patch-package).
 * - `code`: anything else: code we cannot vouch for runs on install, the classic hijack signal.
 * `npm run NAME` is read as the release's script NAME (with its pre/post hooks). Environment
 * assignments, redirections, wrappers (npx, sh -c), inline code, a build tool the release does not
 * depend on and URLs given to a build tool (prebuild-install --download URL fetches any binary)
 * make it `code`.
 */
export type AddedScript = { kind: 'native-build'; tool: string; nodeFiles: string[] } | { kind: 'tool'; nodeFiles: string[] } | { kind: 'code'; why?: string };

export function classifyAddedScript(command: string, side: Pick<ReleaseSide, 'findings'> & { meta?: VersionMeta }): AddedScript {
  const nodeFiles: string[] = [];
  const deps = { ...(side.meta?.optionalDependencies ?? {}), ...(side.meta?.dependencies ?? {}) };
  const scripts = side.meta?.scripts ?? {};
  let native: string | undefined;
  const seen = new Set<string>();
  /** False when a command is not a build step (then the whole script is `code`). */
  const read = (text: string, depth: number): boolean => {
    for (const words of splitShell(text)) {
      const [cmd, ...args] = words;
      if (!cmd || words.some((w) => /[<>]/.test(w))) return false;
      const providers = Object.hasOwn(NATIVE_BUILD_TOOLS, cmd) ? NATIVE_BUILD_TOOLS[cmd] : undefined;
      if (providers) {
        if (providers !== 'npm' && !providers.some((p) => Object.hasOwn(deps, p))) return false;
        // A URL or a download host (prebuild-install --download URL fetches any binary).
        if (args.some((a) => /:\/\/|^-(?:d|-download)$/.test(a))) return false;
        native ??= cmd;
      } else if (INSTALL_TOOL.test(cmd)) {
        // Their arguments name hooks or patch folders: nothing fetched.
      } else if (SHELL_NOOP.test(cmd)) {
        if (args.some((a) => !/^\d{1,3}$/.test(a))) return false;
      } else if (cmd === 'echo') {
        // A message when the build fails. `$(…)` and backticks were split off as commands of their own.
      } else if (depth === 0 && cmd === 'node' && args.length === 1 && /^(?:\.\/)?[\w@.-][\w@./-]*$/.test(args[0]!) && !args[0]!.split('/').includes('..')) {
        nodeFiles.push(args[0]!.replace(/^\.\//, ''));
      } else if (cmd === 'npm' && (args[0] === 'run' || args[0] === 'run-script') && args.length === 2) {
        // `prebuild-install || npm run build-release`: what that script (and its pre/post hooks) runs.
        // Only build tools there: install-time reach starts at the lifecycle command's own node files.
        const name = args[1]!;
        if (depth >= MAX_RUN_DEPTH || seen.has(name) || typeof scripts[name] !== 'string') return false;
        seen.add(name);
        for (const hook of [`pre${name}`, name, `post${name}`]) {
          const t = scripts[hook];
          if (typeof t === 'string' && t.trim() && !read(t, depth + 1)) return false;
        }
      } else return false;
    }
    return true;
  };
  if (!read(command, 0)) return { kind: 'code' };
  if (!native) return nodeFiles.length ? { kind: 'code' } : { kind: 'tool', nodeFiles };
  if (nodeFiles.length) {
    if (!side.findings) return { kind: 'code', why: 'install-time code not analyzed' };
    const cap = installTimeCapability(side.findings);
    if (cap) return { kind: 'code', why: `install-time code has ${installCapabilityLabel(cap)} (${where(cap)})` };
  }
  return { kind: 'native-build', tool: native, nodeFiles };
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
    const added = classifyAddedScript(now, current);
    const build = added.kind !== 'code';
    const evidence = `"${s}": ${JSON.stringify(now).slice(0, 200)}`;
    if (typeof before !== 'string' || !before.trim()) {
      if (added.kind === 'native-build') {
        // How addons ship: reported, weighed by SCORE_TABLE's registry-new-build-script (below suspicious).
        const what = current.bindingGyp ? 'binding.gyp' : added.tool;
        const checked = added.nodeFiles.length ? `; install-time code, from ${added.nodeFiles.join(', ')}, has no network, process, environment, credential or decoded-code access` : '';
        add(added.nodeFiles.length ? 'medium' : 'low', `${s} script added in a ${bump} release (${vs}): builds a native addon (${what}${checked}): ${now.slice(0, 120)}`, evidence, ['registry:new-build-script'], { file: 'package.json' });
      } else {
        const sev: Severity = build ? 'low' : bump === 'major' ? 'medium' : 'high';
        const why = added.kind === 'code' && added.why ? ` (a native build, but ${added.why})` : '';
        add(sev, `${s} script added in a ${bump} release (${vs}): ${now.slice(0, 120)}${why}`, evidence, build ? undefined : ['registry:new-install-script'], { file: 'package.json' });
      }
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
