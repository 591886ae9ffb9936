import type { ReportedPackage } from '../types.js';
import { TOOL } from '../version.js';

/** The `--json` contract; schema/report.schema.json describes it. */
export interface JsonReport {
  tool: { name: string; version: string };
  /** Counts by verdict over `packages`: what a CI step reads without walking the list. */
  summary: VerdictSummary;
  packages: Array<{
    name: string;
    version: string;
    source: string;
    integrity: string | null;
    score: number;
    verdict: ReportedPackage['verdict'];
    reasons: string[];
    error?: string;
    findings: Array<{
      rule: string;
      severity: string;
      message: string;
      file: string | null;
      line: number | null;
      column: number | null;
      evidence: string | null;
      reach: string | null;
      /** Lines around `line` from the package's file, when it was in hand: { start, lines }. */
      context?: { start: number; lines: string[] };
    }>;
  }>;
}

export interface VerdictSummary {
  total: number;
  malicious: number;
  suspicious: number;
  clean: number;
  error: number;
}

export function verdictSummary(results: readonly Pick<ReportedPackage, 'verdict'>[]): VerdictSummary {
  const s: VerdictSummary = { total: results.length, malicious: 0, suspicious: 0, clean: 0, error: 0 };
  for (const r of results) s[r.verdict]++;
  return s;
}

export function toJsonReport(results: readonly ReportedPackage[]): JsonReport {
  return {
    tool: { name: TOOL.name, version: TOOL.version },
    summary: verdictSummary(results),
    packages: results.map((r) => ({
      name: r.name,
      version: r.version,
      source: r.source,
      integrity: r.integrity ?? null,
      score: r.score,
      verdict: r.verdict,
      reasons: r.reasons,
      ...(r.error ? { error: r.error } : {}),
      findings: r.findings.map((f) => ({
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        file: f.file ?? null,
        line: f.line ?? null,
        column: f.column ?? null,
        evidence: f.evidence ?? null,
        reach: f.reach ?? null,
        ...(f.context ? { context: f.context } : {}),
      })),
    })),
  };
}
