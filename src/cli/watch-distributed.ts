// `tollgate watch --queue redis://...`: follow the feed into BullMQ for `tollgate worker`s
// (src/feed/distributed-watch.ts). Called from src/cli/watch.ts once its options are checked.
import { runDistributedWatch } from '../feed/distributed-watch.js';
import type { FollowerOptions } from '../feed/follower.js';
import { checkRedisUrl } from '../feed/bullmq-queue.js';
import { redactUrl } from '../io/redact.js';

export interface WatchDistributedOptions {
  queueUrl: string;
  /** --store: SQLite file or postgres:// URL; holds the follower's cursor only. */
  store: string;
  follower: Omit<FollowerOptions, 'signal' | 'log'>;
  once: boolean;
  pollIntervalMs: number;
  log: (m: string) => void;
  warn: (m: string) => void;
}

/** Exit code: 0 done or stopped by a signal; 2 when Redis/the store is unreachable or the feed failed. */
export async function watchDistributed(o: WatchDistributedOptions): Promise<number> {
  const bad = checkRedisUrl(o.queueUrl);
  if (bad) {
    o.warn(bad);
    return 2;
  }
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    o.log(`${sig}: stopping (versions found so far are in the queue; run the same command to resume)`);
    stop.abort(new Error(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    o.log(`queue ${redactUrl(o.queueUrl)}; cursor in ${redactUrl(o.store)}; feed ${o.follower.changesUrl === undefined ? 'default' : redactUrl(o.follower.changesUrl)}; registry ${o.follower.registry === undefined ? 'default' : redactUrl(o.follower.registry)}${o.once ? '; --once' : ''}`);
    const summary = await runDistributedWatch({
      queueUrl: o.queueUrl,
      store: o.store,
      follower: o.follower,
      once: o.once,
      pollIntervalMs: o.pollIntervalMs,
      log: o.log,
      signal: stop.signal,
      onPoll: (r) => {
        if (r.changes || r.newJobs) o.log(`${r.reread ? 're-read' : 'poll'}: ${r.changes} change(s), ${r.newJobs} new version(s) queued for the workers`);
      },
    });
    o.log(`queued ${summary.versionsQueued} new version(s) in ${summary.polls} poll(s)${summary.gaveUp ? `; gave up on ${summary.gaveUp} change(s), see above` : ''}`);
    if (summary.error) {
      o.warn(`the feed could not be read: ${summary.error}`);
      return 2;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
