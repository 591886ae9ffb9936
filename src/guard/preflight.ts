// The tarballs a lockfile names by URL, checked before the package manager runs. yarn 1 downloads
// each `resolved` URL of a yarn.lock as written, bun each tarball URL a bun.lock records, so those
// requests never reach the proxy; instead the guard fetches every one itself, pinned to the
// lockfile's integrity (which the manager checks too, so it gets the very bytes that were scanned),
// and decides on it with the proxy's policy. One refusal and the command is not started. Entries
// with no URL of their own (bun's "" for the default registry) are downloaded through the proxy.
import path from 'node:path';
import { loadLockfile } from '../lockfile/index.js';
import { planUnits } from '../audit/plan.js';
import { decideOutcome, type Policy } from './decision.js';
import type { TarballScanner } from './scanner.js';
import type { DecisionEvent, GuardStats } from './server.js';

export interface PreflightResult {
  /** Decisions, in lockfile order. */
  decisions: DecisionEvent[];
  /** Entries the guard cannot fetch (git dependencies, local folders and files): installed unscanned. */
  unchecked: string[];
}

/**
 * Check every tarball `file` pins. `stats` (the proxy's) is updated so the run's summary counts
 * them; `onDecision` gets each as it is made. Throws LockfileError when the lockfile cannot be read.
 */
export async function preflightLockfile(file: string, o: { npmConfig: Record<string, unknown>; scanner: TarballScanner; policy: Policy; stats: GuardStats; onDecision?: (e: DecisionEvent) => void }): Promise<PreflightResult> {
  const lock = loadLockfile(file);
  const units = planUnits(lock.entries, path.dirname(path.resolve(file)), { ...o.npmConfig, 'replace-registry-host': 'never' });
  // The project's own workspaces are its code, not a download: only git and local packages are named.
  const unchecked = units.filter((u) => u.action === 'git' || u.action === 'local-tarball' || (u.action === 'folder' && u.entries.some((e) => e.kind !== 'workspace'))).map((u) => `${u.name}@${u.version} (${u.action === 'git' ? 'git' : 'local'})`);
  const decisions = await Promise.all(
    units
      .filter((u) => u.action === 'fetch' && u.entries.some((e) => !!e.resolved && /^https?:\/\//i.test(e.resolved)))
      .map(async (u): Promise<DecisionEvent> => {
        const t0 = performance.now();
        o.stats.requested++;
        // The URL yarn will download, as written (without yarn's #sha1 suffix).
        const outcome = await o.scanner.scan({ name: u.name, version: u.version, upstreamUrl: u.target, integrity: u.integrity });
        if (outcome.cached) o.stats.fromCache++;
        else if (outcome.result.verdict !== 'error') o.stats.scanned++;
        const decision = decideOutcome(u.name, u.version, outcome, o.policy);
        if (decision.action === 'serve') o.stats.served++;
        else o.stats.blocked++;
        const e = { name: u.name, version: u.version, decision, ms: Math.round(performance.now() - t0) };
        o.onDecision?.(e);
        return e;
      }),
  );
  return { decisions, unchecked };
}
