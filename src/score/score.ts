import type { Finding, Reach, Severity, Signal, Verdict } from '../types.js';
import { dedupeReasons } from './dedupe.js';

/**
 * Findings -> score and verdict. Every weight the scorer gives is in one table, SCORE_TABLE (docs/scoring.md
 * explains each entry and where the lines sit); scoreFindings walks it: capabilities add a small capped base; each entry below
 * that matches raises the score to at least its points, at the reach of the evidence it names.
 *
 * `kind` is what an entry is evidence of. A `chain` is an attack by itself: data from a sensitive
 * source reaching a sink, decoded text executed, a download run at install, or one of the attack
 * patterns the threat rules only report whole. A `signal` is one capability or one suspicious trait:
 * the scorer caps it below `malicious` (`MALICIOUS_AT - 1`), however it is weighted, so a single
 * finding never makes a package malicious unless it is itself a chain.
 */
export const MALICIOUS_AT = 70;
export const SUSPICIOUS_AT = 35;

export type Kind = 'chain' | 'signal';
/** Points by the reach of the evidence: code run at install, on import, by a bin, or by nothing. */
export type ByReach = Readonly<Record<Reach, number>>;

/** What a file-level entry sees: one file's strongest finding per signal, at the file's reach. */
export interface FileView {
  readonly file: string;
  readonly reach: Reach;
  at(s: Signal): Finding | undefined;
}

/** What a package-level entry sees. */
export interface PackageView {
  readonly findings: readonly Finding[];
  /** The strongest finding per signal over the whole package. */
  signal(s: Signal): Finding | undefined;
  /** Registry and name evidence, worked out once (see registryFacts in score.ts). */
  readonly registry: RegistryFacts;
}

export interface RegistryFacts {
  /** Registry warning signs that change what install-time code weighs, each with its label. */
  strong: { s: Signal; f: Finding; label: string }[];
  weak: { s: Signal; f: Finding }[];
  /** A borrowed name, a hidden script, or a hijack pattern (two signs, or one with a new publisher). */
  deceptive: boolean;
  installNet?: Finding;
  installExec?: Finding;
  installScript?: Finding;
}

export interface Entry<V> {
  id: string;
  kind: Kind;
  points: ByReach;
  /** Entries that share a group are alternatives: the first one that matches with points > 0 counts. */
  group?: string;
  /** The finding the reason points at, when the entry applies. */
  match(v: V): Finding | undefined;
  /** Whose reach picks the points: the matched finding's (default) or the file's. */
  reachOf?: 'finding' | 'file';
  reason(v: V, hit: Finding): string;
}

const all = (n: number): ByReach => ({ install: n, import: n, bin: n, unreached: n });
const installOnly = (n: number): ByReach => ({ install: n, import: 0, bin: 0, unreached: 0 });

const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
export const sevAtLeast = (f: Finding | undefined, s: Severity): boolean => !!f && SEVERITY_ORDER.indexOf(f.severity) >= SEVERITY_ORDER.indexOf(s);

export function where(f: Finding | undefined): string {
  if (!f) return '';
  return f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : 'package';
}

const SOURCES: Signal[] = ['source:env-bulk', 'source:credential-file', 'source:env-secret', 'source:fingerprint'];
const SINKS: Signal[] = ['sink:exfil-endpoint', 'sink:network', 'sink:dns', 'exec:shell-recon', 'sink:recon-endpoint'];
const firstOf = (v: { at(s: Signal): Finding | undefined } | PackageView, list: readonly Signal[]) =>
  list.map((s) => ('at' in v ? v.at(s) : v.signal(s))).find((f) => f !== undefined);

/** A file with a sensitive source and a sink: how strong each side is. */
function sourceSink(v: FileView) {
  const source = firstOf(v, SOURCES);
  const sink = firstOf(v, SINKS);
  if (!source || !sink) return undefined;
  const strongSource = sevAtLeast(v.at('source:env-bulk'), 'medium') || sevAtLeast(v.at('source:credential-file'), 'high') || (!!v.at('source:credential-file') && !!v.at('sink:exfil-endpoint'));
  const strongSink = !!v.at('sink:exfil-endpoint') || !!v.at('exec:shell-recon') || sevAtLeast(v.at('sink:dns'), 'high');
  const chain = `${source.message} (${where(source)}) and ${sink.message} (${where(sink)})`;
  return { source, sink, strongSource, strongSink, chain };
}
const outOf = (v: FileView) => v.at('sink:network') ?? v.at('exec') ?? v.at('sink:exfil-endpoint');

/** Capabilities: severity points per finding, weighted by reach, capped per rule and overall. */
export const BASE = {
  severity: { info: 0, low: 2, medium: 6, high: 14, critical: 30 } as Readonly<Record<Severity, number>>,
  reachFactor: { install: 1.5, import: 1, bin: 0.6, unreached: 0.4 } as ByReach,
  /** A rule adds at most this many times its strongest finding, however often it fires (2 x install weight). */
  perRuleCap: 3,
  /** Capabilities alone never make a verdict: only the entries below reach suspicious. */
  cap: SUSPICIOUS_AT - 5,
} as const;

