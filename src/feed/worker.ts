// A scan worker for the distributed mode: takes versions from the BullMQ queue the watcher fills,
// scans each with scanVersion (the same pipeline as the embedded mode), stores the result in the
// shared ResultStore (PostgreSQL) and reports it. Run as many as you like, on as many machines.
//
// Exactly once, across crashes and retries:
// - BullMQ hands a job to one worker at a time; a worker that dies (SIGKILL, OOM) stops renewing
//   its lock and the job goes back to waiting ("stalled") for another worker to redo from scratch.
// - The store is the arbiter: putResult is true for the first result of a name@version+integrity
//   only, and only then is the result reported. A job redone after a crash between store and ack
//   stores nothing new and reports nothing.
// - Before scanning, a version that already has a result is skipped (a job enqueued again after
//   Redis forgot the first one costs one look-up, not a scan).
import { WaitingError, Worker, type Job } from 'bullmq';
import { scanVersion, errorWatchResult, type ScanVersionOptions } from './scan-version.js';
import { DEFAULT_QUEUE_NAME, describeRedisError, checkRedisUrl, redisConnection, waitReady, type ScanJobData, QueueUnavailableError } from './bullmq-queue.js';
import { jobKey, type ResultStore, type VersionJob, type WatchResult } from './types.js';
import { ScratchCache } from './scratch-cache.js';

export interface ScanWorkerOptions {
  /** redis:// URL of the queue the watcher fills. */
  queueUrl: string;
  store: ResultStore;
  /** Scans at once in this process (default 2). Analysis is CPU-bound: more processes scale, more concurrency mostly overlaps downloads. */
  concurrency?: number;
  scan?: ScanVersionOptions;
  /** Called once per version, after its result was stored for the first time. Errors are logged, never retried. */
  onStored?: (result: WatchResult) => Promise<void> | void;
  /** Diagnostics (stderr in the CLI). */
  log?: (message: string) => void;
  queueName?: string;
  prefix?: string;
  /**
   * How long a job stays claimed without a lock renewal before another worker takes it over.
   * Analysis runs on the event loop, so this must exceed the longest synchronous stretch of one
   * scan, or a busy worker's job would be handed to another (harmless thanks to the store, but
   * wasted work). Default 60 s.
   */
  lockMs?: number;
  /** How many times a job may be orphaned by a dying worker before it is failed (default 3): a package that kills every worker that scans it must not kill them forever. */
  maxStalled?: number;
  connectTimeoutMs?: number;
  /** Scan function (tests inject a slow or failing one); default scanVersion. */
  scanFn?: (job: VersionJob, options: ScanVersionOptions) => Promise<WatchResult>;
}

export interface RunningWorker {
  worker: Worker<ScanJobData>;
  /** Stop taking jobs, let the running ones finish (force: abandon them to be redone), disconnect. */
  close(force?: boolean): Promise<void>;
  /** Counters for progress output. */
  stats: { scanned: number; stored: number; duplicates: number; skipped: number; retried: number; failed: number };
}

/** What a job returns to BullMQ (kept in Redis with the completed job, so small). */
interface JobOutcome {
  verdict: WatchResult['verdict'] | 'already-stored';
  stored: boolean;
}

/** A scan that came back `error` before the last attempt: thrown so BullMQ retries with backoff. */
class RetryableScanError extends Error {
  override name = 'RetryableScanError';
}

