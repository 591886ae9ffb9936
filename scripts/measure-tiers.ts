/**
 * `npm run bench:tiers [-- --rounds N] [-- --quick-count N] [-- --no-meriyah]` (on Node 24: run
 * dist/scripts/measure-tiers.js with that node, e.g. .bench/node24/ from `npm run bench -- --node24`)
 *
 * What each engine mechanism saves, on a fixed corpus of real packages, so every tier's doc comment
 * can state a measured number (issue 23: a mechanism that no longer pays for itself is removed).
 * Nothing scanned is ever executed: tarballs are read in memory, as in `npm run bench`.
 *
 * - Corpus: two fixed sets from ../shared/corpus/benign-top300.txt, latest versions, tarballs cached in
 *   .bench/tarballs/ (the bench's cache; fetched with pacote when missing). "typical" is the bench's
 *   --quick set (the first 60 names: mostly small files); "bundles" is the 12 names of that list
 *   with the most bytes in parsed files of 16 KB and up (where tier 1.5 acts).
 * - Analysis, on and off: analyzePackage() with all rules, the whole corpus per run, under each
 *   switch: TOLLGATE_LEXICAL=off (tier 0 off: every file parsed), TOLLGATE_LAZY=off (tier 1.5 off),
 *   TOLLGATE_LAZY=tokenize (bodies skipped but tokenized: the brace scan's jump off),
 *   TOLLGATE_PARSER=babel (the acorn tier and its reshaping off). Runs interleave (each round runs
 *   every variant, in a rotated order) and the report gives medians of CPU time (process.cpuUsage)
 *   and the median of per-round ratios to the default: the machine is shared, so wall time is
 *   mostly waiting, and only ratios taken close together are worth much.
 * - Parsers, on the files tier 0 sends to the fast tier (plain .js/.cjs/.mjs both parsers accept):
 *   acorn as fast-parse.ts drives it, meriyah (installed on demand into .bench/meriyah/, never a
 *   dependency of the project) and Babel, each alone and each followed by walk.ts's walk (which
 *   reshapes ESTree to Babel's shapes as it goes: the full path a parser must serve); the reshaping
 *   alone is timed as the difference of a plain traversal with and without toBabelShape.
 * - Run it once per Node version (this Node, and Node 24 via TOLLGATE_NODE24 or .bench/node24/).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pacote from 'pacote';
import { parse as babelParse } from '@babel/parser';
import type { Node } from '@babel/types';
import { unpackTarball } from '../src/unpack/tarball.js';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS } from '../src/engine/run/analyze.js';
import { worthParsing } from '../src/engine/prefilter/lexical.js';
import { fastParse } from '../src/engine/parse/fast-parse.js';
import { matchBraces } from '../src/engine/prefilter/brace-scan.js';
import { lazyPlan, LAZY_MIN_BYTES } from '../src/engine/prefilter/lazy-bodies.js';
import { toBabelShape } from '../src/engine/parse/estree-to-babel.js';
import { walkFile } from '../src/engine/semantics/walk.js';
import { RULES } from '../heuristics/index.js';
import type { UnpackedPackage } from '../src/types.js';
import { median } from './node24.js';
import { BABEL_OPTIONS as PARSE_BABEL_OPTIONS } from '../src/engine/parse/parse.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = path.join(repoRoot, '.bench');
const corpusFile = path.resolve(repoRoot, '../shared/corpus/benign-top300.txt');
const MERIYAH_SPEC = 'meriyah@7';
/** The benign-top300 names with the most bytes in parsed files of 16 KB and up (measured 2026-12-02). */
const BUNDLES = ['react-dom', 'rollup', 'zod', 'axios', 'lodash', 'lru-cache', '@babel/parser', 'acorn', 'js-yaml', 'rxjs', 'eslint', 'esprima'];

interface Args {
  rounds: number;
  quickCount: number;
  meriyah: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rounds: 7, quickCount: 60, meriyah: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') args.rounds = Math.max(1, Number.parseInt(argv[++i] ?? '', 10) || 7);
    else if (a === '--quick-count') args.quickCount = Math.max(1, Number.parseInt(argv[++i] ?? '', 10) || 60);
    else if (a === '--no-meriyah') args.meriyah = false;
    else {
      console.error(`usage: npm run bench:tiers -- [--rounds N] [--quick-count N] [--no-meriyah] (unknown: ${a})`);
      process.exit(2);
    }
  }
  return args;
}

