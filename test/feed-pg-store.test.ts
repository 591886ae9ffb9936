// The PostgreSQL result store against a real throwaway PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { PgStore, PgStoreError, redactUrl } from '../src/feed/pg-store.js';
import type { WatchResult } from '../src/feed/types.js';
import { servicesSkipReason, startPostgres, type Service } from './helpers/services.js';

const skip = servicesSkipReason('postgres');
if (skip) console.warn(`feed-pg-store tests skipped: ${skip}`);

const result = (over: Partial<WatchResult> = {}): WatchResult => ({
  name: 'left-pad',
  version: '1.0.0',
  integrity: 'sha512-aaa',
  score: 0,
  verdict: 'clean',
  findings: [],
  reasons: [],
  scannedAt: '2025-06-01T00:00:00.000Z',
  ...over,
});

describe.skipIf(!!skip)('PgStore', () => {
  let server: Service;
  let store: PgStore;
  beforeAll(async () => {
    server = await startPostgres();
    // Two stores opening at once both create the schema: the advisory lock makes that safe.
    const [a, b] = await Promise.all([PgStore.open(server.url), PgStore.open(server.url)]);
    await b.close();
    store = a;
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  test('a result is stored once: putResult is true the first time only, per name@version+integrity', async () => {
    expect(await store.putResult(result())).toBe(true);
    expect(await store.putResult(result({ verdict: 'malicious', score: 99 }))).toBe(false);
    expect(await store.putResult(result({ integrity: 'sha512-bbb' }))).toBe(true); // other bytes: another result
    // No integrity: a NULL would never conflict in SQL; the store still keeps one row.
    expect(await store.putResult(result({ version: '2.0.0', integrity: null }))).toBe(true);
    expect(await store.putResult(result({ version: '2.0.0', integrity: null }))).toBe(false);
    expect(await store.hasResult('left-pad', '1.0.0', 'sha512-aaa')).toBe(true);
    expect(await store.hasResult('left-pad', '2.0.0', null)).toBe(true);
    expect(await store.hasResult('left-pad', '3.0.0', null)).toBe(false);
    const stored = await store.query({});
    const first = stored.find((r) => r.version === '1.0.0' && r.integrity === 'sha512-aaa');
    expect(first?.verdict).toBe('clean'); // the second put did not overwrite
    expect(stored.find((r) => r.version === '2.0.0')?.integrity).toBeNull();
  });

  test('concurrent puts of one version from many workers: exactly one wins', async () => {
    const r = result({ name: 'raced', version: '1.0.0' });
    const wins = await Promise.all(Array.from({ length: 12 }, () => store.putResult(r)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  test('cursor per feed, replaced on set', async () => {
    expect(await store.getCursor('https://feed.example/_changes')).toBeUndefined();
    await store.setCursor('https://feed.example/_changes', '17-g1AAAA');
    await store.setCursor('https://feed.example/_changes', '42-g1AAAB');
    await store.setCursor('other', '1');
    expect(await store.getCursor('https://feed.example/_changes')).toBe('42-g1AAAB');
    expect(await store.getCursor('other')).toBe('1');
  });

  test('query by since, verdict and limit, newest first', async () => {
    await store.putResult(result({ name: 'q-old', verdict: 'malicious', scannedAt: '2020-01-01T00:00:00.000Z' }));
    await store.putResult(result({ name: 'q-new', verdict: 'malicious', scannedAt: '2030-01-01T00:00:00.000Z' }));
    await store.putResult(result({ name: 'q-sus', verdict: 'suspicious', scannedAt: '2029-01-01T00:00:00.000Z' }));
    const mal = await store.query({ verdict: 'malicious' });
    expect(mal.map((r) => r.name)).toEqual(['q-new', 'q-old']);
    const recent = await store.query({ since: new Date('2028-01-01T00:00:00Z') });
    expect(recent.map((r) => r.name)).toEqual(['q-new', 'q-sus']);
    expect(await store.query({ limit: 1 })).toHaveLength(1);
  });

  test('hostile text (NUL, lone surrogates) is stored, not a crash', async () => {
    const evil = result({
      name: 'nul\u0000name',
      version: '1.0.0',
      findings: [{ rule: 'x', severity: 'high', message: 'a\u0000b\ud800c', file: null, line: null, column: null, evidence: '\udc00', reach: null }],
    });
    expect(await store.putResult(evil)).toBe(true);
    expect(await store.putResult(evil)).toBe(false);
    expect(await store.hasResult('nul\u0000name', '1.0.0', 'sha512-aaa')).toBe(true);
    const [back] = (await store.query({})).filter((r) => r.name.startsWith('nul'));
    expect(back?.findings[0]?.message).toBe('a\uFFFDb\uFFFDc');
  });

  test('the rows really are unique in the table', async () => {
    const c = new pg.Client(server.url);
    await c.connect();
    try {
      const dup = await c.query('SELECT name, version, integrity, count(*) FROM tollgate_results GROUP BY 1, 2, 3 HAVING count(*) > 1');
      expect(dup.rowCount).toBe(0);
    } finally {
      await c.end();
    }
  });
});

describe('PgStore errors', () => {
  test('an unreachable store names the URL (password hidden) and says what to check', async () => {
    const url = 'postgres://tollgate:s3cret@127.0.0.1:1/results';
    const err = await PgStore.open(url, { connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgStoreError);
    const msg = (err as Error).message;
    expect(msg).toContain('postgres://tollgate:***@127.0.0.1:1/results');
    expect(msg).not.toContain('s3cret');
    expect(msg).toMatch(/is PostgreSQL running/);
  });

  test('redactUrl hides only the password', () => {
    expect(redactUrl('redis://:pw@h:6379/0')).toBe('redis://:***@h:6379/0');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});
