// JobQueue on BullMQ (`watch --queue redis://...`): the watcher enqueues versions, any number of
// `tollgate worker` processes on any machines scan them.
//
// Deduplication is BullMQ's own: adding a job whose id already exists (waiting, active, delayed,
// completed or failed) is a no-op inside the add script, atomically. So the job id is derived from
// the version's identity, and finished jobs are kept long enough to cover every re-read of the feed
// (see RETENTION). Past that, a version enqueued again is still not reported twice: the worker
// checks the result store first and the store's unique key rejects a second result.
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { jobKey, type JobQueue, type VersionJob } from './types.js';
import { redactUrl } from '../io/redact.js';

export const DEFAULT_QUEUE_NAME = 'tollgate-scan';

/**
 * How long finished job records stay in Redis, i.e. how long re-enqueueing the same version is a
 * no-op without touching the result store. The watcher re-reads the feed behind its cursor (late
 * announcements) and re-checks lagging packuments for up to a day (FEED.md: construct-hub keeps
 * re-checking for 24 h), so completed jobs are kept 3 days: every re-read lands inside it with a
 * margin for a watcher that was down a while. The count cap bounds Redis memory whatever the
 * publish rate: a completed job here is ~0.5-1 KB (small data, a verdict as return value), so
 * 300k of them is a few hundred MB at most, and 300k covers 3 days at 100k versions/day.
 * Failed jobs (the store was unreachable on every attempt, or a scan crashed its worker again and
 * again) are kept longer: they are what an operator inspects and retries.
 */
export const RETENTION = {
  completed: { age: 3 * 24 * 3600, count: 300_000 },
  failed: { age: 14 * 24 * 3600, count: 100_000 },
} as const;

/**
 * Retries: a scan whose fetch failed (registry 5xx/429, timeout) is retried with exponential
 * backoff, 5 s doubling: 5, 10, 20, 40, 80, 160, 320 s, about 10 minutes in all, which rides out a
 * registry or database hiccup without holding a worker. After the last attempt the version is
 * stored with verdict `error` (never clean).
 */
export const DEFAULT_ATTEMPTS = 8;
export const DEFAULT_BACKOFF_MS = 5_000;

export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

/** Only these characters stay as they are in a job id; everything else is %XX (UTF-8 bytes). */
const encodePart = (s: string): string =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0')))
    .join('');

/**
 * The BullMQ job id of a version: `<name>@<version>` percent-encoded, plus `~` and a digest of the
 * integrity when there is one (a re-publish with other bytes is another job). BullMQ's rules:
 * a custom id must not be an integer (ours always contains `@`) and must not contain `:` (its key
 * separator; encoded here as %3A, as is every character outside [A-Za-z0-9._-], so `@` and `~`
 * are unambiguous separators and no two versions share an id).
 */
export function jobIdFor(job: Pick<VersionJob, 'name' | 'version' | 'integrity'>): string {
  const base = `${encodePart(job.name)}@${encodePart(job.version)}`;
  if (!job.integrity) return base;
  return `${base}~${createHash('sha256').update(job.integrity).digest('hex').slice(0, 32)}`;
}

/** `redis://` or `rediss://` URLs only; anything else is a usage error the CLI reports. */
export function checkRedisUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `--queue must be a redis:// URL, e.g. redis://127.0.0.1:6379 (got "${url}")`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `--queue must be a redis:// or rediss:// URL (got "${redactUrl(url)}")`;
  return undefined;
}

/**
 * Connection options BullMQ hands to its Redis client (ioredis). `maxRetriesPerRequest: null` is
 * what BullMQ requires for workers (a blocking command must wait through a reconnect); a bounded
 * connect timeout and a capped reconnect backoff keep an outage visible and recoverable.
 */
export function redisConnection(url: string): ConnectionOptions {
  return {
    url,
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
    retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 5), 5_000),
  };
}

