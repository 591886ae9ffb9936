// `tollgate worker --queue redis://... --store postgres://...`: the scanning half of the distributed
// mode. `tollgate watch --queue redis://...` follows the feed and enqueues versions; any number of
// workers, on any machines, take them, scan them, store results in PostgreSQL and report each
// version once.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';
import { checkRedisUrl, QueueUnavailableError } from '../feed/bullmq-queue.js';
import { PgStore, PgStoreError, redactUrl } from '../feed/pg-store.js';
import { startScanWorker } from '../feed/worker.js';
import { NPM_REGISTRY_URL } from '../feed/follower.js';
import type { WatchResult } from '../feed/types.js';
import { resultReporter, ReporterUsageError } from '../feed/report-result.js';

export const WORKER_HELP = `tollgate worker: scan the versions \`tollgate watch --queue\` enqueues (distributed mode)

Usage:
  tollgate worker --queue redis://HOST:6379 --store postgres://USER@HOST/DB [options]

Takes versions from the BullMQ queue in Redis, scans each (never running its code), stores the
result in PostgreSQL and reports it: one line per version on stdout, alerts for malicious and
suspicious ones. Start as many workers as you like, on as many machines: each version is scanned
by one worker at a time and reported once, even when a worker dies mid-scan (its job goes back to
the queue after the lock timeout) or a job is retried. Stop with Ctrl-C / SIGTERM: running scans
finish first (a second signal abandons them; they are redone by another worker).

Options:
  --queue <url>          Redis the watcher enqueues into (redis:// or rediss://)     required
  --store <url>          PostgreSQL for results (postgres://), shared by all workers  required
  --concurrency <n>      scans at once in this process (default 2; run more processes to use more cores)
  --registry <url>       where tarballs and packuments come from (default: your npm config's, else npm's)
  --json                 one JSON line per scanned version on stdout
  --webhook <url>        POST malicious and suspicious versions there (Slack-compatible body)
  --osv-dir <dir>        write an OSV record (OpenSSF malicious-packages format) per malicious version
  --quiet                no diagnostics on stderr

Environment:
  TOLLGATE_WORKER_LOCK_MS  how long a job stays claimed without a renewal before it is taken
                           over (default 60000); lower it only if scans never block that long
  TOLLGATE_CACHE_DIR       results cache for previous versions (release diff), shared with scan

Exit codes: 0 stopped by a signal; 2 usage error, or Redis or PostgreSQL unreachable at start.
Examples:
  tollgate watch  --queue redis://10.0.0.5:6379 --store postgres://tollgate@10.0.0.6/tollgate
  tollgate worker --queue redis://10.0.0.5:6379 --store postgres://tollgate@10.0.0.6/tollgate --webhook https://hooks.slack.com/...
  tollgate results --store postgres://tollgate@10.0.0.6/tollgate --since 24h --verdict malicious
`;

class WorkerUsageError extends Error {}

export interface WorkerCommandOptions {
  /** Stops the worker like SIGTERM does (tests run the command in-process). */
  signal?: AbortSignal;
}

export async function workerCommand(argv: string[], options: WorkerCommandOptions = {}): Promise<number> {
  try {
    return await worker(argv, options);
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

async function worker(argv: string[], options: WorkerCommandOptions): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      queue: { type: 'string' },
      store: { type: 'string' },
      concurrency: { type: 'string', default: '2' },
      registry: { type: 'string' },
      json: { type: 'boolean', default: false },
      webhook: { type: 'string' },
      'osv-dir': { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return 0;
  }
  if (positionals.length) throw new WorkerUsageError(`worker takes no positional arguments (got "${positionals[0]}")`);
  if (!values.queue) throw new WorkerUsageError('--queue redis://... is required: the Redis that `tollgate watch --queue` enqueues into');
  const badQueue = checkRedisUrl(values.queue);
  if (badQueue) throw new WorkerUsageError(badQueue);
  if (!values.store) throw new WorkerUsageError('--store postgres://... is required: the PostgreSQL database all workers store results in');
  if (!/^postgres(ql)?:\/\//i.test(values.store)) throw new WorkerUsageError(`--store must be a postgres:// URL for workers (results are shared between machines); got "${values.store}"`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new WorkerUsageError(`--concurrency must be a whole number from 1 to 64 (got "${values.concurrency}")`);
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
