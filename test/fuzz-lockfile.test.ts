// Property-based tests over the lockfile parsers: whatever the text, parsing returns a lockfile or
// throws a LockfileError naming the file (never an untyped exception, never a hang).
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseLockfileText, LockfileError } from '../src/lockfile/index.js';

const RUNS = Number(process.env.TOLLGATE_FUZZ_RUNS ?? 120);
const dir = new URL('../fixtures/lockfiles/', import.meta.url);
const seeds = fs.readdirSync(dir).filter((f) => !f.endsWith('.lockb')).map((f) => ({ name: f, text: fs.readFileSync(new URL(f, dir), 'utf8') }));

/** The name a file must carry for its format to be detected. */
function lockName(seed: string): string {
  if (seed.includes('pnpm')) return 'pnpm-lock.yaml';
  if (seed.includes('yarn')) return 'yarn.lock';
  if (seed.includes('bun')) return 'bun.lock';
  if (seed.includes('shrinkwrap')) return 'npm-shrinkwrap.json';
  return 'package-lock.json';
}

function parseOrTypedError(file: string, text: string): void {
  try {
    const lock = parseLockfileText(file, text);
    expect(Array.isArray(lock.entries)).toBe(true);
  } catch (err) {
    if (!(err instanceof LockfileError)) throw new Error(`untyped exception from ${file}: ${(err as Error)?.stack ?? String(err)}`);
    expect((err as Error).message).toContain(file);
  }
}

describe('fuzz: lockfile parsers', () => {
  test.each(seeds.map((s) => [s.name, s]))('mutations of %s parse or fail with a LockfileError', (_n, seed) => {
    const file = `/tmp/project/${lockName(seed.name)}`;
    fc.assert(
      fc.property(
        fc.record({ cut: fc.nat(), flips: fc.array(fc.tuple(fc.nat(), fc.constantFrom('{', '}', '[', ']', ':', '"', "'", '\n', ' ', '-', '@', '#', '\u0000', 'x')), { maxLength: 8 }) }),
        ({ cut, flips }) => {
          const chars = seed.text.slice(0, seed.text.length ? cut % (seed.text.length + 1) : 0).split('');
          for (const [pos, ch] of flips) if (chars.length) chars[pos % chars.length] = ch;
          parseOrTypedError(file, chars.join(''));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('arbitrary text under every lockfile name', () => {
    const names = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock'];
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.oneof(fc.string({ maxLength: 2000 }), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ lockfileVersion: 3, packages: v }))), (name, text) => {
        parseOrTypedError(`/tmp/project/${name}`, text);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
