// Results cache: analysis results by tarball integrity and engine version, in SQLite
// (better-sqlite3), so a second audit only analyzes what changed.
//
// Concurrency: WAL journal (readers never block the writer) plus a busy timeout, so two audits
// running at once both read and write safely; each write is a single-row upsert. A cache that
// cannot be opened (read-only home, corrupt file, native module missing) is never fatal: the audit
// runs uncached and says so.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { ReportedPackage } from '../types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** The user's cache folder for Tollgate (XDG on Linux, Caches on macOS, LocalAppData on Windows). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOLLGATE_CACHE_DIR) return path.resolve(env.TOLLGATE_CACHE_DIR);
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'tollgate', 'Cache');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'tollgate');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'tollgate');
}

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
}

export class ResultCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, writes: 0 };
  private readonly getStmt: Statement;
  private readonly putStmt: Statement;

  private constructor(
    private readonly db: Database,
    readonly file: string,
    private readonly engine: string,
  ) {
    this.getStmt = db.prepare('SELECT result FROM results WHERE key = ? AND engine = ?');
    this.putStmt = db.prepare('INSERT OR REPLACE INTO results (key, engine, result, stored_at) VALUES (?, ?, ?, ?)');
  }

  /** Open (creating) the cache; throws when SQLite is unavailable or the file unusable. */
  static open(file: string, engine: string): ResultCache {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Loaded lazily so a missing native build only disables caching, never the CLI.
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const db = new Sqlite(file, { timeout: 10_000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(
        'CREATE TABLE IF NOT EXISTS results (key TEXT NOT NULL, engine TEXT NOT NULL, result TEXT NOT NULL, stored_at INTEGER NOT NULL, PRIMARY KEY (key, engine)) WITHOUT ROWID',
      );
      // Results of other engine versions can never be read again: drop them once in a while.
      db.prepare('DELETE FROM results WHERE engine <> ? AND stored_at < ?').run(engine, Date.now() - 7 * 24 * 3600 * 1000);
    } catch (err) {
      db.close();
      throw err;
    }
    return new ResultCache(db, file, engine);
  }

  get(key: string): ReportedPackage | undefined {
    const row = this.getStmt.get(key, this.engine) as { result: string } | undefined;
    if (!row) {
      this.stats.misses++;
      return undefined;
    }
    try {
      const r = JSON.parse(row.result) as ReportedPackage;
      this.stats.hits++;
      return r;
    } catch {
      this.stats.misses++;
      return undefined;
    }
  }

  /** Only complete analyses are stored: errors are retried on the next run. */
  put(key: string, result: ReportedPackage): void {
    if (result.verdict === 'error') return;
    const { timing: _timing, ...rest } = result;
    this.putStmt.run(key, this.engine, JSON.stringify(rest), Date.now());
    this.stats.writes++;
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }
}
