// Evasion suite (issue 3): variants of a few base payloads hidden behind split strings, encodings,
// string arrays, aliasing, computed members, indirect eval, optional chaining, a second file and an
// image. Every variant must be `malicious` with its chain shown; the same code with the sink
// replaced by a local console.log (the "no-sink twin") must not be. Fixtures: fixtures/evasion/,
// described in fixtures/evasion/README.md and listed in fixtures/evasion/variants.json.
//
// The fixtures are inert (non-routable hosts, fake webhook ids) and are only read, never run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { isCodeFile, parseFile } from '../src/engine/parse/parse.js';
import { scanFiles, type Scanned } from './helpers/analyze.js';

const ROOT = fileURLToPath(new URL('../fixtures/evasion/', import.meta.url));

type Base = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G';
interface Replacement {
  file: string;
  find: string;
  replace: string;
}
interface Variant {
  id: string;
  base: Base;
  technique: string;
  /** Groups of alternatives; each group must be named in the reasons or finding messages. */
  chain: string[][];
  /** Replacements that turn the variant into its no-sink twin. */
  nosink: Replacement[];
  note?: string;
}
type Files = Record<string, Buffer>;

const { variants } = JSON.parse(fs.readFileSync(path.join(ROOT, 'variants.json'), 'utf8')) as { variants: Variant[] };

/** Every file of a fixture folder, keyed by its POSIX path relative to the folder. */
function loadFolder(dir: string, prefix = ''): Files {
  const out: Files = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, loadFolder(abs, rel));
    else if (entry.isFile()) out[rel] = fs.readFileSync(abs);
  }
  return out;
}

/** The no-sink twin: the variant's files with the manifest's replacements applied, each exactly once. */
function twinOf(v: Variant, files: Files): Files {
  const out: Files = { ...files };
  for (const r of v.nosink) {
    const data = out[r.file];
    if (!data) throw new Error(`${v.id}: nosink names ${r.file}, which is not in the fixture`);
    const text = data.toString('utf8');
    const count = text.split(r.find).length - 1;
    if (count !== 1) throw new Error(`${v.id}: nosink text must occur exactly once in ${r.file}, found ${count}: ${r.find.slice(0, 100)}`);
    out[r.file] = Buffer.from(text.replace(r.find, () => r.replace), 'utf8');
  }
  return out;
}

/** Everything the scan says, for failure messages. */
function dump(r: Scanned): string {
  return [
    `score ${r.score}, verdict ${r.verdict}`,
    'reasons:',
    ...(r.reasons.length ? r.reasons.map((x) => `  - ${x}`) : ['  (none)']),
    'findings:',
    ...(r.findings.length
      ? r.findings.map((f) => `  - ${f.severity} ${f.rule} ${f.file ?? '(package)'}${f.line ? `:${f.line}` : ''} reach=${f.reach ?? '-'} [${(f.signals ?? []).join(', ')}] ${f.message}`)
      : ['  (none)']),
  ].join('\n');
}

/** What the scan shows a reader: its reasons and finding messages (not raw source excerpts). */
function shown(r: Scanned): string {
  return [...r.reasons, ...r.findings.map((f) => f.message)].join('\n').toLowerCase();
}

const scan = (files: Files): Scanned => scanFiles(files);

describe('evasion fixture suite', () => {
  const folders = fs
    .readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

  test('has at least 40 variants, one per folder, listed in variants.json', () => {
    expect(variants.length).toBeGreaterThanOrEqual(40);
    expect(variants.map((v) => v.id).sort()).toEqual(folders);
    expect(new Set(variants.map((v) => v.id.slice(0, 2))).size).toBe(variants.length);
  });

  test('covers every base payload A-G', () => {
    expect([...new Set(variants.map((v) => v.base))].sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
  });

  test.each(variants.map((v) => [v.id, v] as const))('%s: package.json is evasion-NN@1.0.0 and the manifest entry is complete', (id, v) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, id, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(id).toMatch(/^\d\d-[a-z0-9-]+$/);
    expect(pkg.name).toBe(`evasion-${id.slice(0, 2)}`);
    expect(pkg.version).toBe('1.0.0');
    expect(v.technique.length).toBeGreaterThan(0);
    expect(v.chain.length).toBeGreaterThan(0);
    for (const group of v.chain) expect(group.length).toBeGreaterThan(0);
    expect(v.nosink.length).toBeGreaterThan(0);
  });
});

// `EVASION_DUMP=1 npx vitest run test/evasion.test.ts` prints every scan, passing or not, for review.
const DUMP = !!process.env.EVASION_DUMP;

describe.each(variants.map((v) => [`${v.id} [${v.base}] ${v.technique}`, v] as const))('%s', (_title, v) => {
  const files = loadFolder(path.join(ROOT, v.id));

  test('fixture code and its no-sink twin parse cleanly', () => {
    const twin = twinOf(v, files);
    expect(Object.keys(twin).sort()).toEqual(Object.keys(files).sort());
    expect(Object.entries(twin).some(([p, d]) => !d.equals(files[p]!))).toBe(true);
    for (const pkg of [files, twin]) {
      for (const [p, data] of Object.entries(pkg)) {
        if (!isCodeFile(p)) continue;
        const parsed = parseFile(p, data.toString('utf8'));
        expect(parsed.error, `${p}: ${parsed.error?.message}`).toBeUndefined();
        expect(parsed.recovered, `${p} has recoverable syntax errors`).toBe(0);
      }
    }
  });

  test('is malicious, with the chain shown', () => {
    const r = scan(files);
    const report = `\n${v.id}: ${v.technique}\n${dump(r)}`;
    if (DUMP) console.log(`=== VARIANT${report}`);
    expect(r.verdict, report).toBe('malicious');
    expect(r.reasons.length, report).toBeGreaterThan(0);
    const text = shown(r);
    for (const group of v.chain) {
      expect(
        group.some((alt) => text.includes(alt.toLowerCase())),
        `chain link not shown: none of ${JSON.stringify(group)} in the reasons or finding messages${report}`,
      ).toBe(true);
    }
  });

  test('no-sink twin is not malicious', () => {
    const r = scan(twinOf(v, files));
    const report = `\n${v.id} without its sink${v.note ? ` (${v.note})` : ''}\n${dump(r)}`;
    if (DUMP) console.log(`=== TWIN${report}`);
    expect(r.verdict, report).not.toBe('malicious');
  });
});
