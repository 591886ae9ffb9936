// The policy the scanning commands apply: tollgate.config.json with the flags that override it
// (--fail-on, --disable-rule). One place, so scan, audit and check cannot disagree on it. Where the
// file comes from differs: check reads it as of the base commit (src/check/trust.ts); scan and
// audit read the user's own, in the folder they work in (loadNearestConfig).
import { FAIL_ON_VALUES, type FailOn, type TollgateConfig } from '../check/config.js';
import { applyPolicy, policyJson, policyNotes, type Gated } from '../check/policy.js';
import { rankResults } from '../scan.js';
import type { ReportedPackage } from '../types.js';
import { forLog, inGithubActions, safeLine } from '../report/sanitize.js';
import { UsageError } from './errors.js';

export interface PolicySettings {
  failOn: FailOn;
  /** The config's rules off and --disable-rule together. */
  disabled: Set<string>;
}

/** --fail-on over the config's failOn (default malicious); rules off from both, each one known. */
export function policySettings(config: TollgateConfig, flags: { failOn?: string; disableRule?: readonly string[] }, known: ReadonlySet<string>): PolicySettings {
  const failOn = flags.failOn ?? config.failOn ?? 'malicious';
  if (!FAIL_ON_VALUES.includes(failOn as FailOn)) throw new UsageError(`--fail-on must be malicious, suspicious or never (got "${failOn}")`);
  const flagged = (flags.disableRule ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const disabled = new Set([...config.rulesOff, ...flagged]);
  for (const id of disabled) if (!known.has(id)) throw new UsageError(`--disable-rule: no rule "${id}" (see \`tollgate rules\`)`);
  return { failOn: failOn as FailOn, disabled };
}

/** One line naming the policy file in use and what it sets, so a result it changed is never a surprise. */
export function policySummary(config: TollgateConfig): string | undefined {
  if (!config.file) return undefined;
  const n = config.allow.length;
  const parts = [`${n} allow entr${n === 1 ? 'y' : 'ies'}`];
  if (config.failOn) parts.push(`failOn ${config.failOn}`);
  if (config.rulesOff.size) parts.push(`rules off: ${[...config.rulesOff].join(', ')}`);
  if (config.ignoreDev) parts.push('ignoreDev');
  return `policy from ${config.file}: ${parts.join(', ')}`;
}

/** Apply the config to scan or audit results (ranked again: a rule allow rescores); warnings go to stderr. */
export function applyLocalPolicy<P extends ReportedPackage>(results: readonly P[], config: TollgateConfig, now = new Date()): Array<Gated<P>> {
  const { packages, warnings } = applyPolicy(results, config, now);
  for (const w of warnings) process.stderr.write(forLog(`tollgate: warning: ${safeLine(w)}\n`, inGithubActions()));
  return rankResults(packages) as Array<Gated<P>>;
}

/** The JSON report with each package's `policy` block (packages in the same order as `gated`). */
export function withPolicyJson<J extends { packages: object[] }>(json: J, gated: ReadonlyArray<Gated<ReportedPackage>>): J {
  return { ...json, packages: json.packages.map((p, i) => ({ ...p, policy: policyJson(gated[i]!.policy) })) };
}

/** For the human reports: what the config did to a package. */
export const notesOf = (p: ReportedPackage): string[] => policyNotes((p as Partial<Gated<ReportedPackage>>).policy);
