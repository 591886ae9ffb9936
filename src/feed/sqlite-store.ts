// The embedded store of `tollgate watch`: feed cursor, follower state, job queue, results and
// delivery marks in one SQLite file (better-sqlite3, WAL). Crash safety comes from transactions at
// the two points where state changes together:
//   - a poll: the jobs it found + the changes it processed + the new cursor, in one transaction;
//   - a scan: the result + its job marked done, in one transaction.
// SIGKILL between two transactions loses nothing (the page is re-read, the job re-run) and
// duplicates nothing (jobs and results are unique by name@version+integrity). Jobs left `running`
// by a dead process go back to `pending` when the store is opened for watching. Reporting reads
// results from here after the commit and marks each delivery, so a restart re-sends only what was
// not sent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Verdict } from '../types.js';
import type { JobQueue, ResultQuery, ResultStore, VersionJob, WatchResult } from './types.js';
import type { FollowerSnapshot, FollowerStore, GaveUp, PollCommit } from './follower.js';
import { isProcessAlive } from './process-alive.js';

type Database = BetterSqlite3.Database;

/** Where `watch` keeps its state unless --store says otherwise. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOLLGATE_DATA_DIR) return path.resolve(env.TOLLGATE_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'tollgate', 'Data');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'tollgate');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'tollgate');
}

export const defaultStorePath = (env: NodeJS.ProcessEnv = process.env): string => path.join(defaultDataDir(env), 'watch.sqlite');

export class StoreBusyError extends Error {
  override name = 'StoreBusyError';
}

/** A claimed job: the queue row id and how many scans were tried before. */
export interface ClaimedJob extends VersionJob {
  id: number;
  attempts: number;
}

/** A stored result with its row id (deliveries are keyed by it). */
export interface StoredResult {
  id: number;
  result: WatchResult;
}

export interface QueueCounts {
  pending: number;
  running: number;
  done: number;
}

