// What the guard does with one scanned tarball, and the words it uses. Pure: the result and the
// policy in, a decision out. The same text goes in the 403 body (which npm prints) and the stderr line.
import { applyPolicy, failsGate } from '../check/policy.js';
import { CONFIG_FILE, type FailOn, type TollgateConfig } from '../check/config.js';
import { safeLine } from '../report/sanitize.js';
import type { ReportedPackage } from '../types.js';
import type { ScanOutcome } from './scanner.js';

export type Decision =
  | { action: 'serve'; result?: ReportedPackage; cached: boolean; note?: string }
  | { action: 'refuse'; status: number; result?: ReportedPackage; cached: boolean; message: string };

export interface Policy {
  failOn: FailOn;
  /** Serve tarballs that could not be scanned (never ones whose integrity failed). */
  failOpen: boolean;
  config: TollgateConfig;
  now?: () => Date;
}

/** The `allow` entry that lets this exact version through, as JSON to paste into tollgate.config.json. */
export function allowHint(name: string, version: string): string {
  return `{"package": "${name}@${version}", "reason": "reviewed by <you>: <why it is safe>"}`;
}

/** The top reason a result gives, on one line. */
export function topReason(r: ReportedPackage): string {
  return safeLine(r.reasons[0] ?? r.findings[0]?.message ?? r.error ?? 'no reason recorded');
}

export function refusalMessage(name: string, version: string, verdict: string, reason: string): string {
  return `tollgate guard refused ${safeLine(name)}@${safeLine(version)}: ${verdict} (${reason}). Not installed. If you reviewed it and trust it, add ${allowHint(safeLine(name), safeLine(version))} to the "allow" list of ${CONFIG_FILE}`;
}

/** Decide on a finished scan. An `error` verdict is refused unless fail-open; an allow never turns an error into a pass. */
export function decide(name: string, version: string, result: ReportedPackage, cached: boolean, policy: Policy): Decision {
  const [gated] = applyPolicy([{ ...result, name, version }], policy.config, policy.now?.() ?? new Date()).packages;
  if (gated!.verdict === 'error') {
    const why = `could not be scanned: ${topReason(gated!)}`;
    if (policy.failOpen) return { action: 'serve', result: gated, cached, note: `served UNSCANNED (--fail-open): ${why}` };
    return { action: 'refuse', status: 403, result: gated, cached, message: `tollgate guard refused ${safeLine(name)}@${safeLine(version)}: ${why}. Nothing unscanned is served (fail closed); retry, or run with --fail-open to accept unscanned packages` };
  }
  if (failsGate(gated!, policy.failOn)) return { action: 'refuse', status: 403, result: gated, cached, message: refusalMessage(name, version, gated!.verdict, topReason(gated!)) };
  const note = gated!.policy.allowed ? `allowed by ${CONFIG_FILE} (${safeLine(gated!.policy.allowed.reason)})` : undefined;
  return { action: 'serve', result: gated, cached, note };
}

/**
 * Decide on what the scanner gave back for a tarball: bytes that failed their integrity are
 * refused whatever the policy; no bytes at all (the download failed) is refused, since there is
 * nothing checked to hand over; otherwise the verdict meets the policy.
 */
export function decideOutcome(name: string, version: string, outcome: ScanOutcome, policy: Policy): Decision {
  const who = `${safeLine(name)}@${safeLine(version)}`;
  if (outcome.tampered) return { action: 'refuse', status: 403, result: outcome.result, cached: false, message: `tollgate guard refused ${who}: ${topReason(outcome.result)}. Not installed, even with --fail-open` };
  if (!outcome.data) return { action: 'refuse', status: 502, result: outcome.result, cached: outcome.cached, message: `tollgate guard refused ${who}: ${topReason(outcome.result)}. Nothing unchecked is served (fail closed)` };
  return decide(name, version, outcome.result, outcome.cached, policy);
}