/** Data flows the flow rules traced from a source to a sink, step by step. */
export const FLOWS: Record<'flow:secret' | 'flow:token' | 'flow:fingerprint', { kind: Kind; points: ByReach }> = {
  'flow:secret': { kind: 'chain', points: { install: 96, import: 90, bin: 65, unreached: 45 } },
  'flow:token': { kind: 'chain', points: { install: 85, import: 45, bin: 35, unreached: 20 } },
  'flow:fingerprint': { kind: 'chain', points: { install: 93, import: 45, bin: 30, unreached: 15 } },
};

/** Evidence inside one file (bundles hold everything in one file, so these ask for specific pairs). */
export const FILE_CHAINS: readonly Entry<FileView>[] = [
  {
    id: 'shell-download',
    kind: 'chain',
    points: { install: 95, import: 75, bin: 75, unreached: 75 },
    reachOf: 'file',
    match: (v) => v.at('exec:shell-download'),
    reason: (v, f) => `${v.reach === 'install' ? 'install-time ' : ''}shell download-and-execute at ${where(f)}`,
  },
  {
    id: 'shell-recon',
    kind: 'chain',
    points: { install: 92, import: 72, bin: 72, unreached: 72 },
    reachOf: 'file',
    match: (v) => v.at('exec:shell-recon'),
    reason: (_v, f) => `shell command collects host data and sends it out at ${where(f)}`,
  },
  // A detached, silent, unref-ed process started at install outlives npm with nobody watching.
  {
    id: 'install-detached-binary',
    kind: 'chain',
    group: 'detached',
    points: installOnly(88),
    reachOf: 'file',
    match: (v) => (v.at('exec:bundled-binary') ? v.at('exec:detached') : undefined),
    reason: (_v, f) => `install-time detached silent process at ${where(f)}`,
  },
  {
    id: 'install-detached',
    kind: 'chain',
    group: 'detached',
    points: installOnly(75),
    reachOf: 'file',
    match: (v) => v.at('exec:detached'),
    reason: (_v, f) => `install-time detached silent process at ${where(f)}`,
  },
  // A sensitive source and a sink in one file, strongest reading first.
  {
    id: 'install-collect-and-send',
    kind: 'chain',
    group: 'source-sink',
    points: installOnly(92),
    reachOf: 'file',
    match: (v) => {
      const s = sourceSink(v);
      return s && (s.strongSource || s.strongSink || v.at('source:fingerprint')) ? s.source : undefined;
    },
    reason: (v) => `install-time code collects data and sends it out: ${sourceSink(v)!.chain}`,
  },
  {
    id: 'install-source-and-network',
    kind: 'signal',
    group: 'source-sink',
    points: installOnly(30),
    reachOf: 'file',
    match: (v) => sourceSink(v)?.source,
    reason: (v) => `install-time code reads sensitive data and has network access: ${sourceSink(v)!.chain}`,
  },
  {
    id: 'secret-to-collector',
    kind: 'chain',
    group: 'source-sink',
    points: { install: 0, import: 85, bin: 85, unreached: 85 },
    reachOf: 'file',
    match: (v) => {
      const s = sourceSink(v);
      return s?.strongSource && s.strongSink ? s.source : undefined;
    },
    reason: (v) => `collects secrets and sends them out: ${sourceSink(v)!.chain}`,
  },
  // Outside install code a source and a plain sink in one file is weak evidence: the flow rule
  // reports real paths.
  {
    id: 'secret-and-network',
    kind: 'signal',
    group: 'source-sink',
    points: { install: 0, import: 25, bin: 25, unreached: 10 },
    reachOf: 'file',
    match: (v) => (sourceSink(v)?.strongSource ? sourceSink(v)!.source : undefined),
    reason: (v) => `reads secrets and has network access in one file (no data path found): ${sourceSink(v)!.chain}`,
  },
  {
    id: 'host-data-to-collector',
    kind: 'chain',
    group: 'source-sink',
    points: { install: 0, import: 75, bin: 75, unreached: 75 },
    reachOf: 'file',
    match: (v) => (sourceSink(v)?.strongSink ? sourceSink(v)!.sink : undefined),
    reason: (v) => `sends host data to a data-collection endpoint: ${sourceSink(v)!.chain}`,
  },
  {
    id: 'fingerprint-beacon',
    kind: 'chain',
    group: 'source-sink',
    points: { install: 0, import: 72, bin: 72, unreached: 72 },
    reachOf: 'file',
    match: (v) => (sourceSink(v) && v.at('source:fingerprint') && (v.at('sink:recon-endpoint') || sevAtLeast(v.at('sink:dns'), 'high')) ? v.at('source:fingerprint') : undefined),
    reason: (v) => `fingerprints the host and beacons it out: ${sourceSink(v)!.chain}`,
  },
  {
    id: 'sensitive-and-network',
    kind: 'signal',
    group: 'source-sink',
    points: { install: 0, import: 30, bin: 30, unreached: 15 },
    reachOf: 'file',
    match: (v) => sourceSink(v)?.source,
    reason: (v) => `reads sensitive data and has network access in one file: ${sourceSink(v)!.chain}`,
  },
  // Decoded text executed: the decoder's output stands where code runs (dynamic-code rule).
  {
    id: 'decoded-exec-with-capability',
    kind: 'chain',
    group: 'decoded',
    points: { install: 90, import: 78, bin: 78, unreached: 78 },
    reachOf: 'file',
    match: (v) => (outOf(v) ? v.at('dynamic-code:decoded') : undefined),
    reason: (_v, f) => `decodes code and executes it, in a file with network or process access (${where(f)})`,
  },
  // Code fetched from an address written in the package and run: a second stage, the shape of
  // loaders that keep their payload on a server so the package itself looks empty.
  {
    id: 'remote-code-exec',
    kind: 'chain',
    group: 'decoded',
    points: { install: 95, import: 85, bin: 85, unreached: 60 },
    reachOf: 'file',
    match: (v) => v.at('dynamic-code:remote'),
    reason: (_v, f) => `runs code it downloads from a hard-coded address (${where(f)}: ${f.message})`,
  },
  {
    id: 'decoded-exec',
    kind: 'chain',
    group: 'decoded',
    points: { install: 50, import: 38, bin: 38, unreached: 38 },
    reachOf: 'file',
    match: (v) => v.at('dynamic-code:decoded'),
    reason: (_v, f) => `decodes code and executes it (${where(f)})`,
  },
  {
    id: 'obfuscated-with-capability',
    kind: 'chain',
    group: 'obfuscation',
    points: { install: 90, import: 78, bin: 78, unreached: 78 },
    reachOf: 'file',
    match: (v) => {
      const obf = v.at('obfuscation');
      return sevAtLeast(obf, 'medium') && (v.at('sink:network') || v.at('exec') || v.at('dynamic-code') || v.at('sink:dns')) ? obf : undefined;
    },
    reason: (v, f) => `obfuscated code that also ${v.at('exec') ? 'runs processes' : v.at('dynamic-code') ? 'executes dynamic code' : 'uses the network'} (${where(f)}: ${f.message})`,
  },
  {
    id: 'obfuscated',
    kind: 'signal',
    group: 'obfuscation',
    points: { install: 40, import: 40, bin: 40, unreached: 0 },
    reachOf: 'file',
    match: (v) => (sevAtLeast(v.at('obfuscation'), 'high') ? v.at('obfuscation') : undefined),
    reason: (_v, f) => `obfuscated code: ${f.message} (${where(f)})`,
  },
  {
    id: 'home-write',
    kind: 'signal',
    points: { install: 55, import: 40, bin: 40, unreached: 0 },
    reachOf: 'file',
    match: (v) => v.at('sink:file-write-home'),
    reason: (_v, f) => `writes into the user's home folder at ${where(f)}`,
  },
  {
    id: 'sabotage',
    kind: 'signal',
    points: { install: 50, import: 50, bin: 50, unreached: 0 },
    reachOf: 'file',
    match: (v) => v.at('sabotage'),
    reason: (_v, f) => `sabotage: ${f.message} (${where(f)})`,
  },
  {
    id: 'install-dynamic-code',
    kind: 'signal',
    points: installOnly(60),
    reachOf: 'file',
    match: (v) => (v.at('sink:network') || v.at('exec') ? v.at('dynamic-code') : undefined),
    reason: (_v, f) => `install-time code runs dynamic code and has network or process access (${where(f)})`,
  },
];

