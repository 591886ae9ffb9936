// `tollgate watch` end to end, in-process, against the loopback feed + registry: real HTTP, real
// pacote fetches, real SQLite. Output, alerts (webhook, OSV), idempotence across runs, `results`.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { benignFiles, credentialStealerFiles, startFeed, type FakeFeed } from './helpers/feed.js';
import { runCli } from './helpers/run-cli.js';
import { SqliteStore } from '../src/feed/sqlite-store.js';
import type { WatchResult } from '../src/feed/types.js';

let tmp: string;
let feed: FakeFeed;
const saved = { backoff: process.env.TOLLGATE_WATCH_BACKOFF_MS, timeout: process.env.TOLLGATE_WATCH_TIMEOUT_MS };

beforeAll(() => {
  // Short waits: the behaviour under test is "retry, then go on", not the production timings.
  process.env.TOLLGATE_WATCH_BACKOFF_MS = '20';
  process.env.TOLLGATE_WATCH_TIMEOUT_MS = '2000';
});
afterAll(() => {
  for (const [k, v] of [['TOLLGATE_WATCH_BACKOFF_MS', saved.backoff], ['TOLLGATE_WATCH_TIMEOUT_MS', saved.timeout]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-watch-test-'));
  feed = await startFeed();
});
afterEach(async () => {
  await feed.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const store = (): string => path.join(tmp, 'watch.sqlite');
const watchArgs = (...extra: string[]): string[] => ['watch', '--once', '--since', '0', '--changes-url', feed.changesUrl, '--registry', feed.url, '--store', store(), '--json', '--quiet', ...extra];
const lines = (stdout: string): WatchResult[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as WatchResult);

/** A loopback webhook receiver that fails its first `failFirst` posts with 500. */
async function startWebhook(failFirst = 0) {
  const bodies: unknown[] = [];
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      if (posts <= failFirst) {
        res.writeHead(500).end('nope');
        return;
      }
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`,
    bodies,
    posts: () => posts,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

// The shape of the records in github.com/ossf/malicious-packages (osv/malicious/npm/<name>/MAL-*.json),
// on top of the OSV schema's required id + modified.
const MAL_RECORD_SCHEMA = {
  type: 'object',
  required: ['schema_version', 'id', 'modified', 'published', 'summary', 'details', 'affected', 'database_specific'],
  properties: {
    schema_version: { type: 'string', pattern: '^1\\.\\d+\\.\\d+$' },
    id: { type: 'string', pattern: '^MAL-\\d{4}-[a-z0-9-]+$' },
    modified: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$' },
    published: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$' },
    summary: { type: 'string', pattern: '^Malicious code in .+ \\(npm\\)$' },
    details: { type: 'string', minLength: 20 },
    affected: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['package', 'versions'],
        properties: {
          package: { type: 'object', required: ['ecosystem', 'name'], properties: { ecosystem: { const: 'npm' }, name: { type: 'string' }, purl: { type: 'string', pattern: '^pkg:npm/' } } },
          versions: { type: 'array', minItems: 1, items: { type: 'string' } },
          database_specific: { type: 'object' },
        },
      },
    },
    credits: { type: 'array', items: { type: 'object', required: ['name'], properties: { type: { enum: ['FINDER', 'REPORTER', 'ANALYST', 'TOOL', 'OTHER'] } } } },
    references: { type: 'array', items: { type: 'object', required: ['type', 'url'] } },
    database_specific: {
      type: 'object',
      required: ['malicious-packages-origins'],
      properties: {
        'malicious-packages-origins': {
          type: 'array',
          minItems: 1,
          items: { type: 'object', required: ['source', 'sha256', 'versions'], properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
        },
      },
    },
  },
};

describe('tollgate watch --once', () => {
  test('scans every version once, flags the credential stealer, writes its OSV record and alerts the webhook', async () => {
    const hook = await startWebhook(1); // the first POST fails: the alert must still arrive, once
    try {
      await feed.publish({ name: 'left-padder', version: '1.0.0', files: benignFiles('left-padder', '1.0.0') });
      await feed.publish({ name: 'left-padder', version: '1.0.1', files: benignFiles('left-padder', '1.0.1') });
      await feed.publish({ name: '@acme/util', version: '2.0.0', files: benignFiles('@acme/util', '2.0.0') });
      await feed.publish({ name: 'colors-helper', version: '1.0.0', files: benignFiles('colors-helper', '1.0.0') });
      await feed.publish({ name: 'colors-helper', version: '1.0.1', files: credentialStealerFiles('colors-helper', '1.0.1') });
      const osvDir = path.join(tmp, 'osv-out');

      const run = await runCli(watchArgs('--webhook', hook.url, '--osv-dir', osvDir));
      expect(run.code).toBe(0);
      // --quiet keeps progress off; the failed POST is a warning, without the webhook's secret path.
      expect(run.stderr).toMatch(/^tollgate watch: webhook http:\/\/127\.0\.0\.1:\d+\/…: HTTP 500; retry 1\/4/);
      expect(run.stderr).not.toContain('secret');
      const out = lines(run.stdout);
      expect(out.map((r) => `${r.name}@${r.version}`).sort()).toEqual(['@acme/util@2.0.0', 'colors-helper@1.0.0', 'colors-helper@1.0.1', 'left-padder@1.0.0', 'left-padder@1.0.1']);
      for (const r of out) {
        expect(Object.keys(r).slice(0, 7)).toEqual(['name', 'version', 'integrity', 'score', 'verdict', 'findings', 'scannedAt']);
        expect(r.integrity).toMatch(/^sha512-/);
      }
      const bad = out.find((r) => r.name === 'colors-helper' && r.version === '1.0.1')!;
      expect(bad.verdict).toBe('malicious');
      expect(bad.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['install-scripts', 'credential-files']));
      // The release diff against 1.0.0 came with the registry signals.
      expect(bad.findings.some((f) => f.rule === 'release-diff')).toBe(true);
      for (const r of out.filter((x) => x !== bad)) expect(r.verdict).toBe('clean');

      // One OSV record, for the malicious version only, in the malicious-packages layout.
      const dir = path.join(osvDir, 'osv', 'malicious', 'npm', 'colors-helper');
      const files = fs.readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^MAL-0000-tollgate-[0-9a-f]{16}\.json$/);
      expect(fs.readdirSync(path.join(osvDir, 'osv', 'malicious', 'npm'))).toEqual(['colors-helper']);
      const record = JSON.parse(fs.readFileSync(path.join(dir, files[0]!), 'utf8')) as Record<string, unknown> & { id: string; affected: { versions: string[] }[] };
      const validate = new Ajv2020({ allErrors: true }).compile(MAL_RECORD_SCHEMA);
      expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
      expect(`${record.id}.json`).toBe(files[0]);
      expect(record.affected[0]!.versions).toEqual(['1.0.1']);

      // Webhook: first POST failed, the retry delivered; only the malicious one (nothing suspicious here).
      expect(hook.posts()).toBe(2);
      expect(hook.bodies).toHaveLength(1);
      const body = hook.bodies[0] as { text: string; blocks: { type: string }[] };
      expect(body.text).toContain('MALICIOUS colors-helper@1.0.1');
      expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section']);

      // A second run: nothing new in the feed, nothing printed again, nothing re-sent.
      const again = await runCli(watchArgs('--webhook', hook.url, '--osv-dir', osvDir));
      expect(again.code).toBe(0);
      expect(again.stdout).toBe('');
      expect(hook.posts()).toBe(2);

      // New publishes after the first run: only they are reported.
      await feed.publish({ name: 'left-padder', version: '1.0.2', files: benignFiles('left-padder', '1.0.2') });
      const third = await runCli(['watch', '--once', '--changes-url', feed.changesUrl, '--registry', feed.url, '--store', store(), '--json', '--quiet']);
      expect(lines(third.stdout).map((r) => `${r.name}@${r.version}`)).toEqual(['left-padder@1.0.2']);
    } finally {
      await hook.close();
    }
  });

  test('a webhook that never answers holds up neither scanning nor stdout, and is given up on within bounds', async () => {
    let posts = 0;
    const hang = http.createServer(() => void posts++); // never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/hook`;
    const prev = process.env.TOLLGATE_WATCH_TIMEOUT_MS;
    process.env.TOLLGATE_WATCH_TIMEOUT_MS = '200';
    try {
      await feed.publish({ name: 'colors-helper', version: '1.0.1', files: credentialStealerFiles('colors-helper', '1.0.1') });
      await feed.publish({ name: 'left-padder', version: '1.0.0', files: benignFiles('left-padder', '1.0.0') });
      const t0 = performance.now();
      const run = await runCli(watchArgs('--webhook', url));
      const ms = performance.now() - t0;
      expect(run.code).toBe(0);
      expect(lines(run.stdout).map((r) => r.verdict).sort()).toEqual(['clean', 'malicious']);
      expect(run.stderr).toMatch(/alert for colors-helper@1\.0\.1 not delivered after 5 tries \(last: timed out\)/);
      expect(posts).toBe(5);
      expect(ms).toBeLessThan(15_000); // 5 tries x 200 ms plus short backoffs, not forever
      const s = SqliteStore.open(store(), { readonly: true });
      try {
        expect(await s.query({})).toHaveLength(2);
      } finally {
        await s.close();
      }
      // Given up is recorded: the next run does not hammer it again.
      const again = await runCli(watchArgs('--webhook', url));
      expect(again.stdout).toBe('');
      expect(posts).toBe(5);
    } finally {
      if (prev === undefined) delete process.env.TOLLGATE_WATCH_TIMEOUT_MS;
      else process.env.TOLLGATE_WATCH_TIMEOUT_MS = prev;
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });

  test('a version whose tarball keeps failing is stored as error, never clean', async () => {
    await feed.publish({ name: 'broken-tgz', version: '1.0.0', files: benignFiles('broken-tgz', '1.0.0') });
    await feed.publish({ name: 'fine-pkg', version: '1.0.0', files: benignFiles('fine-pkg', '1.0.0') });
    feed.fail({ route: 'tarball', match: 'broken-tgz@', fault: { status: 500 }, times: Infinity });
    const run = await runCli(watchArgs());
    expect(run.code).toBe(0);
    const out = lines(run.stdout);
    const broken = out.find((r) => r.name === 'broken-tgz')!;
    expect(broken.verdict).toBe('error');
    expect(broken.error).toMatch(/broken-tgz@1\.0\.0/);
    expect(out.find((r) => r.name === 'fine-pkg')!.verdict).toBe('clean');
    // Retried (3 scans, each with pacote's own retries) before giving up.
    expect(feed.requests.filter((q) => q.route === 'tarball' && q.path.includes('broken-tgz')).length).toBeGreaterThanOrEqual(3);

    const s = SqliteStore.open(store(), { readonly: true });
    try {
      expect((await s.query({ verdict: 'error' })).map((r) => r.name)).toEqual(['broken-tgz']);
      expect(await s.hasResult('broken-tgz', '1.0.0', broken.integrity)).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('a tampered tarball (bytes differ from the packument integrity) is an error, not clean', async () => {
    await feed.publish({ name: 'swapped', version: '1.0.0', files: benignFiles('swapped', '1.0.0') });
    await feed.corruptTarball('swapped', '1.0.0');
    const run = await runCli(watchArgs());
    const [r] = lines(run.stdout);
    expect(r!.verdict).toBe('error');
    expect(r!.error).toMatch(/EINTEGRITY/);
  });

  test('human output: one line per version on stdout, progress on stderr', async () => {
    await feed.publish({ name: 'colors-helper', version: '1.0.1', files: credentialStealerFiles('colors-helper', '1.0.1') });
    await feed.publish({ name: 'left-padder', version: '1.0.0', files: benignFiles('left-padder', '1.0.0') });
    const run = await runCli(['watch', '--once', '--since', '0', '--changes-url', feed.changesUrl, '--registry', feed.url, '--store', store()]);
    expect(run.code).toBe(0);
    const out = run.stdout.trim().split('\n');
    expect(out).toHaveLength(2);
    expect(out.find((l) => l.includes('colors-helper@1.0.1'))).toMatch(/^MALICIOUS\s+colors-helper@1\.0\.1\s+score \d+/);
    expect(out.find((l) => l.includes('left-padder@1.0.0'))).toMatch(/^clean\s+left-padder@1\.0\.0\s+score \d+$/);
    expect(run.stderr).toMatch(/tollgate watch: poll: 2 change\(s\), 2 new version\(s\) queued/);
    expect(run.stderr).toMatch(/scanned 2 version\(s\) \(.*1 malicious.*\)/);
  });
});

describe('tollgate results', () => {
  test('filters by verdict and time, JSON and human', async () => {
    await feed.publish({ name: 'colors-helper', version: '1.0.1', files: credentialStealerFiles('colors-helper', '1.0.1') });
    await feed.publish({ name: 'left-padder', version: '1.0.0', files: benignFiles('left-padder', '1.0.0') });
    await feed.publish({ name: 'left-padder', version: '1.0.1', files: benignFiles('left-padder', '1.0.1') });
    expect((await runCli(watchArgs())).code).toBe(0);

    const all = JSON.parse((await runCli(['results', '--store', store(), '--json'])).stdout) as { results: WatchResult[] };
    expect(all.results).toHaveLength(3);
    const mal = JSON.parse((await runCli(['results', '--store', store(), '--verdict', 'malicious', '--json'])).stdout) as { results: WatchResult[] };
    expect(mal.results.map((r) => `${r.name}@${r.version}`)).toEqual(['colors-helper@1.0.1']);
    const clean = JSON.parse((await runCli(['results', '--store', store(), '--verdict', 'clean', '--since', '1h', '--json'])).stdout) as { results: WatchResult[] };
    expect(clean.results.map((r) => r.version).sort()).toEqual(['1.0.0', '1.0.1']);
    const future = JSON.parse((await runCli(['results', '--store', store(), '--since', new Date(Date.now() + 3600_000).toISOString(), '--json'])).stdout) as { results: WatchResult[] };
    expect(future.results).toEqual([]);
    const limited = JSON.parse((await runCli(['results', '--store', store(), '--limit', '1', '--json'])).stdout) as { results: WatchResult[] };
    expect(limited.results).toHaveLength(1);

    const human = await runCli(['results', '--store', store(), '--verdict', 'malicious']);
    expect(human.code).toBe(0);
    expect(human.stdout.trim().split('\n')).toHaveLength(1);
    expect(human.stdout).toMatch(/MALICIOUS\s+colors-helper@1\.0\.1/);
  });

  test('usage errors exit 2 with a message', async () => {
    for (const [argv, msg] of [
      [['results', '--store', store(), '--verdict', 'bad'], /--verdict must be one of/],
      [['results', '--store', store(), '--since', 'yesterday'], /--since must be a duration/],
      [['results', '--store', path.join(tmp, 'none.sqlite')], /no watch store at/],
      [['watch', '--concurrency', '0', '--store', store()], /--concurrency must be/],
      [['watch', '--changes-url', 'ftp://x', '--store', store()], /--changes-url must be an http/],
      [['watch', '--lookback', 'forever', '--store', store()], /--lookback must be a duration/],
      [['watch', '--bogus'], /unknown option --bogus for `tollgate watch`/],
      [['watch', 'express'], /watch takes no targets/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const help = await runCli(['watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Where state lives/);
    expect(help.stdout).toMatch(/resumes from the stored cursor/);
  });
});
