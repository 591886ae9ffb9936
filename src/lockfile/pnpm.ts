// pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x, including files written as several YAML
// documents (pnpm 11 puts its own packageManagerDependencies in a first document).
//   5.x  packages keyed `/name/1.2.3_peer@1.0.0`, dependency refs `1.2.3_peer@1.0.0`
//   6.x  packages keyed `/name@1.2.3(peer@1.0.0)`, importers as {specifier, version}
//   9.x  packages keyed `name@1.2.3` (resolution only) + snapshots `name@1.2.3(peer@1.0.0)` (graph)
// 5.x/6.x record dev/optional per package; 9.x records only `optional`, so dev is derived.
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LockGraph, type Draft } from './builder.js';
import type { EdgeType, GraphRoot } from './graph.js';
import { isObject } from './json.js';
import { isRegistryTarballUrl } from './spec.js';
import { failOnDangling } from './dangling.js';
import { LineIndex, LockfileError, type Dangling, type EntryKind, type LockEntry, type Lockfile, type ParseContext } from './types.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj => (isObject(v) ? v : {});

/** `name@rest` -> [name, rest], scope-aware. */
function splitAt(s: string): [string, string] {
  const at = s.indexOf('@', s.startsWith('@') ? 1 : 0);
  return at === -1 ? [s, ''] : [s.slice(0, at), s.slice(at + 1)];
}

interface Dialect {
  major: 5 | 6 | 9;
  /** Dependency reference (as in importers / dependencies maps) -> node key, or undefined for link:. */
  refToKey(name: string, ref: string): string | undefined;
  /** Node key -> name and version, when the entry does not say. */
  parseKey(key: string): { name: string; version: string };
}

