// The embedded watch pipeline, in one process: follower -> SQLite queue -> scans (bounded
// concurrency) -> SQLite results -> reporter. The three parts only meet in the store, so each can
// stop at any moment: a SIGKILL loses at most work in flight, which the store hands out again.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WatchResult, VersionJob } from './types.js';
import { Follower, type FollowerOptions, type PollResult } from './follower.js';
import { Reporter, type Sink } from './alerts.js';
import { scanVersion, type ScanVersionOptions } from './scan-version.js';
import { backoffDelay } from './http.js';
import { ScratchCache } from './scratch-cache.js';
import type { ClaimedJob, SqliteStore } from './sqlite-store.js';

export interface WatchOptions {
  follower: Omit<FollowerOptions, 'signal' | 'log'>;
  scan: Omit<ScanVersionOptions, 'fetchCache'>;
  /** Scans at once (default 4). */
  concurrency?: number;
  /** Drain the feed, scan everything, deliver, return. */
  once?: boolean;
  /** Live mode: wait between polls once caught up (default 30 s). */
  pollIntervalMs?: number;
  /** Scans of a version that ended in `error` before it is stored as error (default 3). */
  scanAttempts?: number;
  /** First wait before re-scanning an errored version (default 30 s, doubling). */
  scanRetryBaseMs?: number;
  /** Live mode: stop reading the feed while this many versions wait (default 10 000). */
  maxBacklog?: number;
  /** After a stop request, how long in-flight scans may take before they are put back (default 20 s). */
  stopGraceMs?: number;
  sinks: Sink[];
  /** Progress and retries (stderr unless --quiet). */
  log?: (m: string) => void;
  /** What must be seen even when quiet: alerts given up on, results that could not be recorded. Default: log. */
  warn?: (m: string) => void;
  /** Abort to stop: polling ends, scans finish or go back to the queue, the store is left consistent. */
  signal?: AbortSignal;
  /** The scanner (tests may wrap it); default scanVersion. */
  scanFn?: (job: VersionJob, options: ScanVersionOptions) => Promise<WatchResult>;
  onPoll?: (r: PollResult) => void;
  onScanned?: (r: WatchResult, stored: boolean) => void;
}

export interface WatchSummary {
  polls: number;
  versionsQueued: number;
  scanned: number;
  stored: number;
  byVerdict: Record<string, number>;
  requeuedAtStart: number;
  /** Scans put back in the queue because a stop came before they finished. */
  releasedAtStop: number;
  gaveUp: number;
  /** Why the watch ended early (feed refused us, or kept failing in --once). */
  error?: string;
}

