// SARIF 2.1.0 for GitHub code scanning: one result per finding of each package that is not
// clean, located on the lockfile line that brings the package in (the line a reviewer sees in
// the pull request), with the package's own file:line in the message. Clean packages add no
// results: this is a malware gate, and their informational findings would bury the real ones.
import { createHash } from 'node:crypto';
import type { Rule } from '../engine/run/rule.js';
import type { Finding, ReportedPackage, Severity } from '../types.js';
import { TOOL } from '../version.js';

export interface SarifPackage extends ReportedPackage {
  /** Lockfile path relative to the repository root (POSIX separators), and the entry's line. */
  location: { uri: string; line: number };
  /** A reviewed allow from tollgate.config.json: results are emitted as suppressed. */
  allowedBecause?: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
// GitHub ranks code scanning alerts by this number (0.1-10): critical >= 9, high 7-8.9, medium 4-6.9.
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

/** Findings that stand for the whole package when it has none of its own (an error result). */
function packageFindings(p: SarifPackage): Finding[] {
  if (p.findings.length) return p.findings;
  if (p.verdict === 'error') return [{ rule: 'analysis-error', severity: 'high', message: `could not be analyzed: ${p.error ?? p.reasons[0] ?? 'unknown error'}. It is not known to be safe` }];
  return [{ rule: 'verdict', severity: p.verdict === 'malicious' ? 'critical' : 'medium', message: p.reasons[0] ?? p.verdict }];
}

export function toSarif(packages: readonly SarifPackage[], rules: readonly Rule[]): object {
  const meta = new Map(rules.map((r) => [r.meta.id, r.meta]));
  const flagged = packages.filter((p) => p.verdict !== 'clean');
  const ruleIds: string[] = [];
  const ruleIndex = new Map<string, number>();
  const results: object[] = [];
  for (const p of flagged) {
    const id = `${p.name}@${p.version}`;
    for (const f of packageFindings(p)) {
      if (!ruleIndex.has(f.rule)) {
        ruleIndex.set(f.rule, ruleIds.length);
        ruleIds.push(f.rule);
      }
      const where = f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : '';
      const text = `${id} is ${p.verdict} (score ${p.score}): ${f.message}${where}`;
      results.push({
        ruleId: f.rule,
        ruleIndex: ruleIndex.get(f.rule),
        level: LEVEL[f.severity],
        message: { text },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri: p.location.uri, uriBaseId: '%SRCROOT%' }, region: { startLine: p.location.line } },
            message: { text: `${id} is installed from here` },
          },
        ],
        // Stable across runs and line moves, so code scanning tracks one alert per package finding.
        partialFingerprints: { 'tollgate/v1': createHash('sha256').update(`${id}\0${f.rule}\0${f.file ?? ''}\0${f.line ?? ''}\0${f.message}`).digest('hex').slice(0, 32) },
        properties: {
          package: p.name,
          version: p.version,
          verdict: p.verdict,
          score: p.score,
          ...(f.file ? { file: f.file } : {}),
          ...(f.line ? { line: f.line } : {}),
          ...(f.evidence ? { evidence: f.evidence.slice(0, 500) } : {}),
        },
        ...(p.allowedBecause ? { suppressions: [{ kind: 'external', status: 'accepted', justification: p.allowedBecause }] } : {}),
      });
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Tollgate',
            semanticVersion: TOOL.version,
            version: TOOL.version,
            rules: ruleIds.map((rid) => {
              const m = meta.get(rid);
              const severity: Severity = m?.severity ?? worstSeverity(flagged, rid);
              const description = m ? m.description : OTHER_RULES[rid] ?? `Tollgate finding "${rid}"`;
              return {
                id: rid,
                name: m?.title ?? rid,
                shortDescription: { text: m?.title ?? description },
                fullDescription: { text: description },
                ...(m ? { help: { text: `Example: ${m.docs.example}\nSuppress: ${m.docs.suppress}`, markdown: `**Example:** \`${m.docs.example.replace(/`/g, "'")}\`\n\n**Suppress:** ${m.docs.suppress}` } } : {}),
                defaultConfiguration: { level: LEVEL[severity] },
                properties: { tags: ['security', 'supply-chain', ...(m ? [m.category] : [])], 'security-severity': SECURITY_SEVERITY[severity] },
              };
            }),
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

const SEV_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
function worstSeverity(packages: readonly ReportedPackage[], rule: string): Severity {
  let worst: Severity = 'info';
  for (const p of packages) for (const f of p.findings) if (f.rule === rule && SEV_RANK[f.severity] > SEV_RANK[worst]) worst = f.severity;
  return worst;
}

/** Findings raised outside the rule set (the fetcher, the auditor, the unpacker). */
const OTHER_RULES: Record<string, string> = {
  'analysis-error': 'The package could not be fetched or analyzed, so it is not known to be safe.',
  verdict: 'The package was judged malicious or suspicious.',
  'integrity-mismatch': 'The tarball served does not match the integrity the lockfile pins: possible tampering.',
  'lockfile-mismatch': 'The lockfile entry points to a tarball of a different package or version.',
  'no-integrity': 'The lockfile entry has no integrity: what is installed is whatever the URL serves at install time.',
  'foreign-registry': 'The lockfile entry is fetched from a host other than the configured registry.',
  'outside-project': 'A file: or link: dependency, or a bundled dependency, points outside the project folder: not read.',
  'git-dependency': 'A git dependency, which Tollgate does not fetch (installing it runs its prepare script).',
};
