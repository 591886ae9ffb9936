// Progress reporting with a fake clock and stream: no wall-clock waits, no timing assertions.
import { describe, expect, test } from 'vitest';
import { estimateSeconds, FileStatus, ProgressBar, ProgressLog, progressFor, type ProgressState } from '../src/audit/progress.js';
import { analyzePackage, analyzePackageAsync, DEFAULT_ENGINE_OPTIONS, type FileProgress } from '../src/engine/run/analyze.js';
import { RULES } from '../heuristics/index.js';
import { packageFromFiles } from './helpers/analyze.js';

const state = (over: Partial<ProgressState>): ProgressState => ({ done: 0, total: 100, bytes: 0, cached: 0, ...over });

describe('ETA', () => {
  test('weighs by bytes: one large package still to come makes the estimate long, however many small ones are done', () => {
    // 40 small packages of 10 kB analyzed in 4 s; one of 40 MB and 9 more small ones left.
    const s = state({ done: 50, total: 60, cached: 10, doneBytes: 400_000, pendingBytes: 40_000_000 + 9 * 10_000, unsized: 0 });
    const eta = estimateSeconds(s, 0, 4000);
    // A per-package rate would promise 1 s (10 left at 0.1 s each); the bytes say 40 MB at 100 kB/s.
    expect(eta).toBeCloseTo(400.9, 1);
    expect(((s.total - s.done) * 4) / (s.done - s.cached)).toBe(1);
  });

  test('cached results do not speed the estimate up, and the clock starts at the first fetched package', () => {
    // 90 cached in the first instant, then 5 fetched packages of 1 MB in 10 s after a 20 s start-up.
    const s = state({ done: 95, total: 100, cached: 90, doneBytes: 5e6, pendingBytes: 0, unsized: 5 });
    expect(estimateSeconds(s, 20_000, 30_000)).toBeCloseTo(10, 5);
  });

  test('nothing to go on: no estimate before three fetched packages; per-package rate without byte counts', () => {
    expect(estimateSeconds(state({ done: 2, total: 10, doneBytes: 1e6, pendingBytes: 1e6 }), 0, 1000)).toBeNaN();
    expect(estimateSeconds(state({ done: 40, cached: 39, total: 100 }), 0, 1000)).toBeNaN();
    expect(estimateSeconds(state({ done: 10, total: 30 }), 0, 5000)).toBeCloseTo(10, 5);
  });

  test('the bar shows --:-- until it has an estimate, then minutes and seconds', () => {
    let now = 0;
    const bar = new ProgressBar({ columns: 200, write: () => true } as unknown as NodeJS.WriteStream, 10, () => now);
    expect(bar.line(state({ done: 1, total: 10, bytes: 1e5, doneBytes: 1e5, pendingBytes: 9e5, unsized: 0 }))).toContain('ETA --:--');
    now = 30_000;
    expect(bar.line(state({ done: 4, total: 10, bytes: 4e5, doneBytes: 4e5, pendingBytes: 6e5, unsized: 0 }))).toContain('ETA 0:45');
  });
});

describe('off a terminal: a log line every 10 s or every 10%', () => {
  function log() {
    let now = 0;
    const lines: string[] = [];
    const p = new ProgressLog({ write: (t: string) => lines.push(t) }, () => now);
    return { p, lines, at: (ms: number) => (now = ms) };
  }

  test('every 10% of the packages, and not more often', () => {
    const { p, lines, at } = log();
    for (let done = 1; done <= 100; done++) {
      at(done * 10); // 1 s for the whole run: only the 10% steps write
      p.update(state({ done, total: 100, bytes: done * 1000, doneBytes: done * 1000, pendingBytes: (100 - done) * 1000, unsized: 0 }));
    }
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^tollgate: 10\/100 packages \(10%\), 10 kB, about 0:01 left/); // 90 kB left at 10 kB per 90 ms
    expect(lines.at(-1)).toBe('tollgate: 100/100 packages (100%), 100 kB\n');
    for (const l of lines) expect(l.endsWith('\n') && !l.includes('\r')).toBe(true);
  });

  test('every 10 s when the packages come slowly; the current package is named', () => {
    const { p, lines, at } = log();
    const total = 1000;
    for (let done = 1; done <= 50; done++) {
      at(done * 1000); // one package a second: 50 s, 5% of the run
      p.update(state({ done, total, current: `pkg-${done}` }));
    }
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^tollgate: 10\/1000 packages \(1%\), 0 kB.*; now pkg-10\n$/);
    expect(lines[4]).toContain('50/1000');
  });

  test('the last line is written once, whatever follows', () => {
    const { p, lines, at } = log();
    at(5);
    p.update(state({ done: 3, total: 3 }));
    p.update(state({ done: 3, total: 3 }));
    expect(lines).toEqual(['tollgate: 3/3 packages (100%), 0 kB\n']);
  });

  test('progressFor: a bar on a TTY, a log elsewhere, nothing with --quiet', () => {
    const tty = { isTTY: true, columns: 80, write: () => true } as unknown as NodeJS.WriteStream;
    const pipe = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    expect(progressFor(tty, false)).toBeInstanceOf(ProgressBar);
    expect(progressFor(pipe, false)).toBeInstanceOf(ProgressLog);
    expect(progressFor(pipe, true)).toBeUndefined();
  });
});

describe('a large package reports its files', () => {
  test('the analysis reports its files one by one, up to the package\'s file count; findings unchanged', async () => {
    const files: Record<string, string> = { 'index.js': Array.from({ length: 12 }, (_, i) => `require('./m${i}');`).join('\n') };
    for (let i = 0; i < 12; i++) files[`m${i}.js`] = `module.exports = ${i};`;
    const seen: FileProgress[] = [];
    // sliceMs 0: a report at every file boundary.
    const analysis = await analyzePackageAsync(packageFromFiles(files), RULES, DEFAULT_ENGINE_OPTIONS, 0, (p) => seen.push({ ...p }));
    const analyzing = seen.filter((p) => p.phase === 'analyzing');
    expect(analyzing.map((p) => p.done)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(analyzing.every((p) => p.total === 13)).toBe(true);
    // A second pass over kept syntax trees, when there is one, comes after and counts its own files.
    const linking = seen.filter((p) => p.phase === 'linking');
    if (linking.length) expect(seen.indexOf(linking[0]!)).toBeGreaterThan(seen.indexOf(analyzing.at(-1)!));
    for (const p of seen) expect(p.done).toBeLessThanOrEqual(p.total);
    expect(analysis.findings).toEqual(analyzePackage(packageFromFiles(files), RULES).findings);
  });

  test('the status line: "analyzing name: 1200/3500 files", quiet in the first second, at most ten redraws a second', () => {
    let now = 0;
    const shown: string[] = [];
    const fs = new FileStatus({ show: (t) => shown.push(t) }, () => now);
    fs.show('prisma@6.1.0', { phase: 'analyzing', done: 10, total: 3500 });
    expect(shown).toEqual([]);
    now = 1500;
    fs.show('prisma@6.1.0', { phase: 'analyzing', done: 1200, total: 3500 });
    now = 1550;
    fs.show('prisma@6.1.0', { phase: 'analyzing', done: 1210, total: 3500 });
    now = 1700;
    fs.show('prisma@6.1.0', { phase: 'analyzing', done: 1300, total: 3500 });
    expect(shown).toEqual(['analyzing prisma@6.1.0: 1200/3500 files', 'analyzing prisma@6.1.0: 1300/3500 files']);
  });
});
