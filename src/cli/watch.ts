// `tollgate watch` (follow npm's changes feed and scan every new version, embedded SQLite store)
// and `tollgate results` (query that store).
import { DEFAULT_ENGINE_OPTIONS } from '../engine/run/analyze.js';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { defaultStorePath, SqliteStore, StoreBusyError } from '../feed/sqlite-store.js';
import { humanLine, osvSink, stdoutSink, webhookSink, type Sink } from '../feed/alerts.js';
import { runWatch } from '../feed/pipeline.js';
import { openResultStore } from '../feed/open-store.js';
import { redactUrl } from '../io/redact.js';
import type { Verdict } from '../types.js';
import { renderCommandHelp, type CommandArgs, wholeNumber } from './options.js';
import { RESULTS, WATCH } from './commands.js';

export const WATCH_HELP = renderCommandHelp(WATCH);

class WatchUsageError extends Error {}

const VERDICTS: readonly Verdict[] = ['malicious', 'suspicious', 'clean', 'error'];

/** `30s`, `15m`, `24h`, `7d` -> milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 }[m[2]!.toLowerCase() as 's']!;
  return Number(m[1]) * unit;
}

/** `--since` of results: a duration back from now, or an ISO date. */
export function parseSince(text: string, now: number = Date.now()): Date {
  const d = parseDuration(text);
  if (d !== undefined) return new Date(now - d);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
  throw new WatchUsageError(`--since must be a duration like 24h or 7d, or an ISO date like 2025-06-01 (got "${text}")`);
}

function httpUrl(flag: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new WatchUsageError(`${flag} must be an http(s) URL (got "${redactUrl(value)}")`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WatchUsageError(`${flag} must be an http(s) URL (got "${redactUrl(value)}")`);
  return u.toString();
}

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new WatchUsageError(`${name} must be a number of milliseconds (got "${raw}")`);
  return n;
}