export async function runWatch(store: SqliteStore, options: WatchOptions): Promise<WatchSummary> {
  const log = options.log ?? (() => undefined);
  const warn = options.warn ?? log;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const scanAttempts = Math.max(1, options.scanAttempts ?? 3);
  const retryBase = options.scanRetryBaseMs ?? 30_000;
  const scanFn = options.scanFn ?? scanVersion;
  const stop = options.signal;
  const summary: WatchSummary = { polls: 0, versionsQueued: 0, scanned: 0, stored: 0, byVerdict: {}, requeuedAtStart: 0, releasedAtStop: 0, gaveUp: 0 };

  summary.requeuedAtStart = store.acquire();
  if (summary.requeuedAtStart) log(`${summary.requeuedAtStart} scan(s) left unfinished by a previous run are queued again`);

  // The reporter has its own stop: on shutdown it may finish what it is sending, within the grace.
  const reportStop = new AbortController();
  const reporter = new Reporter(store, options.sinks, warn, reportStop.signal);
  reporter.wake(); // whatever a previous run committed but did not deliver

  const cache = new ScratchCache();
  let wakeScanner: (() => void) | undefined;
  const wake = (): void => {
    wakeScanner?.();
    wakeScanner = undefined;
  };
  const followerAbort = new AbortController();
  const onStop = (): void => {
    followerAbort.abort(stop?.reason);
    wake();
  };
  stop?.addEventListener('abort', onStop, { once: true });
  if (stop?.aborted) onStop();

  const follower = new Follower(store, { ...options.follower, signal: followerAbort.signal, log });
  const onPoll = (r: PollResult): void => {
    summary.polls++;
    summary.versionsQueued += r.newJobs;
    if (r.newJobs) wake();
    options.onPoll?.(r);
  };

  let followerDone = false;
  const following = (async () => {
    try {
      if (options.once) await follower.drain(onPoll);
      else await follower.run(options.pollIntervalMs ?? 30_000, { onPoll, backlog: async () => store.counts().pending, maxBacklog: options.maxBacklog ?? 10_000 });
    } catch (err) {
      if (!followerAbort.signal.aborted) {
        summary.error = (err as Error).message;
        log(`stopped following: ${(err as Error).message}`);
      }
    } finally {
      followerDone = true;
      summary.gaveUp = follower.stats.gaveUp;
      wake();
    }
  })();

  const inflight = new Map<number, Promise<void>>();
  const runJob = (job: ClaimedJob): void => {
    const scratch = cache.take();
    const p = (async () => {
      const result = await scanFn(job, { ...options.scan, fetchCache: scratch.dir });
      if (stop?.aborted && result.verdict === 'error') {
        // Probably cut short by the stop itself: not a verdict, scan it again next run.
        store.release([job.id]);
        summary.releasedAtStop++;
        return;
      }
      if (result.verdict === 'error' && job.attempts + 1 < scanAttempts) {
        const wait = backoffDelay(job.attempts, { baseMs: retryBase, maxMs: 30 * 60_000 });
        log(`${job.name}@${job.version}: ${result.error}; scanning again in ${(wait / 1000).toFixed(1)} s (try ${job.attempts + 2}/${scanAttempts})`);
        store.retryLater(job.id, result.error ?? 'error', Date.now() + wait);
        return;
      }
      const stored = store.complete(job.id, result);
      summary.scanned++;
      if (stored) {
        summary.stored++;
        summary.byVerdict[result.verdict] = (summary.byVerdict[result.verdict] ?? 0) + 1;
      }
      options.onScanned?.(result, stored);
      reporter.wake();
    })()
      .catch((err: unknown) => {
        // The store refused (disk full, closed): the job stays running and is requeued at next start.
        warn(`${job.name}@${job.version}: could not record the scan (${(err as Error).message}); it will be scanned again on restart`);
      })
      .finally(() => {
        scratch.release();
        inflight.delete(job.id);
        wake();
      });
    inflight.set(job.id, p);
  };

  try {
    for (;;) {
      // A failed feed stops the follower, not the scanning: what it queued is still scanned.
      if (!stop?.aborted) for (const job of store.claim(concurrency - inflight.size)) runJob(job);
      if (stop?.aborted) break;
      if (followerDone && inflight.size === 0 && store.counts().pending === 0) break;
      const due = store.nextDueAt();
      const waitMs = Math.max(10, Math.min(1000, due !== undefined ? due - Date.now() : 1000));
      await new Promise<void>((resolve) => {
        wakeScanner = resolve;
        setTimeout(resolve, waitMs).unref();
      });
    }
    // Stopping (or the feed failed): let scans in flight finish within the grace, put the rest back.
    if (inflight.size) {
      // Unref'd: once the scans are done, this timer must not keep the process alive.
      const grace = sleep(options.stopGraceMs ?? 20_000, 'timeout' as const, { ref: false });
      const all = Promise.all([...inflight.values()]).then(() => 'done' as const);
      if ((await Promise.race([all, grace])) === 'timeout') {
        const left = [...inflight.keys()];
        store.release(left);
        summary.releasedAtStop += left.length;
        log(`${left.length} scan(s) still running at stop were put back in the queue`);
      }
    }
    followerAbort.abort();
    await following;
    // Deliver what was committed; on a stop request only within the grace (the rest goes next run).
    if (stop?.aborted) {
      const t = setTimeout(() => reportStop.abort(), options.stopGraceMs ?? 20_000);
      await reporter.drain();
      clearTimeout(t);
    } else await reporter.drain();
    return summary;
  } finally {
    stop?.removeEventListener('abort', onStop);
    reportStop.abort();
    cache.close();
  }
}