const REGISTRY_INSTALL = 'registry-install';

/** Evidence across the package: install scripts, endpoints, hostile archives, registry metadata. */
export const PACKAGE_CHAINS: readonly Entry<PackageView>[] = [
  {
    id: 'install-shell-download',
    kind: 'chain',
    points: all(95),
    match: (v) => v.signal('install-shell-download'),
    reason: (_v, f) => `install script downloads and runs code (${where(f)}: ${f.message})`,
  },
  {
    id: 'endpoint-and-source',
    kind: 'chain',
    group: 'endpoint',
    points: { install: 85, import: 85, bin: 85, unreached: 0 },
    match: (v) => (firstOf(v, SOURCES) ? v.signal('sink:exfil-endpoint') : undefined),
    reason: (v, f) => {
      const src = firstOf(v, SOURCES)!;
      return `sends data to ${f.message} (${where(f)}) and reads ${src.message} (${where(src)})`;
    },
  },
  {
    id: 'endpoint',
    kind: 'signal',
    group: 'endpoint',
    points: { install: 40, import: 40, bin: 40, unreached: 0 },
    match: (v) => v.signal('sink:exfil-endpoint'),
    reason: (_v, f) => `${f.message} (${where(f)})`,
  },
  {
    id: 'hostile-archive',
    kind: 'signal',
    group: 'hostile-archive',
    points: all(60),
    match: (v) => v.findings.find((f) => f.rule === 'unpack-hazard' && f.severity === 'critical'),
    reason: (_v, f) => `archive is hostile: ${f.message}`,
  },
  {
    id: 'hostile-archive-high',
    kind: 'signal',
    group: 'hostile-archive',
    points: all(40),
    match: (v) => v.findings.find((f) => f.rule === 'unpack-hazard' && f.severity === 'high'),
    reason: (_v, f) => `archive is hostile: ${f.message}`,
  },
  {
    id: 'archive-not-analyzed',
    kind: 'signal',
    points: all(40),
    match: (v) => v.findings.find((f) => f.rule === 'unpack-hazard' && (f.signals ?? []).includes('analysis-gap')),
    reason: (_v, f) => `not fully analyzed: ${f.message}`,
  },
  // Code that runs on install or import but could not be parsed is never waved through as clean.
  {
    id: 'unparsed-code',
    kind: 'signal',
    group: 'unparsed',
    points: { install: 55, import: 55, bin: 0, unreached: 0 },
    match: (v) => v.findings.find((f) => f.rule === 'parse-error' && f.severity === 'high' && (f.reach === 'install' || f.reach === 'import')),
    reason: (_v, f) => `code that runs ${f.reach === 'install' ? 'at install' : 'on import'} could not be analyzed: ${where(f)} (${f.message})`,
  },
  {
    id: 'unparsed-code-other',
    kind: 'signal',
    group: 'unparsed',
    points: { install: 40, import: 40, bin: 0, unreached: 0 },
    match: (v) => v.findings.find((f) => f.rule === 'parse-error' && (f.reach === 'install' || f.reach === 'import')),
    reason: (_v, f) => `code that runs ${f.reach === 'install' ? 'at install' : 'on import'} could not be analyzed: ${where(f)} (${f.message})`,
  },
  // Issue 18, manifests: a dependency fetched from a URL or git host beside install-time code is at
  // least suspicious: what the user installs is not what the registry and its scanners saw.
  {
    id: 'remote-dependency-install',
    kind: 'signal',
    points: all(45),
    match: (v) => (v.findings.some((f) => f.reach === 'install' && f.signals?.some((s) => s === 'install-script' || s === 'install-inline-code')) ? v.findings.find((f) => f.signals?.includes('registry:remote-dependency')) : undefined),
    reason: (_v, f) => `${f.message}, and the package runs code on install`,
  },
  // A file whose analysis ran out of time (too-slow) was not fully checked: never clean.
  {
    id: 'too-slow',
    kind: 'signal',
    points: all(40),
    match: (v) => v.findings.find((f) => f.rule === 'too-slow'),
    reason: (_v, f) => `not fully analyzed: ${where(f)} took longer than the time budget for one file`,
  },
  // Never clean (issue 19): a tarball whose package.json contradicts the registry's manifest (another
  // name, version, or hidden install script) is not the package anyone reviewed, whatever its code.
  {
    id: 'manifest-confusion',
    kind: 'signal',
    points: all(SUSPICIOUS_AT),
    match: (v) => v.findings.find((f) => f.rule === 'manifest-confusion' && sevAtLeast(f, 'high')),
    reason: (_v, f) => `tarball and registry metadata disagree: ${f.message}`,
  },
];

