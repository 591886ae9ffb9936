// Progress reporting with a fake clock and stream: no wall-clock waits, no timing assertions.
import { describe, expect, test } from 'vitest';
import { estimateSeconds, ProgressBar, ProgressLog, progressFor, type ProgressState } from '../src/audit/progress.js';

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
