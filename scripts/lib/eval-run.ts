// Fetch and analyze the eval's targets: downloads overlap (through npm's download cache, so a rerun
// reads them back from disk), analysis runs one package at a time on this thread, and registry
// signals (packument, previous release) overlap the next analysis, at most a few at once so that
// only a handful of unpacked packages are ever in memory.
//
// Results are cached per tarball integrity under the engine's identity: a rerun with the same engine
// serves them from .eval-cache/results.sqlite, and any change to a rule, the scorer or the engine
// analyzes everything again.
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { analyzeTarball, analyzeUnscored, collectRegistrySignals, scoreAnalyzed, type ScanOptions } from '../../src/scan.js';
import { fetchTarball, FetchError, type FetchedTarball } from '../../src/fetch/fetch.js';
import type { ResultCache } from '../../src/cache/results.js';
import { resultKey } from '../../src/registry/release-diff.js';
import type { ReportedPackage, Verdict } from '../../src/types.js';
import type { EvalTarget } from './eval-corpus.js';

export interface Row {
  target: EvalTarget;
  /** name@version once known (the resolved version for `latest` targets), else the target's id. */
  id: string;
  result?: ReportedPackage;
  /** The analyzer threw: the only failure that fails the eval. */
  crash?: string;
  fetchError?: string;
  /** The registry no longer serves it (unpublished, removed for security): listed, not a failure of Tollgate. */
  gone?: boolean;
  cached: boolean;
  /** Analysis time (unpack included), registry step excluded. */
  ms: number;
  /** Time in the registry step (packument, previous release fetched and analyzed). */
  registryMs: number;
  bytes: number;
}

export type Outcome = Verdict | 'crash';

export function outcomeOf(r: Row): Outcome {
  if (r.crash) return 'crash';
  if (r.fetchError || !r.result) return 'error';
  return r.result.verdict;
}

export interface RunOptions {
  npmConfig: Record<string, unknown>;
  /** Registry signals as `tollgate scan` gives them; absent: code evidence only. */
  registry?: ScanOptions['registry'];
  /** Cache of eval results (and of code-only analyses, shared with release diffs). */
  results?: ResultCache;
  /** Downloads (and registry steps) in flight at once. */
  concurrency: number;
  onRow?: (row: Row, done: number, total: number) => void;
}

/** Codes the registry answers for a name or version it no longer serves. */
const GONE_CODES = new Set(['E404', 'E410', 'E451', 'ETARGET', 'ENOVERSIONS']);

/** Cache key of a finished eval verdict, by tarball integrity and whether registry signals were in it. */
export function evalKey(integrity: string, withRegistry: boolean): string {
  return withRegistry ? `eval-registry:${resultKey(integrity)}` : resultKey(integrity);
}

export async function runTargets(targets: readonly EvalTarget[], opts: RunOptions): Promise<Row[]> {
  const limit = pLimit(Math.max(1, opts.concurrency));
  // One analysis at a time: analysis is single-threaded, and each one holds an unpacked package.
  const analyzeLimit = pLimit(1);
  // The registry step may analyze the previous release; two at once keep the network busy while
  // bounding how many unpacked packages wait in memory.
  const registryLimit = pLimit(2);
  const withRegistry = !!opts.registry;
  const scanOptions: ScanOptions = { fetch: { npmConfig: opts.npmConfig }, registry: opts.registry };
  let done = 0;

  const one = async (t: EvalTarget): Promise<Row> => {
    const row: Row = { target: t, id: t.id, cached: false, ms: 0, registryMs: 0, bytes: 0 };
    if (t.kind === 'file') {
      // Real malware: read the bytes, analyze in memory; nothing is extracted to disk.
      const data = fs.readFileSync(t.spec);
      await analyzeLimit(async () => {
        try {
          row.result = await analyzeTarball({ data, spec: path.basename(t.spec), source: 'file' });
          row.ms = row.result.timing?.analyzeMs ?? 0;
          row.bytes = row.result.timing?.bytes ?? 0;
        } catch (err) {
          row.crash = (err as Error).stack ?? String(err);
        }
      });
      return row;
    }

    const before = t.integrity ? opts.results?.get(evalKey(t.integrity, withRegistry)) : undefined;
    if (before) return cachedRow(row, before);
    let fetched: FetchedTarball;
    try {
      fetched =
        t.kind === 'url'
          ? { ...(await fetchTarball(t.spec, { npmConfig: opts.npmConfig, integrity: t.integrity, skipIdentity: true })), name: t.name, version: t.version, source: 'registry' }
          : await fetchTarball(t.spec, { npmConfig: opts.npmConfig });
    } catch (err) {
      const code = err instanceof FetchError ? err.code : undefined;
      row.fetchError = (err as Error).message;
      row.gone = code !== undefined && GONE_CODES.has(code);
      return row;
    }
    if (fetched.name && fetched.version) row.id = `${fetched.name}@${fetched.version}`;
    const after = fetched.integrity ? opts.results?.get(evalKey(fetched.integrity, withRegistry)) : undefined;
    if (after) return cachedRow(row, after);

    try {
      const analyzed = await analyzeLimit(() => analyzeUnscored({ ...fetched, source: 'registry' }, { release: true }));
      fetched.data = Buffer.alloc(0);
      const codeOnly = scoreAnalyzed(analyzed);
      // The code-only result is what a release diff of the next version compares against.
      if (fetched.integrity) opts.results?.put(resultKey(fetched.integrity), codeOnly);
      const signals = withRegistry
        ? await registryLimit(async () => {
            const started = performance.now();
            const found = await collectRegistrySignals(fetched, analyzed, scanOptions);
            row.registryMs = performance.now() - started;
            return found;
          })
        : [];
      const result = withRegistry ? scoreAnalyzed(analyzed, signals) : codeOnly;
      if (withRegistry && fetched.integrity) opts.results?.put(evalKey(fetched.integrity, true), result);
      row.result = result;
      row.ms = result.timing?.analyzeMs ?? 0;
      row.bytes = result.timing?.bytes ?? 0;
    } catch (err) {
      row.crash = (err as Error).stack ?? String(err);
    }
    return row;
  };

  return Promise.all(
    targets.map((t) =>
      limit(async () => {
        const row = await one(t);
        done++;
        opts.onRow?.(row, done, targets.length);
        return row;
      }),
    ),
  );
}

function cachedRow(row: Row, result: ReportedPackage): Row {
  row.result = result;
  row.cached = true;
  // A lockfile target keeps the lockfile's identity; a `latest` one learns its version here.
  if (row.target.kind === 'latest') row.id = `${result.name}@${result.version}`;
  row.bytes = result.timing?.bytes ?? 0;
  return row;
}
