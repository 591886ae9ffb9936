// Progress of a long run (audit, check, scan of many targets), on stderr.
// On a TTY: one line redrawn in place, at most ten times a second so a warm audit of thousands of
// cached results is not slowed by the terminal. Off a TTY (CI logs): a plain line every 10 s or
// every 10% of the packages, whichever comes first, so a 90 s audit is not silent.
import { StatusLine } from '../report/style.js';
import { safeLine } from '../report/sanitize.js';

export interface ProgressState {
  done: number;
  total: number;
  bytes: number;
  cached: number;
  current?: string;
  /** Tarball bytes of the packages finished (fetched and analyzed, not cached). */
  doneBytes?: number;
  /** Tarball bytes of the packages still to analyze whose size is known (downloaded ahead). */
  pendingBytes?: number;
  /** Packages still to analyze whose size is not known yet. */
  unsized?: number;
}

/** Milliseconds from some fixed point; performance.now by default, a fake one in tests. */
export type Clock = () => number;

const fmtBytes = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`);
const fmtTime = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
};

/**
 * Seconds left. Cached results cost nothing and come first, and one large package (next: 44 MB)
 * takes as long as hundreds of small ones, so a rate per finished package is off by several times
 * early in a run. The audit downloads every tarball ahead of the analysis, so the bytes still to
 * analyze are mostly known: the estimate is those bytes (plus an average fetched package's for each
 * one whose size is not known yet) at the byte rate seen so far, timed from the first analyzed
 * package, not from start-up. Without byte counts it falls back to the rate per fetched package.
 * Before three fetched packages it is not worth showing.
 */
export function estimateSeconds(s: ProgressState, firstFetchedAt: number | undefined, now: number): number {
  const fetched = s.done - s.cached;
  if (fetched < 3 || firstFetchedAt === undefined) return NaN;
  const seconds = (now - firstFetchedAt) / 1000;
  if (seconds <= 0) return NaN;
  if (s.doneBytes && s.pendingBytes !== undefined) {
    const rate = s.doneBytes / seconds;
    const remaining = s.pendingBytes + (s.unsized ?? 0) * (s.doneBytes / fetched);
    return remaining / rate;
  }
  // Each of the rest is assumed cold (not cached): an honest upper estimate rather than a hopeful one.
  return ((s.total - s.done) * seconds) / fetched;
}

/** Tracks the moment of the first fetched (not cached) result, for estimateSeconds. */
class EtaClock {
  private first: number | undefined;
  observe(s: ProgressState, now: number): number | undefined {
    if (this.first === undefined && s.done - s.cached > 0) this.first = now;
    return this.first;
  }
}

export class ProgressBar {
  private last = -Infinity;
  private readonly eta = new EtaClock();
  private readonly status: StatusLine;
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly width = 24,
    private readonly clock: Clock = () => performance.now(),
  ) {
    this.status = new StatusLine(out);
  }

  /** The line for a state; exported for tests. */
  line(s: ProgressState, now = this.clock()): string {
    const frac = s.total ? s.done / s.total : 1;
    const filled = Math.round(frac * this.width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled ? (frac >= 1 ? '=' : '>') : '') + ' '.repeat(this.width - filled);
    const eta = estimateSeconds(s, this.eta.observe(s, now), now);
    const cols = this.out.columns ?? 100;
    const text = `[${bar}] ${s.done}/${s.total} packages  ${fmtBytes(s.bytes)}${s.cached ? `  ${s.cached} cached` : ''}  ETA ${fmtTime(eta)}${s.current ? `  ${safeLine(s.current)}` : ''}`;
    return text.length > cols - 1 ? text.slice(0, cols - 1) : text;
  }

  update(s: ProgressState): void {
    const now = this.clock();
    this.eta.observe(s, now);
    if (now - this.last < 100 && s.done < s.total) return;
    this.last = now;
    this.status.show(this.line(s, now));
  }

  clear(): void {
    this.status.clear();
  }
}

/**
 * Progress for a log: "tollgate: 120/316 packages (38%), 41.2 MB, 12 cached, about 0:52 left",
 * written when 10 s have passed since the last line or the run crossed another 10% of its packages,
 * and once at the end. Never redraws, so CI logs stay readable.
 */
export class ProgressLog {
  private lastAt: number;
  private lastTenth = 0;
  private ended = false;
  private readonly eta = new EtaClock();
  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly clock: Clock = () => performance.now(),
    private readonly everyMs = 10_000,
  ) {
    this.lastAt = clock();
  }

  update(s: ProgressState): void {
    if (this.ended) return;
    const now = this.clock();
    this.eta.observe(s, now);
    const tenth = s.total ? Math.floor((s.done / s.total) * 10) : 10;
    const done = s.done >= s.total;
    if (!done && tenth <= this.lastTenth && now - this.lastAt < this.everyMs) return;
    this.lastAt = now;
    this.lastTenth = tenth;
    if (done) this.ended = true;
    const pct = s.total ? Math.floor((s.done / s.total) * 100) : 100;
    const eta = estimateSeconds(s, this.eta.observe(s, now), now);
    const left = !done && Number.isFinite(eta) ? `, about ${fmtTime(eta)} left` : '';
    this.out.write(`tollgate: ${s.done}/${s.total} packages (${pct}%), ${fmtBytes(s.bytes)}${s.cached ? `, ${s.cached} cached` : ''}${left}${!done && s.current ? `; now ${s.current}` : ''}\n`);
  }

  clear(): void {}
}

/** The progress reporter for stderr: a bar on a terminal, log lines elsewhere, nothing with --quiet. */
export function progressFor(stream: NodeJS.WriteStream, quiet: boolean): ProgressBar | ProgressLog | undefined {
  if (quiet) return undefined;
  return stream.isTTY ? new ProgressBar(stream) : new ProgressLog(stream);
}

/**
 * "analyzing prisma@6.1.0: 1200/3500 files" on the status line while one package's files are
 * worked through, redrawn at most ten times a second; silent in the run's first second (small packages).
 */
export class FileStatus {
  private last = -Infinity;
  private readonly started: number;
  constructor(
    private readonly status: { show(text: string): void },
    private readonly clock: Clock = () => performance.now(),
  ) {
    this.started = clock();
  }

  show(name: string, p: { phase: string; done: number; total: number }): void {
    const now = this.clock();
    if (now - this.started < 1000 || now - this.last < 100) return;
    this.last = now;
    this.status.show(`${p.phase} ${name}: ${p.done}/${p.total} files`);
  }
}