export async function startScanWorker(o: ScanWorkerOptions): Promise<RunningWorker> {
  const bad = checkRedisUrl(o.queueUrl);
  if (bad) throw new QueueUnavailableError(bad);
  const log = o.log ?? (() => undefined);
  const scan = o.scanFn ?? scanVersion;
  const cache = new ScratchCache();
  let closing = false;
  const stats: RunningWorker['stats'] = { scanned: 0, stored: 0, duplicates: 0, skipped: 0, retried: 0, failed: 0 };

  const report = async (result: WatchResult): Promise<void> => {
    try {
      await o.onStored?.(result);
    } catch (err) {
      // Already stored: retrying the job would not report it again, so say it here.
      log(`${jobKey(result)}: stored as ${result.verdict}, but reporting it failed: ${(err as Error).message}`);
    }
  };

  const processJob = async (job: Job<ScanJobData>, token?: string): Promise<JobOutcome> => {
    const v = job.data;
    if (await o.store.hasResult(v.name, v.version, v.integrity ?? null)) {
      stats.skipped++;
      return { verdict: 'already-stored', stored: false };
    }
    // A private, rotating download cache: a worker downloads every package on npm, which must not
    // fill the user's npm cache (see ScratchCache).
    const scratch = cache.take();
    let result: WatchResult;
    try {
      result = await scan(v, { ...o.scan, fetchCache: scratch.dir });
    } finally {
      scratch.release();
    }
    stats.scanned++;
    const attempts = job.opts.attempts ?? 1;
    // An error while shutting down is probably the shutdown itself (its download folder removed):
    // not a verdict. Put the job back for another worker without using up one of its attempts.
    if (result.verdict === 'error' && closing) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (result.verdict === 'error' && job.attemptsMade + 1 < attempts) {
      stats.retried++;
      throw new RetryableScanError(result.error ?? `${jobKey(v)} could not be analyzed`);
    }
    const fresh = await o.store.putResult(result);
    if (fresh) {
      stats.stored++;
      await report(result);
    } else stats.duplicates++;
    return { verdict: result.verdict, stored: fresh };
  };

  let worker: Worker<ScanJobData>;
  try {
    worker = new Worker<ScanJobData>(o.queueName ?? DEFAULT_QUEUE_NAME, processJob, {
      connection: redisConnection(o.queueUrl),
      prefix: o.prefix,
      concurrency: Math.max(1, o.concurrency ?? 2),
      lockDuration: o.lockMs ?? 60_000,
      // Stalled jobs are looked for every half lock: a killed worker's job is back within ~1.5 locks.
      stalledInterval: Math.max(1000, Math.floor((o.lockMs ?? 60_000) / 2)),
      maxStalledCount: o.maxStalled ?? 3,
      autorun: false,
    });
  } catch (err) {
    cache.close();
    throw describeRedisError(o.queueUrl, err as Error);
  }
  try {
    await waitReady(worker, o.queueUrl, o.connectTimeoutMs ?? 10_000);
  } catch (err) {
    cache.close();
    throw err;
  }

  // A job that ran out of attempts (the store was down each time) or was orphaned by dying workers
  // too often: record it as `error` so it is visible in the store and never mistaken for clean.
  const pending = new Set<Promise<void>>();
  worker.on('failed', (job, err) => {
    if (!job) return;
    const stalled = /stalled more than allowable limit/.test(err.message);
    if (!stalled && job.attemptsMade < (job.opts.attempts ?? 1)) return; // BullMQ retries it after the backoff
    stats.failed++;
    const message = stalled
      ? `${jobKey(job.data)}: its scan stopped the worker process more than ${o.maxStalled ?? 3} times (crash or out of memory on this package?); not analyzed`
      : `${jobKey(job.data)}: gave up after ${job.attemptsMade} attempts: ${err.message}`;
    log(message);
    const recording = (async () => {
      try {
        const failed = errorWatchResult(job.data, message);
        if (await o.store.putResult(failed)) await report(failed);
      } catch (storeErr) {
        log(`${jobKey(job.data)}: could not record the failure in the store either (${(storeErr as Error).message}); the failed job stays in the queue for a retry`);
      }
    })();
    pending.add(recording);
    void recording.finally(() => pending.delete(recording));
  });
  worker.on('error', (err) => log(`queue: ${err.message}`));

  void worker.run().catch((err: Error) => log(`worker stopped: ${err.message}`));
  return {
    worker,
    stats,
    close: async (force = false) => {
      closing = true;
      await worker.close(force).catch(() => undefined);
      await Promise.all(pending);
      cache.close();
    },
  };
}
