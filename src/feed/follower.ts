// The follower: npm changes feed -> new versions, as jobs for the queue. Since 2025 the feed
// (`GET <replicate>/registry/_changes?since=&limit=`) says only *that* a package document changed
// (id + rev), so each change costs a full packument fetch (it has `time`) and a diff against what
// is already known. Everything here follows /work/shared/feed/FEED.md:
// - the cursor is opaque: `last_seq` is stored verbatim and only ever sent back;
// - the feed can make a change visible *behind* positions already read, so the follower keeps the
//   cursors of recent polls and regularly re-reads from the oldest, skipping id+rev already done;
// - the registry can serve a packument older than the rev the feed announced: what it serves is
//   processed, and the package is checked again later (bounded), persisted so a restart keeps it;
// - 429/5xx/timeouts are retried with backoff and jitter, honouring Retry-After, then reported.
// State lives behind FollowerStore: one commit per page (jobs + seen changes + cursor), so a crash
// between pages re-reads at most one page and the idempotent queue absorbs the repeat.
import pLimit from 'p-limit';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobQueue, ResultStore, VersionJob } from './types.js';
import { trimTrailingSlashes } from '../text.js';
import { backoffDelay, DEFAULT_RETRY, FeedHttpError, getJson, type RetryPolicy } from './http.js';

export const NPM_CHANGES_URL = 'https://replicate.npmjs.com/registry/_changes';
export const NPM_REGISTRY_URL = 'https://registry.npmjs.org/';
/** Headers migrated followers send (FEED.md); the opt-in header is ignored since 2025-05-29 but harmless. */
export const CHANGES_HEADERS: Readonly<Record<string, string>> = { accept: 'application/json', 'npm-replication-opt-in': 'true' };

/** A package to look at again: its packument lagged behind the feed, or could not be fetched. */
export interface Recheck {
  id: string;
  /** The rev the feed announced (the packument must reach it). */
  rev?: string;
  /** Checks done so far. */
  attempts: number;
  /** When the next check is due (epoch ms). */
  dueAt: number;
  reason: string;
}

/** A change the follower gave up on after its bounded rechecks: reported, never silently dropped. */
export interface GaveUp {
  id: string;
  rev?: string;
  reason: string;
}

/** What the follower persists between polls and across restarts. */
export interface FollowerSnapshot {
  /** `last_seq` of the furthest page processed, verbatim. */
  cursor: string;
  /** Cursors polls started from, oldest first: re-reads start at the first. */
  window: { seq: string; at: number }[];
  rechecks: Recheck[];
  /**
   * Versions published before this (epoch ms) count as already known: set once, at the first run
   * (start time minus the lookback), so a changed package with 500 old versions queues none of them.
   */
  knownBefore: number;
}

/** One page's outcome, committed as a unit (SQLite: one transaction). */
export interface PollCommit {
  jobs: VersionJob[];
  /** Changes processed on this page, as `id@rev`, so re-reads skip them. */
  seen: string[];
  snapshot: FollowerSnapshot;
  gaveUp: GaveUp[];
}

export interface FollowerStore {
  loadFollower(feed: string): Promise<FollowerSnapshot | undefined>;
  /** Which of these `id@rev` keys were already processed. */
  seenChanges(feed: string, keys: readonly string[]): Promise<Set<string>>;
  /** Store the page: enqueue its jobs (idempotently), mark its changes seen, save the snapshot. Returns how many jobs were new. */
  commitPoll(feed: string, commit: PollCommit): Promise<number>;
}