/**
 * CPU time of this process in ms (user + system, GC threads included), not wall time: on a machine
 * shared by many jobs, wall time mostly measures how long the scheduler kept this process waiting.
 */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const tarballName = (name: string): string => name.replace(/^@/, '').replace(/\//g, '__') + '.tgz';
const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

async function loadPackages(names: string[]): Promise<{ name: string; pkg: UnpackedPackage }[]> {
  const tarDir = path.join(benchDir, 'tarballs');
  fs.mkdirSync(tarDir, { recursive: true });
  const out: { name: string; pkg: UnpackedPackage }[] = [];
  for (const name of names) {
    const local = path.join(tarDir, tarballName(name));
    let tgz: Buffer;
    if (fs.existsSync(local)) tgz = fs.readFileSync(local);
    else {
      tgz = await pacote.tarball(`${name}@latest`, { cache: path.join(benchDir, 'cache') });
      fs.writeFileSync(local, tgz);
    }
    out.push({ name, pkg: await unpackTarball(tgz) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Analysis with each switch

interface Variant {
  label: string;
  what: string;
  env: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { label: 'default', what: 'every tier on', env: {} },
  { label: 'tier0-off', what: 'TOLLGATE_LEXICAL=off: every code file parsed', env: { TOLLGATE_LEXICAL: 'off' } },
  { label: 'lazy-off', what: 'TOLLGATE_LAZY=off: every function body parsed', env: { TOLLGATE_LAZY: 'off' } },
  { label: 'no-jump', what: 'TOLLGATE_LAZY=tokenize: skipped bodies tokenized, no brace-scan jump', env: { TOLLGATE_LAZY: 'tokenize' } },
  { label: 'babel-only', what: 'TOLLGATE_PARSER=babel: no acorn tier, no reshaping', env: { TOLLGATE_PARSER: 'babel' } },
];
const SWITCHES = ['TOLLGATE_LEXICAL', 'TOLLGATE_LAZY', 'TOLLGATE_PARSER'];

function analyzeAll(pkgs: { pkg: UnpackedPackage }[], variant: Variant): { ms: number; findings: number; lazyBytes: number; parsedBytes: number } {
  for (const k of SWITCHES) delete process.env[k];
  Object.assign(process.env, variant.env);
  let findings = 0;
  let lazyBytes = 0;
  let parsedBytes = 0;
  const t0 = cpuMs();
  for (const { pkg } of pkgs) {
    const a = analyzePackage(pkg, RULES);
    findings += a.findings.length;
    lazyBytes += a.stats.lazyBytes ?? 0;
    parsedBytes += a.stats.parsedBytes;
  }
  const ms = cpuMs() - t0;
  for (const k of SWITCHES) delete process.env[k];
  return { ms, findings, lazyBytes, parsedBytes };
}

function measureAnalysis(set: string, pkgs: { pkg: UnpackedPackage }[], rounds: number): void {
  analyzeAll(pkgs, VARIANTS[0]!); // warm-up, untimed
  const times = new Map<string, number[]>(VARIANTS.map((v) => [v.label, []]));
  const ratios = new Map<string, number[]>(VARIANTS.map((v) => [v.label, []]));
  const info = new Map<string, { findings: number; lazyBytes: number; parsedBytes: number }>();
  for (let r = 0; r < rounds; r++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
    const round = new Map<string, number>();
    for (const v of order) {
      const res = analyzeAll(pkgs, v);
      round.set(v.label, res.ms);
      times.get(v.label)!.push(res.ms);
      info.set(v.label, res);
    }
    for (const v of VARIANTS) ratios.get(v.label)!.push(round.get(v.label)! / round.get('default')!);
  }
  console.log(`\nanalysis, ${set}: median CPU ms of ${rounds} interleaved rounds; ratio = median of per-round (variant / default)`);
  console.log(pad(['variant', 'CPU ms', 'ratio', 'findings', 'parsed MB', 'lazy MB', 'switch']));
  for (const v of VARIANTS) {
    const i = info.get(v.label)!;
    console.log(pad([v.label, median(times.get(v.label)!).toFixed(0), pct(median(ratios.get(v.label)!)), String(i.findings), (i.parsedBytes / 1e6).toFixed(2), (i.lazyBytes / 1e6).toFixed(2), v.what]));
  }
}

function pad(cells: string[]): string {
  const w = [16, 10, 8, 9, 10, 8, 0];
  return cells.map((c, i) => (w[i] ? c.padEnd(w[i]!) : c)).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Parsers

type MeriyahParse = (text: string, options: Record<string, unknown>) => unknown;

function loadMeriyah(): Promise<{ parse: MeriyahParse; version: string }> | undefined {
  const prefix = path.join(benchDir, 'meriyah');
  const dir = path.join(prefix, 'node_modules', 'meriyah');
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    console.log(`installing ${MERIYAH_SPEC} into ${path.relative(repoRoot, prefix)}/ (npm install --ignore-scripts) ...`);
    const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', MERIYAH_SPEC], { encoding: 'utf8', timeout: 5 * 60_000 });
    if (r.status !== 0) {
      console.log(`meriyah skipped: npm install failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`);
      return undefined;
    }
  }
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return import(pathToFileURL(path.join(dir, 'dist', 'meriyah.mjs')).href).then((m: { parse: MeriyahParse }) => ({ parse: m.parse, version }));
}

/**
 * Closest meriyah options to fast-parse.ts's acorn ones: a sloppy script with return anywhere, Annex
 * B, start/end only. meriyah has no acorn-like `allowImportExportEverywhere`: a file with import or
 * export fails as a script and is read again as a module, as a meriyah tier would have to.
 */
const MERIYAH_OPTIONS = { sourceType: 'script', next: true, webcompat: true, globalReturn: true, ranges: { start: true, end: true }, loc: false, validateRegex: false };
const MERIYAH_MODULE = { ...MERIYAH_OPTIONS, sourceType: 'module', globalReturn: false };
function meriyahRead(parse: MeriyahParse, text: string): unknown {
  try {
    return parse(text, MERIYAH_OPTIONS);
  } catch {
    return parse(text, MERIYAH_MODULE);
  }
}
/** parse.ts's Babel options for a .js file (no Flow). */
const BABEL_OPTIONS = {
  ...PARSE_BABEL_OPTIONS,
  plugins: ['jsx', ['decorators', { decoratorsBeforeExport: true }], 'importAttributes', 'explicitResourceManagement'] as never,
};

const WANTED = new Set(['CallExpression', 'NewExpression', 'MemberExpression', 'StringLiteral', 'AssignmentExpression']);

/** Every node of an ESTree tree by its own keys, reshaped to Babel's on the way when `reshape`. */
function traverse(root: unknown, reshape: boolean): number {
  let count = 0;
  const stack: Record<string, unknown>[] = [root as Record<string, unknown>];
  while (stack.length) {
    const n = stack.pop()!;
    count++;
    for (const key in n) {
      if (key === 'tgParent' || key === 'tgSource') continue;
      const v = n[key];
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const c = v[i] as Record<string, unknown> | null;
          if (c && typeof c.type === 'string') stack.push(reshape ? (v[i] = toBabelShape(c as never)) : c);
        }
      } else if (v && typeof (v as { type?: unknown }).type === 'string' && key !== 'regex') {
        stack.push(reshape ? (n[key] = toBabelShape(v as never)) : (v as Record<string, unknown>));
      }
    }
  }
  return count;
}

interface ParserCase {
  label: string;
  run: (text: string) => void;
}

function measureParsers(set: string, texts: string[], rounds: number, meriyah: MeriyahParse | undefined): void {
  const file = (ast: unknown) => ast as Node;
  const cases: ParserCase[] = [
    { label: 'acorn', run: (t) => void fastParse(t) },
    { label: 'acorn+walk', run: (t) => {
      const r = fastParse(t);
      if ('ast' in r) walkFile(file(r.ast), WANTED, 3_000_000);
    } },
    // Tier 1.5 without the rules' hints (which keep more bodies): an upper bound on what it skips.
    { label: 'acorn-lazy+walk', run: (t) => {
      const r = fastParse(t, lazyPlan(t, undefined, LAZY_MIN_BYTES));
      if ('ast' in r) walkFile(file(r.ast), WANTED, 3_000_000);
    } },
    { label: 'babel', run: (t) => void babelParse(t, BABEL_OPTIONS) },
    { label: 'babel+walk', run: (t) => void walkFile(file(babelParse(t, BABEL_OPTIONS)), WANTED, 3_000_000) },
    { label: 'brace-scan', run: (t) => void matchBraces(t) },
  ];
  if (meriyah) {
    cases.push(
      { label: 'meriyah', run: (t) => void meriyahRead(meriyah, t) },
      { label: 'meriyah+walk', run: (t) => void walkFile(file({ type: 'File', program: meriyahRead(meriyah, t), start: 0, end: t.length }), WANTED, 3_000_000) },
    );
  }
  const bytes = texts.reduce((a, t) => a + t.length, 0);
  for (const c of cases) for (const t of texts) c.run(t); // warm-up
  const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  const ratios = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  const reshape: number[] = [];
  const reshapeRatio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = new Map<string, number>();
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + r) % cases.length]!;
      const t0 = cpuMs();
      for (const t of texts) c.run(t);
      const ms = cpuMs() - t0;
      round.set(c.label, ms);
      times.get(c.label)!.push(ms);
    }
    for (const c of cases) ratios.get(c.label)!.push(round.get(c.label)! / round.get('acorn')!);
    // Reshaping alone: the same traversal of a fresh acorn tree, with and without toBabelShape.
    let plain = 0;
    let shaped = 0;
    for (const t of texts) {
      const a = fastParse(t);
      const b = fastParse(t);
      if (!('ast' in a) || !('ast' in b)) continue;
      const t0 = cpuMs();
      traverse(a.ast, r % 2 === 0);
      const t1 = cpuMs();
      traverse(b.ast, r % 2 !== 0);
      const t2 = cpuMs();
      if (r % 2 === 0) {
        shaped += t1 - t0;
        plain += t2 - t1;
      } else {
        plain += t1 - t0;
        shaped += t2 - t1;
      }
    }
    reshape.push(shaped - plain);
    reshapeRatio.push((shaped - plain) / round.get('acorn')!);
  }
  console.log(`\nparsers, ${set}: ${texts.length} files, ${(bytes / 1e6).toFixed(2)} MB; median CPU ms of ${rounds} interleaved rounds; ratio = median of per-round (parser / acorn)`);
  console.log(pad(['parser', 'CPU ms', 'MB/s', 'ratio']));
  for (const c of cases) {
    const ms = median(times.get(c.label)!);
    console.log(pad([c.label, ms.toFixed(0), (bytes / 1e6 / (ms / 1000)).toFixed(1), median(ratios.get(c.label)!).toFixed(2) + 'x']));
  }
  console.log(pad(['reshaping', median(reshape).toFixed(0), '', median(reshapeRatio).toFixed(2) + 'x', '', '', 'toBabelShape over every node, as a share of an acorn parse']));
}

