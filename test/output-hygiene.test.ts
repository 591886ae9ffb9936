// Output hygiene (issue 19, finding 3): package, lockfile and registry strings reach the terminal
// and CI logs with their control characters shown, not obeyed, and never as workflow commands.
import { describe, expect, it } from 'vitest';
import { renderHuman } from '../src/report/human.js';
import { annotations, stepSummary, type AnnotatedPackage } from '../src/report/github.js';
import { neutralizeWorkflowCommands, safeLine, forLog } from '../src/report/sanitize.js';
import { humanLine } from '../src/feed/alerts.js';
import { ProgressBar } from '../src/audit/progress.js';
import type { ReportedPackage } from '../src/types.js';

const ESC = '\u001b';
const hostile: ReportedPackage = {
  name: `evil${ESC}]0;pwned\u0007`,
  version: `1.0.0\r::add-mask::secret`,
  source: `registry${ESC}[2K`,
  score: 90,
  verdict: 'malicious',
  reasons: ['runs code\n::set-env name=NODE_OPTIONS::--require=/tmp/x'],
  findings: [
    {
      rule: 'network',
      severity: 'high',
      message: `sends data\n::notice::all clean${ESC}[1A${ESC}[2K`,
      file: `lib/${ESC}[31mindex.js\u202e`,
      line: 3,
      evidence: `x\u0085y\u2028##[add-mask]z`,
    },
  ],
} as ReportedPackage;

const linesOf = (s: string) => s.split(/\r\n|\r|\n/);

describe('terminal report', () => {
  const out = renderHuman([hostile], { color: false, verbose: true });
  it('shows control, ESC and bidi characters as code points', () => {
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
    expect(out).toContain('⟨U+001B⟩]0;pwned⟨U+0007⟩');
    expect(out).toContain('1.0.0⟨U+000D⟩::add-mask::secret');
  });
  it('keeps each package string on its line: no line starts a workflow command', () => {
    expect(linesOf(out).some((l) => l.trimStart().startsWith('::'))).toBe(false);
  });
  it('keeps its own colours', () => {
    expect(renderHuman([hostile], { color: true, verbose: true })).toContain(`${ESC}[31m`);
  });
});

describe('workflow commands in Actions', () => {
  it('neutralizes every line that the runner would read as a command', () => {
    const text = ['ok', '::add-mask::x', '  ::set-env name=A::b', '\u00a0::notice::fake', 'a ##[set-output name=a]b', 'mid :: line'].join('\n');
    const lines = neutralizeWorkflowCommands(text).split('\n');
    expect(lines.some((l) => l.trimStart().startsWith('::'))).toBe(false);
    expect(lines.some((l) => l.includes('##['))).toBe(false);
    expect(lines[0]).toBe('ok');
    expect(lines[5]).toBe('mid :: line');
    expect(forLog('::x::y', false)).toBe('::x::y');
  });
  it('annotations: one command per package, data escaped, controls shown', () => {
    const a = annotations([{ ...hostile, location: { uri: 'package-lock.json', line: 4 }, fails: true } as AnnotatedPackage]);
    expect(a).toHaveLength(1);
    expect(a[0]).not.toMatch(/[\n\r\u001b]/);
    expect(a[0]).toMatch(/^::error file=package-lock\.json,line=4,title=/);
  });
  it('step summary cells hold no control characters', () => {
    const md = stepSummary({ title: 't', subtitle: 's', packages: [{ ...hostile, location: { uri: 'x', line: 1 }, fails: true } as AnnotatedPackage], warnings: [`w${ESC}[2J`], exitCode: 1 });
    expect(md).not.toMatch(/[\u001b\u0007\r]/);
  });
});

describe('other terminal lines', () => {
  it('watch lines and the progress bar', () => {
    expect(humanLine({ ...hostile, integrity: null, scannedAt: 'now' } as never)).not.toMatch(/[\u001b\u0007\r\n]/);
    const bar = new ProgressBar({ columns: 400 } as NodeJS.WriteStream);
    expect(bar.line({ done: 1, total: 2, bytes: 0, cached: 0, current: `a${ESC}]0;t\u0007` })).not.toMatch(/[\u001b\u0007]/);
    expect(safeLine(undefined)).toBe('');
  });
});