const V5: Dialect = {
  major: 5,
  refToKey: (name, ref) => (ref.startsWith('link:') ? undefined : ref.startsWith('/') || ref.includes('/') ? ref : `/${name}/${ref}`),
  parseKey(key) {
    const parts = key.replace(/^\//, '').split('/');
    const nameLen = parts[0]!.startsWith('@') ? 2 : 1;
    const version = (parts[nameLen] ?? '').replace(/_[\s\S]*/, '');
    return { name: parts.slice(0, nameLen).join('/'), version };
  },
};

const V6: Dialect = {
  major: 6,
  refToKey: (name, ref) => (ref.startsWith('link:') ? undefined : ref.startsWith('/') || /^[\w.-]+\.[a-z]+\//.test(ref) || ref.startsWith('file:') ? (ref.startsWith('file:') ? `${name}@${ref}` : ref) : `/${name}@${ref}`),
  parseKey(key) {
    const [name, rest] = splitAt(key.replace(/^\//, ''));
    return { name, version: rest.replace(/\([\s\S]*/, '') };
  },
};

// pnpm's own refToRelative for v9: an `@` before any `:` or `(` means the ref names the package (alias).
const V9: Dialect = {
  major: 9,
  refToKey(name, ref) {
    if (ref.startsWith('link:')) return undefined;
    if (ref.startsWith('@')) return ref;
    const at = ref.indexOf('@');
    if (at === -1) return `${name}@${ref}`;
    const colon = ref.indexOf(':');
    const paren = ref.indexOf('(');
    if ((colon === -1 || at < colon) && (paren === -1 || at < paren)) return ref;
    return `${name}@${ref}`;
  },
  parseKey(key) {
    const [name, rest] = splitAt(key);
    return { name, version: rest.replace(/\([\s\S]*/, '') };
  },
};

function dialectOf(file: string, v: unknown, line: number | undefined): Dialect {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseFloat(v) : NaN;
  if (n >= 5 && n < 6) return V5;
  if (n >= 6 && n < 7) return V6;
  if (n >= 9 && n < 10) return V9;
  throw new LockfileError(file, line, `unsupported pnpm lockfileVersion ${JSON.stringify(v)} (Tollgate reads 5.x, 6.x and 9.x)`);
}

/** Importer fields -> edge types; pnpm's own and config dependencies are tooling, like dev. */
const IMPORTER_FIELDS: Array<[string, EdgeType]> = [
  ['dependencies', 'prod'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
  ['packageManagerDependencies', 'dev'],
  ['configDependencies', 'dev'],
];

function kindOf(resolution: Obj, key: string): { kind: EntryKind; resolved?: string } {
  const tarball = str(resolution.tarball);
  const type = str(resolution.type);
  if (type === 'directory') return { kind: 'directory', resolved: str(resolution.directory) };
  if (type === 'git') return { kind: 'git', resolved: `${str(resolution.repo) ?? ''}#${str(resolution.commit) ?? ''}` };
  if (type === 'variations' || type === 'binary') return { kind: 'runtime', resolved: key };
  if (tarball) {
    if (resolution.gitHosted === true || /^https?:\/\/codeload\.github\.com\//.test(tarball)) return { kind: 'git', resolved: tarball };
    if (tarball.startsWith('file:')) return { kind: 'local-tarball', resolved: tarball.slice(5) };
    return { kind: isRegistryTarballUrl(tarball) ? 'registry' : 'tarball', resolved: tarball };
  }
  return { kind: 'registry' };
}

export function parsePnpmLockfile(ctx: ParseContext): Lockfile {
  const docs = parseAllDocuments(ctx.text, { uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const e = d.errors[0];
    if (e) throw new LockfileError(ctx.file, e.linePos?.[0]?.line, `not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  let datas: unknown[];
  try {
    datas = list.map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    throw new LockfileError(ctx.file, undefined, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!datas.length || !datas.every(isObject)) throw new LockfileError(ctx.file, 1, 'not a pnpm lockfile: expected a YAML map');
  const lines = new LineIndex(ctx.text);
  const lineOfKey = (key: string) => lines.lineOf(`\n  ${key}:`) ?? lines.lineOf(`\n  '${key}':`) ?? lines.lineOf(`\n  "${key}":`);
  const fix = (n: number | undefined) => (n === undefined ? undefined : n + 1);

  const g = new LockGraph();
  const rootManifest = ctx.manifests?.get('');
  const root = g.root(str(rootManifest?.name) ?? '(root)');
  const merged: Array<{ members: number[] }> = []; // v9: snapshots of one package merge into one entry
  const dangling: Dangling[] = [];
  let version = '';
  const workspaceNodes = new Map<string, number>();
  const linkNodes = new Map<string, number>();

  datas.forEach((data, docIndex) => {
    const d = dialectOf(ctx.file, data.lockfileVersion, lines.lineOf('lockfileVersion') ?? 1);
    version = String(data.lockfileVersion);
    const packages = obj(data.packages);
    const snapshots = d.major === 9 ? obj(data.snapshots) : packages;
    if (d.major === 9 && Object.keys(packages).length && !isObject(data.snapshots)) {
      throw new LockfileError(ctx.file, lines.lines, 'lockfileVersion 9 file has "packages" but no "snapshots" section; the file looks truncated');
    }
    const patched = obj(data.patchedDependencies);
    const nodeOf = new Map<string, number>();
    const groups = new Map<string, number[]>();

    for (const [key, rawSnap] of Object.entries(snapshots)) {
      const pkgKey = d.major === 9 ? key.replace(/\([\s\S]*/, '') : key;
      const pkg = packages[pkgKey];
      if (!isObject(pkg)) throw new LockfileError(ctx.file, fix(lineOfKey(key)), `snapshot ${JSON.stringify(key)} has no package entry ${JSON.stringify(pkgKey)}; the file looks truncated or hand-edited`);
      const snap = obj(rawSnap);
      if (!isObject(pkg.resolution)) throw new LockfileError(ctx.file, fix(lineOfKey(pkgKey)), `package ${JSON.stringify(pkgKey)} has no resolution; the file looks truncated or hand-edited`);
      const parsed = d.parseKey(pkgKey);
      const name = str(pkg.name) ?? parsed.name;
      const { kind, resolved } = kindOf(pkg.resolution, pkgKey);
      // `name@file:dir` / `name@https://…` keys: the part after @ is a location, not a version.
      const ver = str(pkg.version) ?? (kind === 'registry' || !/:/.test(parsed.version) ? parsed.version : '');
      const draft: Draft = {
        name,
        version: ver,
        kind,
        resolved,
        integrity: str(pkg.resolution.integrity),
        key: pkgKey,
        patch: str(obj(patched[`${name}@${ver}`]).path) ?? (typeof patched[name] === 'string' || isObject(patched[name]) ? `${name} (patchedDependencies)` : /patch_hash=/.test(key) ? 'patch_hash' : undefined),
      };
      // 5.x/6.x record the flags; 9.x only `optional` on the snapshot.
      if (d.major !== 9 && typeof pkg.dev === 'boolean') draft.flags = { dev: pkg.dev, optional: pkg.optional === true, peer: false };
      const i = g.add(draft);
      nodeOf.set(key, i);
      const members = groups.get(pkgKey);
      if (members) members.push(i);
      else groups.set(pkgKey, [i]);
      void snap;
    }
    for (const members of groups.values()) merged.push({ members });

    // Edges between packages.
    for (const [key, rawSnap] of Object.entries(snapshots)) {
      const from = nodeOf.get(key)!;
      const snap = obj(rawSnap);
      for (const [field, type] of [['dependencies', 'prod'], ['optionalDependencies', 'optional']] as const) {
        for (const [dep, ref] of Object.entries(obj(snap[field]))) {
          const refStr = String(ref);
          const target = d.refToKey(dep, refStr);
          if (target === undefined) continue; // link: from a package (rare): nothing to fetch
          const to = nodeOf.get(target);
          if (to !== undefined) g.edge(from, aliased(to, dep), type);
          else dangling.push({ from: key, name: dep, spec: refStr, optional: type === 'optional' });
        }
      }
    }

    // Importers: '.' is the project root; others are workspace members (scanned as folders).
    const importers = isObject(data.importers) ? data.importers : { '.': data };
    for (const [dir, rawImp] of Object.entries(importers)) {
      const imp = obj(rawImp);
      let source: GraphRoot | number;
      if (dir === '.') source = docIndex === datas.length - 1 ? root : g.root(imp.packageManagerDependencies ? '(package manager)' : `(document ${docIndex + 1})`);
      else source = workspaceNode(dir);
      for (const [field, type] of IMPORTER_FIELDS) {
        for (const [dep, rawRef] of Object.entries(obj(imp[field]))) {
          // 5.x: `name: ref` with refs in `specifiers`; 6.x/9.x: `name: {specifier, version}`.
          const ref = isObject(rawRef) ? String(rawRef.version ?? '') : String(rawRef);
          let to: number | undefined;
          if (ref.startsWith('link:')) {
            const target = path.posix.normalize(path.posix.join(dir, ref.slice(5)));
            to = isObject(importers[target]) ? workspaceNode(target) : linkNode(dep, target);
          } else {
            const key = d.refToKey(dep, ref);
            to = key === undefined ? undefined : nodeOf.get(key);
            if (to !== undefined) to = aliased(to, dep);
            if (to === undefined) dangling.push({ from: dir, name: dep, spec: ref, optional: type === 'optional' });
          }
          if (to === undefined) continue;
          if (typeof source === 'number') g.edge(source, to, type);
          else source.edges.push({ to, type });
        }
      }
    }
    // Workspace members are part of the project: their own dependencies are prod unless dev there.
    for (const [dir, i] of workspaceNodes) if (dir !== '.') root.edges.push({ to: i, type: 'prod' });
  });

  /** pnpm aliases live on the edge (`sw-cjs: string-width@4.2.3`): remember the install name. */
  function aliased(to: number, dep: string): number {
    const d = g.drafts[to]!;
    if (dep !== d.name && d.kind !== 'workspace' && d.kind !== 'directory') d.alias ??= dep;
    return to;
  }
  function workspaceNode(dir: string): number {
    let i = workspaceNodes.get(dir);
    if (i === undefined) {
      const m = ctx.manifests?.get(dir);
      i = g.add({ name: str(m?.name) ?? dir, version: str(m?.version) ?? '', kind: 'workspace', resolved: dir, key: dir });
      workspaceNodes.set(dir, i);
      merged.push({ members: [i] });
    }
    return i;
  }
  function linkNode(dep: string, dir: string): number {
    let i = linkNodes.get(dir);
    if (i === undefined) {
      i = g.add({ name: dep, version: '', kind: 'directory', resolved: dir, key: `link:${dir}` });
      linkNodes.set(dir, i);
      merged.push({ members: [i] });
    }
    return i;
  }

  failOnDangling(ctx, dangling, (from) => fix(lineOfKey(from)) ?? fix(lines.lineOf(`\n  ${from}:`)));
  g.adopt(root, g.orphans());
  const all = g.finish();
  // One entry per package: a 9.x package with several peer-resolved snapshots is one tarball.
  const entries: LockEntry[] = merged.map(({ members }) => {
    const first = { ...all[members[0]!]! };
    if (members.length > 1) {
      const parts = members.map((i) => all[i]!);
      first.dev = parts.every((p) => p.dev);
      first.optional = parts.every((p) => p.optional);
      first.peer = parts.every((p) => p.peer);
      const seen = new Set<string>();
      first.paths = parts
        .flatMap((p) => p.paths)
        .sort((a, b) => a.length - b.length)
        .filter((p) => !seen.has(p.join('\0')) && seen.add(p.join('\0')))
        .slice(0, 3);
    }
    return first;
  });
  return { file: ctx.file, format: 'pnpm', version, rootName: root.label, entries, notes: [] };
}
