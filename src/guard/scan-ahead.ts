// Scanning ahead of an install. A package manager installing from a lockfile keeps about sixteen
// tarball requests open at a time, and each waits at the proxy for its packument, its download and
// then its turn at the analysis; so the analysis, the slow step, sat idle between them. The guard
// knows what the install will ask for, since the lockfile names it: it starts on those packages in
// lockfile order as soon as the command starts, a few at a time, as `audit` would. When the
// package manager asks for one, its verdict is in the results cache and its bytes in the download
// cache, or its scan is under way and the request joins it. What the proxy serves is still decided
// on each request, from the registry's record, exactly as without this.
import path from 'node:path';
import pLimit from 'p-limit';
import { loadLockfile } from '../lockfile/index.js';
import { planUnits } from '../audit/plan.js';
import type { TarballRecord } from './packument-rewrite.js';
import type { TarballScanner } from './scanner.js';

/** Packages in flight ahead of the install: enough to keep the analysis fed, few enough to hold (one tarball each). */
export const SCAN_AHEAD_WINDOW = 8;

export interface ScanAhead {
  /** How many registry packages the lockfile pins (what will be scanned ahead). */
  planned: number;
  /** Settles when every planned package has been scanned or passed over. */
  done: Promise<void>;
  /** Stop starting new ones and wait for those under way. */
  stop(): Promise<void>;
}

export interface ScanAheadOptions {
  npmConfig: Record<string, unknown>;
  scanner: TarballScanner;
  /** The registry's record of a version (GuardServer.recordOf). */
  recordOf(name: string, version: string): Promise<TarballRecord | undefined>;
  window?: number;
}

/**
 * Start scanning the registry packages `file` pins. Throws LockfileError when the lockfile cannot
 * be read. A package whose record or scan fails is left to the install's own request, which
 * reports it.
 */
export function startScanAhead(file: string, o: ScanAheadOptions): ScanAhead {
  const lock = loadLockfile(file);
  const units = planUnits(lock.entries, path.dirname(path.resolve(file)), o.npmConfig).filter((u) => u.action === 'fetch');
  let stopped = false;
  const limit = pLimit(o.window ?? SCAN_AHEAD_WINDOW);
  const all = Promise.all(
    units.map((u) =>
      limit(async () => {
        if (stopped) return;
        try {
          const rec = await o.recordOf(u.name, u.version);
          if (rec && !stopped) await o.scanner.scanAhead(rec);
        } catch {
          // The install's request for it will meet the same failure and report it.
        }
      }),
    ),
  );
  return {
    planned: units.length,
    done: all.then(() => undefined),
    stop: async () => {
      // Queued packages still start, see `stopped` and return at once.
      stopped = true;
      await all;
    },
  };
}
