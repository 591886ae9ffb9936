// Reporting for `tollgate worker`: each version whose result a worker stored first goes to the
// same sinks as the embedded watcher's (stdout line, webhook, OSV file; src/feed/alerts.ts).
// The store decides "first" (putResult), so a retried or redone job reports nothing again.
// Local sinks (stdout, OSV file) are written before the job is acknowledged; the webhook is posted
// in the background with its own bounded retries, so a slow chat server holds up no scan, and
// drain() waits for posts in flight at shutdown.
import type { WatchResult } from './types.js';
import { osvSink, stdoutSink, webhookSink, type Sink } from './alerts.js';
import { jobKey } from './types.js';

export class ReporterUsageError extends Error {}

export interface ResultReporter {
  (result: WatchResult): Promise<void>;
  /** Wait for background deliveries (webhook posts) still in flight. */
  drain(): Promise<void>;
}

export function resultReporter(o: { json: boolean; webhook?: string; osvDir?: string; log: (m: string) => void }): ResultReporter {
  if (o.webhook !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(o.webhook);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) throw new ReporterUsageError(`--webhook must be an http(s) URL (got "${o.webhook.slice(0, 80)}")`);
  }
  if (o.osvDir !== undefined && !o.osvDir.trim()) throw new ReporterUsageError('--osv-dir needs a folder');
  const inline: Sink[] = [stdoutSink(o.json), ...(o.osvDir ? [osvSink(o.osvDir)] : [])];
  const background: Sink[] = o.webhook ? [webhookSink(o.webhook, { log: o.log })] : [];
  const inFlight = new Set<Promise<void>>();
  const wants = (s: Sink, r: WatchResult) => !s.verdicts || s.verdicts.includes(r.verdict);
  const deliver = async (s: Sink, r: WatchResult): Promise<void> => {
    try {
      await s.deliver(r);
    } catch (err) {
      o.log(`${jobKey(r)}: ${s.name}: ${(err as Error).message}`);
    }
  };
  const report = (async (r: WatchResult) => {
    for (const s of inline) if (wants(s, r)) await deliver(s, r);
    for (const s of background) {
      if (!wants(s, r)) continue;
      const p = deliver(s, r).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }) as ResultReporter;
  report.drain = async () => {
    while (inFlight.size) await Promise.all([...inFlight]);
  };
  return report;
}