/** Registry and name evidence, walked after the rest: it changes what the code evidence weighs. */
export const REGISTRY_CHAINS: readonly Entry<PackageView>[] = [
  // Registry and name evidence changes what install-time code weighs (metadata alone is not malice).
  // Any network use at install counts, even what the network rule calls ordinary (info): in a borrowed
  // name or a hijacked release, an install script that phones out is the payload's shape. A new
  // install script on its own is how honest packages start downloading binaries too.
  {
    id: 'registry-deception-install-network',
    kind: 'chain',
    group: REGISTRY_INSTALL,
    points: all(88),
    match: (v) => (v.registry.strong.length && v.registry.deceptive ? v.registry.installNet : undefined),
    reason: (v, f) => `${registryWhat(v)}; and install-time code that ${f.message} (${where(f)})`,
  },
  {
    id: 'registry-change-install-network',
    kind: 'signal',
    group: REGISTRY_INSTALL,
    points: all(62),
    match: (v) => (v.registry.strong.length ? v.registry.installNet : undefined),
    reason: (v, f) => `${registryWhat(v)}; and install-time code that ${f.message} (${where(f)})`,
  },
  {
    id: 'registry-deception-install-exec',
    kind: 'chain',
    group: REGISTRY_INSTALL,
    points: all(72),
    match: (v) => (v.registry.strong.length && v.registry.deceptive ? v.registry.installExec : undefined),
    reason: (v, f) => `${registryWhat(v)}; and install-time code that ${f.message} (${where(f)})`,
  },
  {
    id: 'registry-change-install-exec',
    kind: 'signal',
    group: REGISTRY_INSTALL,
    points: all(50),
    match: (v) => (v.registry.strong.length ? v.registry.installExec : undefined),
    reason: (v, f) => `${registryWhat(v)}; and install-time code that ${f.message} (${where(f)})`,
  },
  {
    id: 'registry-deception-install-script',
    kind: 'signal',
    group: REGISTRY_INSTALL,
    points: all(50),
    match: (v) => (v.registry.deceptive ? installScriptOrNew(v) : undefined),
    reason: (v) => `${registryWhat(v)}; and the package runs code on install`,
  },
  {
    id: 'registry-change-install-script',
    kind: 'signal',
    group: REGISTRY_INSTALL,
    points: all(40),
    match: installScriptOrNew,
    reason: (v) => `${registryWhat(v)}; and the package runs code on install`,
  },
  // The native-addon build step added to a release (`node check.js || node-gyp rebuild`), its
  // install-time code free of any capability (release-diff's classifyAddedScript; anything more keeps
  // `registry:new-install-script`): how addons start shipping prebuilt binaries. Said, not suspicious.
  {
    id: 'registry-new-build-script',
    kind: 'signal',
    group: REGISTRY_INSTALL,
    points: all(20),
    match: (v) => v.signal('registry:new-build-script'),
    reason: (_v, f) => f.message,
  },
  {
    id: 'registry-several-signs',
    kind: 'signal',
    points: all(55),
    match: (v) => (v.registry.strong.length >= 2 ? v.registry.strong[0]!.f : undefined),
    reason: (v) => `several registry warning signs together: ${registryWhat(v)}`,
  },
  {
    id: 'registry-weak-install-network',
    kind: 'signal',
    points: all(45),
    match: (v) => (v.registry.weak.length ? v.registry.installNet : undefined),
    reason: (v, f) => `${v.registry.weak.map(({ f: w }) => w.message).join('; ')}; and install-time code that ${f.message} (${where(f)})`,
  },
];