export interface FollowerOptions {
  /** Changes feed URL (default npm's). */
  changesUrl?: string;
  /** Registry packuments are fetched from (default npm's). */
  registry?: string;
  /**
   * Where to start: a seq (verbatim) or `now` (the feed's head). Overrides a stored cursor; when
   * absent, the stored cursor is used, else `now`.
   */
  since?: string;
  /** Changes per page (default 1000). */
  limit?: number;
  /** How many recent poll cursors to keep for re-reads (default 60). */
  windowPolls?: number;
  /** Re-read the window once every this many caught-up polls (default 10; 1 = every time). */
  rereadEvery?: number;
  /** First run: versions published up to this long before the start are new too (default 24 h). */
  lookbackMs?: number;
  /** Packuments fetched at once (default 8). */
  packumentConcurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Rechecks of lagging or unfetchable packuments: tries and backoff (default 8 tries from 15 s, up to 30 min apart). */
  recheck?: { attempts?: number; baseMs?: number; maxMs?: number };
  /** Largest packument read (default 128 MiB; the biggest real ones are tens of MiB). */
  maxPackumentBytes?: number;
  /** Extra headers for the changes feed (e.g. authorization for a private mirror). */
  headers?: Record<string, string>;
  /** Diagnostics (stderr in the CLI). */
  log?: (message: string) => void;
  now?: () => number;
  random?: () => number;
  signal?: AbortSignal;
}

export interface PollResult {
  /** Rows the feed returned on this page. */
  changes: number;
  /** Rows processed (not seen before). */
  processed: number;
  /** Versions found and queued; `newJobs` of them were not queued before. */
  jobs: number;
  newJobs: number;
  /** Nothing more to read right now (the page was short and no re-read is under way). */
  caughtUp: boolean;
  /** This page was part of a re-read of the window. */
  reread: boolean;
  cursor: string;
}

type Packument = {
  _rev?: unknown;
  versions?: Record<string, { dist?: { integrity?: unknown; tarball?: unknown } } | null>;
  time?: Record<string, unknown>;
};

interface ChangeRow {
  id: string;
  rev?: string;
  deleted: boolean;
}

/** The leading number of a CouchDB rev ("12-abc..." -> 12); NaN when it has none. */
export function revNumber(rev: unknown): number {
  const m = typeof rev === 'string' ? /^(\d+)-/.exec(rev) : null;
  return m ? Number(m[1]) : NaN;
}

/** A seq as the client must send it back: strings verbatim, anything else in its JSON spelling. */
export function seqString(seq: unknown): string | undefined {
  if (typeof seq === 'string') return seq;
  if (typeof seq === 'number' && Number.isFinite(seq)) return String(seq);
  if (seq !== undefined && seq !== null && typeof seq === 'object') return JSON.stringify(seq);
  return undefined;
}

/** The changes feed's info doc URL (`.../registry/_changes` -> `.../registry/`). */
export function infoUrl(changesUrl: string): string {
  const u = new URL(changesUrl);
  u.pathname = u.pathname.replace(/_changes\/?$/, '');
  u.search = '';
  return u.toString();
}

export function packumentUrlFor(registry: string, name: string): string {
  return `${trimTrailingSlashes(registry)}/${name.startsWith('@') ? name.replace('/', '%2f') : encodeURIComponent(name)}`;
}

/** Parse one page of the changes feed, refusing shapes we cannot trust. */
export function parseChangesPage(body: unknown, what: string): { rows: ChangeRow[]; lastSeq?: string } {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { results?: unknown }).results)) {
    throw new Error(`${what}: answer has no "results" array; is --changes-url a CouchDB _changes endpoint?`);
  }
  const b = body as { results: unknown[]; last_seq?: unknown };
  const rows: ChangeRow[] = [];
  let lastRowSeq: string | undefined;
  for (const r of b.results) {
    if (typeof r !== 'object' || r === null) continue;
    const row = r as { id?: unknown; changes?: unknown; deleted?: unknown; seq?: unknown };
    lastRowSeq = seqString(row.seq) ?? lastRowSeq;
    if (typeof row.id !== 'string' || row.id === '' || row.id.length > 214 + 10) continue;
    // Design documents are CouchDB's, not packages.
    if (row.id.startsWith('_design/')) continue;
    const revs = Array.isArray(row.changes) ? row.changes.map((c) => (c as { rev?: unknown })?.rev).filter((x): x is string => typeof x === 'string') : [];
    const rev = revs.sort((a, c) => revNumber(c) - revNumber(a))[0];
    rows.push({ id: row.id, rev, deleted: row.deleted === true });
  }
  return { rows, lastSeq: seqString(b.last_seq) ?? lastRowSeq };
}

