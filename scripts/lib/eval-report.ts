// What `npm run eval` prints, as lines: per-set confusion tables, every benign package not judged
// clean with its first reason, errors, rule hits and timing. Pure over the rows.
import type { Expected, Group, SetName } from './eval-corpus.js';
import { outcomeOf, type Outcome, type Row } from './eval-run.js';

const OUTCOMES: Outcome[] = ['malicious', 'suspicious', 'clean', 'error', 'crash'];

export function matches(expected: Expected, got: Outcome): boolean {
  if (expected === 'suspicious-or-clean') return got === 'suspicious' || got === 'clean';
  return expected === got;
}

const pct = (n: number, of: number): string => (of ? `${((100 * n) / of).toFixed(1)}%` : '-');

/** One table row per set (the malware set split into real malware and protestware). */
export function setTable(rows: readonly Row[], sets: readonly SetName[]): string[] {
  const out = [
    'Per set (rows: what the sample is; columns: Tollgate verdict)',
    '',
    `${'set'.padEnd(24)}${OUTCOMES.map((v) => v.padStart(11)).join('')}${'total'.padStart(8)}${'susp. %'.padStart(9)}${'as expected'.padStart(13)}`,
  ];
  const line = (label: string, rs: readonly Row[]) => {
    const count = (v: Outcome) => rs.filter((r) => outcomeOf(r) === v).length;
    const ok = rs.filter((r) => matches(r.target.expected, outcomeOf(r))).length;
    out.push(`${label.padEnd(24)}${OUTCOMES.map((v) => String(count(v)).padStart(11)).join('')}${String(rs.length).padStart(8)}${pct(count('suspicious'), rs.length).padStart(9)}${`${ok}/${rs.length}`.padStart(13)}`);
  };
  for (const set of sets) {
    const inSet = rows.filter((r) => r.target.set === set);
    if (set === 'malware') {
      const groups: [Group, string][] = [
        ['malicious', 'malware (real malware)'],
        ['protestware', 'malware (protestware)'],
      ];
      for (const [g, label] of groups) if (inSet.some((r) => r.target.group === g)) line(label, inSet.filter((r) => r.target.group === g));
    } else line(set, inSet);
  }
  return out;
}

export function malwareLines(rows: readonly Row[], why: boolean): string[] {
  const mal = rows.filter((r) => r.target.group !== 'benign');
  if (!mal.length) return [];
  const out = ['Malicious corpus, per sample:'];
  for (const r of mal) {
    const v = outcomeOf(r);
    const ok = matches(r.target.expected, v);
    out.push(`  ${ok ? 'ok  ' : 'MISS'} ${v.padEnd(10)} ${String(r.result?.score ?? '-').padStart(3)}  ${r.id}  (expected ${r.target.expected})`);
    if (r.result && (why || !ok)) out.push(`        ${r.result.reasons[0] ?? ''}`);
    if (r.crash) out.push(`        ${r.crash.split('\n')[0]}`);
  }
  return out;
}

const oneLine = (s: string | undefined, max = 240): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** Benign packages judged malicious or suspicious, one line each with the first reason, per set. */
export function noisyLines(rows: readonly Row[], why: boolean): string[] {
  const noisy = rows.filter((r) => r.target.group === 'benign' && r.result && (r.result.verdict === 'malicious' || r.result.verdict === 'suspicious'));
  const out = [`Benign packages not judged clean (${noisy.length}):`];
  const rank = { malicious: 0, suspicious: 1 } as Record<string, number>;
  const sorted = [...noisy].sort((a, b) => a.target.set.localeCompare(b.target.set) || rank[a.result!.verdict]! - rank[b.result!.verdict]! || b.result!.score - a.result!.score || a.id.localeCompare(b.id));
  for (const r of sorted) {
    out.push(`  ${r.target.set.padEnd(12)} ${r.result!.verdict.padEnd(10)} ${String(r.result!.score).padStart(3)}  ${r.id}  ${oneLine(r.result!.reasons[0])}`);
    if (why) for (const reason of r.result!.reasons.slice(1, 3)) out.push(`${' '.repeat(34)}${oneLine(reason, 300)}`);
  }
  return out;
}

/**
 * A reason's class, for counting: its wording without parentheses, before the first detail (`:`, `;`)
 * or quote and without the file it names, so the same false positive in many packages counts once.
 */
