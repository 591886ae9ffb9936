// The embedded store on its own: idempotent queue and results, the two transactions, crash
// recovery, the one-watcher lock, delivery marks, queries, and where it lives by default.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { defaultStorePath, SqliteStore, StoreBusyError } from '../src/feed/sqlite-store.js';
import type { VersionJob, WatchResult } from '../src/feed/types.js';
import type { FollowerSnapshot } from '../src/feed/follower.js';

let tmp: string;
let file: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-store-'));
  file = path.join(tmp, 'w.sqlite');
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const job = (name: string, version: string, integrity = `sha512-${name}${version}`): VersionJob => ({ name, version, integrity, publishedAt: '2025-01-01T00:00:00.000Z' });
const result = (j: VersionJob, verdict: WatchResult['verdict'] = 'clean', scannedAt = new Date().toISOString()): WatchResult => ({
  name: j.name,
  version: j.version,
  integrity: j.integrity ?? null,
  score: verdict === 'malicious' ? 90 : 0,
  verdict,
  findings: [],
  reasons: [],
  scannedAt,
});
const snap = (cursor: string): FollowerSnapshot => ({ cursor, window: [], rechecks: [], knownBefore: 0 });

describe('SqliteStore', () => {
  test('queue: idempotent by name@version+integrity; claim, complete and retry', async () => {
    const s = SqliteStore.open(file);
    try {
      s.acquire();
      expect(await s.enqueue([job('a', '1.0.0'), job('b', '1.0.0')])).toBe(2);
      expect(await s.enqueue([job('a', '1.0.0'), job('b', '1.0.0')])).toBe(0);
      // Same name@version, different tarball (a re-publish on a mirror): its own job.
      expect(await s.enqueue([job('a', '1.0.0', 'sha512-other')])).toBe(1);
      expect(s.counts()).toEqual({ pending: 3, running: 0, done: 0 });

      const [first, second] = s.claim(2);
      expect(first).toMatchObject({ name: 'a', version: '1.0.0', attempts: 0 });
      expect(s.counts()).toEqual({ pending: 1, running: 2, done: 0 });
      expect(s.complete(first!.id, result(first!))).toBe(true);
      // The same result again (a retry after a crash): stored once, reported as not new.
      expect(await s.putResult(result(first!))).toBe(false);
      s.retryLater(second!.id, 'ETIMEDOUT', Date.now() + 60_000);
      expect(s.claim(10).map((j) => j.integrity)).toEqual(['sha512-other']); // b is not due yet
      expect(s.nextDueAt()).toBeGreaterThan(Date.now());
      expect(s.counts()).toEqual({ pending: 1, running: 1, done: 1 });
      expect(await s.hasResult('a', '1.0.0', 'sha512-a1.0.0')).toBe(true);
      expect(await s.hasResult('a', '1.0.0', 'sha512-other')).toBe(false);
    } finally {
      await s.close();
    }
  });

  test('a poll commits its jobs, seen changes and cursor together, or not at all', async () => {
    const s = SqliteStore.open(file);
    try {
      const added = await s.commitPoll('feed', { jobs: [job('a', '1.0.0')], seen: ['a@1-x'], snapshot: snap('seq-1'), gaveUp: [] });
      expect(added).toBe(1);
      expect((await s.loadFollower('feed'))!.cursor).toBe('seq-1');
      expect(await s.getCursor('feed')).toBe('seq-1');
      expect(await s.seenChanges('feed', ['a@1-x', 'b@1-y'])).toEqual(new Set(['a@1-x']));

      // A job the database refuses half-way (a value SQLite cannot bind) fails the whole poll: no
      // job, no seen mark, old cursor.
      const bad = { name: 'c', version: { not: 'a string' } } as unknown as VersionJob;
      await expect(s.commitPoll('feed', { jobs: [job('b', '1.0.0'), bad], seen: ['b@1-y'], snapshot: snap('seq-2'), gaveUp: [] })).rejects.toThrow(/parameter|bind/);
      expect((await s.loadFollower('feed'))!.cursor).toBe('seq-1');
      expect(await s.seenChanges('feed', ['b@1-y'])).toEqual(new Set());
      expect(s.counts().pending).toBe(1);
    } finally {
      await s.close();
    }
  });

  test('jobs a dead watcher left running go back to pending; a live watcher keeps the store to itself', async () => {
    const s = SqliteStore.open(file);
    await s.enqueue([job('a', '1.0.0'), job('b', '1.0.0')]);
    s.acquire();
    s.claim(2);
    // Simulate a crash: the owner row stays, the owner process is gone.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    (s as unknown as { db: import('better-sqlite3').Database }).db
      .prepare("UPDATE meta SET value = json_set(value, '$.pid', ?) WHERE key = 'owner'")
      .run(deadPid);
    (s as unknown as { owner: boolean }).owner = false; // a killed process never ran close()
    await s.close();

    const again = SqliteStore.open(file);
    try {
      expect(again.acquire()).toBe(2);
      expect(again.counts()).toEqual({ pending: 2, running: 0, done: 0 });
      // While it is open and owned by this (live) process, another process is refused.
      const other = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `import { SqliteStore } from ${JSON.stringify(path.resolve('dist/src/feed/sqlite-store.js'))}; const s = SqliteStore.open(${JSON.stringify(file)}); try { s.acquire(); console.log('acquired'); } catch (e) { console.log(e.name + ': ' + e.message); }`],
        { encoding: 'utf8' },
      );
      expect(other.stdout).toMatch(new RegExp(`StoreBusyError: the watch store .* is in use by another tollgate watch \\(pid ${process.pid}`));
    } finally {
      await again.close();
    }
    // Closed cleanly: the next owner needs no recovery and is not refused.
    const third = SqliteStore.open(file);
    try {
      expect(third.acquire()).toBe(0);
    } finally {
      await third.close();
    }
  });

  test('a second watcher is refused with StoreBusyError and the first keeps its lock', async () => {
    const first = SqliteStore.open(file);
    try {
      first.acquire();
      // Make the owner another live process on this host (our parent, the test runner), as a
      // watcher started elsewhere would be.
      const db = (first as unknown as { db: import('better-sqlite3').Database }).db;
      db.prepare("UPDATE meta SET value = json_set(value, '$.pid', ?) WHERE key = 'owner'").run(process.ppid);
      const ownerBefore = (db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as { value: string }).value;
      const second = SqliteStore.open(file);
      try {
        let thrown: unknown;
        try {
          second.acquire();
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(StoreBusyError);
        expect((thrown as Error).name).toBe('StoreBusyError');
        expect((thrown as Error).message).toContain(`is in use by another tollgate watch (pid ${process.ppid}`);
        expect((thrown as Error).message).toContain('stop it first or use another --store');
      } finally {
        await second.close();
      }
      // The refusal changed nothing: the owner row is the first watcher's, byte for byte.
      expect((db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as { value: string }).value).toBe(ownerBefore);
    } finally {
      await first.close();
    }
  });

  test('deliveries are marked per sink; undelivered respects verdict filters', async () => {
    const s = SqliteStore.open(file);
    try {
      const ok = job('ok', '1.0.0');
      const bad = job('bad', '1.0.0');
      await s.putResult(result(ok));
      await s.putResult(result(bad, 'malicious'));
      expect(s.undelivered('stdout', 10).map((r) => r.result.name)).toEqual(['ok', 'bad']);
      expect(s.undelivered('osv', 10, ['malicious']).map((r) => r.result.name)).toEqual(['bad']);
      const [first] = s.undelivered('stdout', 1);
      s.markDelivered(first!.id, 'stdout', 'sent');
      expect(s.undelivered('stdout', 10).map((r) => r.result.name)).toEqual(['bad']);
      expect(s.undelivered('osv', 10, ['malicious']).map((r) => r.result.name)).toEqual(['bad']); // other sinks unaffected
      s.markDelivered(s.undelivered('osv', 1, ['malicious'])[0]!.id, 'osv', 'failed', 'disk full');
      expect(s.undelivered('osv', 10, ['malicious'])).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('query: since, verdict, limit (the newest, oldest first)', async () => {
    const s = SqliteStore.open(file);
    try {
      const day = 24 * 3600_000;
      await s.putResult(result(job('old', '1.0.0'), 'malicious', new Date(Date.now() - 3 * day).toISOString()));
      await s.putResult(result(job('mid', '1.0.0'), 'clean', new Date(Date.now() - day / 2).toISOString()));
      await s.putResult(result(job('new', '1.0.0'), 'malicious'));
      expect((await s.query({})).map((r) => r.name)).toEqual(['old', 'mid', 'new']);
      expect((await s.query({ verdict: 'malicious' })).map((r) => r.name)).toEqual(['old', 'new']);
      expect((await s.query({ since: new Date(Date.now() - day) })).map((r) => r.name)).toEqual(['mid', 'new']);
      expect((await s.query({ since: new Date(Date.now() - day), verdict: 'malicious' })).map((r) => r.name)).toEqual(['new']);
      expect((await s.query({ limit: 2 })).map((r) => r.name)).toEqual(['mid', 'new']);
    } finally {
      await s.close();
    }
  });

  test('read-only opening: a missing store is a clear error; an existing one is readable while owned', async () => {
    expect(() => SqliteStore.open(path.join(tmp, 'nope.sqlite'), { readonly: true })).toThrow(/no watch store at .*nope\.sqlite; run `tollgate watch --store/);
    const w = SqliteStore.open(file);
    w.acquire();
    await w.putResult(result(job('a', '1.0.0')));
    const r = SqliteStore.open(file, { readonly: true });
    try {
      expect((await r.query({})).map((x) => x.name)).toEqual(['a']);
    } finally {
      await r.close();
      await w.close();
    }
    fs.writeFileSync(path.join(tmp, 'junk.sqlite'), 'not a database, just text that is long enough to look like a header');
    expect(() => SqliteStore.open(path.join(tmp, 'junk.sqlite'))).toThrow(/watch store .*junk\.sqlite/);
  });

  test('default location: TOLLGATE_DATA_DIR, else XDG_DATA_HOME, else ~/.local/share', () => {
    expect(defaultStorePath({ TOLLGATE_DATA_DIR: '/srv/tg' })).toBe('/srv/tg/watch.sqlite');
    if (process.platform === 'linux') {
      expect(defaultStorePath({ XDG_DATA_HOME: '/x/data' })).toBe('/x/data/tollgate/watch.sqlite');
      expect(defaultStorePath({})).toBe(path.join(os.homedir(), '.local', 'share', 'tollgate', 'watch.sqlite'));
    }
  });
});
