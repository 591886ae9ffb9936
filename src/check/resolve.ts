// `tollgate check <spec>...`: what installing these specs would add. Each spec is resolved from
// its packument, then its dependencies, breadth first, skipping any the project's lockfile already
// satisfies (same name, a version inside the range): what is left is the new subtree, the code
// the install would bring in. An approximation of npm's resolver, erring toward scanning more.
import pLimit from 'p-limit';
import semver from 'semver';
import { resolveManifest, type FetchOptions } from '../fetch/fetch.js';
import type { LockEntry } from '../lockfile/types.js';

export interface PlannedPackage {
  name: string;
  version: string;
  /** How it is reached: the spec the user gave, then each dependency on the way. */
  path: string[];
}

export interface InstallPlan {
  packages: PlannedPackage[];
  /** Dependencies that could not be resolved: reported as errors, never silently dropped. */
  failures: Array<{ spec: string; path: string[]; error: string }>;
  /** Dependencies already satisfied by the lockfile (not scanned). */
  satisfied: number;
  /** True when MAX_PLANNED stopped the walk: the report says the subtree was cut. */
  truncated: boolean;
}

export const MAX_PLANNED = 500;

export async function planInstall(specs: readonly string[], installed: readonly LockEntry[], fetch: FetchOptions, max = MAX_PLANNED): Promise<InstallPlan> {
  const have = new Map<string, string[]>();
  for (const e of installed) if (e.version) have.set(e.name, [...(have.get(e.name) ?? []), e.version]);
  const planned = new Map<string, PlannedPackage>();
  const plannedVersions = new Map<string, string[]>();
  const failures: InstallPlan['failures'] = [];
  let satisfied = 0;
  let truncated = false;
  const limit = pLimit(8);
  const satisfiedBy = (versions: string[] | undefined, range: string) => !!versions?.some((v) => semver.valid(v) && semver.satisfies(v, range, { includePrerelease: true }));

  // Specs the user typed are always scanned, even when the lockfile already has them.
  let frontier: Array<{ spec: string; path: string[]; user: boolean }> = specs.map((spec) => ({ spec, path: [spec], user: true }));
  while (frontier.length && !truncated) {
    const next: typeof frontier = [];
    await Promise.all(
      frontier.map((item) =>
        limit(async () => {
          if (planned.size >= max) {
            truncated = true;
            return;
          }
          let m;
          try {
            m = await resolveManifest(item.spec, fetch);
          } catch (err) {
            failures.push({ spec: item.spec, path: item.path, error: (err as Error).message });
            return;
          }
          const key = `${m.name}@${m.version}`;
          if (planned.has(key)) return;
          planned.set(key, { name: m.name, version: m.version, path: item.path });
          plannedVersions.set(m.name, [...(plannedVersions.get(m.name) ?? []), m.version]);
          for (const [dep, range] of Object.entries({ ...m.dependencies, ...m.optionalDependencies })) {
            const isRange = semver.validRange(range) !== null;
            if (isRange && (satisfiedBy(have.get(dep), range) || satisfiedBy(plannedVersions.get(dep), range))) {
              satisfied++;
              continue;
            }
            // Non-range specs (npm: aliases, URLs, git) are resolved as written; git ones fail
            // in resolveManifest and are reported, since they cannot be fetched safely.
            next.push({ spec: isRange ? `${dep}@${range}` : range.startsWith('npm:') ? range.slice(4) : `${dep}@${range}`, path: [...item.path, `${dep}@${range}`], user: false });
          }
        }),
      ),
    );
    frontier = next;
  }
  return { packages: [...planned.values()], failures, satisfied, truncated };
}