function registryWhat(v: PackageView): string {
  return v.registry.strong.map(({ label }) => label).join('; ');
}
function installScriptOrNew(v: PackageView): Finding | undefined {
  const { strong, installScript } = v.registry;
  if (!strong.length) return undefined;
  return installScript ?? strong.find(({ s }) => s === 'registry:new-install-script')?.f;
}

/** How registry evidence moves the score of the code evidence around it. */
export const REGISTRY_ADJUST = {
  /** A strong registry sign on top of suspicious code evidence: raised by `step`, to at most `max`. */
  raise: { step: 15, max: 90 },
  /** A release that adds nothing to one published a month or more earlier, with suspicious code: eased by `points`. */
  ease: { points: 10 },
} as const;

// =================================================================================================
// Threats aimed at AI tooling and developer machines (issue 4). Reach decides what a finding weighs:
// install-time code runs without anyone asking; import-reachable code is judged by the severity its
// rule gave it; a bin runs only when the user asks, so changes made from bins are capped (suspicious
// at most, with the reason shown). Theft is theft whoever started it, and MCP servers run as bins:
// those are not capped. These rules report whole attack patterns (a clipper swaps addresses it read,
// a worm publishes with a token it found), so they are chains; reading an AI key is a chain only at
// install, where nothing the user asked for needs one.
// =================================================================================================

export type ThreatSignal = 'flow:ai-key' | 'source:ai-key' | 'agent-config-write' | 'ai-cli-bypass' | 'ai-cli-abuse' | 'mcp-poisoning' | 'mcp-arg-exfil' | 'wallet-theft' | 'clipper' | 'miner' | 'worm' | 'ci-takeover' | 'persistence' | Issue18Signal;

export interface ThreatWeight {
  kind: Kind;
  /** Points at install reach (findings of medium severity or more). */
  install: number;
  /** Points at import reach by severity: critical, high, medium. */
  bySeverity: [number, number, number];
  /** Caps for bins and for code nothing reaches. */
  bin: number;
  unreached: number;
  /** How the reason starts. */
  what: string;
  /** Bins are how MCP servers run: agents start them, not the user. */
  serverCode?: boolean;
}

// Issue 18 (tampering, anti-forensics, Windows launchers, covert channels, dead drops, package
// config): rules give these signals only to findings that are evidence (install time, on load).
// Bins get nothing: patch-package and asar tools change other software when the user asks.
type Issue18Signal = 'tamper' | 'anti-forensics' | 'windows-launcher' | 'covert-channel' | 'dead-drop' | 'package-config' | 'flow:library-secret';
const ISSUE_18_WEIGHTS: Record<Issue18Signal, ThreatWeight> = {
  tamper: { kind: 'chain', install: 92, bySeverity: [88, 75, 0], bin: 0, unreached: 0, what: 'tampers with other software' },
  'anti-forensics': { kind: 'chain', install: 80, bySeverity: [80, 60, 0], bin: 0, unreached: 0, what: 'erases its traces' },
  'windows-launcher': { kind: 'chain', install: 90, bySeverity: [85, 72, 0], bin: 30, unreached: 0, what: 'runs code through a Windows launcher' },
  'covert-channel': { kind: 'chain', install: 90, bySeverity: [85, 72, 0], bin: 30, unreached: 0, what: 'opens a covert channel' },
  'dead-drop': { kind: 'chain', install: 92, bySeverity: [88, 75, 40], bin: 60, unreached: 0, what: 'takes its target from a dead drop' },
  'package-config': { kind: 'chain', install: 85, bySeverity: [85, 60, 0], bin: 0, unreached: 0, what: 'ships package-manager config that runs code or redirects installs' },
  // A library's caller hands it keys; sending them to a drop is a backdoor wherever it runs.
  'flow:library-secret': { kind: 'chain', install: 92, bySeverity: [90, 55, 0], bin: 85, unreached: 40, what: 'a library sends secrets it is given to a foreign host' },
};


