// The one tar reader (readTar) serves the unpacker and fetch's identity peek: the peek stops at
// package.json, and an archive without one costs at most the unpack limit, never its full size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ReadEntry } from 'tar';
import { readTar } from '../src/unpack/tarball.js';
import { DEFAULT_UNPACK_LIMITS } from '../src/unpack/limits.js';
import { fetchTarball } from '../src/fetch/fetch.js';
import { packTarball } from './helpers/registry.js';

const BIG = Buffer.alloc(16 * 1024 * 1024, 'a');

describe('readTar', () => {
  test('stops decompressing once done() says so', async () => {
    const tgz = await packTarball({ 'package.json': '{"name":"p","version":"1.0.0"}', 'big.bin': BIG });
    const seen: string[] = [];
    const out = await readTar(tgz, DEFAULT_UNPACK_LIMITS, {
      wholeSmall: false,
      chunkSize: 64 * 1024,
      filter: (p) => p.endsWith('package.json'),
      done: () => seen.length > 0,
      onReadEntry: (e: ReadEntry) => {
        e.on('end', () => seen.push(e.path));
        e.resume();
      },
    });
    expect(seen).toEqual(['package/package.json']);
    expect(out.decompressed).toBeLessThan(1024 * 1024);
    expect(out.tooBig).toBe(false);
  });

  test('streaming, never decompresses much past maxUnpackedBytes, however small the archive', async () => {
    // (The one-call path for small archives has its own 32 MB output cap; the limit still flags it.)
    const tgz = await packTarball({ 'big.bin': BIG, 'package.json': '{}' });
    for (const wholeSmall of [false, true]) {
      const out = await readTar(tgz, { ...DEFAULT_UNPACK_LIMITS, maxUnpackedBytes: 2 * 1024 * 1024 }, { wholeSmall, onReadEntry: (e) => e.resume() });
      expect(out.tooBig).toBe(true);
      if (!wholeSmall) expect(out.decompressed).toBeLessThan(4 * 1024 * 1024);
    }
  });
});

describe("fetch's identity peek uses it", () => {
  const opts = { npmConfig: { registry: 'http://127.0.0.1:9/' } };
  test('package.json after a large file is still found', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-peek-'));
    try {
      fs.writeFileSync(path.join(dir, 'late.tgz'), await packTarball({ 'big.bin': BIG, 'package.json': JSON.stringify({ name: 'late-manifest', version: '2.0.1' }) }));
      fs.writeFileSync(path.join(dir, 'none.tgz'), await packTarball({ 'index.js': '1\n' }));
      expect(await fetchTarball('./late.tgz', { ...opts, where: dir })).toMatchObject({ name: 'late-manifest', version: '2.0.1', source: 'file' });
      const none = await fetchTarball('./none.tgz', { ...opts, where: dir });
      expect(none.name).toBeUndefined();
      expect(none.data.length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
