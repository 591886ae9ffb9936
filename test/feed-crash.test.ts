// Crash safety of `tollgate watch` with the embedded store: the real CLI (dist/, built by tsc before
// the tests) follows the loopback feed, is SIGKILLed at several points, restarted, and in the end
// every published version is stored exactly once and printed, with none lost.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { benignFiles, credentialStealerFiles, startFeed, type FakeFeed } from './helpers/feed.js';
import { SqliteStore } from '../src/feed/sqlite-store.js';
import type { WatchResult } from '../src/feed/types.js';

const BIN = path.resolve('dist/src/cli/bin.js');
let tmp: string;
let feed: FakeFeed;

beforeAll(async () => {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -p tsconfig.json\` before this test`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-crash-'));
  feed = await startFeed();
});
afterAll(async () => {
  await feed.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `pred` holds for what has been read so far. */
  when: (pred: (lines: string[], stderr: string) => boolean) => Promise<void>;
}

function startWatch(store: string, env: Record<string, string> = {}, f: FakeFeed = feed): Run {
  const child = spawn(
    process.execPath,
    [BIN, 'watch', '--once', '--json', '--concurrency', '2', '--batch', '4', '--changes-url', f.changesUrl, '--registry', f.url, '--store', store, '--since', '0'],
    {
      // Its own process group: SIGKILL goes to the CLI and the heap-limited child it re-executes.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TOLLGATE_WATCH_BACKOFF_MS: '20', TOLLGATE_WATCH_TIMEOUT_MS: '5000', TOLLGATE_CACHE_DIR: path.join(tmp, 'cache'), ...env },
    },
  );
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: { pred: (l: string[], e: string) => boolean; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) if (w.pred(lines, err)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', (c: Buffer) => {
    partial += c.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts.filter(Boolean));
    check();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      check();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    when: (pred) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pred, resolve });
        check();
        void exited.then((x) => setTimeout(() => reject(new Error(`watch exited (code ${x.code}, signal ${x.signal}) before the kill point, after ${lines.length} line(s); stderr:\n${err}`)), 50));
      }),
  };
}

const killGroup = (r: Run): void => {
  try {
    process.kill(-r.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
};

async function publishBatch(prefix: string, n: number, f: FakeFeed = feed): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${i}`;
    const bad = i % 7 === 3;
    await f.publish({ name, version: '1.0.0', files: bad ? credentialStealerFiles(name, '1.0.0') : benignFiles(name, '1.0.0') });
    out.push(`${name}@1.0.0`);
    if (i % 3 === 0) {
      await f.publish({ name, version: '1.0.1', files: benignFiles(name, '1.0.1') });
      out.push(`${name}@1.0.1`);
    }
  }
  return out;
}

describe('watch crash safety (real CLI, SIGKILL)', () => {
  test('SIGKILL at several points, restart: every version stored exactly once, none lost', async () => {
    const store = path.join(tmp, 'crash.sqlite');
    const published = await publishBatch('first', 18);
    const printed: string[] = [];
    const kills: string[] = [];

    // Kill points: right after the first batch is committed (nothing scanned yet), then after a
    // few results, then mid-way, then a timed kill wherever it lands; finally a run to the end.
    const points: { label: string; pred: (lines: string[], err: string) => boolean; before?: () => Promise<void> }[] = [
      { label: 'first poll committed', pred: (_l, e) => /poll: \d+ change/.test(e) },
      { label: '3 results printed', pred: (l) => l.length >= 3 },
      { label: '8 results printed', pred: (l) => l.length >= 8, before: async () => void published.push(...(await publishBatch('second', 8))) },
      { label: 'timed, 700 ms in', pred: () => false },
    ];
    for (const p of points) {
      await p.before?.();
      const run = startWatch(store);
      if (p.label.startsWith('timed')) {
        await Promise.race([new Promise((r) => setTimeout(r, 700)), run.exited]);
      } else {
        await run.when(p.pred);
      }
      killGroup(run);
      const { signal } = await run.exited;
      kills.push(`${p.label}: ${signal ?? 'exited first'} after ${run.lines.length} line(s)`);
      printed.push(...run.lines);
    }
    const last = startWatch(store);
    const { code } = await last.exited;
    expect(code, last.stderr()).toBe(0);
    printed.push(...last.lines);
    // Leftover scans of killed runs were queued again at start.
    const requeued = /(\d+) scan\(s\) left unfinished by a previous run are queued again/.exec(last.stderr());

    const s = SqliteStore.open(store, { readonly: true });
    try {
      const stored = (await s.query({})).map((r) => `${r.name}@${r.version}`);
      // Exactly once each, none lost.
      expect(stored.length).toBe(published.length);
      expect(new Set(stored).size).toBe(stored.length);
      expect([...stored].sort()).toEqual([...published].sort());
      expect(s.counts()).toEqual({ pending: 0, running: 0, done: published.length });
      const malicious = (await s.query({ verdict: 'malicious' })).map((r) => r.name).sort();
      expect(malicious).toEqual(published.filter((k) => /^(first|second)-(3|10|17)@1\.0\.0$/.test(k)).map((k) => k.split('@')[0]).sort());
      expect((await s.query({ verdict: 'error' }))).toEqual([]);
    } finally {
      await s.close();
    }

    // Printed: every version at least once across the runs. A line can repeat only if a kill lands
    // between writing it and marking it sent (microseconds); count it rather than hide it.
    const results = printed.map((l) => JSON.parse(l) as WatchResult);
    const keys = results.map((r) => `${r.name}@${r.version}`);
    expect(new Set(keys)).toEqual(new Set(published));
    const duplicates = keys.length - new Set(keys).size;
    expect(duplicates).toBeLessThanOrEqual(kills.length);
    console.info(`crash test: ${published.length} versions, kills: ${kills.join('; ')}; requeued at last start: ${requeued?.[1] ?? 0}; duplicate stdout lines: ${duplicates}`);
  });

  test('SIGTERM: stops cleanly (exit 0, store consistent), the next run finishes the rest', async () => {
    const own = await startFeed();
    try {
      const store = path.join(tmp, 'term.sqlite');
      const published = await publishBatch('term', 12, own);
      // No heap re-exec here, so the signal reaches the watch process itself and its exit code is ours to see.
      const run = startWatch(store, { TOLLGATE_CHILD: '1' }, own);
      await run.when((l) => l.length >= 4);
      run.child.kill('SIGTERM');
      const { code } = await run.exited;
      expect(code).toBe(0);
      expect(run.stderr()).toMatch(/SIGTERM: stopping/);
      expect(run.lines.length).toBeLessThan(published.length); // it really stopped part-way
      const s = SqliteStore.open(store, { readonly: true });
      try {
        expect(s.counts().running).toBe(0); // finished or put back, never left claimed
      } finally {
        await s.close();
      }
      const rest = startWatch(store, {}, own);
      expect((await rest.exited).code).toBe(0);
      const all = [...run.lines, ...rest.lines].map((l) => JSON.parse(l) as WatchResult).map((r) => `${r.name}@${r.version}`);
      expect(new Set(all)).toEqual(new Set(published));
      expect(all.length).toBe(published.length); // a clean stop never prints twice
    } finally {
      await own.close();
    }
  });
});
