// The follower against the loopback feed + registry, with the real SQLite store behind it:
// opaque cursors, overlapping re-reads, late insertions, lagging packuments, 429/500/hangs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFeed, type FakeFeed } from './helpers/feed.js';
import { Follower, type FollowerOptions, newVersions, parseChangesPage, seqString, revNumber, infoUrl, packumentUrlFor } from '../src/feed/follower.js';
import { backoffDelay, FeedHttpError, parseRetryAfter } from '../src/feed/http.js';
import { SqliteStore } from '../src/feed/sqlite-store.js';

let tmp: string;
let feed: FakeFeed;
let store: SqliteStore;

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-follower-'));
  store = SqliteStore.open(path.join(tmp, 'w.sqlite'));
});
afterEach(async () => {
  await store.close();
  await feed?.close();
  feed = undefined as unknown as FakeFeed;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Short timings: the behaviour under test is the retry logic, not production patience. */
function follower(extra: FollowerOptions = {}, s: SqliteStore = store): Follower {
  return new Follower(s, {
    changesUrl: feed.changesUrl,
    registry: feed.url,
    since: '0',
    retry: { attempts: 4, baseMs: 10, maxMs: 50 },
    recheck: { attempts: 4, baseMs: 20, maxMs: 50 },
    timeoutMs: 1000,
    ...extra,
  });
}

function queued(s: SqliteStore = store): string[] {
  const claimed = s.claim(100_000);
  s.release(claimed.map((j) => j.id));
  return claimed.map((j) => `${j.name}@${j.version}`);
}

const sinceParams = (f: FakeFeed): string[] =>
  f.requests.filter((r) => r.route === 'changes' && !r.path.includes('descending')).map((r) => new URL(r.path, 'http://x').searchParams.get('since')!);

describe('follower', () => {
  test('every version is queued exactly once across paged reads, overlapping re-reads and a late insertion', async () => {
    feed = await startFeed();
    const names = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta'];
    for (const [i, n] of names.entries()) await feed.publish({ name: n, version: '1.0.0' });
    await feed.publish({ name: 'alpha', version: '1.1.0' }); // alpha's row moves to the end (CouchDB keeps one row per doc)
    await feed.publish({ name: '@scope/pkg', version: '0.1.0' });
    await feed.publish({ name: '@scope/pkg', version: '0.2.0' });

    // Pages of 3; --once (drain) re-reads the window once it reaches the head.
    const f = follower({ limit: 3, windowPolls: 3 });
    await f.drain();
    const first = queued();
    expect(first.sort()).toEqual(['@scope/pkg@0.1.0', '@scope/pkg@0.2.0', 'alpha@1.0.0', 'alpha@1.1.0', 'beta@1.0.0', 'delta@1.0.0', 'eps@1.0.0', 'gamma@1.0.0', 'zeta@1.0.0']);
    expect(f.stats.rereads).toBeGreaterThan(0);
    // Re-reads skip changes already handled: one packument fetch per package document, no more.
    expect(feed.counters.packument).toBe(7);
    const cursor = (await store.loadFollower(feed.changesUrl))!.cursor;
    expect(cursor).toBe(feed.head());

    // A change made visible *behind* the cursor (npm's late insertion), and a normal one after it.
    const late = await feed.publishLate({ name: 'late-comer', version: '1.0.0' }, 2);
    await feed.publish({ name: 'beta', version: '1.0.1' });
    const forward = await (await fetch(`${feed.changesUrl}?since=${encodeURIComponent(cursor)}`)).json() as { results: { id: string }[] };
    expect(forward.results.map((r) => r.id)).toEqual(['beta']); // reading forward alone would miss it
    expect(feed.rows().map((r) => r.seq)).toContain(late.seq);

    const f2 = follower({ limit: 3, windowPolls: 3, since: undefined });
    await f2.drain();
    const all = queued();
    expect(all.filter((k) => !first.includes(k)).sort()).toEqual(['beta@1.0.1', 'late-comer@1.0.0']);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(11);
    // A third pass finds nothing and fetches no packument.
    const before = feed.counters.packument;
    await follower({ limit: 3, windowPolls: 3, since: undefined }).drain();
    expect(queued()).toHaveLength(11);
    expect(feed.counters.packument).toBe(before);
  });

  test('live mode: polls on an interval, re-reads the window every few caught-up polls, stops on abort', async () => {
    feed = await startFeed();
    for (const n of ['l1', 'l2', 'l3']) await feed.publish({ name: n, version: '1.0.0' });
    const stop = new AbortController();
    const f = new Follower(store, { changesUrl: feed.changesUrl, registry: feed.url, since: '0', limit: 2, rereadEvery: 3, retry: { attempts: 3, baseMs: 10 }, signal: stop.signal });
    const running = f.run(20);
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cond()).toBe(true);
    };
    await until(() => queued().length === 3);
    await feed.publishLate({ name: 'late-live', version: '1.0.0' }, 1);
    await until(() => queued().includes('late-live@1.0.0'));
    const polls = f.stats.polls;
    expect(f.stats.rereads).toBeGreaterThan(0);
    stop.abort();
    await running; // resolves: an abort is a stop, not an error
    await new Promise((r) => setTimeout(r, 60));
    expect(f.stats.polls).toBeLessThanOrEqual(polls + 1);
    expect(queued().sort()).toEqual(['l1@1.0.0', 'l2@1.0.0', 'l3@1.0.0', 'late-live@1.0.0']);
  });

  test('cursors are opaque: last_seq is stored and sent back verbatim, numbers or strings', async () => {
    for (const seqStyle of ['opaque', 'number'] as const) {
      feed = await startFeed({ seqStyle });
      for (let i = 0; i < 5; i++) await feed.publish({ name: `p${i}`, version: '1.0.0' });
      const s = SqliteStore.open(path.join(tmp, `${seqStyle}.sqlite`));
      try {
        await follower({ limit: 2 }, s).drain();
        const seqs = sinceParams(feed);
        const served = new Set(['0', ...feed.rows().map((r) => r.seq)]);
        for (const q of seqs) expect(served.has(q), `since=${q}`).toBe(true);
        expect((await s.loadFollower(feed.changesUrl))!.cursor).toBe(feed.head());
        if (seqStyle === 'opaque') expect(feed.head()).toMatch(/^\d+-g1AAAA/);
        expect(queued(s)).toHaveLength(5);
      } finally {
        await s.close();
        await feed.close();
      }
    }
    feed = await startFeed(); // for afterEach
  });

  test('sends the replication headers and asks for full packuments', async () => {
    feed = await startFeed();
    await feed.publish({ name: 'hdr', version: '1.0.0' });
    await follower().drain();
    const changes = feed.requests.find((r) => r.route === 'changes')!;
    expect(changes.headers['npm-replication-opt-in']).toBe('true');
    expect(changes.headers.accept).toBe('application/json');
    const pack = feed.requests.find((r) => r.route === 'packument')!;
    expect(pack.headers.accept).toBe('application/json'); // the abbreviated doc has no `time`
  });

  test('--since now starts at the head (info doc update_seq, else a descending read)', async () => {
    feed = await startFeed();
    for (let i = 0; i < 3; i++) await feed.publish({ name: `old${i}`, version: '1.0.0' });
    await follower({ since: 'now' }).drain();
    expect(queued()).toEqual([]);
    expect(feed.counters.info).toBe(1);
    await feed.publish({ name: 'fresh', version: '1.0.0' });
    await follower({ since: undefined }).drain();
    expect(queued()).toEqual(['fresh@1.0.0']);

    // No info doc: the head comes from `?descending=true&limit=1`.
    const s2 = SqliteStore.open(path.join(tmp, 'w2.sqlite'));
    try {
      feed.fail({ route: 'info', fault: { status: 404 } });
      await follower({ since: 'now' }, s2).drain();
      expect(feed.requests.some((r) => r.route === 'changes' && r.path.includes('descending=true') && r.path.includes('limit=1'))).toBe(true);
      expect((await s2.loadFollower(feed.changesUrl))!.cursor).toBe(feed.head());
      expect(queued(s2)).toEqual([]);
    } finally {
      await s2.close();
    }
  });

  test('429 with Retry-After (seconds and HTTP date), 500s and a hung request are survived with backoff', async () => {
    feed = await startFeed();
    for (let i = 0; i < 4; i++) await feed.publish({ name: `r${i}`, version: '1.0.0' });
    feed.fail({ route: 'changes', fault: { status: 429, retryAfter: 1 } });
    feed.fail({ route: 'packument', match: 'r1', fault: { status: 500 }, times: 2 });
    feed.fail({ route: 'packument', match: 'r2', fault: { hang: true } });
    feed.fail({ route: 'packument', match: 'r3', fault: { status: 429, retryAfter: new Date(Date.now() + 1500).toUTCString() } });
    const notes: string[] = [];
    const t0 = performance.now();
    await follower({ timeoutMs: 400, log: (m) => notes.push(m) }).drain();
    const ms = performance.now() - t0;
    expect(queued().sort()).toEqual(['r0@1.0.0', 'r1@1.0.0', 'r2@1.0.0', 'r3@1.0.0']);
    expect(feed.counters.faulted).toBe(5);
    // Retry-After: 1 s on the feed, then (sequentially) about 1 s more on r3's date; never less.
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(10_000);
    expect(notes.some((n) => /changes feed: HTTP 429; retry 1\/3 in 1\.\d s/.test(n))).toBe(true);
    expect(notes.some((n) => /packument of "r1": HTTP 500; retry 2\/3/.test(n))).toBe(true);
    expect(notes.some((n) => /packument of "r2": no answer within 400 ms/.test(n))).toBe(true);
  });

  test('a feed that keeps failing ends in an explicit error after bounded tries; a refusal is not retried', async () => {
    feed = await startFeed();
    await feed.publish({ name: 'x', version: '1.0.0' });
    feed.fail({ route: 'changes', fault: { status: 503 }, times: Infinity });
    const err = await follower().drain().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedHttpError);
    expect((err as Error).message).toMatch(/^changes feed: http:\/\/127\.0\.0\.1:\d+\/registry\/_changes\?since=0&limit=1000 failed 4 times \(last: HTTP 503\)/);
    expect(feed.counters.changes).toBe(4);

    feed.clearFaults();
    feed.fail({ route: 'changes', fault: { status: 403 }, times: Infinity });
    const refused = await follower().drain().catch((e: unknown) => e);
    expect((refused as FeedHttpError).retryable).toBe(false);
    expect((refused as Error).message).toMatch(/answered HTTP 403; check the URL/);
    expect(feed.counters.changes).toBe(5);
    expect(queued()).toEqual([]);
  });

  test('a packument that lags behind the feed is checked again until it catches up; bounded, then recorded', async () => {
    feed = await startFeed();
    await feed.publish({ name: 'laggy', version: '1.0.0' });
    await follower().drain();
    expect(queued()).toEqual(['laggy@1.0.0']);

    // The registry serves the previous rev (without 1.1.0) for the next two reads.
    await feed.publish({ name: 'laggy', version: '1.1.0' });
    feed.lagPackument('laggy', 2);
    // A brand-new package whose document the registry does not have yet (404 once).
    await feed.publish({ name: 'newborn', version: '1.0.0' });
    feed.lagPackument('newborn', 1);
    const f = follower({ since: undefined });
    await f.drain();
    expect(queued().sort()).toEqual(['laggy@1.0.0', 'laggy@1.1.0', 'newborn@1.0.0']);
    expect(f.stats.lagging).toBe(3);
    expect(feed.requests.filter((r) => r.route === 'packument' && r.path === '/laggy').length).toBe(4); // 1 + 3
    expect((await store.loadFollower(feed.changesUrl))!.rechecks).toEqual([]);

    // One that never catches up: given up after the bounded checks, and recorded (not silently dropped).
    await feed.publish({ name: 'stuck', version: '1.0.0' });
    await feed.publish({ name: 'stuck', version: '1.0.1' });
    feed.lagPackument('stuck', Infinity);
    const g = follower({ since: undefined });
    await g.drain();
    expect(g.stats.gaveUp).toBe(1);
    expect(queued()).toContain('stuck@1.0.0');
    expect(queued()).not.toContain('stuck@1.0.1');
    expect(store.feedErrors()).toEqual([{ name: 'stuck', rev: expect.stringMatching(/^2-/), reason: expect.stringMatching(/packument rev 1-\w+ is behind the announced 2-\w+ \(checked 4 times\)/) }]);
  });

  test('a packument over the size limit is not retried: given up at once, recorded, the rest goes on', async () => {
    feed = await startFeed();
    await feed.publish({ name: 'huge', version: '1.0.0', registryManifest: { description: 'x'.repeat(300_000) } });
    await feed.publish({ name: 'small', version: '1.0.0' });
    const f = follower({ maxPackumentBytes: 100_000 });
    await f.drain();
    expect(queued()).toEqual(['small@1.0.0']);
    expect(feed.requests.filter((r) => r.path === '/huge')).toHaveLength(1);
    expect(store.feedErrors()).toEqual([{ name: 'huge', rev: expect.stringMatching(/^1-/), reason: expect.stringMatching(/packument of "huge" is \d+ bytes, over the 100000-byte limit; it was not read \(checked 1 times\)/) }]);
  });

  test('lag rechecks survive a restart (they are part of the committed state)', async () => {
    feed = await startFeed();
    await feed.publish({ name: 'slow', version: '1.0.0' });
    feed.lagPackument('slow', 1);
    const f = follower({ recheck: { attempts: 4, baseMs: 60_000, maxMs: 60_000 } });
    await f.pollOnce();
    expect(queued()).toEqual([]);
    const saved = (await store.loadFollower(feed.changesUrl))!;
    expect(saved.rechecks).toEqual([expect.objectContaining({ id: 'slow', attempts: 1, reason: expect.stringMatching(/404/) })]);
    // "Restart" with the recheck due now.
    await store.commitPoll(feed.changesUrl, { jobs: [], seen: [], gaveUp: [], snapshot: { ...saved, rechecks: saved.rechecks.map((c) => ({ ...c, dueAt: 0 })) } });
    await follower({ since: undefined }).drain();
    expect(queued()).toEqual(['slow@1.0.0']);
  });

  test('unpublished, deleted and metadata-only changes queue nothing new; versions older than the lookback are known', async () => {
    feed = await startFeed();
    await feed.publish({ name: 'ancient', version: '1.0.0', time: '2019-05-01T00:00:00.000Z' });
    await feed.publish({ name: 'ancient', version: '2.0.0' });
    await feed.publish({ name: 'gone', version: '1.0.0' });
    feed.unpublish('gone');
    await feed.publish({ name: 'deleted-doc', version: '1.0.0' });
    feed.deletePackage('deleted-doc');
    await feed.publish({ name: 'meta', version: '1.0.0', time: new Date(Date.now() - 3 * 3600_000).toISOString() });
    feed.touch('meta'); // deprecate / dist-tag move: a new rev, no new version
    await follower({ lookbackMs: 3600_000 }).drain();
    expect(queued()).toEqual(['ancient@2.0.0']);
    expect(feed.requests.some((r) => r.path === '/deleted-doc')).toBe(false);
  });
});

