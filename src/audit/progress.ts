// One-line progress on a TTY: packages done/total, bytes downloaded, ETA. Redrawn at most
// ten times a second so a warm audit of thousands of cached results is not slowed by the terminal.
import { StatusLine } from '../report/style.js';
import { safeLine } from '../report/sanitize.js';

export interface ProgressState {
  done: number;
  total: number;
  bytes: number;
  cached: number;
  current?: string;
}

const fmtBytes = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`);
const fmtTime = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
};

export class ProgressBar {
  private last = 0;
  private readonly started = performance.now();
  private readonly status: StatusLine;
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly width = 24,
  ) {
    this.status = new StatusLine(out);
  }

  /** The line for a state; exported for tests. */
  line(s: ProgressState, now = performance.now()): string {
    const frac = s.total ? s.done / s.total : 1;
    const filled = Math.round(frac * this.width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled ? (frac >= 1 ? '=' : '>') : '') + ' '.repeat(this.width - filled);
    const elapsed = (now - this.started) / 1000;
    const eta = s.done ? (elapsed / s.done) * (s.total - s.done) : NaN;
    const cols = this.out.columns ?? 100;
    const text = `[${bar}] ${s.done}/${s.total} packages  ${fmtBytes(s.bytes)}${s.cached ? `  ${s.cached} cached` : ''}  ETA ${fmtTime(eta)}${s.current ? `  ${safeLine(s.current)}` : ''}`;
    return text.length > cols - 1 ? text.slice(0, cols - 1) : text;
  }

  update(s: ProgressState): void {
    const now = performance.now();
    if (now - this.last < 100 && s.done < s.total) return;
    this.last = now;
    this.status.show(this.line(s, now));
  }

  clear(): void {
    this.status.clear();
  }
}
