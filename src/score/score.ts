import type { Finding, Reach, Severity, Signal, Verdict } from '../types.js';
import { dedupeReasons } from './dedupe.js';

/**
 * Findings -> score and verdict. Capabilities alone (network, env reads, child processes) are what
 * libraries do, so they weigh little; the score is driven by *chains*: a sensitive source and a
 * sink in the same file, a shell download at install, decoded code that executes. Code reachable
 * from lifecycle scripts weighs most, because it runs without anyone importing the package.
 */
export const MALICIOUS_AT = 70;
export const SUSPICIOUS_AT = 35;

const SEVERITY_POINTS: Record<Severity, number> = { info: 0, low: 2, medium: 6, high: 14, critical: 30 };
const REACH_FACTOR: Record<Reach, number> = { install: 1.5, import: 1, bin: 0.6, unreached: 0.4 };

export interface ScoreResult {
  score: number;
  verdict: Verdict;
  /** The chains and findings that drove the score, strongest first. */
  reasons: string[];
}

interface Bucket {
  file: string;
  reach: Reach;
  signals: Map<Signal, Finding>;
}

function strongest(a: Finding | undefined, b: Finding): Finding {
  if (!a) return b;
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  return order.indexOf(b.severity) > order.indexOf(a.severity) ? b : a;
}

function where(f: Finding | undefined): string {
  if (!f) return '';
  return f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : 'package';
}

const SOURCES: Signal[] = ['source:env-bulk', 'source:credential-file', 'source:env-secret', 'source:fingerprint'];
const SINKS: Signal[] = ['sink:exfil-endpoint', 'sink:network', 'sink:dns', 'exec:shell-recon', 'sink:recon-endpoint'];

function sevAtLeast(f: Finding | undefined, s: Severity): boolean {
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  return !!f && order.indexOf(f.severity) >= order.indexOf(s);
}

