// Where scanned versions go once they are committed: stdout (JSON lines or one-liners), a
// Slack-compatible webhook, OSV files. Every delivery is read from the store and marked there
// afterwards, per sink, so a restart re-sends only what was not sent, and a slow or dead webhook
// holds up neither scanning nor the other sinks.
import fs from 'node:fs';
import { safeLine } from '../report/sanitize.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Verdict } from '../types.js';
import type { WatchResult } from './types.js';
import { backoffDelay, parseRetryAfter, type RetryPolicy } from './http.js';
import { osvRecord, osvRecordPath } from './osv.js';
import { redactText, redactUrl } from '../io/redact.js';

export interface Sink {
  /** Stable name: delivery marks are stored under it. */
  name: string;
  /** Only results with these verdicts go to this sink (all when absent). */
  verdicts?: readonly Verdict[];
  /** Deliver one result; throws when it could not (after its own bounded retries). */
  deliver(r: WatchResult, signal?: AbortSignal): Promise<void>;
}

/** The `--json` line: the documented fields first, then the rest of the result. */
export function jsonLine(r: WatchResult): string {
  const { name, version, integrity, score, verdict, findings, scannedAt, ...rest } = r;
  return JSON.stringify({ name, version, integrity, score, verdict, findings, scannedAt, ...rest });
}

const VERDICT_LABEL: Record<Verdict, string> = { malicious: 'MALICIOUS ', suspicious: 'suspicious', clean: 'clean     ', error: 'ERROR     ' };

/** One line per version for people: verdict, name@version, score, the strongest reason. */
export function humanLine(r: WatchResult): string {
  const why = r.verdict === 'error' ? r.error ?? r.reasons[0] : r.verdict === 'clean' ? '' : r.reasons[0] ?? r.findings[0]?.message;
  // Names and messages come from the package: nothing they hold acts on the terminal (report/sanitize.ts).
  return safeLine(`${VERDICT_LABEL[r.verdict]} ${r.name}@${r.version}  score ${r.score}${why ? `  ${why}` : ''}`).slice(0, 400);
}

export function stdoutSink(json: boolean, write: (s: string) => void = (s) => void process.stdout.write(s)): Sink {
  return {
    name: json ? 'stdout-json' : 'stdout',
    async deliver(r) {
      write((json ? jsonLine(r) : humanLine(r)) + '\n');
    },
  };
}

/** Slack mrkdwn needs &, < and > escaped; the text is the package's, so it is hostile. */
const mrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack-compatible incoming-webhook body: `text` (fallback, also what most chat webhooks read) plus blocks. */
export function webhookBody(r: WatchResult): { text: string; blocks: unknown[] } {
  const head = `tollgate: ${r.verdict.toUpperCase()} ${r.name}@${r.version} (score ${r.score}/100)`;
  const reasons = r.reasons.slice(0, 5).map((x) => `• ${x}`);
  const findings = r.findings
    .filter((f) => f.severity === 'critical' || f.severity === 'high' || f.severity === 'medium')
    .slice(0, 8)
    .map((f) => `• [${f.severity}] ${f.rule}: ${f.message}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}`);
  const body = [...reasons, ...(findings.length ? ['', 'Findings:', ...findings] : []), '', `integrity ${r.integrity ?? 'unknown'}; scanned ${r.scannedAt}`].join('\n');
  return {
    text: mrkdwn(`${head}\n${r.reasons[0] ?? ''}`).slice(0, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(body).slice(0, 3000) } },
    ],
  };
}

export interface WebhookOptions {
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  log?: (m: string) => void;
}

