// The one shape every lockfile parser produces. Formats differ in what they record (npm keeps
// dev/optional flags and tarball URLs; yarn berry keeps neither; pnpm 9 and bun keep a graph but
// no flags), so parsers fill what the file says and `graph.ts` derives the rest the way npm does.

/**
 * Where an entry's code comes from, which decides how `audit` gets it:
 * - registry: a published tarball (fetched by URL + integrity, never via packuments)
 * - tarball: an explicit remote tarball URL outside the registry naming scheme
 * - git: a git checkout or a git-hosted tarball (never fetched: installing it runs `prepare`)
 * - directory: a local folder (file:, link:, portal:, injected deps), scanned as a folder
 * - workspace: a workspace member of the project, scanned as a folder
 * - local-tarball: a `.tgz` file on disk
 * - virtual: an entry with no code of its own (yarn 2 `condition:` wrappers)
 * - runtime: a non-npm artifact such as pnpm's `node@runtime:` binaries (not analyzable)
 */
export type EntryKind = 'registry' | 'tarball' | 'git' | 'directory' | 'workspace' | 'local-tarball' | 'virtual' | 'runtime';

export type LockfileFormat = 'package-lock' | 'npm-shrinkwrap' | 'yarn-classic' | 'yarn-berry' | 'pnpm' | 'bun';

export interface LockEntry {
  /** Real package name (for an `npm:` alias, the aliased package, not the folder name). */
  name: string;
  version: string;
  /** The name it is installed under when that differs from `name` (npm: aliases). */
  alias?: string;
  kind: EntryKind;
  /** As written in the lockfile (URL, git URL, folder); absent when the lockfile omits it. */
  resolved?: string;
  /** SRI from the lockfile (tarball checksum); absent when the format has none (yarn berry). */
  integrity?: string;
  dev: boolean;
  optional: boolean;
  peer: boolean;
  /** Shipped inside its parent's tarball (npm bundleDependencies): scanned as part of the parent. */
  bundled: boolean;
  /** The patch applied on install (yarn `patch:` / pnpm patchedDependencies), for the report. */
  patch?: string;
  /** Dependency paths from a project root (install names), shortest first; at most MAX_PATHS. */
  paths: string[][];
  /** The lockfile's own key for the entry (path, specifier list, package id). */
  key: string;
}

export interface Lockfile {
  file: string;
  format: LockfileFormat;
  /** lockfileVersion / __metadata.version as written. */
  version: string;
  /** Name shown at the root of dependency paths. */
  rootName: string;
  entries: LockEntry[];
  /** Things worth telling the user that are not errors (e.g. "yarn records no dev flags"). */
  notes: string[];
}

export const MAX_PATHS = 3;

/** A lockfile that cannot be read: always names the file, and the line when one is known. */
export class LockfileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
    this.name = 'LockfileError';
  }
}

/** Line numbers for offsets in one text: newline offsets once, then binary search. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** 1-based line holding character `offset`. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  /** 1-based line and column (in UTF-16 units) of character `offset`, as editors count them. */
  positionAt(offset: number): { line: number; column: number } {
    const line = this.lineAt(offset);
    return { line, column: offset - this.starts[line - 1]! + 1 };
  }
  /** Line of the first occurrence of `needle` (e.g. a key as written), for messages about an entry. */
  lineOf(needle: string): number | undefined {
    const at = this.text.indexOf(needle);
    return at === -1 ? undefined : this.lineAt(at);
  }
  get lines(): number {
    return this.starts.length;
  }
}

/** What a parser gets besides the text. */
export interface ParseContext {
  file: string;
  text: string;
  /**
   * The project's package.json files, by folder relative to the lockfile ('' for the root, then
   * each workspace), when auditing a project folder. Formats that record no dev flags or root
   * dependencies (yarn, npm v1) use them to tell dev from prod; without them everything counts
   * as prod, so `--prod` never hides a package by mistake.
   */
  manifests?: ReadonlyMap<string, Record<string, unknown>>;
}

/** A dependency the lockfile names but has no entry for: kept to tell truncation from oddities. */
export interface Dangling {
  from: string;
  name: string;
  spec: string;
  optional: boolean;
}