export function reasonClass(reason: string | undefined): string {
  const t = oneLine(reason, 1000)
    .replace(/^at install: /, '')
    .replace(/process\.env\.\w+/g, 'process.env.*')
    .replace(/\([^()]*\)/g, '')
    .replace(/\([^()]*\)/g, '')
    .split(/[(:;"`]| ,/)[0]!
    .replace(/ at \S+$/, '')
    .replace(/[\s,;]+$/, '')
    .replace(/\s+/g, ' ');
  return t.length > 70 ? `${t.slice(0, 69)}…` : t || '-';
}

export function reasonClassLines(rows: readonly Row[]): string[] {
  const noisy = rows.filter((r) => r.target.group === 'benign' && r.result && r.result.verdict !== 'clean' && r.result.verdict !== 'error');
  if (!noisy.length) return [];
  const counts = new Map<string, number>();
  for (const r of noisy) counts.set(reasonClass(r.result!.reasons[0]), (counts.get(reasonClass(r.result!.reasons[0])) ?? 0) + 1);
  return ['Not-clean benign verdicts by the class of their first reason:', ...[...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, n]) => `  ${String(n).padStart(4)}  ${c}`)];
}

/** Packages that could not be fetched or gave an `error` verdict, the registry's refusals named as such. */
export function errorLines(rows: readonly Row[]): string[] {
  const errs = rows.filter((r) => outcomeOf(r) === 'error');
  if (!errs.length) return [];
  const out = [`Errors (${errs.length}; ${errs.filter((r) => r.gone).length} no longer served by the registry):`];
  for (const r of [...errs].sort((a, b) => Number(!!b.gone) - Number(!!a.gone) || a.target.set.localeCompare(b.target.set) || a.id.localeCompare(b.id))) {
    const why = r.gone ? `no longer served by the registry (${oneLine(r.fetchError, 160)})` : oneLine(r.fetchError ?? r.result?.error ?? r.result?.reasons[0], 300);
    out.push(`  ${r.target.set.padEnd(12)} ${r.id}: ${why}`);
  }
  return out;
}

export function crashLines(rows: readonly Row[]): string[] {
  const crashes = rows.filter((r) => r.crash);
  if (!crashes.length) return [];
  return [`${crashes.length} CRASH(ES):`, ...crashes.map((r) => `  ${r.target.set} ${r.id}: ${r.crash}`)];
}

/** Packages with at least one finding above info, per rule: in malware and in benign packages. */
export function ruleHitLines(rows: readonly Row[]): string[] {
  const hits = new Map<string, { mal: number; benign: number }>();
  for (const r of rows) {
    if (!r.result) continue;
    for (const rule of new Set(r.result.findings.filter((f) => f.severity !== 'info').map((f) => f.rule))) {
      const h = hits.get(rule) ?? { mal: 0, benign: 0 };
      if (r.target.group === 'benign') h.benign++;
      else h.mal++;
      hits.set(rule, h);
    }
  }
  const out = ['Rule hits (packages with a finding above info):', `  ${'rule'.padEnd(24)}${'malware'.padStart(9)}${'benign'.padStart(9)}`];
  for (const [rule, h] of [...hits].sort((a, b) => b[1].mal + b[1].benign - (a[1].mal + a[1].benign) || a[0].localeCompare(b[0]))) {
    out.push(`  ${rule.padEnd(24)}${String(h.mal).padStart(9)}${String(h.benign).padStart(9)}`);
  }
  return out;
}

export function timingLines(rows: readonly Row[], wallMs: number, registryNote?: string): string[] {
  const analyzed = rows.filter((r) => r.result && !r.cached);
  const bytes = analyzed.reduce((a, r) => a + r.bytes, 0);
  const ms = analyzed.reduce((a, r) => a + r.ms, 0);
  const cached = rows.filter((r) => r.cached).length;
  const slowest = [...analyzed].sort((a, b) => b.ms - a.ms).slice(0, 8);
  return [
    `Timing: ${analyzed.length} packages analyzed (${cached} more from the eval cache), ${(bytes / 1e6).toFixed(1)} MB of code in ${(ms / 1000).toFixed(1)} s${ms ? ` (${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s, unpack included)` : ''}; wall ${(wallMs / 1000).toFixed(1)} s`,
    ...(registryNote ? [registryNote] : []),
    `  slowest: ${slowest.map((r) => `${r.id} ${(r.ms / 1000).toFixed(2)}s`).join(', ') || '-'}`,
  ];
}

export function allLines(rows: readonly Row[]): string[] {
  return ['All benign verdicts:', ...rows.filter((r) => r.target.group === 'benign').map((r) => `  ${r.target.set.padEnd(12)} ${outcomeOf(r).padEnd(10)} ${String(r.result?.score ?? '-').padStart(3)}  ${r.id}`)];
}
