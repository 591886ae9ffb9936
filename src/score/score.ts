import type { Finding, Reach, Severity, Signal, Verdict } from '../types.js';

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
  const perRule = new Map<string, number>();
  for (const f of findings) {
    const pts = SEVERITY_POINTS[f.severity] * REACH_FACTOR[f.reach ?? 'import'];
    perRule.set(f.rule, Math.min((perRule.get(f.rule) ?? 0) + pts, 2 * SEVERITY_POINTS[f.severity] * 1.5));
  }
  let base = 0;
  for (const v of perRule.values()) base += v;
  base = Math.min(base, 60);

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
      else if (strongSource && (strongSink || at('sink:network') || at('sink:dns'))) raise(85, `collects secrets and sends them out: ${chain}`);
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

  const hazard = findings.find((f) => f.rule === 'unpack-hazard' && (f.severity === 'critical' || f.severity === 'high'));
  if (hazard) raise(hazard.severity === 'critical' ? 60 : 40, `archive is hostile: ${hazard.message}`);
  const gap = findings.find((f) => (f.signals ?? []).includes('analysis-gap') && f.rule === 'unpack-hazard');
  if (gap) raise(40, `not fully analyzed: ${gap.message}`);
  // Code that runs on install or import but could not be parsed is never waved through as clean.
  const blind = findings.find((f) => f.rule === 'parse-error' && (f.reach === 'install' || f.reach === 'import'));
  if (blind) raise(blind.severity === 'high' ? 55 : 40, `code that runs ${blind.reach === 'install' ? 'at install' : 'on import'} could not be analyzed: ${where(blind)} (${blind.message})`);

  const score = Math.round(Math.min(100, Math.max(floor, base)));
  const verdict: Verdict = score >= MALICIOUS_AT ? 'malicious' : score >= SUSPICIOUS_AT ? 'suspicious' : 'clean';
  reasons.sort((a, b) => b.points - a.points);
  const text = reasons.map((r) => r.text);
  if (text.length === 0 && base > 0) {
    const top = [...findings].sort((a, b) => SEVERITY_POINTS[b.severity] - SEVERITY_POINTS[a.severity])[0];
    if (top && SEVERITY_POINTS[top.severity] > 0) text.push(`${top.message} (${where(top)})`);
  }
  return { score, verdict, reasons: [...new Set(text)].slice(0, 8) };
}
