/**
 * npm run eval: how well does the analyzer separate real malware from the most popular packages?
 * Scans ../shared/corpus/malicious/*.tgz (expected verdicts beside them) and the latest release
 * of each name in ../shared/corpus/benign-top300.txt, fetched live. Prints a confusion table,
 * per-package verdicts, rule hit counts and timing. It fails only when the analyzer crashes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { analyzeTarball, analyzeUnscored, collectRegistrySignals, scoreAnalyzed, type ScanOptions } from '../src/scan.js';
import { fetchTarball } from '../src/fetch/fetch.js';
import { loadNpmConfig } from '../src/fetch/npm-config.js';
import { ResultCache } from '../src/cache/results.js';
import { engineKey } from '../src/cache/version.js';
import type { ReportedPackage, Verdict } from '../src/types.js';
import { StatusLine } from '../src/report/style.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.resolve(root, '../shared/corpus');
const args = new Set(process.argv.slice(2));
const limitArg = process.argv.find((a) => a.startsWith('--limit='));
const benignLimit = limitArg ? Number(limitArg.split('=')[1]) : Infinity;

type Expected = 'malicious' | 'suspicious' | 'suspicious-or-clean' | 'clean';
interface Row {
  id: string;
  group: 'malicious' | 'protestware' | 'benign';
  expected: Expected;
  result?: ReportedPackage;
  crash?: string;
  fetchError?: string;
  ms: number;
  bytes: number;
}

function matches(expected: Expected, got: Verdict): boolean {
  if (expected === 'suspicious-or-clean') return got === 'suspicious' || got === 'clean';
  return expected === got;
}

async function main(): Promise<number> {
  if (!fs.existsSync(corpus)) {
    console.log(`eval: ${corpus} not found; the corpus lives in ../shared beside the checkout. Nothing to measure.`);
    return 0;
  }
  const rows: Row[] = [];
  const t0 = performance.now();
  let registryMs = 0;

  // Real malware: read the bytes, analyze in memory; nothing is extracted to disk.
  const malDir = path.join(corpus, 'malicious');
  for (const f of fs.readdirSync(malDir).filter((x) => x.endsWith('.tgz')).sort()) {
    const metaPath = path.join(malDir, f.replace(/\.tgz$/, '.json'));
    const meta = fs.existsSync(metaPath) ? (JSON.parse(fs.readFileSync(metaPath, 'utf8')) as { expected_verdict?: Expected }) : {};
    const expected = meta.expected_verdict ?? 'malicious';
    const row: Row = { id: f.replace(/\.tgz$/, ''), group: expected === 'malicious' ? 'malicious' : 'protestware', expected, ms: 0, bytes: 0 };
    const s = performance.now();
    try {
      row.result = await analyzeTarball({ data: fs.readFileSync(path.join(malDir, f)), spec: f, source: 'file' });
      row.bytes = row.result.timing?.bytes ?? 0;
    } catch (err) {
      row.crash = (err as Error).stack ?? String(err);
    }
    row.ms = performance.now() - s;
    rows.push(row);
  }

  // The most popular packages, fetched live (pacote's cache makes reruns cheap).
  if (!args.has('--no-benign')) {
    const names = fs.readFileSync(path.join(corpus, 'benign-top300.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, benignLimit);
    const npmConfig = loadNpmConfig({ cwd: root });
    // Registry specs get registry signals, as `tollgate scan` gives them (packuments and analyses of
    // previous versions cached under .eval-cache/); --no-registry-signals measures code alone.
    let results: ResultCache | undefined;
    const withRegistry = !args.has('--no-registry-signals');
    if (withRegistry) {
      try {
        results = ResultCache.open(path.join(root, '.eval-cache', 'results.sqlite'), engineKey());
      } catch (err) {
        console.log(`eval: results cache unavailable (${(err as Error).message})`);
      }
    }
    const scanOptions: ScanOptions = {
      fetch: { npmConfig },
      registry: withRegistry ? { cacheDir: path.join(root, '.eval-cache', 'registry'), results } : undefined,
    };
    const fetchLimit = pLimit(8);
    const status = process.stderr.isTTY ? new StatusLine(process.stderr) : undefined;
    let done = 0;
    const fetched = names.map((name) =>
      fetchLimit(async () => {
        try {
          return { name, t: await fetchTarball(`${name}@latest`, { npmConfig }) };
        } catch (err) {
          return { name, error: (err as Error).message };
        }
      }),
    );
    for (const p of fetched) {
      const item = await p;
      const row: Row = { id: item.name, group: 'benign', expected: 'clean', ms: 0, bytes: 0 };
      if ('error' in item) row.fetchError = item.error;
      else {
        const s = performance.now();
        const registryBefore = registryMs;
        try {
          const analyzed = await analyzeUnscored({ ...item.t, source: 'registry' });
          const r0 = performance.now();
          const registryFindings = await collectRegistrySignals(item.t, analyzed, scanOptions);
          registryMs += performance.now() - r0;
          row.result = scoreAnalyzed(analyzed, registryFindings);
          row.id = `${row.result.name}@${row.result.version}`;
          row.bytes = row.result.timing?.bytes ?? 0;
        } catch (err) {
          row.crash = (err as Error).stack ?? String(err);
        }
        row.ms = performance.now() - s - (registryMs - registryBefore);
      }
      rows.push(row);
      done++;
      status?.show(`[${done}/${names.length}] ${row.id}`);
    }
    status?.clear();
    results?.close();
    if (withRegistry) console.log(`\nRegistry signals: ${(registryMs / 1000).toFixed(1)} s in total (packuments, previous versions fetched and analyzed${results ? `; results cache ${results.stats.hits} hits, ${results.stats.writes} writes` : ''})`);
  }

  // Confusion table.
  const verdicts: (Verdict | 'crash')[] = ['malicious', 'suspicious', 'clean', 'error', 'crash'];
  const groups: Row['group'][] = ['malicious', 'protestware', 'benign'];
  const verdictOf = (r: Row): Verdict | 'crash' => (r.crash ? 'crash' : r.fetchError ? 'error' : r.result!.verdict);
  console.log('\nConfusion table (rows: what the sample is; columns: Tollgate verdict)\n');
  console.log(`${'expected'.padEnd(26)}${verdicts.map((v) => v.padStart(12)).join('')}${'total'.padStart(8)}${'as expected'.padStart(14)}`);
  for (const g of groups) {
    const rs = rows.filter((r) => r.group === g);
    if (!rs.length) continue;
    const label = g === 'malicious' ? 'malicious (real malware)' : g === 'protestware' ? 'protestware (susp./clean)' : 'benign top-300';
    const ok = rs.filter((r) => r.result && matches(r.expected, r.result.verdict)).length;
    console.log(`${label.padEnd(26)}${verdicts.map((v) => String(rs.filter((r) => verdictOf(r) === v).length).padStart(12)).join('')}${String(rs.length).padStart(8)}${`${ok}/${rs.length}`.padStart(14)}`);
  }

  console.log('\nMalicious corpus, per sample:');
  for (const r of rows.filter((x) => x.group !== 'benign')) {
    const v = verdictOf(r);
    const ok = r.result && matches(r.expected, r.result.verdict) ? 'ok  ' : 'MISS';
    console.log(`  ${ok} ${v.padEnd(10)} ${String(r.result?.score ?? '-').padStart(3)}  ${r.id}  (expected ${r.expected})`);
    if (r.result && (args.has('--why') || !matches(r.expected, r.result.verdict))) console.log(`        ${r.result.reasons[0] ?? ''}`);
  }

  const noisy = rows.filter((r) => r.group === 'benign' && r.result && r.result.verdict !== 'clean');
  console.log(`\nBenign packages not judged clean (${noisy.length}):`);
  for (const r of noisy.sort((a, b) => b.result!.score - a.result!.score)) {
    console.log(`  ${r.result!.verdict.padEnd(10)} ${String(r.result!.score).padStart(3)}  ${r.id}`);
    for (const reason of r.result!.reasons.slice(0, 2)) console.log(`        ${reason.slice(0, 300)}`);
  }
  const errs = rows.filter((r) => r.fetchError);
  if (errs.length) {
    console.log(`\nCould not fetch (${errs.length}):`);
    for (const r of errs) console.log(`  ${r.id}: ${r.fetchError}`);
  }
  if (args.has('--all')) {
    console.log('\nAll benign verdicts:');
    for (const r of rows.filter((x) => x.group === 'benign' && x.result)) console.log(`  ${r.result!.verdict.padEnd(10)} ${String(r.result!.score).padStart(3)}  ${r.id}`);
  }

  // Rule hit counts (packages with at least one finding of severity above info).
  const hits = new Map<string, { mal: number; benign: number }>();
  for (const r of rows) {
    if (!r.result) continue;
    const rules = new Set(r.result.findings.filter((f) => f.severity !== 'info').map((f) => f.rule));
    for (const rule of rules) {
      const h = hits.get(rule) ?? { mal: 0, benign: 0 };
      if (r.group === 'benign') h.benign++;
      else h.mal++;
      hits.set(rule, h);
    }
  }
  console.log('\nRule hits (packages with a finding above info):');
  console.log(`  ${'rule'.padEnd(20)}${'malware'.padStart(9)}${'benign'.padStart(9)}`);
  for (const [rule, h] of [...hits].sort((a, b) => b[1].mal + b[1].benign - (a[1].mal + a[1].benign))) {
    console.log(`  ${rule.padEnd(20)}${String(h.mal).padStart(9)}${String(h.benign).padStart(9)}`);
  }

  // Timing.
  const analyzed = rows.filter((r) => r.result);
  const bytes = analyzed.reduce((a, r) => a + r.bytes, 0);
  const ms = analyzed.reduce((a, r) => a + r.ms, 0);
  const slowest = [...analyzed].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(`\nTiming: ${analyzed.length} packages, ${(bytes / 1e6).toFixed(1)} MB of code analyzed in ${(ms / 1000).toFixed(1)} s (${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s, unpack included); wall ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  slowest: ${slowest.map((r) => `${r.id} ${(r.ms / 1000).toFixed(2)}s`).join(', ')}`);

  const crashes = rows.filter((r) => r.crash);
  fs.mkdirSync(path.join(root, '.eval-cache'), { recursive: true });
  fs.writeFileSync(
    path.join(root, '.eval-cache', 'last.json'),
    JSON.stringify(rows.map((r) => ({ id: r.id, group: r.group, expected: r.expected, verdict: verdictOf(r), score: r.result?.score, reasons: r.result?.reasons, ms: Math.round(r.ms) })), null, 1),
  );
  if (crashes.length) {
    console.log(`\n${crashes.length} CRASH(ES):`);
    for (const r of crashes) console.log(`  ${r.id}: ${r.crash}`);
    return 1;
  }
  console.log('\n0 crashes.');
  return 0;
}

main().then((code) => (process.exitCode = code));
