/**
 * Adversarial table (issue 9): every hostile case runs in its own child process, so time and peak
 * memory are the case's own. `node dist/scripts/hostile/run.js` prints a Markdown table;
 * `--json` prints the rows; `--case NAME` runs one case in this process (used by the parent).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases.js';
import { analyzeTarball } from '../../src/scan.js';
import { peakRssMB } from '../lib/peak-rss.js';

export interface Row {
  name: string;
  expect: 'flagged' | 'parses';
  outcome: string;
  verdict?: string;
  ok: boolean;
  ms: number;
  peakRssMB: number;
  error?: string;
}

async function runOne(name: string): Promise<Row> {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no hostile case named "${name}"`);
  const input = await c.build();
  const t0 = performance.now();
  try {
    const r = await analyzeTarball({ data: input, spec: 'hostile.tgz' });
    const ms = performance.now() - t0;
    const rules = [...new Set(r.findings.filter((f) => f.severity !== 'info' || f.rule === 'too-large').map((f) => f.rule))];
    const parseErrors = r.findings.filter((f) => f.rule === 'parse-error').length;
    const flagged = r.verdict !== 'clean' || r.findings.some((f) => f.severity !== 'info' || f.rule === 'too-large');
    const ok = c.expect === 'flagged' ? flagged : parseErrors === 0 && r.verdict !== 'error' && ({} as Record<string, unknown>).polluted === undefined;
    return { name, expect: c.expect, outcome: `${r.verdict} (${r.score}); ${rules.join(', ') || 'no findings'}`, verdict: r.verdict, ok, ms, peakRssMB: peakRssMB() };
  } catch (err) {
    return { name, expect: c.expect, outcome: 'CRASH', ok: false, ms: performance.now() - t0, peakRssMB: peakRssMB(), error: (err as Error).stack };
  }
}

export function runAll(): Row[] {
  const self = fileURLToPath(import.meta.url);
  return CASES.map((c) => {
    const t0 = performance.now();
    try {
      const out = execFileSync(process.execPath, [self, '--case', c.name], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
      return JSON.parse(out.trim().split('\n').pop()!) as Row;
    } catch (err) {
      return { name: c.name, expect: c.expect, outcome: `CRASH or TIMEOUT: ${(err as Error).message.split('\n')[0]}`, ok: false, ms: performance.now() - t0, peakRssMB: NaN };
    }
  });
}

function table(rows: Row[]): string {
  const lines = ['| case | expected | outcome | ok | time (s) | peak RSS (MB) |', '| --- | --- | --- | --- | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.name} | ${r.expect} | ${r.outcome.replace(/\|/g, '/')} | ${r.ok ? 'yes' : 'NO'} | ${(r.ms / 1000).toFixed(2)} | ${r.peakRssMB.toFixed(0)} |`);
  return lines.join('\n');
}

const argv = process.argv.slice(2);
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (argv[0] === '--case') {
    runOne(argv[1]!).then((row) => process.stdout.write(JSON.stringify(row) + '\n'));
  } else {
    const rows = runAll();
    process.stdout.write((argv.includes('--json') ? JSON.stringify(rows, null, 1) : table(rows)) + '\n');
    process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
  }
}
