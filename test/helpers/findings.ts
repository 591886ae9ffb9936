import { expect } from 'vitest';
import { SEVERITIES, type Finding, type Severity, type Signal } from '../../src/types.js';

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Findings at or above `min`. */
export function atLeast(findings: readonly Finding[], min: Severity): Finding[] {
  return findings.filter((f) => rank(f.severity) >= rank(min));
}

/** The highest severity among findings, or undefined when there are none. */
export function maxSeverity(findings: readonly Finding[]): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) if (!best || rank(f.severity) > rank(best)) best = f.severity;
  return best;
}

/** Asserts nothing above `low`; on failure the offending findings are listed. */
export function expectAtMostLow(findings: readonly Finding[]): void {
  expect(atLeast(findings, 'medium').map((f) => `${f.severity} ${f.rule}: ${f.message}`)).toEqual([]);
}

/** Asserts nothing above `info`; on failure the offending findings are listed. */
export function expectAtMostInfo(findings: readonly Finding[]): void {
  expect(atLeast(findings, 'low').map((f) => `${f.severity} ${f.rule}: ${f.message}`)).toEqual([]);
}

/** Matcher for one finding with this severity that carries (at least) these signals. */
export function finding(severity: Severity, signals: Signal[] = [], extra: Record<string, unknown> = {}): unknown {
  return expect.objectContaining({ severity, signals: expect.arrayContaining(signals), ...extra });
}
