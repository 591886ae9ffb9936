// Applying tollgate.config.json to scan results: pinned allows (whole package version, or one
// rule's findings in it), expiry, and the gate decision. Pure: results in, results + effects out.
import { scoreFindings } from '../score/score.js';
import type { ReportedPackage, Verdict } from '../types.js';
import { isExpired, type AllowEntry, type FailOn, type TollgateConfig } from './config.js';

/** What the config did to one package, for reports and `--explain`. */
export interface PolicyEffect {
  /** Verdict and score the engine gave before the config was applied. */
  before: { verdict: Verdict; score: number };
  /** A whole-version allow that applied: the package is reported but does not fail the gate. */
  allowed?: AllowEntry;
  /** Rule-level allows that applied, with how many findings each removed. */
  suppressed: Array<{ entry: AllowEntry; findings: number }>;
  /** Allow entries for this exact version that have expired: ignored, and warned about. */
  expired: AllowEntry[];
}

export type Gated<P extends ReportedPackage> = P & { policy: PolicyEffect };

export interface PolicyOutcome<P extends ReportedPackage> {
  packages: Array<Gated<P>>;
  /** Human warnings: expired entries (for packages scanned or not) and allows that matched nothing. */
  warnings: string[];
}

const matches = (e: AllowEntry, p: ReportedPackage): boolean => e.name === p.name && e.version === p.version;

export function applyPolicy<P extends ReportedPackage>(results: readonly P[], config: TollgateConfig, now: Date): PolicyOutcome<P> {
  const warnings: string[] = [];
  const where = config.file ?? 'tollgate.config.json';
  for (const e of config.allow) {
    if (isExpired(e, now)) {
      warnings.push(`${where}: allow entry ${e.index} for ${e.name}@${e.version}${e.rule ? ` (rule ${e.rule})` : ''} expired on ${e.expires}; it no longer applies. Review the package again, then renew or delete the entry`);
    }
  }
  const packages = results.map((r): Gated<P> => {
    const entries = config.allow.filter((e) => matches(e, r));
    const live = entries.filter((e) => !isExpired(e, now));
    const effect: PolicyEffect = { before: { verdict: r.verdict, score: r.score }, suppressed: [], expired: entries.filter((e) => isExpired(e, now)) };
    // An error result stays an error: an allow never turns "could not analyze" into a pass.
    if (r.verdict === 'error') return { ...r, policy: effect };
    const whole = live.find((e) => !e.rule);
    if (whole) return { ...r, policy: { ...effect, allowed: whole } };
    const ruleAllows = live.filter((e) => e.rule);
    if (!ruleAllows.length) return { ...r, policy: effect };
    const allowedRules = new Set(ruleAllows.map((e) => e.rule));
    const kept = r.findings.filter((f) => !allowedRules.has(f.rule));
    for (const e of ruleAllows) effect.suppressed.push({ entry: e, findings: r.findings.filter((f) => f.rule === e.rule).length });
    if (kept.length === r.findings.length) return { ...r, policy: effect };
    const rescored = scoreFindings(kept);
    return { ...r, findings: kept, score: rescored.score, verdict: rescored.verdict, reasons: rescored.reasons, policy: effect };
  });
  return { packages, warnings };
}

const FAILING: Record<FailOn, Verdict[]> = { malicious: ['malicious'], suspicious: ['malicious', 'suspicious'], never: [] };

/** 1 when a package not allowed reaches failOn, else 2 when any could not be analyzed, else 0. */
export function gateExitCode(packages: ReadonlyArray<Gated<ReportedPackage>>, failOn: FailOn): number {
  const gated = packages.filter((p) => !p.policy.allowed);
  if (gated.some((p) => FAILING[failOn].includes(p.verdict))) return 1;
  if (gated.some((p) => p.verdict === 'error')) return 2;
  return 0;
}

export function failsGate(p: Gated<ReportedPackage>, failOn: FailOn): boolean {
  return !p.policy.allowed && FAILING[failOn].includes(p.verdict);
}

/** What the config did to a package, one line each, for every command's human report. */
export function policyNotes(effect: PolicyEffect | undefined): string[] {
  if (!effect) return [];
  const lines: string[] = [];
  if (effect.allowed) lines.push(`allowed by config (allow[${effect.allowed.index}]): ${effect.allowed.reason}${effect.allowed.expires ? ` (until ${effect.allowed.expires})` : ''}; does not fail the gate`);
  for (const s of effect.suppressed) lines.push(`config allows rule ${s.entry.rule} here (allow[${s.entry.index}]): ${s.findings} finding${s.findings === 1 ? '' : 's'} removed; ${s.entry.reason}`);
  for (const e of effect.expired) lines.push(`allow[${e.index}] expired on ${e.expires}: not applied`);
  return lines;
}

/** A package's `policy` block in every command's JSON (schema/report.schema.json). */
export function policyJson(effect: PolicyEffect) {
  return {
    before: effect.before,
    allowed: effect.allowed ? { reason: effect.allowed.reason, expires: effect.allowed.expires ?? null } : null,
    suppressed: effect.suppressed.map((s) => ({ rule: s.entry.rule, findings: s.findings, reason: s.entry.reason })),
    expired: effect.expired.map((e) => ({ rule: e.rule ?? null, expires: e.expires, reason: e.reason })),
  };
}
