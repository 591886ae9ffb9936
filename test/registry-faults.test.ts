// Registry faults from a loopback server: every one ends in a bounded time with either a real
// analysis or an explicit per-package error, never a hang and never "clean" by default.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { scanTarget, scanTargets } from '../src/scan.js';
import { exitCodeFor } from '../src/cli/main.js';
import { packTarball } from './helpers/registry.js';

type Fault = (req: http.IncomingMessage, res: http.ServerResponse, ctx: { url: string; tarball: Buffer; count: number }) => void;

const GOOD_FILES = { 'package.json': JSON.stringify({ name: 'faulty', version: '1.0.0', main: 'index.js' }), 'index.js': 'module.exports = 1;' };
let tarball: Buffer;
let cacheRoot: string;

beforeAll(async () => {
  tarball = await packTarball(GOOD_FILES);
  cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-faults-'));
});
afterAll(() => fs.rmSync(cacheRoot, { recursive: true, force: true }));

function sri(data: Buffer): string {
  return 'sha512-' + createHash('sha512').update(data).digest('base64');
}

function packument(url: string, data: Buffer, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: 'faulty',
    'dist-tags': { latest: '1.0.0' },
    versions: { '1.0.0': { name: 'faulty', version: '1.0.0', dist: { tarball: `${url}/faulty/-/faulty-1.0.0.tgz`, integrity: sri(data) } } },
    ...extra,
  });
}

/** A registry whose behaviour for packument and tarball requests is given by the test. */
async function faultyRegistry(onPackument: Fault, onTarball: Fault = (_q, res, c) => res.end(c.tarball), host = '127.0.0.1') {
  let count = 0;
  const seen: { url: string; authorization?: string }[] = [];
  const servers: http.Server[] = [];
  const server = http.createServer((req, res) => {
    count++;
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const ctx = { url, tarball, count };
    if (req.url?.endsWith('.tgz')) onTarball(req, res, ctx);
    else onPackument(req, res, ctx);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: () => count,
    seen: () => seen,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }))),
  };
}