export const THREAT_WEIGHTS: Record<ThreatSignal, ThreatWeight> = {
  'flow:ai-key': { kind: 'chain', install: 96, bySeverity: [90, 80, 40], bin: 75, unreached: 40, what: 'AI API key theft' },
  'source:ai-key': { kind: 'chain', install: 82, bySeverity: [0, 0, 0], bin: 0, unreached: 0, what: 'reads AI API keys or AI tool credentials' },
  'agent-config-write': { kind: 'chain', install: 92, bySeverity: [88, 75, 45], bin: 40, unreached: 15, what: 'AI agent configuration tampering' },
  'ai-cli-bypass': { kind: 'chain', install: 92, bySeverity: [85, 72, 40], bin: 30, unreached: 15, what: 'drives an AI coding CLI with its permission checks off' },
  'ai-cli-abuse': { kind: 'chain', install: 96, bySeverity: [92, 85, 45], bin: 85, unreached: 40, what: 'drives an AI coding CLI to hunt for secrets' },
  'mcp-poisoning': { kind: 'chain', install: 92, bySeverity: [92, 75, 40], bin: 92, unreached: 30, what: 'MCP tool poisoning', serverCode: true },
  'mcp-arg-exfil': { kind: 'chain', install: 90, bySeverity: [85, 72, 0], bin: 85, unreached: 30, what: 'MCP tool sends its arguments away', serverCode: true },
  'wallet-theft': { kind: 'chain', install: 92, bySeverity: [85, 60, 30], bin: 50, unreached: 20, what: 'crypto wallet theft' },
  clipper: { kind: 'chain', install: 95, bySeverity: [92, 80, 45], bin: 80, unreached: 40, what: 'crypto clipper' },
  miner: { kind: 'chain', install: 95, bySeverity: [90, 80, 45], bin: 60, unreached: 30, what: 'cryptocurrency miner' },
  worm: { kind: 'chain', install: 96, bySeverity: [94, 80, 40], bin: 80, unreached: 30, what: 'self-propagation (worm)' },
  'ci-takeover': { kind: 'chain', install: 94, bySeverity: [90, 75, 40], bin: 40, unreached: 20, what: 'CI takeover' },
  persistence: { kind: 'chain', install: 90, bySeverity: [85, 72, 0], bin: 30, unreached: 10, what: 'persistence or config hijack' },
  ...ISSUE_18_WEIGHTS,
};

/** The threat chains that pair findings, and prompt injection in docs. */
export const THREAT_CHAINS = {
  /** Searching for AI key shapes at install, with a way out / without one. */
  installKeyScan: { kind: 'chain' as Kind, withOut: 92, alone: 60 },
  /** MCP poisoning and a tool that ships its arguments away: the two halves of one attack. */
  mcpPoisonAndShip: { kind: 'chain' as Kind, points: 94 },
  /** Instructions aimed at AI agents, with code that does what they ask / alone (by severity). */
  promptInjectionWithCode: { kind: 'chain' as Kind, points: 85 },
  promptInjection: { kind: 'signal' as Kind, high: 50, medium: 40 },
};

/** Code evidence that turns prompt injection in docs from suspicious into malicious. */
export const INJECTION_MATCHES: readonly Signal[] = [
  'agent-config-write', 'ai-cli-bypass', 'ai-cli-abuse', 'mcp-poisoning', 'mcp-arg-exfil', 'flow:ai-key', 'source:ai-key', 'ai-key-scan',
  'flow:secret', 'flow:token', 'source:credential-file', 'exec:shell-download', 'install-shell-download', 'worm', 'ci-takeover', 'persistence',
  'wallet-theft', 'clipper', 'miner',
];

/** The whole table, as the scorer walks it and docs/scoring.md describes it. */
export const SCORE_TABLE = {
  verdicts: { malicious: MALICIOUS_AT, suspicious: SUSPICIOUS_AT },
  base: BASE,
  flows: FLOWS,
  file: FILE_CHAINS,
  package: PACKAGE_CHAINS,
  threats: THREAT_WEIGHTS,
  threatChains: THREAT_CHAINS,
  registry: REGISTRY_CHAINS,
  registryAdjust: REGISTRY_ADJUST,
} as const;

// =================================================================================================
// The scorer: findings -> score and verdict, by walking SCORE_TABLE.
// =================================================================================================

export interface ScoreResult {
  score: number;
  verdict: Verdict;
  /** The chains and findings that drove the score, strongest first. */
  reasons: string[];
}

function strongest(a: Finding | undefined, b: Finding): Finding {
  if (!a) return b;
  return SEVERITY_ORDER.indexOf(b.severity) > SEVERITY_ORDER.indexOf(a.severity) ? b : a;
}

type Raise = (points: number, text: string, kind: Kind) => void;

/** Walk entries against one view: the first entry of each group that matches with points counts. */
function walk<V extends FileView | PackageView>(entries: readonly Entry<V>[], view: V, raise: Raise): void {
  const done = new Set<string>();
  for (const e of entries) {
    if (e.group && done.has(e.group)) continue;
    const hit = e.match(view);
    if (!hit) continue;
    const reach = e.reachOf === 'file' && 'reach' in view ? view.reach : hit.reach ?? 'import';
    const points = e.points[reach];
    if (points <= 0) continue;
    if (e.group) done.add(e.group);
    raise(points, e.reason(view, hit), e.kind);
  }
}

