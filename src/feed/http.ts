// HTTP for the follower: JSON GETs with a timeout, a size cap, and bounded retries with exponential
// backoff and jitter that honour 429/503 `Retry-After`. The npm feed and registry publish no rate
// limits, so the only safe behaviour is to slow down when told and to give up explicitly.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Total tries, the first included (default 6). */
  attempts: number;
  /** First backoff step (default 1s); step n waits about base * 2^n, capped by maxMs. */
  baseMs: number;
  /** Largest backoff step (default 60s). */
  maxMs: number;
  /** Longest Retry-After honoured as given; longer ones are cut to this (default 10 min). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 1000, maxMs: 60_000, maxRetryAfterMs: 600_000 };

/** Backoff before try `attempt + 1` (attempt counts from 0): equal jitter, so never zero, never in lockstep. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined if unusable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export class FeedHttpError extends Error {
  constructor(
    message: string,
    readonly url: string,
    /** HTTP status of the last answer, or undefined for network errors and timeouts. */
    readonly status: number | undefined,
    readonly attempts: number,
    /** False when retrying cannot help (400, 401, 403...). */
    readonly retryable: boolean,
    /** ETOOBIG when the body was over the size limit. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'FeedHttpError';
  }
}

export interface GetJsonOptions {
  headers?: Record<string, string>;
  /** Per-try timeout (default 30s). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Refuse bodies larger than this (default 64 MiB). */
  maxBytes?: number;
  /** Statuses that are answers, not failures (e.g. 404 for a deleted package). */
  accept?: readonly number[];
  signal?: AbortSignal;
  /** What is being fetched, for messages ("changes feed", `packument of "x"`). */
  what: string;
  /** Told before each wait, for diagnostics. */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
  random?: () => number;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Credentials must never reach a message. */
const redact = (u: string): string => u.replace(/\b(\w+:\/\/)[^/\s@]+@/g, '$1***@');

/** A body over the size limit: asking again will not make it smaller. */
class TooBigError extends Error {}

async function readCapped(res: Response, max: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) throw new TooBigError(`${what} is ${declared} bytes, over the ${max}-byte limit`);
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) throw new TooBigError(`${what} is over the ${max}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
export function networkReason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  const code = e.cause?.code ?? e.cause?.errors?.find((x) => x?.code)?.code;
  if (code) return `${code}: ${e.cause?.message || e.message}`;
  return e.cause?.message ? `${e.message} (${e.cause.message})` : `${e.name}: ${e.message}`;
}

/** GET a JSON document with bounded retries. Throws FeedHttpError naming the URL and what to do. */
export async function getJson(url: string, opts: GetJsonOptions): Promise<JsonAnswer> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const max = opts.maxBytes ?? 64 * 1024 * 1024;
  let last = '';
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    opts.signal?.throwIfAborted();
    let waitHint: number | undefined;
    let res: Response | undefined;
    try {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      res = await fetch(url, { headers: { accept: 'application/json', ...opts.headers }, signal });
      lastStatus = res.status;
      if (res.ok || opts.accept?.includes(res.status)) {
        // The timeout signal also covers reading the body, so a server that stalls mid-body is cut off.
        const text = await readCapped(res, max, opts.what);
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch (err) {
          // A truncated or garbled body is usually transient (a proxy, a reset): retry it.
          throw new Error(`${opts.what}: answer is not JSON (${(err as Error).message})`);
        }
        return { status: res.status, body };
      }
      await res.body?.cancel().catch(() => undefined);
      last = `HTTP ${res.status}`;
      if (!RETRYABLE.has(res.status)) {
        throw new FeedHttpError(`${opts.what}: ${redact(url)} answered HTTP ${res.status}; check the URL and any credentials it needs`, redact(url), res.status, attempt + 1, false);
      }
      waitHint = parseRetryAfter(res.headers.get('retry-after'));
    } catch (err) {
      if (err instanceof FeedHttpError) throw err;
      if (err instanceof TooBigError) {
        await res?.body?.cancel().catch(() => undefined);
        throw new FeedHttpError(`${err.message}; it was not read`, redact(url), lastStatus, attempt + 1, false, 'ETOOBIG');
      }
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      last = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkReason(err);
      lastStatus = undefined;
    }
    if (attempt + 1 >= policy.attempts) break;
    const backoff = backoffDelay(attempt, policy, opts.random);
    // Retry-After is a floor set by the server; never wait less than our own backoff either.
    const waitMs = waitHint !== undefined ? Math.max(Math.min(waitHint, policy.maxRetryAfterMs), backoff) : backoff;
    opts.onRetry?.({ attempt: attempt + 1, waitMs, reason: last });
    await sleep(waitMs, undefined, { signal: opts.signal });
  }
  throw new FeedHttpError(
    `${opts.what}: ${redact(url)} failed ${policy.attempts} times (last: ${last}); the server may be down or rate-limiting, try again later`,
    redact(url),
    lastStatus,
    policy.attempts,
    true,
  );
}
