// The exit code of scan and audit from their results and --fail-on.
import type { ReportedPackage, Verdict } from '../types.js';

export const FAIL_ON: Record<string, Verdict[]> = {
  malicious: ['malicious'],
  suspicious: ['malicious', 'suspicious'],
  never: [],
};

export function exitCodeFor(results: readonly ReportedPackage[], failOn: string): number {
  const failing = FAIL_ON[failOn] ?? ['malicious'];
  if (results.some((r) => failing.includes(r.verdict))) return 1;
  if (results.some((r) => r.verdict === 'error')) return 2;
  return 0;
}
