// GitHub Actions output: `::error`/`::warning` workflow commands (annotations on the lockfile line
// in the pull request) and the job's step summary in Markdown. Everything printed comes from
// scanned packages, i.e. from attackers: escaped so a package cannot inject workflow commands
// (a newline followed by `::set-env` or `::add-mask` in a message would otherwise be obeyed).
import type { ReportedPackage, Verdict } from '../types.js';
import { revealInvisible } from './sanitize.js';

/** Escape workflow-command data (the message part). */
export function escapeData(s: string): string {
  // Control characters other than the line breaks escaped below are shown, not passed on.
  // "##[" would be a legacy command anywhere in a line, so it is broken up here too.
  return revealInvisible(s, true).replace(/##\[/g, '# #[').replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow-command property value (file, title). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface AnnotatedPackage extends ReportedPackage {
  location: { uri: string; line: number };
  allowed?: boolean;
  fails: boolean;
}

/** One annotation per package that fails the gate (error) or is flagged but passes (warning). */
export function annotations(packages: readonly AnnotatedPackage[]): string[] {
  const out: string[] = [];
  for (const p of packages) {
    if (p.verdict === 'clean' || p.allowed) continue;
    const kind = p.fails || p.verdict === 'error' ? 'error' : 'warning';
    const title = `Tollgate: ${p.name}@${p.version} is ${p.verdict}${p.verdict === 'error' ? '' : ` (score ${p.score})`}`;
    const top = p.findings.slice(0, 3).map((f) => `${f.rule}: ${f.message}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}`);
    const body = [p.error ?? p.reasons[0] ?? p.verdict, ...top].join('\n');
    out.push(`::${kind} file=${escapeProperty(p.location.uri)},line=${p.location.line},title=${escapeProperty(title)}::${escapeData(body.slice(0, 4000))}`);
  }
  return out;
}

const ICON: Record<Verdict, string> = { malicious: '🛑', suspicious: '⚠️', error: '❗', clean: '✅' };

/** Markdown cell text: no pipes, no newlines, no HTML or Markdown from the package. */
function cell(s: string, max = 300): string {
  const t = s.length > max ? s.slice(0, max) + '…' : s;
  return revealInvisible(t.replace(/\s+/g, ' '), false).replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

export interface SummaryInput {
  title: string;
  /** e.g. "compared with origin/main: 3 of 412 packages are new or changed". */
  subtitle: string;
  packages: readonly AnnotatedPackage[];
  warnings: readonly string[];
  exitCode: number;
}

export function stepSummary(s: SummaryInput): string {
  const count = (v: Verdict) => s.packages.filter((p) => p.verdict === v).length;
  const lines = [`## ${s.exitCode === 1 ? '🛑' : s.exitCode === 2 ? '❗' : '✅'} ${cell(s.title)}`, '', cell(s.subtitle, 1000), ''];
  lines.push(`| malicious | suspicious | error | clean | allowed |`, `|---:|---:|---:|---:|---:|`);
  lines.push(`| ${count('malicious')} | ${count('suspicious')} | ${count('error')} | ${count('clean')} | ${s.packages.filter((p) => p.allowed).length} |`, '');
  const flagged = s.packages.filter((p) => p.verdict !== 'clean');
  if (flagged.length) {
    lines.push('| | package | score | why | lockfile |', '|---|---|---:|---|---|');
    for (const p of flagged.slice(0, 100)) {
      const why = p.allowed ? `allowed by tollgate.config.json` : (p.error ?? p.reasons[0] ?? '');
      lines.push(`| ${ICON[p.verdict]} | \`${cell(`${p.name}@${p.version}`, 200).replace(/`/g, '')}\` | ${p.score} | ${cell(why)} | ${cell(p.location.uri)}:${p.location.line} |`);
    }
    if (flagged.length > 100) lines.push('', `… and ${flagged.length - 100} more (see the SARIF or JSON report).`);
    lines.push('');
  }
  for (const w of s.warnings) lines.push(`> ⚠️ ${cell(w, 1000)}`, '');
  lines.push(s.exitCode === 1 ? 'The gate failed: review the packages above, remove them, or record a reviewed, version-pinned allow in `tollgate.config.json`.' : s.exitCode === 2 ? 'Some packages could not be analyzed; they are not known to be safe.' : 'No new or changed dependency reached the gate.');
  return lines.join('\n') + '\n';
}
