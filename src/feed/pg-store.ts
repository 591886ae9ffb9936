// ResultStore on PostgreSQL (`--store postgres://...`), for the distributed mode: many workers on
// many machines write results into one database, and `tollgate results` reads them.
//
// Exactly-once reporting rests on one constraint: a result is unique on (name, version, integrity)
// and is written with ON CONFLICT DO NOTHING, so of two workers that scanned the same version
// (a retried job, a job re-enqueued after Redis forgot it) only the first insert returns a row;
// only that worker alerts.
import pg from 'pg';
import type { Verdict } from '../types.js';
import type { ResultQuery, ResultStore, WatchResult } from './types.js';

import { redactUrl } from '../io/redact.js';
export { redactUrl };

export class PgStoreError extends Error {
  override name = 'PgStoreError';
}

const VERDICTS: readonly Verdict[] = ['malicious', 'suspicious', 'clean', 'error'];
/** `tollgate results` default and ceiling: a query never pulls an unbounded table into memory. */
export const MAX_QUERY_ROWS = 10_000;

// One transaction under an advisory lock: two workers starting at once would otherwise race on
// CREATE TABLE IF NOT EXISTS (it is not atomic against a concurrent create: duplicate pg_type key).
const SCHEMA_LOCK = 0x746f6c6c; // "toll"
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tollgate_results (
  id          bigserial   PRIMARY KEY,
  name        text        NOT NULL,
  version     text        NOT NULL,
  -- '' when the packument had no integrity: a NULL would never conflict with another NULL.
  integrity   text        NOT NULL,
  verdict     text        NOT NULL,
  score       double precision NOT NULL,
  scanned_at  timestamptz NOT NULL,
  result      jsonb       NOT NULL,
  CONSTRAINT tollgate_results_identity UNIQUE (name, version, integrity)
);
CREATE INDEX IF NOT EXISTS tollgate_results_scanned_at ON tollgate_results (scanned_at);
CREATE INDEX IF NOT EXISTS tollgate_results_verdict_scanned_at ON tollgate_results (verdict, scanned_at);
CREATE TABLE IF NOT EXISTS tollgate_cursors (
  feed        text        PRIMARY KEY,
  seq         text        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
`;

// PostgreSQL text and jsonb reject NUL characters and lone surrogates; both can come from a
// hostile package (evidence is its source text). Replace them so one result cannot poison the
// store; the replacement character keeps the spot visible.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const pgSafeText = (s: string): string => s.replace(UNSTORABLE, '\uFFFD');
function pgSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? pgSafeText(v) : v))) as T;
}

/** What a failed connection means and what to do about it, naming the store (password hidden). */
export function describePgError(url: string, err: unknown): PgStoreError {
  const e = err as NodeJS.ErrnoException & { code?: string; message: string };
  const where = `PostgreSQL store ${redactUrl(url)}`;
  const reason = e?.message || String(err);
  let hint = 'check that PostgreSQL is running and reachable and that --store names the right database';
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN' || e?.code === 'ETIMEDOUT' || /timeout/i.test(reason))
    hint = 'is PostgreSQL running there and listening on that host and port? Check the host and port in --store';
  else if (e?.code === '28P01' || e?.code === '28000') hint = 'the user or password in --store was refused: check them (or the server\'s pg_hba.conf)';
  else if (e?.code === '3D000') hint = 'that database does not exist: create it (createdb) or name an existing one in --store';
  else if (e?.code === '42501') hint = 'that user may not create tables or write here: grant it rights on the database, or run once as its owner to create the tables';
  return new PgStoreError(`${where}: ${reason} (${hint})`);
}

interface Row {
  result: WatchResult;
}

export class PgStore implements ResultStore {
  private constructor(
    private readonly pool: pg.Pool,
    readonly url: string,
  ) {
    // An idle client that loses its connection emits 'error' on the pool; unhandled it would crash
    // the process. Nothing to do here: the next query fails with a clear message anyway.
    pool.on('error', () => undefined);
  }

  /** Connect and create the tables if needed. Throws PgStoreError naming the store and what to do. */
  static async open(url: string, options: { max?: number; connectTimeoutMs?: number; statementTimeoutMs?: number; readonly?: boolean } = {}): Promise<PgStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      idleTimeoutMillis: 30_000,
      application_name: 'tollgate',
    });
    const store = new PgStore(pool, url);
    try {
      await store.withClient(async (c) => {
        if (options.readonly) {
          // `tollgate results` may run as a user that can only read: create nothing, check the table.
          const t = await c.query<{ t: string | null }>("SELECT to_regclass('tollgate_results')::text AS t");
          if (!t.rows[0]?.t) throw new PgStoreError(`PostgreSQL store ${redactUrl(url)} has no tollgate results yet (no tollgate_results table): point --store at the database your workers use`);
          return;
        }
        await c.query('BEGIN');
        try {
          await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
          await c.query(SCHEMA);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err instanceof PgStoreError ? err : describePgError(url, err);
    }
    return store;
  }

  private async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw describePgError(this.url, err);
    }
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  private async sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      // A SQL error (SQLSTATE outside the connection, auth and shutdown classes) keeps its own
      // message; connection trouble gets the hint about what to check.
      const state = (err as { code?: unknown }).code;
      if (typeof state === 'string' && /^[0-9A-Z]{5}$/.test(state) && !/^(08|28|3D|57P)/.test(state))
        throw new PgStoreError(`PostgreSQL store ${redactUrl(this.url)}: ${(err as Error).message}`);
      throw describePgError(this.url, err);
    }
  }

  async getCursor(feed: string): Promise<string | undefined> {
    const r = await this.sql<{ seq: string }>('SELECT seq FROM tollgate_cursors WHERE feed = $1', [pgSafeText(feed)]);
    return r.rows[0]?.seq;
  }

  async setCursor(feed: string, seq: string): Promise<void> {
    await this.sql(
      'INSERT INTO tollgate_cursors (feed, seq, updated_at) VALUES ($1, $2, now()) ON CONFLICT (feed) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()',
      [pgSafeText(feed), pgSafeText(seq)],
    );
  }

  /** True only for the first store of this name@version+integrity; false when it was already there. */
  async putResult(result: WatchResult): Promise<boolean> {
    const r = pgSafe(result);
    const scannedAt = Number.isNaN(Date.parse(r.scannedAt)) ? new Date().toISOString() : r.scannedAt;
    const score = Number.isFinite(r.score) ? r.score : 0;
    const inserted = await this.sql(
      `INSERT INTO tollgate_results (name, version, integrity, verdict, score, scanned_at, result)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT ON CONSTRAINT tollgate_results_identity DO NOTHING
       RETURNING id`,
      [r.name, r.version, r.integrity ?? '', r.verdict, score, scannedAt, JSON.stringify({ ...r, scannedAt, score })],
    );
    return inserted.rowCount === 1;
  }

  async hasResult(name: string, version: string, integrity: string | null): Promise<boolean> {
    const r = await this.sql('SELECT 1 FROM tollgate_results WHERE name = $1 AND version = $2 AND integrity = $3', [
      pgSafeText(name),
      pgSafeText(version),
      pgSafeText(integrity ?? ''),
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Newest first. */
  async query(q: ResultQuery): Promise<WatchResult[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.since) {
      values.push(q.since.toISOString());
      where.push(`scanned_at >= $${values.length}`);
    }
    if (q.verdict) {
      if (!VERDICTS.includes(q.verdict)) throw new PgStoreError(`unknown verdict "${q.verdict}" (one of ${VERDICTS.join(', ')})`);
      values.push(q.verdict);
      where.push(`verdict = $${values.length}`);
    }
    const limit = Math.max(1, Math.min(MAX_QUERY_ROWS, Math.floor(q.limit ?? MAX_QUERY_ROWS)));
    values.push(limit);
    const r = await this.sql<Row>(
      `SELECT result FROM tollgate_results ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY scanned_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    return r.rows.map((row) => row.result);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