export function scoreFindings(findings: readonly Finding[]): ScoreResult {
  const reasons: { points: number; text: string }[] = [];
  let floor = 0;
  // A signal is one capability or trait: it never reaches malicious alone, whatever its weight.
  const raise: Raise = (points, text, kind) => {
    const p = kind === 'signal' ? Math.min(points, MALICIOUS_AT - 1) : points;
    reasons.push({ points: p, text });
    floor = Math.max(floor, p);
  };

  // Base: capped severity points per rule, weighted by reach.
  const perRule = new Map<string, { sum: number; top: number }>();
  for (const f of findings) {
    const pts = BASE.severity[f.severity] * BASE.reachFactor[f.reach ?? 'import'];
    const r = perRule.get(f.rule) ?? { sum: 0, top: 0 };
    r.sum += pts;
    r.top = Math.max(r.top, BASE.severity[f.severity]);
    perRule.set(f.rule, r);
  }
  let base = 0;
  for (const r of perRule.values()) base += Math.min(r.sum, BASE.perRuleCap * r.top);
  base = Math.min(base, BASE.cap);

  // Group signals by file (the package manifest is its own bucket, at install reach).
  const buckets = new Map<string, { file: string; reach: Reach; signals: Map<Signal, Finding> }>();
  const pkgSignals = new Map<Signal, Finding>();
  for (const f of findings) {
    for (const s of f.signals ?? []) pkgSignals.set(s, strongest(pkgSignals.get(s), f));
    const key = f.file ?? '(package)';
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { file: key, reach: f.reach ?? (f.file === 'package.json' ? 'install' : 'import'), signals: new Map() }));
    for (const s of f.signals ?? []) b.signals.set(s, strongest(b.signals.get(s), f));
  }
  const fileViews: FileView[] = [...buckets.values()].map((b) => ({ file: b.file, reach: b.reach, at: (s: Signal) => b.signals.get(s) }));

  // Data flows: the strongest evidence, each with its path from source to sink.
  for (const f of findings) {
    for (const s of f.signals ?? []) {
      const w = FLOWS[s as keyof typeof FLOWS];
      if (w) raise(w.points[f.reach ?? 'import'], `${f.reach === 'install' ? 'at install: ' : ''}${f.message}`, w.kind);
    }
  }
  const pkg: PackageView = { findings, signal: (s) => pkgSignals.get(s), registry: registryFacts(findings) };
  walk(PACKAGE_CHAINS, pkg, raise);
  for (const v of fileViews) walk(FILE_CHAINS, v, raise);
  scoreThreats(findings, fileViews, raise);

  // Registry and name evidence (issue 7): raises install-time code evidence, or eases unchanged code.
  const codeFloor = floor;
  walk(REGISTRY_CHAINS, pkg, raise);
  const { strong, weak } = pkg.registry;
  if (strong.length && codeFloor >= SUSPICIOUS_AT) {
    raise(Math.min(REGISTRY_ADJUST.raise.max, codeFloor + REGISTRY_ADJUST.raise.step), `${strong.map(({ label }) => label).join('; ')}; raises the weight of the code evidence`, 'chain');
  }
  const unchanged = findings.find((f) => f.signals?.includes('registry:unchanged'));
  const installRisk = findings.some((f) => f.reach === 'install' && sevAtLeast(f, 'medium'));
  if (unchanged && !strong.length && !weak.length && !installRisk && codeFloor >= SUSPICIOUS_AT && codeFloor < MALICIOUS_AT) {
    floor = Math.max(0, floor - REGISTRY_ADJUST.ease.points);
    reasons.push({ points: 0, text: `eased: ${unchanged.message}` });
  }

  const score = Math.round(Math.min(100, Math.max(floor, base)));
  const verdict: Verdict = score >= MALICIOUS_AT ? 'malicious' : score >= SUSPICIOUS_AT ? 'suspicious' : 'clean';
  reasons.sort((a, b) => b.points - a.points);
  const text = reasons.map((r) => r.text);
  if (text.length === 0 && base > 0) {
    const top = [...findings].sort((a, b) => BASE.severity[b.severity] - BASE.severity[a.severity])[0];
    if (top && BASE.severity[top.severity] > 0) text.push(`${top.message} (${where(top)})`);
  }
  return { score, verdict, reasons: dedupeReasons(text).slice(0, 8) };
}

const SEV_INDEX: Partial<Record<Severity, 0 | 1 | 2>> = { critical: 0, high: 1, medium: 2 };

function threatPoints(w: ThreatWeight, f: Finding): number {
  const i = SEV_INDEX[f.severity];
  if (i === undefined) return 0;
  const atImport = w.bySeverity[i];
  switch (f.reach ?? 'import') {
    case 'install':
      return w.install;
    case 'import':
      return atImport;
    case 'bin':
      return Math.min(atImport, w.bin);
    case 'unreached':
      return Math.min(atImport, w.unreached);
  }
}