/** The files tier 0 sends to the fast tier (plain JavaScript, within the parse limit) that acorn and (when measured) meriyah both read. */
function fastTierTexts(pkgs: { pkg: UnpackedPackage }[], meriyah: MeriyahParse | undefined): { texts: string[]; meriyahRejects: number; acornRejects: number } {
  const texts: string[] = [];
  let meriyahRejects = 0;
  let acornRejects = 0;
  for (const { pkg } of pkgs) {
    for (const f of pkg.files.values()) {
      if (!/\.[cm]?js$/i.test(f.path) || !f.data) continue;
      const t = f.data.toString('utf8');
      if (t.length > DEFAULT_ENGINE_OPTIONS.maxParseBytes || !worthParsing(t) || /@flow\b/.test(t.slice(0, 4096))) continue;
      if (!('ast' in fastParse(t))) {
        acornRejects++;
        continue;
      }
      if (meriyah) {
        try {
          meriyahRead(meriyah, t);
        } catch {
          meriyahRejects++;
          continue;
        }
      }
      texts.push(t);
    }
  }
  return { texts, meriyahRejects, acornRejects };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const names = fs.readFileSync(corpusFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const sets: [string, string[]][] = [
    [`typical (first ${args.quickCount} of benign-top300)`, names.slice(0, args.quickCount)],
    [`bundles (${BUNDLES.length} packages)`, BUNDLES],
  ];
  const m = args.meriyah ? await loadMeriyah() : undefined;
  console.log(`measure-tiers: node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${args.rounds} rounds${m ? `, meriyah ${m.version}` : ''}`);
  for (const [label, list] of sets) {
    const pkgs = await loadPackages(list);
    measureAnalysis(label, pkgs, args.rounds);
    const { texts, meriyahRejects, acornRejects } = fastTierTexts(pkgs, m?.parse);
    if (acornRejects || meriyahRejects) console.log(`(${acornRejects} files acorn rejects, ${meriyahRejects} more meriyah rejects: left out of the parser table)`);
    measureParsers(label, texts, args.rounds, m?.parse);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
