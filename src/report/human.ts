import type { Finding, ReportedPackage, Severity, Verdict } from '../types.js';
import { painter, type Style } from './style.js';
import { safeLine as t } from './sanitize.js';

// Every string from a package, lockfile or registry goes through t() (report/sanitize.ts): no
// control character, ESC sequence or newline of theirs reaches the terminal.
import { copiesText, groupCopies, isReviewFinding } from './review.js';

export interface HumanOptions {
  color: boolean;
  /** Show every finding, info included, instead of the top ones. */
  verbose: boolean;
  maxFindings?: number;
  /** Lines said about a package after its findings (what tollgate.config.json did to it). */
  notes?: (r: ReportedPackage) => readonly string[];
}


const VERDICT_STYLE: Record<Verdict, Style> = { malicious: 'red', suspicious: 'yellow', clean: 'green', error: 'magenta' };
const SEV_STYLE: Record<Severity, Style> = { critical: 'red', high: 'red', medium: 'yellow', low: 'cyan', info: 'gray' };
const SEV_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

function location(f: Finding): string {
  if (!f.file) return '';
  return `${t(f.file)}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''}`;
}

export function renderHuman(results: readonly ReportedPackage[], opts: HumanOptions): string {
  const c = painter(opts.color);
  const lines: string[] = [];
  for (const r of results) {
    const id = t(r.version ? `${r.name}@${r.version}` : r.name);
    const verdict = c(VERDICT_STYLE[r.verdict], c('bold', r.verdict.toUpperCase().padEnd(10)));
    lines.push(`${verdict} ${String(r.score).padStart(3)}  ${c('bold', id)}  ${c('gray', t(r.source))}`);
    if (r.error) {
      lines.push(`    ${c('magenta', 'error:')} ${t(r.error)}`);
      lines.push('');
      continue;
    }
    const why = r.verdict !== 'clean' ? r.reasons.slice(0, 4) : [];
    for (const reason of why) lines.push(`    ${c('bold', 'why:')} ${t(reason)}`);
    const shown = r.findings
      // Gaps in the evidence (registry metadata that could not be had, say) show even on clean packages,
      // and so does what a reviewer needs (install scripts and what they run, names, new capabilities).
      .filter((f) => opts.verbose || isReviewFinding(f) || (SEV_RANK[f.severity] >= 1 && (r.verdict !== 'clean' || f.signals?.includes('analysis-gap'))) || SEV_RANK[f.severity] >= 2)
      .sort((a, b) => SEV_RANK[b.severity] - SEV_RANK[a.severity]);
    const max = opts.verbose ? Infinity : (opts.maxFindings ?? 6);
    let listed = 0;
    let hidden = 0;
    for (const { finding: f, copies } of groupCopies(shown)) {
      // The cap is for the long tail; review findings are never cut by it.
      if (listed >= max && !isReviewFinding(f)) {
        hidden++;
        continue;
      }
      listed++;
      const sev = c(SEV_STYLE[f.severity], f.severity.padEnd(8));
      const reach = f.reach && f.reach !== 'import' ? c('gray', ` [${t(f.reach)}]`) : '';
      // A flow already told in full as a "why" line is not told again.
      const message = f.signals?.some((x) => x.startsWith('flow:')) && why.some((w) => w.includes(f.message)) ? c('gray', '(the chain above)') : t(f.message);
      lines.push(`    ${sev} ${t(f.rule).padEnd(17)} ${message}${reach}`);
      const loc = location(f);
      if (loc || f.evidence) lines.push(`             ${c('gray', loc)}${f.evidence ? c('gray', `  ${t(f.evidence)}`) : ''}`);
      if (copies.length) lines.push(`             ${c('gray', t(copiesText(copies)))}`);
    }
    if (hidden) lines.push(c('gray', `    … ${hidden} more (--verbose shows all)`));
    for (const note of opts.notes?.(r) ?? []) lines.push(`    ${c('cyan', t(note))}`);
    lines.push('');
  }
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  const summary = [
    c('red', `${count('malicious')} malicious`),
    c('yellow', `${count('suspicious')} suspicious`),
    c('green', `${count('clean')} clean`),
    ...(count('error') ? [c('magenta', `${count('error')} could not be scanned`)] : []),
  ].join(', ');
  lines.push(`${results.length} package${results.length === 1 ? '' : 's'} scanned: ${summary}`);
  return lines.join('\n');
}