export type DeliveryState = 'sent' | 'failed';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (
  feed TEXT PRIMARY KEY, seq TEXT NOT NULL, state TEXT, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen_changes (
  feed TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (feed, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_changes_at ON seen_changes (at);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL, version TEXT NOT NULL, integrity TEXT NOT NULL DEFAULT '',
  tarball TEXT, published_at TEXT,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
  attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0,
  enqueued_at INTEGER NOT NULL, claimed_at INTEGER, last_error TEXT,
  UNIQUE (name, version, integrity));
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (state, not_before, id);
CREATE TABLE IF NOT EXISTS results (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL, version TEXT NOT NULL, integrity TEXT NOT NULL DEFAULT '',
  verdict TEXT NOT NULL, score INTEGER NOT NULL, scanned_at INTEGER NOT NULL, published_at TEXT,
  body TEXT NOT NULL,
  UNIQUE (name, version, integrity));
CREATE INDEX IF NOT EXISTS results_scanned ON results (scanned_at);
CREATE INDEX IF NOT EXISTS results_verdict ON results (verdict, scanned_at);
CREATE TABLE IF NOT EXISTS deliveries (
  result_id INTEGER NOT NULL REFERENCES results (id), sink TEXT NOT NULL,
  state TEXT NOT NULL, at INTEGER NOT NULL, error TEXT,
  PRIMARY KEY (result_id, sink)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_errors (
  id INTEGER PRIMARY KEY, feed TEXT NOT NULL, name TEXT NOT NULL, rev TEXT, reason TEXT NOT NULL, at INTEGER NOT NULL);
`;
const SCHEMA_VERSION = '1';

/** Seen changes older than this are forgotten (the re-read window is far shorter). */
const SEEN_RETENTION_MS = 3 * 24 * 3600_000;

const isAlive = isProcessAlive;

export interface OpenStoreOptions {
  /** Read-only use (`tollgate results`): no owner lock, no recovery, no schema changes. */
  readonly?: boolean;
  now?: () => number;
}

export class SqliteStore implements ResultStore, JobQueue, FollowerStore {
  private closed = false;
  private owner = false;
  private commits = 0;
  private readonly now: () => number;

  private constructor(
    private readonly db: Database,
    readonly file: string,
    private readonly readonly: boolean,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /** Open (creating unless read-only). Throws with the file name and what to do when it cannot. */
  static open(file: string, options: OpenStoreOptions = {}): SqliteStore {
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    if (options.readonly && !fs.existsSync(file)) throw new Error(`no watch store at ${file}; run \`tollgate watch --store ${file}\` first, or pass the --store it used`);
    if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
    let db: Database;
    try {
      db = new Sqlite(file, { timeout: 10_000, readonly: options.readonly === true, fileMustExist: options.readonly === true });
    } catch (err) {
      throw new Error(`cannot open the watch store ${file}: ${(err as Error).message}`);
    }
    try {
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode: a commit survives the process being killed (it is in the OS's hands
        // before commit returns); only a power cut can drop the last few, and then atomically (a
        // result and its job together), so the job is redone and nothing is half-stored. FULL
        // would add an fsync per scan and per delivery mark, widening the window in which a kill
        // between printing a line and marking it sent makes the next run print it again.
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
        const v = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
        if (v && v.value !== SCHEMA_VERSION) throw new Error(`it has schema version ${v.value}, this tollgate reads ${SCHEMA_VERSION}; use a new --store file`);
        db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
      } else {
        db.prepare("SELECT value FROM meta WHERE key = 'schema'").get();
      }
    } catch (err) {
      db.close();
      throw new Error(`cannot use the watch store ${file}: ${(err as Error).message}`);
    }
    return new SqliteStore(db, file, options.readonly === true, options.now);
  }

  /**
   * Become the store's one watcher: refuses when another live process holds it, then puts jobs a
   * dead owner left `running` back to `pending`. Returns how many were put back.
   */
  acquire(): number {
    const take = this.db.transaction(() => {
      const row = this.db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as { value: string } | undefined;
      if (row) {
        const o = JSON.parse(row.value) as { pid: number; host: string; since: string };
        if (o.pid !== process.pid && o.host === os.hostname() && isAlive(o.pid)) {
          throw new StoreBusyError(`the watch store ${this.file} is in use by another tollgate watch (pid ${o.pid}, since ${o.since}); stop it first or use another --store`);
        }
      }
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('owner', ?)").run(JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date(this.now()).toISOString() }));
      return this.db.prepare("UPDATE jobs SET state = 'pending', claimed_at = NULL WHERE state = 'running'").run().changes;
    });
    const requeued = take.immediate();
    this.owner = true;
    return requeued;
  }

  // ---- FollowerStore ----

  async loadFollower(feed: string): Promise<FollowerSnapshot | undefined> {
    const row = this.db.prepare('SELECT seq, state FROM cursors WHERE feed = ?').get(feed) as { seq: string; state: string | null } | undefined;
    if (!row) return undefined;
    if (row.state) {
      try {
        const s = JSON.parse(row.state) as FollowerSnapshot;
        return { ...s, cursor: row.seq };
      } catch {
        // fall through: the cursor alone is still good
      }
    }
    return { cursor: row.seq, window: [], rechecks: [], knownBefore: this.now() - 24 * 3600_000 };
  }

  async seenChanges(feed: string, keys: readonly string[]): Promise<Set<string>> {
    const stmt = this.db.prepare('SELECT 1 FROM seen_changes WHERE feed = ? AND key = ?').pluck();
    return new Set(keys.filter((k) => stmt.get(feed, k) !== undefined));
  }

  async commitPoll(feed: string, commit: PollCommit): Promise<number> {
    const now = this.now();
    const insertJob = this.db.prepare(
      'INSERT OR IGNORE INTO jobs (name, version, integrity, tarball, published_at, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const seen = this.db.prepare('INSERT OR REPLACE INTO seen_changes (feed, key, at) VALUES (?, ?, ?)');
    const cursor = this.db.prepare('INSERT OR REPLACE INTO cursors (feed, seq, state, updated_at) VALUES (?, ?, ?, ?)');
    const gave = this.db.prepare('INSERT INTO feed_errors (feed, name, rev, reason, at) VALUES (?, ?, ?, ?, ?)');
    const { cursor: seq, ...state } = commit.snapshot;
    const tx = this.db.transaction(() => {
      let added = 0;
      for (const j of commit.jobs) added += insertJob.run(j.name, j.version, j.integrity ?? '', j.tarball ?? null, j.publishedAt ?? null, now).changes;
      for (const k of commit.seen) seen.run(feed, k, now);
      for (const g of commit.gaveUp as GaveUp[]) gave.run(feed, g.id, g.rev ?? null, g.reason, now);
      cursor.run(feed, seq, JSON.stringify(state), now);
      if (++this.commits % 200 === 0) this.db.prepare('DELETE FROM seen_changes WHERE at < ?').run(now - SEEN_RETENTION_MS);
      return added;
    });
    return tx.immediate();
  }

  // ---- JobQueue ----

  async enqueue(jobs: readonly VersionJob[]): Promise<number> {
    const now = this.now();
    const insert = this.db.prepare('INSERT OR IGNORE INTO jobs (name, version, integrity, tarball, published_at, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)');
    return this.db.transaction(() => jobs.reduce((n, j) => n + insert.run(j.name, j.version, j.integrity ?? '', j.tarball ?? null, j.publishedAt ?? null, now).changes, 0)).immediate();
  }

  /** Take up to `n` pending jobs that are due, oldest first, marking them running. */
  claim(n: number): ClaimedJob[] {
    if (n <= 0) return [];
    const now = this.now();
    const rows = this.db
      .prepare(
        `UPDATE jobs SET state = 'running', claimed_at = ? WHERE id IN (
           SELECT id FROM jobs WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT ?)
         RETURNING id, name, version, integrity, tarball, published_at, attempts`,
      )
      .all(now, now, n) as { id: number; name: string; version: string; integrity: string; tarball: string | null; published_at: string | null; attempts: number }[];
    return rows
      .sort((a, b) => a.id - b.id)
      .map((r) => ({
        id: r.id,
        name: r.name,
        version: r.version,
        ...(r.integrity ? { integrity: r.integrity } : {}),
        ...(r.tarball ? { tarball: r.tarball } : {}),
        ...(r.published_at ? { publishedAt: r.published_at } : {}),
        attempts: r.attempts,
      }));
  }

  /** Store the result and mark its job done, atomically. Returns false when the result was already stored. */
  complete(jobId: number, result: WatchResult): boolean {
    const tx = this.db.transaction(() => {
      const stored = this.insertResult(result);
      this.db.prepare("UPDATE jobs SET state = 'done', attempts = attempts + 1, last_error = ? WHERE id = ?").run(result.error ?? null, jobId);
      return stored;
    });
    return tx.immediate();
  }

  /** A scan failed in a way worth retrying: back to pending, not before `notBefore`. */
  retryLater(jobId: number, error: string, notBefore: number): void {
    this.db.prepare("UPDATE jobs SET state = 'pending', attempts = attempts + 1, not_before = ?, last_error = ?, claimed_at = NULL WHERE id = ?").run(notBefore, error, jobId);
  }

  /** Put claimed jobs back untouched (shutdown with scans in flight). */
  release(jobIds: readonly number[]): void {
    const stmt = this.db.prepare("UPDATE jobs SET state = 'pending', claimed_at = NULL WHERE id = ? AND state = 'running'");
    this.db.transaction(() => jobIds.forEach((id) => stmt.run(id)))();
  }

  counts(): QueueCounts {
    const rows = this.db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as { state: keyof QueueCounts; n: number }[];
    const out: QueueCounts = { pending: 0, running: 0, done: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /** When the earliest pending job becomes due (epoch ms), if any is pending. */
  nextDueAt(): number | undefined {
    const v = this.db.prepare("SELECT min(not_before) FROM jobs WHERE state = 'pending'").pluck().get() as number | null;
    return v ?? undefined;
  }

  // ---- ResultStore ----

  async getCursor(feed: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT seq FROM cursors WHERE feed = ?').pluck().get(feed) as string | undefined) ?? undefined;
  }

  async setCursor(feed: string, seq: string): Promise<void> {
    this.db
      .prepare('INSERT INTO cursors (feed, seq, state, updated_at) VALUES (?, ?, NULL, ?) ON CONFLICT (feed) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at')
      .run(feed, seq, this.now());
  }

  async putResult(r: WatchResult): Promise<boolean> {
    return this.insertResult(r);
  }

  async hasResult(name: string, version: string, integrity: string | null): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM results WHERE name = ? AND version = ? AND integrity = ?').pluck().get(name, version, integrity ?? '') !== undefined;
  }

  async query(q: ResultQuery): Promise<WatchResult[]> {
    return this.queryStored(q).map((s) => s.result);
  }

  /** Results matching the query, with their row ids: the newest `limit` of them, oldest first. */
  queryStored(q: ResultQuery): StoredResult[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.since) {
      where.push('scanned_at >= ?');
      args.push(q.since.getTime());
    }
    if (q.verdict) {
      where.push('verdict = ?');
      args.push(q.verdict);
    }
    const sql = `SELECT id, body FROM results ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    args.push(Math.max(0, q.limit ?? 1_000_000));
    const rows = this.db.prepare(sql).all(...args) as { id: number; body: string }[];
    return rows.reverse().map((r) => ({ id: r.id, result: JSON.parse(r.body) as WatchResult }));
  }

  /** Results not yet delivered (sent or given up) to `sink`, oldest first, optionally only some verdicts. */
  undelivered(sink: string, limit: number, verdicts?: readonly Verdict[]): StoredResult[] {
    const filter = verdicts?.length ? `AND r.verdict IN (${verdicts.map(() => '?').join(',')})` : '';
    const rows = this.db
      .prepare(`SELECT r.id, r.body FROM results r LEFT JOIN deliveries d ON d.result_id = r.id AND d.sink = ? WHERE d.result_id IS NULL ${filter} ORDER BY r.id LIMIT ?`)
      .all(sink, ...(verdicts ?? []), limit) as { id: number; body: string }[];
    return rows.map((r) => ({ id: r.id, result: JSON.parse(r.body) as WatchResult }));
  }

  markDelivered(resultId: number, sink: string, state: DeliveryState, error?: string): void {
    this.db.prepare('INSERT OR REPLACE INTO deliveries (result_id, sink, state, at, error) VALUES (?, ?, ?, ?, ?)').run(resultId, sink, state, this.now(), error ?? null);
  }

  /** Changes the follower gave up on (for diagnostics and tests). */
  feedErrors(): { name: string; rev: string | null; reason: string }[] {
    return this.db.prepare('SELECT name, rev, reason FROM feed_errors ORDER BY id').all() as { name: string; rev: string | null; reason: string }[];
  }

  private insertResult(r: WatchResult): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO results (name, version, integrity, verdict, score, scanned_at, published_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.name, r.version, r.integrity ?? '', r.verdict, Math.round(r.score), Date.parse(r.scannedAt) || this.now(), r.publishedAt ?? null, JSON.stringify(r)).changes === 1
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.owner && !this.readonly) this.db.prepare("DELETE FROM meta WHERE key = 'owner' AND json_extract(value, '$.pid') = ?").run(process.pid);
    } finally {
      this.db.close();
    }
  }
}