export function scoreFindings(findings: readonly Finding[]): ScoreResult {
  const reasons: { points: number; text: string }[] = [];
  let floor = 0;
  const raise = (points: number, text: string) => {
    reasons.push({ points, text });
    floor = Math.max(floor, points);
  };

  // Base: capped severity points per rule, weighted by reach.
  // Each rule adds at most twice its strongest finding (at install weight), however often it fires.
  const perRule = new Map<string, { sum: number; top: number }>();
  for (const f of findings) {
    const pts = SEVERITY_POINTS[f.severity] * REACH_FACTOR[f.reach ?? 'import'];
    const r = perRule.get(f.rule) ?? { sum: 0, top: 0 };
    r.sum += pts;
    r.top = Math.max(r.top, SEVERITY_POINTS[f.severity]);
    perRule.set(f.rule, r);
  }
  let base = 0;
  for (const r of perRule.values()) base += Math.min(r.sum, 2 * r.top * 1.5);
  // Capabilities alone never make a verdict: only evidence chains (below) reach suspicious.
  base = Math.min(base, SUSPICIOUS_AT - 5);

  // Group signals by file (the package manifest is its own bucket, at install reach).
  const buckets = new Map<string, Bucket>();
  const pkgSignals = new Map<Signal, Finding>();
  for (const f of findings) {
    for (const s of f.signals ?? []) pkgSignals.set(s, strongest(pkgSignals.get(s), f));
    const key = f.file ?? '(package)';
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { file: key, reach: f.reach ?? (f.file === 'package.json' ? 'install' : 'import'), signals: new Map() }));
    for (const s of f.signals ?? []) b.signals.set(s, strongest(b.signals.get(s), f));
  }

  // Data flows: the strongest evidence, each with its path from source to sink.
  const FLOW_POINTS: Record<'flow:secret' | 'flow:token' | 'flow:fingerprint', Record<Reach, number>> = {
    'flow:secret': { install: 96, import: 90, bin: 65, unreached: 45 },
    'flow:token': { install: 85, import: 45, bin: 35, unreached: 20 },
    'flow:fingerprint': { install: 93, import: 45, bin: 30, unreached: 15 },
  };
  for (const f of findings) {
    for (const s of f.signals ?? []) {
      if (s === 'flow:secret' || s === 'flow:token' || s === 'flow:fingerprint') raise(FLOW_POINTS[s][f.reach ?? 'import'], `${f.reach === 'install' ? 'at install: ' : ''}${f.message}`);
    }
  }

  // Install-script chains.
  const shellDl = pkgSignals.get('install-shell-download');
  if (shellDl) raise(95, `install script downloads and runs code (${where(shellDl)}: ${shellDl.message})`);

  for (const b of buckets.values()) {
    const at = (s: Signal) => b.signals.get(s);
    const install = b.reach === 'install';
    const dl = at('exec:shell-download');
    if (dl) raise(install ? 95 : 75, `${install ? 'install-time ' : ''}shell download-and-execute at ${where(dl)}`);
    const recon = at('exec:shell-recon');
    if (recon) raise(install ? 92 : 72, `shell command collects host data and sends it out at ${where(recon)}`);
    const detached = at('exec:detached');
    if (detached && install) raise(at('exec:bundled-binary') ? 88 : 75, `install-time detached silent process at ${where(detached)}`);

    // Source-to-sink in one file.
    const source = SOURCES.map((s) => at(s)).find((f) => f !== undefined);
    const sinkF = SINKS.map((s) => at(s)).find((f) => f !== undefined);
    if (source && sinkF) {
      const strongSource = sevAtLeast(at('source:env-bulk'), 'medium') || sevAtLeast(at('source:credential-file'), 'high') || (at('source:credential-file') && at('sink:exfil-endpoint'));
      const strongSink = !!at('sink:exfil-endpoint') || !!at('exec:shell-recon') || sevAtLeast(at('sink:dns'), 'high');
      const chain = `${source.message} (${where(source)}) and ${sinkF.message} (${where(sinkF)})`;
      if (install && (strongSource || strongSink || at('source:fingerprint'))) raise(92, `install-time code collects data and sends it out: ${chain}`);
      else if (install) raise(30, `install-time code reads sensitive data and has network access: ${chain}`);
      // Outside install code a source and a plain sink in one file is weak evidence (bundles hold
      // everything in one file); the flow rule reports real paths. Drops are another matter.
      else if (strongSource && strongSink) raise(85, `collects secrets and sends them out: ${chain}`);
      else if (strongSource) raise(b.reach === 'unreached' ? 10 : 25, `reads secrets and has network access in one file (no data path found): ${chain}`);
      else if (strongSink) raise(75, `sends host data to a data-collection endpoint: ${chain}`);
      else if (at('source:fingerprint') && (at('sink:recon-endpoint') || sevAtLeast(at('sink:dns'), 'high'))) raise(72, `fingerprints the host and beacons it out: ${chain}`);
      else raise(b.reach === 'unreached' ? 15 : 30, `reads sensitive data and has network access in one file: ${chain}`);
    }
    const decoded = at('dynamic-code:decoded');
    if (decoded && (at('sink:network') || at('exec') || at('sink:exfil-endpoint'))) raise(install ? 90 : 78, `decodes code and executes it, in a file with network or process access (${where(decoded)})`);
    else if (decoded) raise(install ? 50 : 38, `decodes code and executes it (${where(decoded)})`);
    const obf = at('obfuscation');
    if (obf && sevAtLeast(obf, 'medium') && (at('sink:network') || at('exec') || at('dynamic-code') || at('sink:dns'))) {
      raise(install ? 90 : 78, `obfuscated code that also ${at('exec') ? 'runs processes' : at('dynamic-code') ? 'executes dynamic code' : 'uses the network'} (${where(obf)}: ${obf.message})`);
    } else if (obf && sevAtLeast(obf, 'high') && b.reach !== 'unreached') raise(40, `obfuscated code: ${obf.message} (${where(obf)})`);
    const home = at('sink:file-write-home');
    if (home && b.reach !== 'unreached') raise(install ? 55 : 40, `writes into the user's home folder at ${where(home)}`);
    const sab = at('sabotage');
    if (sab && b.reach !== 'unreached') raise(50, `sabotage: ${sab.message} (${where(sab)})`);
    const dyn = at('dynamic-code');
    if (install && dyn && (at('sink:network') || at('exec'))) raise(60, `install-time code runs dynamic code and has network or process access (${where(dyn)})`);
  }

  // Package-wide: an exfiltration endpoint plus a sensitive source anywhere.
  const endpoint = pkgSignals.get('sink:exfil-endpoint');
  const anySource = SOURCES.map((s) => pkgSignals.get(s)).find((f) => f !== undefined);
  if (endpoint && anySource && endpoint.reach !== 'unreached') raise(85, `sends data to ${endpoint.message} (${where(endpoint)}) and reads ${anySource.message} (${where(anySource)})`);
  else if (endpoint && endpoint.reach !== 'unreached') raise(40, `${endpoint.message} (${where(endpoint)})`);

  scoreThreats(findings, buckets.values(), raise);

  const hazard = findings.find((f) => f.rule === 'unpack-hazard' && (f.severity === 'critical' || f.severity === 'high'));
  if (hazard) raise(hazard.severity === 'critical' ? 60 : 40, `archive is hostile: ${hazard.message}`);
  const gap = findings.find((f) => (f.signals ?? []).includes('analysis-gap') && f.rule === 'unpack-hazard');
  if (gap) raise(40, `not fully analyzed: ${gap.message}`);
  // Code that runs on install or import but could not be parsed is never waved through as clean.
  const blind = findings.find((f) => f.rule === 'parse-error' && (f.reach === 'install' || f.reach === 'import'));
  if (blind) raise(blind.severity === 'high' ? 55 : 40, `code that runs ${blind.reach === 'install' ? 'at install' : 'on import'} could not be analyzed: ${where(blind)} (${blind.message})`);

  // Registry and name evidence (issue 7): raises install-time code evidence, or eases unchanged code.
  const eased = scoreRegistry(findings, raise, floor);
  if (eased) {
    floor = Math.max(0, floor - eased.points);
    reasons.push({ points: 0, text: eased.text });
  }

  // Never clean (issue 19): a tarball whose package.json contradicts the registry's manifest (another
  // name, version, or hidden install script) is not the package anyone reviewed, whatever its code.
  const confused = findings.find((f) => f.rule === 'manifest-confusion' && sevAtLeast(f, 'high'));
  if (confused) raise(SUSPICIOUS_AT, `tarball and registry metadata disagree: ${confused.message}`);

  const score = Math.round(Math.min(100, Math.max(floor, base)));
  const verdict: Verdict = score >= MALICIOUS_AT ? 'malicious' : score >= SUSPICIOUS_AT ? 'suspicious' : 'clean';
  reasons.sort((a, b) => b.points - a.points);
  const text = reasons.map((r) => r.text);
  if (text.length === 0 && base > 0) {
    const top = [...findings].sort((a, b) => SEVERITY_POINTS[b.severity] - SEVERITY_POINTS[a.severity])[0];
    if (top && SEVERITY_POINTS[top.severity] > 0) text.push(`${top.message} (${where(top)})`);
  }
  return { score, verdict, reasons: dedupeReasons(text).slice(0, 8) };
}

