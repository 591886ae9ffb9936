// Find, detect and parse a lockfile: `tollgate audit [dir|file]`.
import fs from 'node:fs';
import path from 'node:path';
import { MAX_LOCKFILE_BYTES, MAX_MANIFEST_BYTES, readBoundedFile, readBoundedText, type BoundedReadError } from '../io/read-bounded.js';
import { parseAllDocuments } from 'yaml';
import { parseBunLockfile } from './bun.js';
import { isObject } from './json.js';
import { parseNpmLockfile } from './npm.js';
import { parsePnpmLockfile } from './pnpm.js';
import { globToRegExp } from './spec.js';
import { LockfileError, type Lockfile, type LockfileFormat, type ParseContext } from './types.js';
import { parseYarnLockfile } from './yarn.js';

export * from './types.js';

/** Names looked for in a folder, in npm's order of precedence (a shrinkwrap wins over package-lock). */
export const LOCKFILE_NAMES = ['npm-shrinkwrap.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'] as const;

const BUN_BINARY_MAGIC = 'bun-lockfile-format-v0';

export const BUN_LOCKB_HELP =
  'is a binary bun.lockb, which Tollgate does not read. Write the text lockfile beside it with ' +
  '`bun install --save-text-lockfile --frozen-lockfile --lockfile-only` (bun 1.1.39 or newer; bun 1.2+ writes bun.lock by default), ' +
  'then run `tollgate audit` on the folder or on bun.lock';

/** The lockfile to audit for a folder or file argument; notes name other lockfiles found beside it. */
export function findLockfile(target: string): { file: string; others: string[] } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new LockfileError(target, undefined, 'no such file or folder');
  }
  if (!stat.isDirectory()) return { file: target, others: [] };
  const found = LOCKFILE_NAMES.map((n) => path.join(target, n)).filter((f) => fs.existsSync(f));
  if (!found.length) {
    throw new LockfileError(target, undefined, `no lockfile here (looked for ${LOCKFILE_NAMES.join(', ')}); run your package manager's install once to create one, or pass the lockfile's path`);
  }
  // A text bun.lock beside the binary one is the one to read.
  const pick = found.find((f) => !f.endsWith('.lockb')) ?? found[0]!;
  return { file: pick, others: found.filter((f) => f !== pick) };
}