/**
 * Versions of a packument that count as new: published (by `time`) at or after `knownBefore`, not
 * unpublished. `missing` lists versions `time` has but `versions` lacks (a lagging document, or a
 * single version unpublished).
 */
export function newVersions(name: string, p: Packument, knownBefore: number): { jobs: VersionJob[]; missing: string[] } {
  const time = p.time && typeof p.time === 'object' ? p.time : {};
  if (time.unpublished) return { jobs: [], missing: [] };
  const versions = p.versions && typeof p.versions === 'object' ? p.versions : {};
  const jobs: VersionJob[] = [];
  const missing: string[] = [];
  for (const [v, t] of Object.entries(time)) {
    if (v === 'created' || v === 'modified' || typeof t !== 'string') continue;
    const at = Date.parse(t);
    if (Number.isNaN(at) || at < knownBefore) continue;
    const meta = versions[v];
    if (!meta || typeof meta !== 'object') {
      missing.push(v);
      continue;
    }
    const integrity = typeof meta.dist?.integrity === 'string' ? meta.dist.integrity : undefined;
    const tarball = typeof meta.dist?.tarball === 'string' ? meta.dist.tarball : undefined;
    jobs.push({ name, version: v, ...(integrity ? { integrity } : {}), ...(tarball ? { tarball } : {}), publishedAt: new Date(at).toISOString() });
  }
  return { jobs, missing };
}

export class Follower {
  readonly feed: string;
  private readonly changesUrl: string;
  private readonly registry: string;
  private readonly limit: number;
  private readonly windowPolls: number;
  private readonly rereadEvery: number;
  private readonly retry: RetryPolicy;
  private readonly recheck: { attempts: number; baseMs: number; maxMs: number };
  private readonly now: () => number;
  private readonly log: (m: string) => void;
  private state?: FollowerSnapshot;
  /** Set while re-reading the window: where the next page starts. */
  private rereadFrom?: string;
  /** Counters for progress lines and tests. */
  readonly stats = { polls: 0, rereads: 0, packuments: 0, lagging: 0, gaveUp: 0, jobs: 0, newJobs: 0 };