// =================================================================================================
// Threats aimed at AI tooling and developer machines (issue 4): AI keys, agent configs, AI CLIs, MCP
// tools, prompt injection, crypto theft, worms, persistence. Reach decides what a finding weighs:
// install-time code runs without anyone asking, so it is malicious; import-reachable code is judged
// by the severity its rule gave it (rules raise it for code that runs as soon as it is loaded); a
// bin runs only when the user asks, so changes made from bins are capped (suspicious at most, with
// the reason shown). Theft is theft whoever started it, and MCP servers run as bins: those are not
// capped.
// =================================================================================================

type ThreatSignal = 'flow:ai-key' | 'source:ai-key' | 'agent-config-write' | 'ai-cli-bypass' | 'ai-cli-abuse' | 'mcp-poisoning' | 'mcp-arg-exfil' | 'wallet-theft' | 'clipper' | 'miner' | 'worm' | 'ci-takeover' | 'persistence';

interface ThreatWeight {
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

export const THREAT_WEIGHTS: Record<ThreatSignal, ThreatWeight> = {
  'flow:ai-key': { install: 96, bySeverity: [90, 80, 40], bin: 75, unreached: 40, what: 'AI API key theft' },
  'source:ai-key': { install: 82, bySeverity: [0, 0, 0], bin: 0, unreached: 0, what: 'reads AI API keys or AI tool credentials' },
  'agent-config-write': { install: 92, bySeverity: [88, 75, 45], bin: 40, unreached: 15, what: 'AI agent configuration tampering' },
  'ai-cli-bypass': { install: 92, bySeverity: [85, 72, 40], bin: 30, unreached: 15, what: 'drives an AI coding CLI with its permission checks off' },
  'ai-cli-abuse': { install: 96, bySeverity: [92, 85, 45], bin: 85, unreached: 40, what: 'drives an AI coding CLI to hunt for secrets' },
  'mcp-poisoning': { install: 92, bySeverity: [92, 75, 40], bin: 92, unreached: 30, what: 'MCP tool poisoning', serverCode: true },
  'mcp-arg-exfil': { install: 90, bySeverity: [85, 72, 0], bin: 85, unreached: 30, what: 'MCP tool sends its arguments away', serverCode: true },
  'wallet-theft': { install: 92, bySeverity: [85, 60, 30], bin: 50, unreached: 20, what: 'crypto wallet theft' },
  clipper: { install: 95, bySeverity: [92, 80, 45], bin: 80, unreached: 40, what: 'crypto clipper' },
  miner: { install: 95, bySeverity: [90, 80, 45], bin: 60, unreached: 30, what: 'cryptocurrency miner' },
  worm: { install: 96, bySeverity: [94, 80, 40], bin: 80, unreached: 30, what: 'self-propagation (worm)' },
  'ci-takeover': { install: 94, bySeverity: [90, 75, 40], bin: 40, unreached: 20, what: 'CI takeover' },
  persistence: { install: 90, bySeverity: [85, 72, 0], bin: 30, unreached: 10, what: 'persistence or config hijack' },
};

/** Code evidence that turns prompt injection in docs from suspicious into malicious. */
const INJECTION_MATCHES: readonly Signal[] = [
  'agent-config-write', 'ai-cli-bypass', 'ai-cli-abuse', 'mcp-poisoning', 'mcp-arg-exfil', 'flow:ai-key', 'source:ai-key', 'ai-key-scan',
  'flow:secret', 'flow:token', 'source:credential-file', 'exec:shell-download', 'install-shell-download', 'worm', 'ci-takeover', 'persistence',
  'wallet-theft', 'clipper', 'miner',
];

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

function scoreThreats(findings: readonly Finding[], buckets: Iterable<Bucket>, raise: (points: number, text: string) => void): void {
  for (const f of findings) {
    for (const s of f.signals ?? []) {
      const w = THREAT_WEIGHTS[s as ThreatSignal];
      if (!w) continue;
      const points = threatPoints(w, f);
      if (points <= 0) continue;
      const capped = f.reach === 'bin' && points === w.bin && w.bin < MALICIOUS_AT;
      const when = f.reach === 'install' ? 'at install: ' : f.reach === 'bin' ? (w.serverCode ? 'in the server agents start: ' : 'in a bin the user runs: ') : '';
      raise(points, `${w.what}, ${when}${f.message} (${where(f)})${capped ? ' (capped: the user runs it explicitly)' : ''}`);
    }
  }

  // Searching for AI key shapes weighs with a way out.
  for (const b of buckets) {
    const scan = b.signals.get('ai-key-scan');
    if (!scan || b.reach === 'unreached') continue;
    const out = b.signals.get('sink:exfil-endpoint') ?? b.signals.get('sink:network') ?? b.signals.get('sink:dns');
    // Elsewhere AI tools validate key formats and call APIs in one bundle: flows decide there.
    if (b.reach === 'install') raise(out ? 92 : 60, `at install: ${scan.message} (${where(scan)})${out ? ` and ${out.message}` : ''}`);
  }

  // MCP poisoning and a tool that ships its arguments away: the two halves of one attack.
  const poison = findings.find((f) => (f.signals ?? []).includes('mcp-poisoning') && sevAtLeast(f, 'medium') && f.reach !== 'unreached');
  const ship = findings.find((f) => (f.signals ?? []).includes('mcp-arg-exfil') && f.reach !== 'unreached');
  if (poison && ship) raise(94, `MCP tool poisoning (${poison.message}, ${where(poison)}) and a tool that sends its arguments away (${ship.message}, ${where(ship)})`);

  // Prompt injection in docs: suspicious alone, malicious with code that does what it asks.
  let inj: Finding | undefined;
  for (const f of findings) if ((f.signals ?? []).includes('prompt-injection') && sevAtLeast(f, 'medium')) inj = strongest(inj, f);
  if (inj) {
    const code = findings.find((f) => f !== inj && f.reach !== 'unreached' && sevAtLeast(f, 'medium') && (f.signals ?? []).some((s) => INJECTION_MATCHES.includes(s)));
    if (code) raise(85, `instructions aimed at AI agents (${inj.message}, ${where(inj)}) and code that matches them: ${code.message} (${where(code)})`);
    else raise(sevAtLeast(inj, 'high') ? 50 : 40, `instructions aimed at AI agents in the package's docs or metadata: ${inj.message} (${where(inj)})`);
  }
}

// =================================================================================================
// Registry and name evidence (issue 7): typosquats, dependency confusion, hijacked releases
// (new install script, lost provenance, new publisher), manifest confusion. Metadata alone is rarely
// malicious, so it never sets a verdict by itself beyond suspicious: it changes what the code
// evidence weighs. A typosquat or a dependency-confusion name with install-time network code is
// malicious; with any install script it is suspicious; with suspicious code it is a step worse.
// A release that adds nothing to a version published a month or more earlier weighs a little less.
// =================================================================================================

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

function scoreRegistry(findings: readonly Finding[], raise: (points: number, text: string) => void, floor: number): { points: number; text: string } | undefined {
  const has = (list: readonly Signal[]) => {
    const out: { s: Signal; f: Finding }[] = [];
    for (const s of list) {
      const f = findings.find((x) => x.signals?.includes(s));
      if (f) out.push({ s, f });
    }
    return out;
  };
  const strong = has(REGISTRY_STRONG);
  const weak = has(REGISTRY_WEAK);
  const atInstall = (list: readonly Signal[], withInfo: boolean) =>
    findings.find((f) => f.reach === 'install' && (withInfo || f.severity !== 'info') && f.signals?.some((s) => list.includes(s)));
  // Any network use at install counts here, even what the network rule calls ordinary (info): in a
  // borrowed name or a hijacked release, an install script that phones out is the payload's shape.
  const installNet = atInstall(INSTALL_DATA_OR_NETWORK, true);
  const installExec = atInstall(INSTALL_EXEC, false);
  const installScript = findings.find((f) => f.reach === 'install' && f.signals?.some((s) => s === 'install-script' || s === 'install-inline-code'));

  if (strong.length) {
    const what = strong.map(({ s, f }) => registryLabel(f, s)).join('; ');
    // Deception (a borrowed name, a hidden script) or a hijack pattern (a new install script from a
    // new publisher or without provenance) makes install-time network code malicious. A new install
    // script on its own is how honest packages start downloading binaries too: suspicious.
    const deceptive =
      strong.some(({ s }) => s === 'registry:typosquat' || s === 'registry:dependency-confusion' || s === 'registry:manifest-confusion') || strong.length >= 2 || weak.length > 0;
    if (installNet) raise(deceptive ? 88 : 62, `${what}; and install-time code that ${installNet.message} (${where(installNet)})`);
    else if (installExec) raise(deceptive ? 72 : 50, `${what}; and install-time code that ${installExec.message} (${where(installExec)})`);
    else if (installScript || strong.some(({ s }) => s === 'registry:new-install-script')) raise(deceptive ? 50 : 40, `${what}; and the package runs code on install`);
    if (strong.length >= 2) raise(55, `several registry warning signs together: ${what}`);
    if (floor >= SUSPICIOUS_AT) raise(Math.min(90, floor + 15), `${what}; raises the weight of the code evidence`);
  }
  if (weak.length && installNet) raise(45, `${weak.map(({ f }) => f.message).join('; ')}; and install-time code that ${installNet.message} (${where(installNet)})`);

  const unchanged = findings.find((f) => f.signals?.includes('registry:unchanged'));
  const installRisk = findings.some((f) => f.reach === 'install' && sevAtLeast(f, 'medium'));
  if (unchanged && !strong.length && !weak.length && !installRisk && floor >= SUSPICIOUS_AT && floor < MALICIOUS_AT) {
    return { points: 10, text: `eased: ${unchanged.message}` };
  }
  return undefined;
}