/** Format from the file name, else from the content (the shared corpus uses descriptive names). */
export function detectFormat(file: string, text: string): LockfileFormat {
  const base = path.basename(file);
  if (text.includes(BUN_BINARY_MAGIC) && text.startsWith('#!')) throw new LockfileError(file, undefined, BUN_LOCKB_HELP);
  if (base === 'npm-shrinkwrap.json') return 'npm-shrinkwrap';
  if (base === 'package-lock.json') return 'package-lock';
  if (base === 'pnpm-lock.yaml') return 'pnpm';
  if (base === 'yarn.lock') return text.includes('\n__metadata:') || text.startsWith('__metadata:') ? 'yarn-berry' : 'yarn-classic';
  if (base === 'bun.lock') return 'bun';
  const head = text.slice(0, 4096);
  if (/^(?:#[^\n]*\n)*\s*#\s*yarn lockfile v1/i.test(head)) return 'yarn-classic';
  if (/^__metadata:/m.test(head)) return 'yarn-berry';
  if (/^(?:---\s*\n)?lockfileVersion: /m.test(head)) return 'pnpm';
  if (/^\s*\{/.test(head)) {
    if (/"workspaces"\s*:/.test(head) && /"lockfileVersion"\s*:\s*[012]\s*,/.test(head) && !/"requires"\s*:/.test(head)) return 'bun';
    if (/"lockfileVersion"\s*:/.test(head)) return /shrinkwrap/i.test(base) ? 'npm-shrinkwrap' : 'package-lock';
  }
  throw new LockfileError(file, 1, `not a lockfile Tollgate knows (${LOCKFILE_NAMES.join(', ')})`);
}

export function parseLockfileText(file: string, text: string, manifests?: ParseContext['manifests']): Lockfile {
  try {
    return parseByFormat(file, text, manifests);
  } catch (err) {
    if (err instanceof LockfileError) throw err;
    // A malformed file can reach corners no format parser anticipated: still a typed error that
    // names the file, never a crash.
    throw new LockfileError(file, undefined, `could not be read (${(err as Error)?.message ?? String(err)}); regenerate it with your package manager`);
  }
}

function parseByFormat(file: string, text: string, manifests?: ParseContext['manifests']): Lockfile {
  const format = detectFormat(file, text);
  const ctx: ParseContext = { file, text, manifests };
  switch (format) {
    case 'package-lock':
    case 'npm-shrinkwrap':
      return parseNpmLockfile(ctx, format);
    case 'yarn-classic':
    case 'yarn-berry':
      return parseYarnLockfile(ctx);
    case 'pnpm':
      return parsePnpmLockfile(ctx);
    case 'bun':
      return parseBunLockfile(ctx);
  }
}

/** Read and parse; every failure is a LockfileError naming the file (and line when known). */
export function loadLockfile(file: string, opts: { manifests?: boolean } = {}): Lockfile {
  let buf: Buffer;
  try {
    buf = readBoundedFile(file, { maxBytes: MAX_LOCKFILE_BYTES, what: 'lockfile' });
  } catch (err) {
    // A link to /dev/zero, a pipe or an oversized file is refused before it is read.
    const e = err as BoundedReadError;
    throw new LockfileError(file, undefined, e.code === 'ENOTREG' || e.code === 'ETOOBIG' ? e.message.replace(`lockfile ${file} `, '') : `cannot read: ${e.message}`);
  }
  if (buf.includes(BUN_BINARY_MAGIC) && buf.subarray(0, 2).toString() === '#!') throw new LockfileError(file, undefined, BUN_LOCKB_HELP);
  const text = buf.toString('utf8').replace(/^\uFEFF/, '');
  const manifests = opts.manifests ? projectManifests(path.dirname(path.resolve(file))) : undefined;
  return parseLockfileText(file, text, manifests);
}

function readManifest(file: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(readBoundedText(file, { maxBytes: MAX_MANIFEST_BYTES, what: 'package.json' }));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * package.json files of the project beside the lockfile: the root and its workspaces (from
 * package.json `workspaces` or pnpm-workspace.yaml). Others are read on demand by folder, since
 * berry, pnpm and bun lockfiles name their workspace folders themselves.
 */
export function projectManifests(dir: string): Map<string, Record<string, unknown>> | undefined {
  const root = readManifest(path.join(dir, 'package.json'));
  if (!root) return undefined;
  const map = new ManifestMap(dir);
  map.set('', root);
  const ws = root.workspaces;
  let globs: string[] = Array.isArray(ws) ? ws : isObject(ws) && Array.isArray(ws.packages) ? ws.packages : [];
  const pnpmWs = path.join(dir, 'pnpm-workspace.yaml');
  if (fs.existsSync(pnpmWs)) {
    try {
      const doc = parseAllDocuments(readBoundedText(pnpmWs, { maxBytes: MAX_MANIFEST_BYTES, what: 'pnpm-workspace.yaml' }));
      const first = (Array.isArray(doc) ? doc[0] : doc)?.toJS() as unknown;
      if (isObject(first) && Array.isArray(first.packages)) globs = [...globs, ...first.packages];
    } catch {
      // A broken workspace file only costs us dev flags.
    }
  }
  for (const rel of expandGlobs(dir, globs.filter((g): g is string => typeof g === 'string'))) map.get(rel);
  return map;
}

class ManifestMap extends Map<string, Record<string, unknown>> {
  constructor(private readonly dir: string) {
    super();
  }
  override get(rel: string): Record<string, unknown> | undefined {
    if (!super.has(rel)) {
      const m = readManifest(path.join(this.dir, rel, 'package.json'));
      if (!m) return undefined;
      super.set(rel, m);
    }
    return super.get(rel);
  }
}

/** Workspace folders matching the globs (negations drop matches), never descending into node_modules. */
function expandGlobs(dir: string, globs: string[]): string[] {
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => globToRegExp(g.slice(1)));
  const out = new Set<string>();
  for (const glob of globs.filter((g) => !g.startsWith('!'))) {
    const re = globToRegExp(glob);
    const parts = glob.replace(/^\.\//, '').replace(/\/$/, '').split('/');
    // Walk only below the glob's fixed prefix, and no deeper than it can match.
    const fixed = parts.findIndex((p) => /[*?[{]/.test(p));
    const start = (fixed === -1 ? parts : parts.slice(0, fixed)).join('/');
    const maxDepth = parts.includes('**') ? 4 : parts.length - (fixed === -1 ? parts.length : fixed);
    const walk = (rel: string, depth: number) => {
      if (re.test(rel) && !exclude.some((x) => x.test(rel))) out.add(rel);
      if (depth >= maxDepth) return;
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const d of names) {
        if (d.isDirectory() && d.name !== 'node_modules' && !d.name.startsWith('.')) walk(rel ? `${rel}/${d.name}` : d.name, depth + 1);
      }
    };
    walk(start, 0);
  }
  return [...out];
}
