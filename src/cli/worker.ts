// `tollgate worker --queue redis://... --store postgres://...`: the scanning half of the distributed
// mode. `tollgate watch --queue redis://...` follows the feed and enqueues versions; any number of
// workers, on any machines, take them, scan them, store results in PostgreSQL and report each
// version once.
import path from 'node:path';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';
import { checkRedisUrl, QueueUnavailableError } from '../feed/bullmq-queue.js';
import { PgStore, PgStoreError } from '../feed/pg-store.js';
import { redactUrl } from '../io/redact.js';
import { startScanWorker } from '../feed/worker.js';
import { NPM_REGISTRY_URL } from '../feed/follower.js';
import type { WatchResult } from '../feed/types.js';
import { resultReporter, ReporterUsageError } from '../feed/report-result.js';
import { renderCommandHelp, type CommandArgs, wholeNumber } from './options.js';
import { WORKER } from './commands.js';

export const WORKER_HELP = renderCommandHelp(WORKER);

class WorkerUsageError extends Error {}

export interface WorkerCommandOptions {
  /** Stops the worker like SIGTERM does (tests run the command in-process). */
  signal?: AbortSignal;
}

export async function workerCommand(args: CommandArgs<typeof WORKER.options>, options: WorkerCommandOptions = {}): Promise<number> {
  try {
    return await worker(args, options);
  } catch (err) {
    if (err instanceof QueueUnavailableError || err instanceof PgStoreError) {
      process.stderr.write(`tollgate worker: ${err.message}\n`);
      return 2;
    }
    if (err instanceof WorkerUsageError || err instanceof ReporterUsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tollgate worker: ${(err as Error).message}\nRun \`tollgate worker --help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`tollgate worker: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
}

async function worker({ values, positionals }: CommandArgs<typeof WORKER.options>, options: WorkerCommandOptions): Promise<number> {
  if (positionals.length) throw new WorkerUsageError(`worker takes no positional arguments (got "${positionals[0]}")`);
  if (!values.queue) throw new WorkerUsageError('--queue redis://... is required: the Redis that `tollgate watch --queue` enqueues into');
  const badQueue = checkRedisUrl(values.queue);
  if (badQueue) throw new WorkerUsageError(badQueue);
  if (!values.store) throw new WorkerUsageError('--store postgres://... is required: the PostgreSQL database all workers store results in');
  if (!/^postgres(ql)?:\/\//i.test(values.store)) throw new WorkerUsageError(`--store must be a postgres:// URL for workers (results are shared between machines); got "${values.store}"`);
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64, (m) => new WorkerUsageError(m));
  const lockMs = Number(process.env.TOLLGATE_WORKER_LOCK_MS ?? 60_000);
  if (!Number.isFinite(lockMs) || lockMs < 1000) throw new WorkerUsageError(`TOLLGATE_WORKER_LOCK_MS must be at least 1000 (got "${process.env.TOLLGATE_WORKER_LOCK_MS}")`);
  const log = values.quiet ? () => undefined : (m: string) => process.stderr.write(`tollgate worker: ${m}\n`);

  const report = resultReporter({ json: values.json!, webhook: values.webhook, osvDir: values['osv-dir'], log });
  const npmConfig = loadNpmConfig({ cwd: process.cwd() });
  const registry = values.registry ?? (typeof npmConfig.registry === 'string' ? npmConfig.registry : NPM_REGISTRY_URL);

  const store = await PgStore.open(values.store);
  const stop = stopSignals(options.signal);
  let cache: ResultCache | undefined;
  try {
    cache = ResultCache.open(path.join(defaultCacheDir(), 'results.sqlite'), engineKey(new Set()));
  } catch (err) {
    log(`results cache unavailable (${(err as Error).message}); previous versions are analyzed without it`);
  }
  let running: Awaited<ReturnType<typeof startScanWorker>> | undefined;
  try {
    running = await startScanWorker({
      queueUrl: values.queue,
      store,
      concurrency,
      lockMs,
      scan: { registry, npmConfig, results: cache, cacheDir: defaultCacheDir() },
      onStored: (r: WatchResult) => report(r),
      log,
    });
    log(`connected to ${redactUrl(values.queue)} and ${redactUrl(values.store)}; waiting for jobs (concurrency ${concurrency})`);
    const r = running;
    await stop.wait(() => {
      log('stopping: letting running scans finish (send the signal again to abandon them; another worker redoes them)');
    }, () => {
      log('abandoning running scans');
      void r.close(true);
    });
    await running.close();
    await report.drain();
    const s = running.stats;
    log(`stopped: ${s.stored} stored, ${s.duplicates} already stored by another worker, ${s.skipped} skipped (had a result), ${s.retried} retried, ${s.failed} failed`);
    return 0;
  } finally {
    stop.dispose();
    await running?.close(true);
    cache?.close();
    await store.close();
  }
}

/** SIGINT/SIGTERM (or an abort): the first stops gracefully, a second calls `again`. */
function stopSignals(signal: AbortSignal | undefined): { wait(first: () => void, again: () => void): Promise<void>; dispose(): void } {
  let stopping = false;
  let onFirst: (() => void) | undefined;
  let onAgain: (() => void) | undefined;
  let resolve: (() => void) | undefined;
  const stopped = new Promise<void>((r) => (resolve = r));
  const onSignal = (): void => {
    if (stopping) return onAgain?.();
    stopping = true;
    onFirst?.();
    resolve!();
  };
  // Registered before connecting, so a signal during start-up is not the default "kill now".
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  if (signal?.aborted) onSignal();
  return {
    wait(first, again) {
      onFirst = first;
      onAgain = again;
      if (stopping) first();
      return stopped;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      signal?.removeEventListener('abort', onSignal);
    },
  };
}