let n = 0;
function options(url: string) {
  // Small retry timings: the behaviour under test is "bounded retries, then an explicit error".
  return {
    fetch: {
      npmConfig: { registry: url, 'fetch-retries': '2', 'fetch-retry-mintimeout': '50', 'fetch-retry-maxtimeout': '200' },
      cache: path.join(cacheRoot, `c${n++}`),
      timeoutMs: 1500,
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

describe('registry faults', () => {
  test('a registry that never answers: error within the timeout budget', async () => {
    const reg = await faultyRegistry(() => { /* never respond */ });
    try {
      const { value, ms } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.verdict).toBe('error');
      expect(value.error).toMatch(/faulty/);
      expect(ms).toBeLessThan(20_000);
    } finally {
      await reg.close();
    }
  });

  test('429 with Retry-After, then success: the package is analyzed', async () => {
    const reg = await faultyRegistry((_q, res, c) => {
      if (c.count === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end('{"error":"rate limited"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(packument(c.url, c.tarball));
      }
    });
    try {
      const { value, ms } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.verdict).toBe('clean');
      expect(value.version).toBe('1.0.0');
      expect(ms).toBeLessThan(15_000);
    } finally {
      await reg.close();
    }
  });

  test('429 forever and 500 forever: bounded retries, then an explicit error', async () => {
    for (const status of [429, 500]) {
      const reg = await faultyRegistry((_q, res) => {
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end('{"error":"nope"}');
      });
      try {
        const { value, ms } = await timed(() => scanTarget('faulty', options(reg.url)));
        expect(value.verdict).toBe('error');
        expect(value.error).toContain('faulty');
        expect(reg.requests()).toBeLessThanOrEqual(6);
        expect(ms).toBeLessThan(15_000);
      } finally {
        await reg.close();
      }
    }
  });

  test('a truncated tarball is an error, not a partial clean', async () => {
    const reg = await faultyRegistry(
      (_q, res, c) => res.end(packument(c.url, c.tarball)),
      (_q, res, c) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(c.tarball.length) });
        res.write(c.tarball.subarray(0, c.tarball.length >> 1));
        res.destroy();
      },
    );
    try {
      const { value } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.verdict).toBe('error');
    } finally {
      await reg.close();
    }
  });

  test('bytes that do not match dist.integrity are an error naming possible tampering', async () => {
    const reg = await faultyRegistry(
      (_q, res, c) => res.end(packument(c.url, c.tarball)),
      (_q, res) => res.end(Buffer.from('not the tarball the packument promised')),
    );
    try {
      const { value } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.verdict).toBe('error');
      expect(value.error).toMatch(/EINTEGRITY|integrity/i);
    } finally {
      await reg.close();
    }
  });

  test('an HTML page served as the tarball (wrong content type, matching hash) is never clean', async () => {
    const html = Buffer.from('<!doctype html><title>maintenance</title>');
    const reg = await faultyRegistry(
      (_q, res, c) => res.end(packument(c.url, html)),
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(html);
      },
    );
    try {
      const { value } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.verdict).not.toBe('clean');
    } finally {
      await reg.close();
    }
  });

  test('a redirect loop ends in an error within bounds', async () => {
    const reg = await faultyRegistry((req, res, c) => {
      res.writeHead(302, { location: `${c.url}/loop${c.count}` });
      res.end();
    });
    try {
      const { value, ms } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.verdict).toBe('error');
      expect(ms).toBeLessThan(15_000);
    } finally {
      await reg.close();
    }
  });

  test('a redirect on the same registry is followed to the real packument: clean', async () => {
    const reg = await faultyRegistry((req, res, c) => {
      if (req.url?.startsWith('/moved/')) return res.end(packument(c.url, c.tarball));
      res.writeHead(301, { location: `${c.url}/moved${req.url}` });
      res.end();
    });
    try {
      const { value } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(value.error).toBeUndefined();
      expect(value.verdict).toBe('clean');
      expect(value.version).toBe('1.0.0');
      // Followed, not guessed: the moved packument and then the tarball were requested.
      const urls = reg.seen().map((r) => r.url);
      expect(urls).toContain('/moved/faulty');
      expect(urls.some((u) => u.endsWith('/faulty-1.0.0.tgz'))).toBe(true);
    } finally {
      await reg.close();
    }
  });

  test('a redirect to another host is followed, the tarball checked against its integrity, and the token stays home', async () => {
    // 127.0.0.2 is another loopback address: another host as far as credentials are concerned.
    const other = await faultyRegistry((_q, res, c) => res.end(packument(c.url, c.tarball)), undefined, '127.0.0.2');
    const front = await faultyRegistry((req, res) => {
      res.writeHead(301, { location: `${other.url}${req.url}` });
      res.end();
    });
    try {
      const opts = options(front.url);
      const token = 'front-only-token';
      (opts.fetch.npmConfig as Record<string, string>)[`${front.url.replace(/^http:/, '')}/:_authToken`] = token;
      const { value } = await timed(() => scanTarget('faulty', opts));
      expect(value.error).toBeUndefined();
      expect(value.verdict).toBe('clean');
      // The packument and the tarball both came from the other host...
      const urls = other.seen().map((r) => r.url);
      expect(urls).toContain('/faulty');
      expect(urls.some((u) => u.endsWith('/faulty-1.0.0.tgz'))).toBe(true);
      // ...which never saw the front registry's credentials, while the front did.
      expect(front.seen()[0]!.authorization).toBe(`Bearer ${token}`);
      expect(other.seen().every((r) => r.authorization === undefined)).toBe(true);
    } finally {
      await front.close();
      await other.close();
    }
  });

  test('a redirect to another host serving a tarball that fails its integrity is an error, never clean', async () => {
    const evil = await packTarball({ ...GOOD_FILES, 'index.js': 'module.exports = 2;' });
    const other = await faultyRegistry((_q, res) => res.end(), (_q, res) => res.end(evil), '127.0.0.2');
    // The front's packument names the good tarball's integrity; its tarball URL redirects away.
    const front = await faultyRegistry(
      (_q, res, c) => res.end(packument(c.url, c.tarball)),
      (req, res) => {
        res.writeHead(302, { location: `${other.url}${req.url}` });
        res.end();
      },
    );
    try {
      const { value } = await timed(() => scanTarget('faulty', options(front.url)));
      expect(value.verdict).toBe('error');
      expect(value.error).toMatch(/integrity|checksum|EINTEGRITY/i);
      expect(other.seen().some((r) => r.url.endsWith('.tgz'))).toBe(true);
    } finally {
      await front.close();
      await other.close();
    }
  });

  test('a 50 MB packument is handled in bounded time', async () => {
    const junk: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) junk[`0.0.${i}`] = { name: 'faulty', version: `0.0.${i}`, description: 'x'.repeat(125_000), dist: { tarball: 'http://127.0.0.1:1/x.tgz', integrity: 'sha512-AAAA' } };
    const reg = await faultyRegistry((_q, res, c) => {
      const doc = JSON.parse(packument(c.url, c.tarball));
      Object.assign(doc.versions, junk);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    });
    try {
      const { value, ms } = await timed(() => scanTarget('faulty', options(reg.url)));
      expect(['clean', 'error']).toContain(value.verdict);
      expect(ms).toBeLessThan(30_000);
    } finally {
      await reg.close();
    }
  });

  test('one failing package never stops the others, and errors count in the exit code', async () => {
    const reg = await faultyRegistry((req, res, c) => {
      if (req.url?.includes('missing')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not found"}');
      } else res.end(packument(c.url, c.tarball));
    });
    try {
      const results = await scanTargets(['missing-pkg', 'faulty'], options(reg.url));
      expect(results.map((r) => r.verdict).sort()).toEqual(['clean', 'error']);
      expect(exitCodeFor(results, 'malicious')).toBe(2);
    } finally {
      await reg.close();
    }
  });
});