/** Wait until BullMQ's connection is ready, or fail with a message naming the URL and what to do. */
export async function waitReady(
  what: { waitUntilReady(): Promise<unknown>; on(event: 'error', fn: (err: Error) => void): unknown; close(): Promise<void> },
  url: string,
  timeoutMs: number,
): Promise<void> {
  let lastError: Error | undefined;
  what.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const r = await Promise.race([what.waitUntilReady().then(() => 'ready' as const), timeout]);
    if (r === 'ready') return;
  } catch (err) {
    lastError = err as Error;
  } finally {
    clearTimeout(timer);
  }
  await what.close().catch(() => undefined);
  throw describeRedisError(url, lastError, timeoutMs);
}

export function describeRedisError(url: string, err: Error | undefined, timeoutMs?: number): QueueUnavailableError {
  const reason = err?.message ?? `no answer within ${timeoutMs} ms`;
  if (/could not load the optional 'ioredis'/.test(reason))
    return new QueueUnavailableError(`Redis queue ${redactUrl(url)}: BullMQ's Redis client (the ioredis package) is not installed; install it next to tollgate (npm install ioredis)`);
  return new QueueUnavailableError(
    `Redis queue ${redactUrl(url)} is not reachable (${reason}): is redis-server running there and listening on that host and port? Check the URL given to --queue`,
  );
}

export interface BullmqQueueOptions {
  queueName?: string;
  /** Redis key prefix (BullMQ's default `bull`); tests and benchmarks use their own. */
  prefix?: string;
  attempts?: number;
  backoffMs?: number;
  connectTimeoutMs?: number;
}

/** What a job carries: the version to scan (no findings, no results: those go to the store). */
export type ScanJobData = VersionJob;

export function jobOptions(job: VersionJob, o: BullmqQueueOptions = {}): JobsOptions {
  return {
    jobId: jobIdFor(job),
    attempts: o.attempts ?? DEFAULT_ATTEMPTS,
    backoff: { type: 'exponential', delay: o.backoffMs ?? DEFAULT_BACKOFF_MS },
    removeOnComplete: RETENTION.completed,
    removeOnFail: RETENTION.failed,
  };
}

/** Bounded size of what is queued: a hostile packument cannot put megabytes into Redis per job. */
function trimJob(j: VersionJob): VersionJob {
  const cap = (s: string | undefined, n: number) => (s === undefined ? undefined : s.slice(0, n));
  return { name: j.name.slice(0, 512), version: j.version.slice(0, 256), integrity: cap(j.integrity, 512), tarball: cap(j.tarball, 2048), publishedAt: cap(j.publishedAt, 64) };
}

export class BullmqJobQueue implements JobQueue {
  private constructor(
    readonly queue: Queue<ScanJobData>,
    readonly url: string,
    private readonly options: BullmqQueueOptions,
  ) {}

  /** Connect (bounded wait) and return the queue; throws QueueUnavailableError when Redis is not there. */
  static async open(url: string, options: BullmqQueueOptions = {}): Promise<BullmqJobQueue> {
    const bad = checkRedisUrl(url);
    if (bad) throw new QueueUnavailableError(bad);
    let queue: Queue<ScanJobData>;
    try {
      queue = new Queue<ScanJobData>(options.queueName ?? DEFAULT_QUEUE_NAME, { connection: redisConnection(url), prefix: options.prefix });
    } catch (err) {
      throw describeRedisError(url, err as Error);
    }
    await waitReady(queue, url, options.connectTimeoutMs ?? 10_000);
    return new BullmqJobQueue(queue, url, options);
  }

  async enqueue(jobs: readonly VersionJob[]): Promise<number> {
    if (jobs.length === 0) return 0;
    // Unique within the batch first: addBulk of two equal ids would count one as new twice.
    const byId = new Map<string, VersionJob>();
    for (const j of jobs) {
      const t = trimJob(j);
      byId.set(jobIdFor(t), t);
    }
    const ids = [...byId.keys()];
    // "How many were new" is for progress output only; the add itself dedups atomically, so a
    // race between this look-up and the add can only make the count off, never duplicate a job.
    const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
    const fresh = states.filter((s) => s === 'unknown').length;
    await this.queue.addBulk([...byId.values()].map((data) => ({ name: jobKey(data), data, opts: jobOptions(data, this.options) })));
    return fresh;
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
