// The corpora `npm run eval` measures, as lists of targets to fetch or read. Pure builders (a
// lockfile, a names list, the popular-names table -> targets) are separate from the few functions
// that read ../shared, so the set building is testable without the corpus.
import fs from 'node:fs';
import path from 'node:path';
import { fetchUrlFor } from '../../src/audit/plan.js';
import { loadLockfile, type Lockfile } from '../../src/lockfile/index.js';

export const SET_NAMES = ['malware', 'lockfiles', 'hard-benign', 'top1000'] as const;
export type SetName = (typeof SET_NAMES)[number];

/** What a sample is expected to get: real malware `malicious`, protestware as its metadata says, the rest `clean`. */
export type Expected = 'malicious' | 'suspicious' | 'suspicious-or-clean' | 'clean';
export type Group = 'malicious' | 'protestware' | 'benign';

export interface EvalTarget {
  set: SetName;
  group: Group;
  expected: Expected;
  /** Shown and written to the baseline: name@version when known before fetching, else the name. */
  id: string;
  /** What is fetched: a tarball URL (lockfile entries), `name@latest`, or a local .tgz path (malware). */
  spec: string;
  kind: 'url' | 'latest' | 'file';
  name?: string;
  version?: string;
  /** Expected SRI (from the lockfile): the download is checked against it, as `audit` does. */
  integrity?: string;
}

/** Four real lockfiles, four formats of projects, old and new releases: 3,401 distinct name@version. */
export const DEFAULT_LOCKFILES = [
  'pnpm/vuejs__core__pnpm-lock.v9.0.yaml',
  'yarn-classic/honojs__hono__yarn.v1.lock',
  'package-lock/netlify__cli__package-lock.v3.json',
  'pnpm/vitejs__vite__pnpm-lock.v9.0.yaml',
] as const;

export const TOP_COUNT = 1000;

/**
 * Every registry package of the lockfiles, once per name@version (the first lockfile that names it
 * wins, preferring an entry that records an integrity), fetched by the lockfile's own tarball URL
 * and integrity the way `audit` fetches them.
 */
export function lockfileTargets(lockfiles: readonly Lockfile[], npmConfig: Record<string, unknown>): EvalTarget[] {
  const byId = new Map<string, EvalTarget>();
  for (const lf of lockfiles) {
    for (const e of lf.entries) {
      if (e.kind !== 'registry' || !e.name || !e.version) continue;
      const id = `${e.name}@${e.version}`;
      const had = byId.get(id);
      if (had && (had.integrity || !e.integrity)) continue;
      byId.set(id, { set: 'lockfiles', group: 'benign', expected: 'clean', id, spec: fetchUrlFor(e, npmConfig), kind: 'url', name: e.name, version: e.version, integrity: e.integrity });
    }
  }
  return [...byId.values()];
}

/** Names from a list file: one a line, `#` starts a comment, blank lines ignored, duplicates dropped. */
export function nameList(text: string): string[] {
  const names = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
  return [...new Set(names)];
}

/** The first `count` names of the popular-names table (`name<TAB>downloads_a_month`, with a header). */
export function popularNames(tsv: string, count: number): string[] {
  const rows = tsv.split('\n').map((l) => l.split('\t')[0]!.trim()).filter(Boolean);
  if (rows[0] === 'name') rows.shift();
  return [...new Set(rows)].slice(0, count);
}

export function latestTargets(set: SetName, names: readonly string[]): EvalTarget[] {
  return names.map((name) => ({ set, group: 'benign', expected: 'clean', id: name, spec: `${name}@latest`, kind: 'latest', name }));
}

/** Where ../shared is: beside the checkout, or beside the folder of worktrees (wt/<name>). */
export function findShared(root: string, explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [process.env.TOLLGATE_SHARED, path.resolve(root, '../shared'), path.resolve(root, '../../shared')];
  return candidates.find((c): c is string => !!c && fs.existsSync(path.join(c, 'corpus')));
}

/** Real malware (.tgz) with the verdict expected of each, read from the .json beside it. */
export function malwareTargets(dir: string): EvalTarget[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.tgz'))
    .sort()
    .map((f) => {
      const metaPath = path.join(dir, f.replace(/\.tgz$/, '.json'));
      const meta = fs.existsSync(metaPath) ? (JSON.parse(fs.readFileSync(metaPath, 'utf8')) as { expected_verdict?: Expected }) : {};
      const expected = meta.expected_verdict ?? 'malicious';
      return { set: 'malware', group: expected === 'malicious' ? 'malicious' : 'protestware', expected, id: f.replace(/\.tgz$/, ''), spec: path.join(dir, f), kind: 'file' } satisfies EvalTarget;
    });
}

/** The targets of one set, read from the shared corpus. Throws an Error naming the missing file. */
export function loadSet(set: SetName, shared: string, npmConfig: Record<string, unknown>): EvalTarget[] {
  switch (set) {
    case 'malware':
      return malwareTargets(path.join(shared, 'corpus', 'malicious'));
    case 'lockfiles':
      return lockfileTargets(
        DEFAULT_LOCKFILES.map((f) => loadLockfile(path.join(shared, 'lockfiles', f))),
        npmConfig,
      );
    case 'hard-benign':
      return latestTargets(set, nameList(fs.readFileSync(path.join(shared, 'corpus', 'hard-benign-dev.txt'), 'utf8')));
    case 'top1000':
      return latestTargets(set, popularNames(fs.readFileSync(path.join(shared, 'data', 'npm-popular-10k.tsv'), 'utf8'), TOP_COUNT));
  }
}

/** `--set a,b --set c` -> the sets in their canonical order; unknown names are an error. */
export function parseSets(values: readonly string[], benignOnly: boolean): SetName[] {
  const asked = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const s of asked) if (!(SET_NAMES as readonly string[]).includes(s)) throw new Error(`unknown set "${s}"; the sets are ${SET_NAMES.join(', ')}`);
  const wanted = asked.length ? new Set(asked) : new Set<string>(SET_NAMES);
  if (benignOnly) wanted.delete('malware');
  return SET_NAMES.filter((s) => wanted.has(s));
}
