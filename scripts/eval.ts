/**
 * npm run eval: how well does the analyzer separate real malware from real dependency trees?
 *
 * Sets (all by default; `--set NAME`, repeatable or comma-separated; `--benign-only` drops malware):
 * - malware: ../shared/corpus/malicious/*.tgz, with the verdict expected of each beside it;
 * - lockfiles: every registry package (name@exact version) of four real lockfiles in
 *   ../shared/lockfiles, fetched by the lockfile's URL and integrity as `audit` does;
 * - hard-benign: the latest release of each name in ../shared/corpus/hard-benign-dev.txt;
 * - top1000: the latest release of the first 1,000 names of ../shared/data/npm-popular-10k.tsv.
 *
 * Prints per-set tables, every benign package not judged clean with its first reason, errors, rule
 * hits, timing, and the diff against scripts/eval-baseline.txt (`--update-baseline` rewrites it).
 * Exits non-zero only when the analyzer crashes, or with `--strict` on a benign `malicious`.
 *
 * Other flags: --limit=N (first N targets of each benign set), --no-registry-signals (code
 * evidence only), --no-cache (analyze again what .eval-cache/results.sqlite holds), --why (more
 * reasons), --all (every benign verdict), --concurrency=N (downloads at once, default 8).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadNpmConfig } from '../src/fetch/npm-config.js';
import { ResultCache } from '../src/cache/results.js';
import { engineKey } from '../src/cache/version.js';
import { findShared, loadSet, parseSets, type EvalTarget, type SetName } from './lib/eval-corpus.js';
import { outcomeOf, runTargets, type Row } from './lib/eval-run.js';
import { baselineLine, diffBaseline, formatBaseline, lineKey, lineSet, mergeBaseline, parseBaseline } from './lib/eval-baseline.js';
import { allLines, crashLines, errorLines, malwareLines, noisyLines, reasonClassLines, ruleHitLines, setTable, timingLines } from './lib/eval-report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BASELINE = path.join(root, 'scripts', 'eval-baseline.txt');
const CACHE = path.join(root, '.eval-cache');

const { values: flags } = parseArgs({
  options: {
    set: { type: 'string', multiple: true, default: [] },
    'benign-only': { type: 'boolean', default: false },
    'no-benign': { type: 'boolean', default: false },
    limit: { type: 'string' },
    'no-registry-signals': { type: 'boolean', default: false },
    'no-cache': { type: 'boolean', default: false },
    why: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    'update-baseline': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '8' },
    shared: { type: 'string' },
  },
  strict: true,
});

function print(lines: readonly string[]): void {
  if (lines.length) console.log(`\n${lines.join('\n')}`);
}

async function main(): Promise<number> {
  const shared = findShared(root, flags.shared);
  if (!shared) {
    console.log(`eval: no ../shared/corpus beside ${root} (nor TOLLGATE_SHARED, --shared); the corpus lives in ../shared beside the checkout. Nothing to measure.`);
    return 0;
  }
  const sets: SetName[] = flags['no-benign'] ? ['malware'] : parseSets(flags.set, flags['benign-only']);
  const limit = flags.limit !== undefined ? Number(flags.limit) : Infinity;
  if (!(limit >= 0)) throw new Error(`--limit must be a number, got "${flags.limit}"`);
  const npmConfig = loadNpmConfig({ cwd: root });
  const withRegistry = !flags['no-registry-signals'];

  const targets: EvalTarget[] = [];
  for (const set of sets) {
    const all = loadSet(set, shared, npmConfig);
    targets.push(...(set === 'malware' ? all : all.slice(0, limit)));
    console.log(`set ${set}: ${Math.min(all.length, set === 'malware' ? all.length : limit)} of ${all.length} targets`);
  }

  let results: ResultCache | undefined;
  if (!flags['no-cache']) {
    try {
      results = ResultCache.open(path.join(CACHE, 'results.sqlite'), engineKey());
    } catch (err) {
      console.log(`eval: results cache unavailable (${(err as Error).message}); everything is analyzed`);
    }
  }

  // Every finished row is appended here at once, so an interrupted run leaves what it measured.
  fs.mkdirSync(CACHE, { recursive: true });
  const progressFile = path.join(CACHE, 'rows.jsonl');
  fs.writeFileSync(progressFile, '');
  const started = performance.now();
  const tty = process.stderr.isTTY;
  const rows = await runTargets(targets, {
    npmConfig,
    registry: withRegistry ? { cacheDir: path.join(CACHE, 'registry'), results } : undefined,
    results,
    concurrency: Math.max(1, Number(flags.concurrency) || 8),
    onRow: (row, done, total) => {
      fs.appendFileSync(progressFile, `${JSON.stringify(summary(row))}\n`);
      const v = outcomeOf(row);
      const elapsed = `${((performance.now() - started) / 1000).toFixed(0)}s`;
      if (tty) process.stderr.write(`\r\u001b[K[${done}/${total}] ${row.target.set} ${row.id}`);
      else if (done % 100 === 0 || done === total) process.stderr.write(`[${done}/${total}] ${elapsed}\n`);
      if (row.target.group === 'benign' && v !== 'clean') {
        if (tty) process.stderr.write('\r\u001b[K');
        process.stderr.write(`  [${done}/${total} ${elapsed}] ${row.target.set} ${v} ${row.result?.score ?? ''} ${row.id}: ${(row.result?.reasons[0] ?? row.fetchError ?? row.crash ?? '').slice(0, 160)}\n`);
      }
    },
  });
  if (tty) process.stderr.write('\r\u001b[K');
  const wallMs = performance.now() - started;
  const cacheStats = results ? `; results cache ${results.stats.hits} hits, ${results.stats.writes} writes` : '';
  results?.close();

  print(setTable(rows, sets));
  print(malwareLines(rows, flags.why));
  print(noisyLines(rows, flags.why));
  print(reasonClassLines(rows));
  print(errorLines(rows));
  if (flags.all) print(allLines(rows));
  print(ruleHitLines(rows));
  const registryMs = rows.reduce((a, r) => a + r.registryMs, 0);
  print(timingLines(rows, wallMs, withRegistry ? `Registry signals: ${(registryMs / 1000).toFixed(1)} s in total, overlapping analysis (packuments, previous versions fetched and analyzed)${cacheStats}` : `Registry signals off (--no-registry-signals)${cacheStats}`));

  fs.writeFileSync(path.join(CACHE, 'last.json'), JSON.stringify(rows.map(summary), null, 1));
  compareBaseline(rows, sets, Number.isFinite(limit));

  const crashes = crashLines(rows);
  if (crashes.length) {
    print(crashes);
    return 1;
  }
  console.log('\n0 crashes.');
  const falseMalicious = rows.filter((r) => r.target.group === 'benign' && outcomeOf(r) === 'malicious');
  if (flags.strict && falseMalicious.length) {
    console.log(`--strict: ${falseMalicious.length} benign package(s) judged malicious.`);
    return 1;
  }
  return 0;
}

/** Print the diff against the checked-in baseline; rewrite it with --update-baseline. */
function compareBaseline(rows: readonly Row[], sets: readonly SetName[], limited: boolean): void {
  const current = rows
    .filter((r) => r.target.group === 'benign' && r.result && (r.result.verdict === 'malicious' || r.result.verdict === 'suspicious'))
    .map((r) => baselineLine({ set: r.target.set, verdict: r.result!.verdict, id: r.id, reason: r.result!.reasons[0] ?? '' }));
  const previous = fs.existsSync(BASELINE) ? parseBaseline(fs.readFileSync(BASELINE, 'utf8')) : [];
  const ran = new Set<string>(sets);
  // With --limit only the packages that ran are compared: the rest of the set is not "fixed".
  const evaluated = new Set(rows.map((r) => `${r.target.set} ${r.id}`));
  const inScope = (line: string) => ran.has(lineSet(line)) && (!limited || evaluated.has(lineKey(line)));
  const diff = diffBaseline(previous, current, inScope);
  const rel = path.relative(root, BASELINE);
  if (!diff.added.length && !diff.removed.length) console.log(`\nBaseline (${rel}): no change for the sets that ran.`);
  else print([`Baseline (${rel}) diff: +${diff.added.length} -${diff.removed.length}`, ...diff.removed.map((l) => `- ${l}`), ...diff.added.map((l) => `+ ${l}`)]);
  if (flags['update-baseline']) {
    if (limited) console.log('--update-baseline ignored with --limit: the baseline records whole sets.');
    else {
      fs.writeFileSync(BASELINE, formatBaseline(mergeBaseline(previous, current, ran)));
      console.log(`Baseline rewritten: ${rel}`);
    }
  }
}

function summary(r: Row) {
  return { set: r.target.set, id: r.id, group: r.target.group, expected: r.target.expected, verdict: outcomeOf(r), score: r.result?.score, reasons: r.result?.reasons, error: r.fetchError, gone: r.gone || undefined, cached: r.cached || undefined, ms: Math.round(r.ms) };
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`eval: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 2;
  },
);