  constructor(
    private readonly store: FollowerStore,
    private readonly options: FollowerOptions = {},
  ) {
    this.changesUrl = options.changesUrl ?? NPM_CHANGES_URL;
    this.feed = this.changesUrl;
    this.registry = options.registry ?? NPM_REGISTRY_URL;
    this.limit = Math.max(1, Math.min(10_000, options.limit ?? 1000));
    this.windowPolls = Math.max(1, options.windowPolls ?? 60);
    this.rereadEvery = Math.max(1, options.rereadEvery ?? 10);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.recheck = { attempts: 8, baseMs: 15_000, maxMs: 30 * 60_000, ...options.recheck };
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /** The state in use (after the first poll or `init`). */
  snapshot(): FollowerSnapshot | undefined {
    return this.state && structuredClone(this.state);
  }

  /** Load the stored state, or start one (`since`, else the feed's head). */
  async init(): Promise<FollowerSnapshot> {
    if (this.state) return this.state;
    const stored = await this.store.loadFollower(this.feed);
    const since = this.options.since;
    if (stored && since === undefined) {
      this.state = stored;
      return stored;
    }
    const cursor = since === undefined || since === 'now' ? await this.head() : since;
    if (stored && stored.cursor !== cursor) this.log(`--since ${since}: replacing the stored cursor ${stored.cursor} of ${this.feed}`);
    this.state = {
      cursor,
      window: [],
      rechecks: stored?.rechecks ?? [],
      knownBefore: stored?.knownBefore ?? this.now() - (this.options.lookbackMs ?? 24 * 3600_000),
    };
    return this.state;
  }

  /** The feed's current head: the info doc's `update_seq`, else the last row of a descending read. */
  async head(): Promise<string> {
    const common = { headers: { ...CHANGES_HEADERS, ...this.options.headers }, timeoutMs: this.options.timeoutMs, retry: this.retry, signal: this.options.signal, random: this.options.random };
    try {
      const info = await getJson(infoUrl(this.changesUrl), { ...common, what: 'changes feed info doc', onRetry: this.retryLog('changes feed info doc') });
      const seq = seqString((info.body as { update_seq?: unknown } | undefined)?.update_seq);
      if (seq !== undefined) return seq;
      this.log('changes feed info doc has no update_seq; asking the feed for its last change instead');
    } catch (err) {
      if (this.options.signal?.aborted) throw err;
      this.log(`${(err as Error).message}; asking the feed for its last change instead`);
    }
    const url = `${this.changesUrl}?descending=true&limit=1`;
    const page = await getJson(url, { ...common, what: 'changes feed head', onRetry: this.retryLog('changes feed head') });
    const { lastSeq } = parseChangesPage(page.body, 'changes feed head');
    if (lastSeq === undefined) throw new Error(`changes feed ${this.changesUrl} gave no last_seq for its head; start with --since <seq> instead of now`);
    return lastSeq;
  }

  private retryLog(what: string) {
    return (i: { attempt: number; waitMs: number; reason: string }): void =>
      this.log(`${what}: ${i.reason}; retry ${i.attempt}/${this.retry.attempts - 1} in ${(i.waitMs / 1000).toFixed(1)} s`);
  }

  /** Read and process one page (plus any due rechecks), then commit it. */
  async pollOnce(): Promise<PollResult> {
    const state = await this.init();
    const reread = this.rereadFrom !== undefined;
    const from = this.rereadFrom ?? state.cursor;
    const url = `${this.changesUrl}?since=${encodeURIComponent(from)}&limit=${this.limit}`;
    const answer = await getJson(url, {
      headers: { ...CHANGES_HEADERS, ...this.options.headers },
      timeoutMs: this.options.timeoutMs,
      retry: this.retry,
      signal: this.options.signal,
      random: this.options.random,
      what: 'changes feed',
      onRetry: this.retryLog('changes feed'),
    });
    this.stats.polls++;
    if (reread) this.stats.rereads++;
    const page = parseChangesPage(answer.body, `changes feed ${this.changesUrl}`);
    const lastSeq = page.lastSeq ?? from;
    const caughtUp = page.rows.length < this.limit;

    // Latest rev per package on this page: one packument fetch covers all its changes.
    const byId = new Map<string, ChangeRow>();
    for (const r of page.rows) {
      const prev = byId.get(r.id);
      if (!prev || revNumber(r.rev) > revNumber(prev.rev) || (r.deleted && !prev.deleted)) byId.set(r.id, r);
    }
    const keyOf = (r: ChangeRow): string => `${r.id}@${r.rev ?? ''}`;
    const seen = await this.store.seenChanges(this.feed, [...byId.values()].filter((r) => r.rev).map(keyOf));
    const todo = [...byId.values()].filter((r) => !r.rev || !seen.has(keyOf(r)));

    const now = this.now();
    const due = state.rechecks.filter((c) => c.dueAt <= now && !byId.has(c.id));
    const waiting = state.rechecks.filter((c) => !due.includes(c) && !todo.some((r) => r.id === c.id));
    const jobs: VersionJob[] = [];
    const rechecks: Recheck[] = [...waiting];
    const gaveUp: GaveUp[] = [];
    const limit = pLimit(Math.max(1, this.options.packumentConcurrency ?? 8));
    const handle = async (row: ChangeRow, previous?: Recheck): Promise<void> => {
      const outcome = await this.examine(row, state.knownBefore);
      jobs.push(...outcome.jobs);
      if (!outcome.retry) return;
      const attempts = (previous?.attempts ?? 0) + 1;
      if (attempts >= this.recheck.attempts || outcome.final) {
        gaveUp.push({ id: row.id, rev: row.rev, reason: `${outcome.retry} (checked ${attempts} times)` });
        this.stats.gaveUp++;
        this.log(`gave up on ${row.id}${row.rev ? ` rev ${row.rev}` : ''}: ${outcome.retry} after ${attempts} checks; its newest versions may not have been scanned`);
        return;
      }
      rechecks.push({ id: row.id, rev: row.rev, attempts, dueAt: this.now() + backoffDelay(attempts - 1, this.recheck, this.options.random), reason: outcome.retry });
    };
    await Promise.all([
      ...todo.map((row) => limit(() => handle(row, state.rechecks.find((c) => c.id === row.id)))),
      ...due.map((c) => limit(() => handle({ id: c.id, rev: c.rev, deleted: false }, c))),
    ]);
    this.options.signal?.throwIfAborted();

    // Advance: forward reads move the cursor and remember where they started (the re-read window);
    // a re-read moves the cursor only if it ran past it to the head.
    let cursor = state.cursor;
    let window = state.window;
    let more = !caughtUp;
    if (!reread) {
      if (!caughtUp && lastSeq === from) {
        throw new Error(`changes feed ${this.changesUrl} sent a full page but its last_seq did not move past ${from}; it cannot be followed from here (try --since now)`);
      }
      cursor = lastSeq;
      if (from !== lastSeq) window = [...window, { seq: from, at: now }].slice(-this.windowPolls);
    } else if (lastSeq === state.cursor || caughtUp || lastSeq === from) {
      // Back at the cursor: forward reads take over (there may be more). At the head: done.
      if (caughtUp) cursor = lastSeq;
      this.rereadFrom = undefined;
      more = !caughtUp;
    } else this.rereadFrom = lastSeq;

    const snapshot: FollowerSnapshot = { cursor, window, rechecks, knownBefore: state.knownBefore };
    const newJobs = await this.store.commitPoll(this.feed, { jobs, seen: todo.filter((r) => r.rev).map(keyOf), snapshot, gaveUp });
    this.state = snapshot;
    this.stats.jobs += jobs.length;
    this.stats.newJobs += newJobs;
    return { changes: page.rows.length, processed: todo.length + due.length, jobs: jobs.length, newJobs, caughtUp: !more && this.rereadFrom === undefined, reread, cursor };
  }

  /** Begin a re-read of the window (from the oldest remembered cursor) on the next poll. */
  startReread(): boolean {
    const oldest = this.state?.window[0]?.seq;
    if (oldest === undefined || oldest === this.state?.cursor) return false;
    this.rereadFrom = oldest;
    return true;
  }

  /** When the next recheck is due (epoch ms), if any. */
  nextRecheckAt(): number | undefined {
    const r = this.state?.rechecks ?? [];
    return r.length ? Math.min(...r.map((c) => c.dueAt)) : undefined;
  }

  /** One change: fetch its packument, find new versions, decide whether to look again. */
  private async examine(row: ChangeRow, knownBefore: number): Promise<{ jobs: VersionJob[]; retry?: string; final?: boolean }> {
    if (row.deleted) return { jobs: [] };
    let answer;
    try {
      answer = await getJson(packumentUrlFor(this.registry, row.id), {
        timeoutMs: this.options.timeoutMs,
        retry: this.retry,
        signal: this.options.signal,
        random: this.options.random,
        accept: [404],
        maxBytes: this.options.maxPackumentBytes ?? 128 * 1024 * 1024,
        what: `packument of "${row.id}"`,
        onRetry: this.retryLog(`packument of "${row.id}"`),
      });
    } catch (err) {
      if (this.options.signal?.aborted) throw err;
      // Too big is final (it will not shrink); other refusals may pass (a 403 during an incident).
      if (err instanceof FeedHttpError && err.code === 'ETOOBIG') return { jobs: [], retry: err.message, final: true };
      if (err instanceof FeedHttpError && !err.retryable) return { jobs: [], retry: err.message };
      return { jobs: [], retry: `packument could not be fetched: ${(err as Error).message}` };
    } finally {
      this.stats.packuments++;
    }
    if (answer.status === 404) {
      // A new package's document can reach the feed before the registry serves it.
      this.stats.lagging++;
      return { jobs: [], retry: `registry has no packument yet (HTTP 404) though the feed announced rev ${row.rev ?? '?'}` };
    }
    const p = answer.body as Packument;
    if (typeof p !== 'object' || p === null) return { jobs: [], retry: 'packument is not a JSON object' };
    const { jobs, missing } = newVersions(row.id, p, knownBefore);
    const served = revNumber(p._rev);
    const announced = revNumber(row.rev);
    if (served < announced) {
      this.stats.lagging++;
      return { jobs, retry: `packument rev ${String(p._rev)} is behind the announced ${row.rev}` };
    }
    if (missing.length) {
      // Either the document is still settling or those versions were unpublished one by one; a few
      // checks tell the two apart, and giving up then means "unpublished".
      this.stats.lagging++;
      return { jobs, retry: `versions ${missing.slice(0, 5).join(', ')} are in time but not in versions (lagging, or unpublished)` };
    }
    return { jobs };
  }

  /**
   * `--once`: read to the head, re-read the window once (late insertions), wait out pending
   * rechecks, then return.
   */
  async drain(onPoll?: (r: PollResult) => void): Promise<void> {
    let reread = false;
    for (;;) {
      const r = await this.pollOnce();
      onPoll?.(r);
      if (!r.caughtUp) continue;
      if (!reread) {
        reread = true;
        if (this.startReread()) continue;
      }
      const next = this.nextRecheckAt();
      if (next === undefined) return;
      await sleep(Math.max(0, next - this.now()), undefined, { signal: this.options.signal });
    }
  }

  /**
   * Follow until `signal` aborts: poll, and when caught up sleep `intervalMs`. A feed that keeps
   * failing is reported and retried at the next interval; a feed that refuses us (4xx) ends it.
   */
  async run(intervalMs: number, hooks: { onPoll?: (r: PollResult) => void; backlog?: () => Promise<number>; maxBacklog?: number } = {}): Promise<void> {
    const signal = this.options.signal;
    let caughtUpPolls = 0;
    while (!signal?.aborted) {
      try {
        if (hooks.backlog && hooks.maxBacklog !== undefined && (await hooks.backlog()) >= hooks.maxBacklog) {
          // Scanning is behind: reading further would only grow the queue.
          await sleep(intervalMs, undefined, { signal });
          continue;
        }
        const r = await this.pollOnce();
        hooks.onPoll?.(r);
        if (!r.caughtUp) continue;
        // Every few caught-up polls, re-read the window for changes the feed inserted late.
        if (!r.reread && ++caughtUpPolls % this.rereadEvery === 0 && this.startReread()) continue;
        await sleep(intervalMs, undefined, { signal });
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof FeedHttpError && !err.retryable) throw err;
        this.log(`${(err as Error).message}; polling again in ${Math.round(intervalMs / 1000)} s`);
        await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}

/**
 * A FollowerStore from any JobQueue + ResultStore pair (the distributed mode's BullMQ + PostgreSQL):
 * jobs are enqueued first, then the snapshot saved, so a crash in between re-reads the page and the
 * idempotent enqueue absorbs it. Seen changes are kept in memory (bounded): after a restart, the
 * window re-read fetches those packuments again and finds nothing new.
 */
export function followerStoreFrom(queue: JobQueue, results: ResultStore, options: { maxSeen?: number; log?: (m: string) => void } = {}): FollowerStore {
  const seen = new Set<string>();
  const maxSeen = options.maxSeen ?? 200_000;
  const stateKey = (feed: string): string => `${feed}#follower`;
  return {
    async loadFollower(feed) {
      const raw = await results.getCursor(stateKey(feed));
      if (raw) {
        try {
          return JSON.parse(raw) as FollowerSnapshot;
        } catch {
          options.log?.(`stored follower state for ${feed} is unreadable; starting from the stored cursor`);
        }
      }
      const cursor = await results.getCursor(feed);
      return cursor === undefined ? undefined : { cursor, window: [], rechecks: [], knownBefore: Date.now() - 24 * 3600_000 };
    },
    async seenChanges(_feed, keys) {
      return new Set(keys.filter((k) => seen.has(k)));
    },
    async commitPoll(feed, commit) {
      const added = await queue.enqueue(commit.jobs);
      await results.setCursor(stateKey(feed), JSON.stringify(commit.snapshot));
      await results.setCursor(feed, commit.snapshot.cursor);
      for (const k of commit.seen) {
        seen.add(k);
        // Sets iterate in insertion order: dropping the first entries drops the oldest.
        if (seen.size > maxSeen) seen.delete(seen.values().next().value as string);
      }
      for (const g of commit.gaveUp) options.log?.(`gave up on ${g.id}: ${g.reason}`);
      return added;
    },
  };
}