/** Wrap a command: usage errors and unusable stores exit 2 with a message, never a stack. */
async function guarded(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WatchUsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tollgate: ${(err as Error).message}\nRun \`tollgate watch --help\` for usage.\n`);
      return 2;
    }
    if (err instanceof StoreBusyError) {
      process.stderr.write(`tollgate: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`tollgate: ${(err as Error).message}\n`);
    return 2;
  }
}

export function watchCommand(args: CommandArgs<typeof WATCH.options>): Promise<number> {
  return guarded(() => watch(args));
}

export function resultsCommand(args: CommandArgs<typeof RESULTS.options>): Promise<number> {
  return guarded(() => results(args));
}

async function watch({ values, positionals }: CommandArgs<typeof WATCH.options>): Promise<number> {
  if (positionals.length) throw new WatchUsageError(`watch takes no targets (got "${positionals.join(' ')}"); it follows the registry's feed`);
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64, (m) => new WatchUsageError(m));
  const pollSecs = Number(values['poll-interval']);
  if (!Number.isFinite(pollSecs) || pollSecs < 0.05 || pollSecs > 86_400) throw new WatchUsageError(`--poll-interval must be a number of seconds from 0.05 to 86400 (got "${values['poll-interval']}")`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new WatchUsageError(`--batch must be a whole number from 1 to 10000 (got "${values.batch}")`);
  const lookbackMs = parseDuration(values.lookback!);
  if (lookbackMs === undefined) throw new WatchUsageError(`--lookback must be a duration like 30m, 24h or 7d (got "${values.lookback}")`);
  const since = values.since;
  if (since !== undefined && (since === '' || since.length > 4096 || /[\u0000-\u001f]/.test(since))) {
    throw new WatchUsageError('--since must be a sequence value as the feed gave it, or now');
  }
  const changesUrl = httpUrl('--changes-url', values['changes-url']!);
  const registry = httpUrl('--registry', values.registry!);
  const webhook = values.webhook !== undefined ? httpUrl('--webhook', values.webhook) : undefined;
  const backoffMs = envMs('TOLLGATE_WATCH_BACKOFF_MS', 1000);
  const timeoutMs = envMs('TOLLGATE_WATCH_TIMEOUT_MS', 30_000);

  const quiet = values.quiet!;
  const log = (m: string): void => {
    if (!quiet) process.stderr.write(`tollgate watch: ${m}\n`);
  };
  const warn = (m: string): void => void process.stderr.write(`tollgate watch: ${m}\n`);

  const follower = {
    changesUrl,
    registry,
    since,
    limit: batch,
    lookbackMs,
    timeoutMs,
    retry: { baseMs: backoffMs, maxMs: Math.max(backoffMs, 60 * backoffMs) },
    recheck: { baseMs: 15 * backoffMs, maxMs: 1800 * backoffMs },
  };
  // Distributed mode: versions go to BullMQ; `tollgate worker` processes scan, store and report them.
  if (values.queue !== undefined) {
    if (values.json || webhook || values['osv-dir']) throw new WatchUsageError('with --queue the workers scan and report: give --json, --webhook and --osv-dir to `tollgate worker`');
    // BullMQ and its Redis client are loaded only here: a plain `watch` never needs them.
    const { watchDistributed } = await import('./watch-distributed.js');
    return watchDistributed({ queueUrl: values.queue, store: values.store ?? defaultStorePath(), follower, once: values.once!, pollIntervalMs: pollSecs * 1000, log, warn });
  }

  const sinks: Sink[] = [stdoutSink(values.json!)];
  if (webhook) sinks.push(webhookSink(webhook, { retry: { baseMs: backoffMs }, timeoutMs: Math.min(timeoutMs, 10_000), log: warn }));
  if (values['osv-dir']) sinks.push(osvSink(values['osv-dir']));

  const storePath = values.store ?? defaultStorePath();
  // Without --queue the store is a SQLite file: a URL here (postgres://user:pass@...) would become a
  // file in this folder whose name holds the password. Refused, with the URL redacted.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(storePath)) {
    throw new WatchUsageError(`--store ${redactUrl(storePath)} is a URL; \`tollgate watch\` without --queue keeps its state in a SQLite file (--store PATH). A postgres:// store is for the distributed mode: add --queue redis://...`);
  }
  const store = SqliteStore.open(storePath);
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    log(`${sig}: stopping (scans in flight finish or go back to the queue; run the same command to resume)`);
    stop.abort(new Error(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    log(`store ${storePath}; feed ${redactUrl(changesUrl)}; registry ${redactUrl(registry)}${values.once ? '; --once' : ''}`);
    const summary = await runWatch(store, {
      follower,
      scan: {
        registry,
        npmConfig: loadNpmConfig({ cwd: process.cwd() }),
        timeoutMs: Math.max(timeoutMs, 1000),
        engine: DEFAULT_ENGINE_OPTIONS,
      },
      concurrency,
      once: values.once,
      pollIntervalMs: pollSecs * 1000,
      scanRetryBaseMs: 30 * backoffMs,
      sinks,
      log,
      warn,
      signal: stop.signal,
      onPoll: (r) => {
        if (r.changes || r.newJobs) log(`${r.reread ? 're-read' : 'poll'}: ${r.changes} change(s), ${r.newJobs} new version(s) queued; queue ${store.counts().pending} pending`);
      },
    });
    const verdicts = Object.entries(summary.byVerdict).map(([v, n]) => `${n} ${v}`).join(', ') || 'none';
    log(`scanned ${summary.stored} version(s) (${verdicts}) in ${summary.polls} poll(s)${summary.gaveUp ? `; gave up on ${summary.gaveUp} change(s), see above` : ''}`);
    if (summary.error) {
      warn(`the feed could not be read: ${summary.error}`);
      return 2;
    }
    // Stopped by Ctrl-C: the shell's code for it, after the transaction in flight was finished.
    return stop.signal.aborted && (stop.signal.reason as Error | undefined)?.message === 'SIGINT' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

async function results({ values, positionals }: CommandArgs<typeof RESULTS.options>): Promise<number> {
  if (positionals.length) throw new WatchUsageError(`results takes no positional arguments (got "${positionals.join(' ')}")`);
  const verdict = values.verdict as Verdict | undefined;
  if (verdict !== undefined && !VERDICTS.includes(verdict)) throw new WatchUsageError(`--verdict must be one of ${VERDICTS.join(', ')} (got "${values.verdict}")`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new WatchUsageError(`--limit must be a whole number of at least 1 (got "${values.limit}")`);
  const since = values.since !== undefined ? parseSince(values.since) : undefined;
  const store = await openResultStore(values.store ?? defaultStorePath(), { readonly: true });
  try {
    const rows = await store.query({ since, verdict, limit });
    if (values.json) process.stdout.write(JSON.stringify({ results: rows }, null, 2) + '\n');
    else {
      for (const r of rows) process.stdout.write(`${r.scannedAt}  ${humanLine(r)}\n`);
      if (!rows.length) process.stderr.write('tollgate: no results match\n');
    }
    return 0;
  } finally {
    await store.close();
  }
}