describe('follower units', () => {
  test('Retry-After: seconds, HTTP dates, garbage', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:29:00 GMT'))).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  test('backoff grows exponentially, is capped, and is jittered within [step/2, step]', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, p, () => 0)).toBe(50);
    expect(backoffDelay(0, p, () => 1)).toBe(100);
    expect(backoffDelay(3, p, () => 1)).toBe(800);
    expect(backoffDelay(10, p, () => 1)).toBe(1000);
    expect(backoffDelay(100, p, () => 0.5)).toBe(750);
  });

  test('changes pages: hostile shapes are refused or skipped, seqs kept verbatim', () => {
    expect(() => parseChangesPage({ rows: [] }, 'feed')).toThrow(/no "results" array/);
    expect(() => parseChangesPage('nope', 'feed')).toThrow(/no "results" array/);
    const page = parseChangesPage(
      { results: [null, 7, { id: 5 }, { id: '_design/app', changes: [] }, { seq: 'a-1', id: 'ok', changes: [{ rev: '2-b' }, { rev: '10-a' }, { rev: 3 }] }, { seq: 'a-2', id: 'del', deleted: true, changes: [{ rev: '4-x' }] }], last_seq: 'a-2' },
      'feed',
    );
    expect(page).toEqual({ rows: [{ id: 'ok', rev: '10-a', deleted: false }, { id: 'del', rev: '4-x', deleted: true }], lastSeq: 'a-2' });
    expect(parseChangesPage({ results: [{ seq: 9, id: 'n', changes: [] }] }, 'f').lastSeq).toBe('9'); // no last_seq: the last row's
    expect(seqString([1, 'x'])).toBe('[1,"x"]');
    expect(revNumber('12-abc')).toBe(12);
    expect(revNumber('x')).toBeNaN();
    expect(infoUrl('https://replicate.npmjs.com/registry/_changes')).toBe('https://replicate.npmjs.com/registry/');
    expect(packumentUrlFor('https://registry.npmjs.org/', '@a/b')).toBe('https://registry.npmjs.org/@a%2fb');
  });

  test('new versions: by time, skipping unpublished documents and versions the document lacks', () => {
    const p = {
      time: { created: '2020-01-01T00:00:00Z', modified: '2025-01-02T00:00:00Z', '1.0.0': '2020-01-01T00:00:00Z', '2.0.0': '2025-01-02T00:00:00Z', '2.0.1': '2025-01-02T00:00:01Z', '3.0.0': 'not a date' },
      versions: { '1.0.0': {}, '2.0.0': { dist: { integrity: 'sha512-x', tarball: 'https://r/t.tgz' } } },
    };
    const r = newVersions('n', p, Date.parse('2025-01-01T00:00:00Z'));
    expect(r.jobs).toEqual([{ name: 'n', version: '2.0.0', integrity: 'sha512-x', tarball: 'https://r/t.tgz', publishedAt: '2025-01-02T00:00:00.000Z' }]);
    expect(r.missing).toEqual(['2.0.1']);
    expect(newVersions('n', { ...p, time: { ...p.time, unpublished: { time: 'x' } } }, 0)).toEqual({ jobs: [], missing: [] });
  });
});
