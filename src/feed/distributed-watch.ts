// `tollgate watch --queue redis://...`: the following half of the distributed mode. The same
// Follower as the embedded mode, but the versions it finds go into BullMQ for `tollgate worker`
// processes, and only the follower's cursor and state live in --store (the SQLite file by default,
// or PostgreSQL). Nothing is scanned here.
//
// Crash safety: each page's jobs are enqueued before the cursor moves (followerStoreFrom), so a
// watcher killed between the two re-reads that page on restart; the re-enqueue is a no-op because
// job ids are the versions' identities (bullmq-queue.ts), and the result store reports each
// version once whatever happens in the queue.
import { BullmqJobQueue, type BullmqQueueOptions } from './bullmq-queue.js';
import { Follower, followerStoreFrom, type FollowerOptions, type PollResult } from './follower.js';
import { openResultStore } from './open-store.js';
import type { ResultStore } from './types.js';

export interface DistributedWatchOptions {
  /** redis:// URL of the queue the workers read. */
  queueUrl: string;
  queue?: Omit<BullmqQueueOptions, 'connectTimeoutMs'>;
  /** Where the follower's cursor lives: a SQLite file path or a postgres:// URL. */
  store: string;
  follower: Omit<FollowerOptions, 'signal' | 'log'>;
  /** Drain the feed (and its pending rechecks) into the queue, then return. */
  once?: boolean;
  /** Live mode: wait between polls once caught up (default 30 s). */
  pollIntervalMs?: number;
  /** Live mode: stop reading the feed while this many jobs wait in the queue (default 10 000): workers are behind. */
  maxBacklog?: number;
  log?: (m: string) => void;
  signal?: AbortSignal;
  onPoll?: (r: PollResult) => void;
}

export interface DistributedWatchSummary {
  polls: number;
  /** Versions put in the queue that were not there before. */
  versionsQueued: number;
  gaveUp: number;
  /** Why following ended early (the feed refused us, or kept failing in --once). */
  error?: string;
}

/** Follow the feed into the BullMQ queue. Throws QueueUnavailableError / PgStoreError when Redis or the store cannot be reached at start. */
export async function runDistributedWatch(o: DistributedWatchOptions): Promise<DistributedWatchSummary> {
  const log = o.log ?? (() => undefined);
  const queue = await BullmqJobQueue.open(o.queueUrl, o.queue);
  let cursors: ResultStore | undefined;
  try {
    cursors = await openResultStore(o.store);
    const follower = new Follower(followerStoreFrom(queue, cursors, { log }), { ...o.follower, signal: o.signal, log });
    const summary: DistributedWatchSummary = { polls: 0, versionsQueued: 0, gaveUp: 0 };
    const onPoll = (r: PollResult): void => {
      summary.polls++;
      summary.versionsQueued += r.newJobs;
      o.onPoll?.(r);
    };
    try {
      if (o.once) await follower.drain(onPoll);
      else
        await follower.run(o.pollIntervalMs ?? 30_000, {
          onPoll,
          backlog: async () => queue.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed'),
          maxBacklog: o.maxBacklog ?? 10_000,
        });
    } catch (err) {
      if (!o.signal?.aborted) {
        summary.error = (err as Error).message;
        log(`stopped following: ${(err as Error).message}`);
      }
    }
    summary.gaveUp = follower.stats.gaveUp;
    return summary;
  } finally {
    await cursors?.close();
    await queue.close();
  }
}
