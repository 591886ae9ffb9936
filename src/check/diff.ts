// Which lockfile entries a change introduces: a new name, a new version, or the same version with
// a different integrity or source (a re-pointed `resolved` URL is exactly what an attacker who
// edits a lockfile in a pull request changes). Pure: two parsed lockfiles in, entries out.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { LockEntry, Lockfile } from '../lockfile/types.js';

/** Identity of what gets installed for an entry. */
export function entryIdentity(e: LockEntry): string {
  return `${e.kind}\0${e.name}@${e.version}\0${e.integrity ?? ''}\0${e.integrity ? '' : (e.resolved ?? '')}`;
}

export interface LockfileDiff {
  /** Entries of the new lockfile whose identity the base lacks. */
  changed: LockEntry[];
  /** Of those, how many are a name the base did not have at all. */
  newNames: number;
  /** Distinct name@version in base and head, for the summary. */
  baseCount: number;
  headCount: number;
}

export function diffLockfiles(base: Lockfile | undefined, head: Lockfile): LockfileDiff {
  const before = new Set((base?.entries ?? []).map(entryIdentity));
  const baseNames = new Set((base?.entries ?? []).map((e) => e.name));
  // Workspace members are the project's own code, which the pull request diff itself shows.
  const changed = head.entries.filter((e) => e.kind !== 'workspace' && !before.has(entryIdentity(e)));
  const distinct = (l?: Lockfile) => new Set((l?.entries ?? []).map((e) => `${e.name}@${e.version}`)).size;
  return { changed, newNames: new Set(changed.filter((e) => !baseNames.has(e.name)).map((e) => e.name)).size, baseCount: distinct(base), headCount: distinct(head) };
}

export class GitError extends Error {}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new GitError((e.stderr || e.message).trim());
  }
}

export function gitToplevel(dir: string): string {
  try {
    return git(dir, ['rev-parse', '--show-toplevel']).trim();
  } catch (err) {
    throw new GitError(`${dir} is not inside a git repository (${(err as Error).message}); \`tollgate check\` compares against a git ref. Use \`tollgate audit\` to scan every package instead`);
  }
}

/** A ref that is not a commit is an error with what to do, never "no base". */
export function verifyRef(top: string, ref: string): void {
  try {
    git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new GitError(
      `base ref "${ref}" is not a commit in ${top}. Fetch it first (\`git fetch origin ${ref.replace(/^origin\//, '')}\`; in GitHub Actions check out with \`fetch-depth: 0\`), or pass another --base`,
    );
  }
}

/**
 * The text of `rel` (a path relative to the repository root `top`) at `ref`, or undefined when it
 * did not exist there. Its size is asked first, so a huge blob is refused before it is read.
 */
export function fileAtRef(top: string, ref: string, rel: string, maxBytes = 256 * 1024 * 1024): string | undefined {
  verifyRef(top, ref);
  let size: number;
  try {
    size = Number(git(top, ['cat-file', '-s', `${ref}:${rel}`]).trim());
  } catch (err) {
    if (/does not exist|exists on disk, but not in|Not a valid object name|invalid object name/i.test((err as Error).message)) return undefined;
    throw new GitError(`could not read ${rel} at ${ref}: ${(err as Error).message}`);
  }
  if (!Number.isFinite(size) || size > maxBytes) throw new GitError(`${rel} at ${ref} is ${size} bytes; files over ${maxBytes} bytes are not read`);
  try {
    return git(top, ['show', `${ref}:${rel}`]);
  } catch (err) {
    if (/does not exist|exists on disk, but not in/.test((err as Error).message)) return undefined;
    throw new GitError(`could not read ${rel} at ${ref}: ${(err as Error).message}`);
  }
}

/** `file`'s path relative to the repository root, with forward slashes (undefined when outside it). */
export function repoPath(top: string, file: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    // Not on disk (yet, or any more): its folder decides.
    try {
      real = path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      real = path.resolve(file);
    }
  }
  const rel = path.relative(fs.realpathSync(top), real);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/**
 * The lockfile's text at `ref`, or undefined when the file did not exist there (every entry is
 * then new). A ref that does not exist is an error, not "no base": a mistyped --base would
 * otherwise turn a diff check into a full audit, or a shallow CI clone into a silent pass.
 */
export function lockfileAtRef(lockfile: string, ref: string): string | undefined {
  const abs = path.resolve(lockfile);
  const top = gitToplevel(path.dirname(abs));
  const rel = path.relative(fs.realpathSync(top), fs.realpathSync(abs)).split(path.sep).join('/');
  return fileAtRef(top, ref, rel);
}

/**
 * The base to compare with when none is given. In a GitHub Actions pull request, the pull
 * request's base commit (from the event payload, else origin/<base branch>); on a push, the commit
 * before the push; elsewhere HEAD, so a local run checks uncommitted lockfile changes.
 */
export function defaultBase(env: NodeJS.ProcessEnv): { ref: string; why: string } {
  if (env.GITHUB_ACTIONS === 'true') {
    const event = readEvent(env.GITHUB_EVENT_PATH);
    const prBase = event?.pull_request?.base?.sha;
    if (typeof prBase === 'string' && /^[0-9a-f]{40}$/.test(prBase)) return { ref: prBase, why: 'the pull request base commit' };
    if (env.GITHUB_BASE_REF) return { ref: `origin/${env.GITHUB_BASE_REF}`, why: 'the pull request base branch' };
    const before = event?.before;
    if (typeof before === 'string' && /^[0-9a-f]{40}$/.test(before) && !/^0+$/.test(before)) return { ref: before, why: 'the commit before this push' };
  }
  return { ref: 'HEAD', why: 'the last commit (no --base given)' };
}

interface GithubEvent {
  pull_request?: { base?: { sha?: unknown } };
  before?: unknown;
}

function readEvent(file: string | undefined): GithubEvent | undefined {
  if (!file) return undefined;
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as GithubEvent) : undefined;
  } catch {
    return undefined;
  }
}