function scoreThreats(findings: readonly Finding[], files: readonly FileView[], raise: Raise): void {
  for (const f of findings) {
    for (const s of f.signals ?? []) {
      const w = THREAT_WEIGHTS[s as ThreatSignal];
      if (!w) continue;
      const points = threatPoints(w, f);
      if (points <= 0) continue;
      const capped = f.reach === 'bin' && points === w.bin && w.bin < MALICIOUS_AT;
      const when = f.reach === 'install' ? 'at install: ' : f.reach === 'bin' ? (w.serverCode ? 'in the server agents start: ' : 'in a bin the user runs: ') : '';
      raise(points, `${w.what}, ${when}${f.message} (${where(f)})${capped ? ' (capped: the user runs it explicitly)' : ''}`, w.kind);
    }
  }

  // Searching for AI key shapes weighs with a way out. Elsewhere AI tools validate key formats and
  // call APIs in one bundle: flows decide there.
  for (const v of files) {
    const scan = v.at('ai-key-scan');
    if (!scan || v.reach !== 'install') continue;
    const out = v.at('sink:exfil-endpoint') ?? v.at('sink:network') ?? v.at('sink:dns');
    const w = THREAT_CHAINS.installKeyScan;
    raise(out ? w.withOut : w.alone, `at install: ${scan.message} (${where(scan)})${out ? ` and ${out.message}` : ''}`, w.kind);
  }

  const poison = findings.find((f) => (f.signals ?? []).includes('mcp-poisoning') && sevAtLeast(f, 'medium') && f.reach !== 'unreached');
  const ship = findings.find((f) => (f.signals ?? []).includes('mcp-arg-exfil') && f.reach !== 'unreached');
  if (poison && ship) {
    const w = THREAT_CHAINS.mcpPoisonAndShip;
    raise(w.points, `MCP tool poisoning (${poison.message}, ${where(poison)}) and a tool that sends its arguments away (${ship.message}, ${where(ship)})`, w.kind);
  }

  // Prompt injection in docs: suspicious alone, malicious with code that does what it asks.
  let inj: Finding | undefined;
  for (const f of findings) if ((f.signals ?? []).includes('prompt-injection') && sevAtLeast(f, 'medium')) inj = strongest(inj, f);
  if (inj) {
    const code = findings.find((f) => f !== inj && f.reach !== 'unreached' && sevAtLeast(f, 'medium') && (f.signals ?? []).some((s) => INJECTION_MATCHES.includes(s)));
    const { promptInjectionWithCode: both, promptInjection: alone } = THREAT_CHAINS;
    if (code) raise(both.points, `instructions aimed at AI agents (${inj.message}, ${where(inj)}) and code that matches them: ${code.message} (${where(code)})`, both.kind);
    else raise(sevAtLeast(inj, 'high') ? alone.high : alone.medium, `instructions aimed at AI agents in the package's docs or metadata: ${inj.message} (${where(inj)})`, alone.kind);
  }
}

const REGISTRY_STRONG: readonly Signal[] = ['registry:typosquat', 'registry:dependency-confusion', 'registry:new-install-script', 'registry:lost-provenance', 'registry:manifest-confusion'];
const REGISTRY_WEAK: readonly Signal[] = ['registry:new-publisher', 'registry:new-package'];
const INSTALL_DATA_OR_NETWORK: readonly Signal[] = [
  'sink:network', 'sink:dns', 'sink:exfil-endpoint', 'sink:recon-endpoint', 'exec:shell-download', 'exec:shell-recon', 'install-shell-download',
  'source:env-bulk', 'source:env-secret', 'source:credential-file', 'source:fingerprint', 'flow:secret', 'flow:token', 'flow:fingerprint',
];
const INSTALL_EXEC: readonly Signal[] = ['exec', 'exec:detached', 'exec:bundled-binary', 'dynamic-code', 'dynamic-code:decoded', 'obfuscation'];

function registryLabel(f: Finding, s: Signal): string {
  switch (s) {
    case 'registry:typosquat':
      return `name imitates a popular package (${f.evidence ?? f.message})`;
    case 'registry:dependency-confusion':
      return 'dependency-confusion shape (internal-looking name or absurd version)';
    case 'registry:new-install-script':
      return `install script new in this release (${f.message})`;
    case 'registry:lost-provenance':
      return 'published without the provenance its previous release had';
    case 'registry:manifest-confusion':
      return `tarball and registry metadata disagree (${f.message})`;
    default:
      return f.message;
  }
}

/** Registry and name evidence (issue 7): typosquats, dependency confusion, hijacked releases, manifest confusion. */
function registryFacts(findings: readonly Finding[]): RegistryFacts {
  const has = (list: readonly Signal[]) => {
    const out: { s: Signal; f: Finding }[] = [];
    for (const s of list) {
      const f = findings.find((x) => x.signals?.includes(s));
      if (f) out.push({ s, f });
    }
    return out;
  };
  // A name with years of releases is no fresh imitation: its likeness to a popular name is shown,
  // but weighs nothing (a takeover of it is what the release diff's signals are for).
  const established = findings.some((x) => x.signals?.includes('registry:established'));
  const strong = has(REGISTRY_STRONG)
    .filter(({ s }) => !(established && s === 'registry:typosquat'))
    .map(({ s, f }) => ({ s, f, label: registryLabel(f, s) }));
  const weak = has(REGISTRY_WEAK);
  const atInstall = (list: readonly Signal[], withInfo: boolean) =>
    findings.find((f) => f.reach === 'install' && (withInfo || f.severity !== 'info') && f.signals?.some((s) => list.includes(s)));
  return {
    strong,
    weak,
    deceptive:
      strong.some(({ s }) => s === 'registry:typosquat' || s === 'registry:dependency-confusion' || s === 'registry:manifest-confusion') || strong.length >= 2 || weak.length > 0,
    installNet: atInstall(INSTALL_DATA_OR_NETWORK, true),
    installExec: atInstall(INSTALL_EXEC, false),
    installScript: findings.find((f) => f.reach === 'install' && f.signals?.some((s) => s === 'install-script' || s === 'install-inline-code')),
  };
}