/** POST malicious and suspicious results to `url`, retrying with backoff (Retry-After honoured), bounded. */
export function webhookSink(url: string, options: WebhookOptions = {}): Sink {
  const policy: RetryPolicy = { attempts: 5, baseMs: 1000, maxMs: 30_000, maxRetryAfterMs: 120_000, ...options.retry };
  // Webhook paths are secrets, and so is any `user:pass@` before the host.
  const shown = redactUrl(url).replace(/^(\w+:\/\/[^/?#]+)[/?#].*/s, '$1/…');
  const spellings = [url];
  try {
    spellings.push(new URL(url).href);
  } catch {
    // not parsable: only the raw spelling can appear
  }
  const hideUrl = (text: string): string => redactText(spellings.reduce((t, u) => t.split(u).join(shown), text));
  return {
    name: 'webhook',
    verdicts: ['malicious', 'suspicious'],
    async deliver(r, signal) {
      const body = JSON.stringify(webhookBody(r));
      let last = '';
      for (let attempt = 0; attempt < policy.attempts; attempt++) {
        let hint: number | undefined;
        try {
          const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
          await res.body?.cancel().catch(() => undefined);
          if (res.ok) return;
          last = `HTTP ${res.status}`;
          if (res.status !== 429 && res.status !== 408 && res.status < 500) throw new Error(`webhook ${shown} refused the alert for ${r.name}@${r.version} (${last}); check the URL`);
          hint = parseRetryAfter(res.headers.get('retry-after'));
        } catch (err) {
          if ((err as Error).message.startsWith('webhook ')) throw err;
          if (signal?.aborted) throw err;
          // fetch() quotes the whole URL in some errors (credentials in it are refused): redacted.
          last = (err as Error).name === 'TimeoutError' ? 'timed out' : hideUrl((err as Error).message);
        }
        if (attempt + 1 >= policy.attempts) break;
        const wait = Math.max(backoffDelay(attempt, policy), Math.min(hint ?? 0, policy.maxRetryAfterMs));
        options.log?.(`webhook ${shown}: ${last}; retry ${attempt + 1}/${policy.attempts - 1} in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait, undefined, { signal });
      }
      throw new Error(`webhook ${shown}: alert for ${r.name}@${r.version} not delivered after ${policy.attempts} tries (last: ${last})`);
    },
  };
}

/** Write one OSV record per malicious version under `dir` (osv/malicious/npm/<name>/MAL-0000-tollgate-*.json). */
export function osvSink(dir: string): Sink {
  return {
    name: 'osv',
    verdicts: ['malicious'],
    async deliver(r) {
      const record = osvRecord(r);
      const file = osvRecordPath(dir, record);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      // Write-then-rename: a crash never leaves half a record behind.
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.promises.writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
      await fs.promises.rename(tmp, file);
    },
  };
}

/** What the reporter needs from a store. */
export interface DeliveryStore {
  undelivered(sink: string, limit: number, verdicts?: readonly Verdict[]): { id: number; result: WatchResult }[];
  markDelivered(resultId: number, sink: string, state: 'sent' | 'failed', error?: string): void;
}

/** Sends committed results to every sink, each sink on its own, oldest first. */
export class Reporter {
  private readonly busy = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  readonly delivered: Record<string, number> = {};
  readonly failed: Record<string, number> = {};

  constructor(
    private readonly store: DeliveryStore,
    private readonly sinks: readonly Sink[],
    private readonly log: (m: string) => void = () => undefined,
    private readonly signal?: AbortSignal,
  ) {}

  /** New results were committed: start (or queue) a pass for every sink. */
  wake(): void {
    for (const s of this.sinks) this.pass(s);
  }

  /** Deliver everything undelivered and return when every sink is idle. */
  async drain(): Promise<void> {
    this.wake();
    while (this.busy.size) await Promise.all([...this.busy.values()]);
  }

  private pass(sink: Sink): void {
    if (this.busy.has(sink.name)) {
      this.again.add(sink.name);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(sink.name);
        for (;;) {
          if (this.signal?.aborted) return;
          const batch = this.store.undelivered(sink.name, 100, sink.verdicts);
          if (!batch.length) break;
          for (const { id, result } of batch) {
            if (this.signal?.aborted) return;
            try {
              await sink.deliver(result, this.signal);
              this.store.markDelivered(id, sink.name, 'sent');
              this.delivered[sink.name] = (this.delivered[sink.name] ?? 0) + 1;
            } catch (err) {
              if (this.signal?.aborted) return; // not delivered, not given up: the next run sends it
              this.store.markDelivered(id, sink.name, 'failed', (err as Error).message);
              this.failed[sink.name] = (this.failed[sink.name] ?? 0) + 1;
              this.log((err as Error).message);
            }
          }
        }
      } while (this.again.has(sink.name));
    })()
      .catch((err: unknown) => this.log(`reporting to ${sink.name} stopped: ${(err as Error).message}; undelivered results are sent on the next run`))
      .finally(() => this.busy.delete(sink.name));
    this.busy.set(sink.name, run);
  }
}
