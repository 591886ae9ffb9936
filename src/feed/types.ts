// The watch pipeline's shared vocabulary: change -> new versions -> queue -> scan -> store -> alert.
// The embedded mode (SQLite) and the distributed mode (BullMQ on Redis, PostgreSQL) implement the
// same two interfaces, so the follower, the scanner and the alerts do not know which one runs.
import type { Verdict } from '../types.js';
import type { JsonReport } from '../report/json.js';

/** One published version to scan. Identity is name@version; integrity tells re-publishes apart. */
export interface VersionJob {
  name: string;
  version: string;
  /** dist.integrity from the packument (sha512 SRI), when it had one. */
  integrity?: string;
  /** dist.tarball from the packument. */
  tarball?: string;
  /** time[version] from the packument (ISO). */
  publishedAt?: string;
}

export const jobKey = (j: Pick<VersionJob, 'name' | 'version'>): string => `${j.name}@${j.version}`;

/** One scanned version, as stored and as printed by `watch --json` (one JSON line each). */
export interface WatchResult {
  name: string;
  version: string;
  integrity: string | null;
  score: number;
  verdict: Verdict;
  findings: JsonReport['packages'][number]['findings'];
  reasons: string[];
  /** Set when verdict is `error`: why the version could not be analyzed (never "clean"). */
  error?: string;
  publishedAt?: string | null;
  /** ISO time the scan finished. */
  scannedAt: string;
}

export interface ResultQuery {
  /** Only results scanned at or after this time. */
  since?: Date;
  verdict?: Verdict;
  limit?: number;
}

/**
 * Where versions wait to be scanned. `enqueue` is idempotent by jobKey: a version already queued,
 * being scanned or done is not queued again, so re-reading a window of the feed is harmless.
 */
export interface JobQueue {
  /** Returns how many of the jobs were new. */
  enqueue(jobs: readonly VersionJob[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * Results and the feed cursor. `putResult` is idempotent by name@version+integrity: storing the
 * same result twice keeps one row and returns false the second time (that is how a version is
 * reported exactly once after a crash and a retry).
 */
export interface ResultStore {
  getCursor(feed: string): Promise<string | undefined>;
  setCursor(feed: string, seq: string): Promise<void>;
  putResult(r: WatchResult): Promise<boolean>;
  hasResult(name: string, version: string, integrity: string | null): Promise<boolean>;
  query(q: ResultQuery): Promise<WatchResult[]>;
  close(): Promise<void>;
}
