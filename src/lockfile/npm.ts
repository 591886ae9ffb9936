// package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.
// v2 and v3 carry a flat `packages` map keyed by install location (node_modules/a/node_modules/b),
// which is what npm itself reads; v2's legacy `dependencies` tree duplicates it and is ignored.
// v1 has only the nested `dependencies` tree with `requires` maps.
import { LockGraph, depLists } from './builder.js';
import type { EdgeType } from './graph.js';
import { isObject, readJson } from './json.js';
import { globToRegExp, isGit, kindOfResolved, parseAlias } from './spec.js';
import { LineIndex, LockfileError, type Dangling, type EntryKind, type Lockfile, type LockfileFormat, type ParseContext } from './types.js';
import { failOnDangling } from './dangling.js';

const NM = 'node_modules/';

export function parseNpmLockfile(ctx: ParseContext, format: 'package-lock' | 'npm-shrinkwrap'): Lockfile {
  const data = readJson(ctx.text, ctx.file);
  if (!isObject(data)) throw new LockfileError(ctx.file, 1, 'expected a JSON object at the top level');
  const lv = data.lockfileVersion;
  if (lv !== 1 && lv !== 2 && lv !== 3) {
    const lines = new LineIndex(ctx.text);
    throw new LockfileError(ctx.file, lines.lineOf('"lockfileVersion"') ?? 1, `unsupported lockfileVersion ${JSON.stringify(lv)} (Tollgate reads 1, 2 and 3)`);
  }
  if ((lv === 2 || lv === 3) && isObject(data.packages)) return fromPackages(ctx, format, data, lv);
  if (lv === 3) throw new LockfileError(ctx.file, 1, 'lockfileVersion 3 without a "packages" object');
  return fromTree(ctx, format, data);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function workspaceGlobs(root: Record<string, unknown>): RegExp[] {
  const ws = root.workspaces;
  const list = Array.isArray(ws) ? ws : isObject(ws) && Array.isArray(ws.packages) ? ws.packages : [];
  return list.filter((g): g is string => typeof g === 'string').map(globToRegExp);
}

function fromPackages(ctx: ParseContext, format: LockfileFormat, data: Record<string, unknown>, lv: number): Lockfile {
  const pk = data.packages as Record<string, unknown>;
  const rootEntry = isObject(pk['']) ? pk[''] : {};
  const rootName = str(rootEntry.name) ?? str(data.name) ?? '(root)';
  const globs = workspaceGlobs(rootEntry);
  const g = new LockGraph();
  const at = new Map<string, number>();
  const links = new Map<string, string>();
  let lines: LineIndex | undefined;
  const lineOfKey = (loc: string) => (lines ??= new LineIndex(ctx.text)).lineOf(JSON.stringify(loc) + ':');

  for (const [loc, raw] of Object.entries(pk)) {
    if (loc === '') continue;
    if (!isObject(raw)) throw new LockfileError(ctx.file, lineOfKey(loc), `packages[${JSON.stringify(loc)}] is not an object`);
    if (raw.link === true) {
      const target = str(raw.resolved);
      if (!target) throw new LockfileError(ctx.file, lineOfKey(loc), `link entry ${JSON.stringify(loc)} has no "resolved" target folder`);
      links.set(loc, target);
      continue;
    }
    const cut = loc.lastIndexOf(NM);
    const installName = cut === -1 ? undefined : loc.slice(cut + NM.length);
    const name = str(raw.name) ?? installName ?? loc.slice(loc.lastIndexOf('/') + 1);
    const version = str(raw.version);
    const resolved = str(raw.resolved);
    let kind: EntryKind;
    if (installName === undefined) kind = globs.some((re) => re.test(loc)) ? 'workspace' : 'directory';
    else if (resolved) kind = kindOfResolved(resolved);
    else if (version && isGit(version)) kind = 'git';
    else kind = 'registry';
    if (!version && installName !== undefined && kind !== 'git') {
      throw new LockfileError(ctx.file, lineOfKey(loc), `entry ${JSON.stringify(loc)} has no "version"; the lockfile is incomplete or hand-edited`);
    }
    at.set(
      loc,
      g.add({
        name,
        version: version ?? '',
        alias: installName !== undefined && installName !== name ? installName : undefined,
        kind,
        resolved: kind === 'workspace' || kind === 'directory' ? (resolved ?? loc) : resolved,
        integrity: str(raw.integrity),
        // devOptional: in both the dev and the optional tree; `npm ci --omit=dev` still installs it.
        flags: { dev: raw.dev === true, optional: raw.optional === true || raw.devOptional === true, peer: raw.peer === true },
        bundled: raw.inBundle === true,
        key: loc,
        label: installName ?? name,
      }),
    );
  }

  // npm's node_modules lookup: the dependent's own node_modules, then each folder above it.
  const resolve = (from: string, dep: string): number | undefined => {
    for (let base = from; ; base = base.includes('/') ? base.slice(0, base.lastIndexOf('/')) : '') {
      const cand = (base ? base + '/' : '') + NM + dep;
      const link = links.get(cand);
      const hit = at.get(link ?? cand);
      if (hit !== undefined || links.has(cand) || pk[cand] !== undefined) return hit;
      if (base === '') return undefined;
    }
  };

  const dangling: Dangling[] = [];
  const connect = (from: string, manifest: Record<string, unknown>, withDev: boolean, add: (to: number, type: EdgeType) => void) => {
    const peerMeta = isObject(manifest.peerDependenciesMeta) ? manifest.peerDependenciesMeta : {};
    for (const [dep, spec, type] of depLists(manifest, withDev)) {
      const to = resolve(from, dep);
      if (to !== undefined) add(to, type);
      else if (type !== 'peer' || !(isObject(peerMeta[dep]) && peerMeta[dep].optional === true)) dangling.push({ from, name: dep, spec, optional: type === 'optional' || type === 'peer' });
    }
  };
  for (const [loc, i] of at) {
    const raw = pk[loc] as Record<string, unknown>;
    const folder = !loc.includes(NM);
    connect(loc, raw, folder, (to, type) => g.edge(i, to, type));
  }
  const root = g.root(rootName);
  connect('', rootEntry, true, (to, type) => root.edges.push({ to, type }));
  // Workspaces hang off the root (arborist's "workspace" edges), so their dependencies get paths too.
  for (const [loc, i] of at) if (!loc.includes(NM) && g.drafts[i]!.kind === 'workspace') root.edges.push({ to: i, type: 'prod' });

  failOnDangling(ctx, dangling, (from) => (from === '' ? lineOfKey('') : lineOfKey(from)));
  return { file: ctx.file, format, version: String(lv), rootName, entries: g.finish(), notes: [] };
}

/** lockfileVersion 1: the nested `dependencies` tree. */
function fromTree(ctx: ParseContext, format: LockfileFormat, data: Record<string, unknown>): Lockfile {
  const rootName = str(data.name) ?? '(root)';
  const g = new LockGraph();
  let lines: LineIndex | undefined;
  // v1 keys are plain names, repeated at every nesting level: point at the first one as written.
  const lineOfKey = (key: string) => (lines ??= new LineIndex(ctx.text)).lineOf(JSON.stringify(key.slice(key.lastIndexOf('/') + 1)) + ': {');

  interface Scope {
    loc: string;
    children: Map<string, number>;
    parent?: Scope;
  }
  const pending: Array<{ i: number; raw: Record<string, unknown>; scope: Scope }> = [];
  const top: Scope = { loc: '', children: new Map() };
  const walk = (deps: Record<string, unknown>, scope: Scope) => {
    for (const [installName, raw] of Object.entries(deps)) {
      const loc = (scope.loc ? scope.loc + '/' : '') + NM + installName;
      if (!isObject(raw)) throw new LockfileError(ctx.file, lineOfKey(loc), `dependencies[${JSON.stringify(installName)}] is not an object`);
      const spec = str(raw.version);
      if (!spec) throw new LockfileError(ctx.file, lineOfKey(loc), `dependency ${JSON.stringify(loc)} has no "version"; the lockfile is incomplete or hand-edited`);
      const resolved = str(raw.resolved);
      const alias = parseAlias(spec);
      let name = installName;
      let version = spec;
      let kind: EntryKind;
      if (alias) {
        name = alias.name;
        version = alias.spec;
        kind = resolved ? kindOfResolved(resolved) : 'registry';
      } else if (isGit(spec) || (resolved && isGit(resolved))) kind = 'git';
      else if (spec.startsWith('file:')) kind = kindOfResolved(spec);
      else if (/^https?:\/\//.test(spec)) kind = kindOfResolved(spec);
      else kind = resolved ? kindOfResolved(resolved) : 'registry';
      // A git or file: "version" is really where the code comes from.
      const local = kind === 'directory' || kind === 'local-tarball';
      if (kind === 'git' || local) version = '';
      const i = g.add({
        name,
        version,
        alias: name !== installName ? installName : undefined,
        kind,
        resolved: local ? spec.replace(/^file:/, '') : (resolved ?? (kind !== 'registry' ? spec : undefined)),
        integrity: str(raw.integrity),
        flags: { dev: raw.dev === true, optional: raw.optional === true, peer: false },
        bundled: raw.bundled === true,
        key: loc,
        label: installName,
      });
      scope.children.set(installName, i);
      const inner: Scope = { loc, children: new Map(), parent: scope };
      pending.push({ i, raw, scope: inner });
      if (isObject(raw.dependencies)) walk(raw.dependencies, inner);
    }
  };
  if (isObject(data.dependencies)) walk(data.dependencies, top);

  const resolve = (scope: Scope | undefined, dep: string): number | undefined => {
    for (let s = scope; s; s = s.parent) {
      const hit = s.children.get(dep);
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
  const dangling: Dangling[] = [];
  for (const { i, raw, scope } of pending) {
    if (!isObject(raw.requires)) continue;
    for (const [dep, spec] of Object.entries(raw.requires)) {
      const to = resolve(scope, dep);
      if (to !== undefined) g.edge(i, to, 'prod');
      // A v1 `requires` of an optional dependency that failed to install is simply absent.
      else dangling.push({ from: scope.loc, name: dep, spec: String(spec), optional: true });
    }
  }

  const root = g.root(rootName);
  const manifest = ctx.manifests?.get('');
  if (manifest) {
    for (const [dep, , type] of depLists(manifest, true)) {
      const to = top.children.get(dep);
      if (to !== undefined) root.edges.push({ to, type });
    }
  }
  // v1 does not list the root's own dependencies: adopt whatever nothing else pulls in.
  const topLevel = [...top.children.values()];
  const required = new Set(g.edges.flatMap((es) => es.map((e) => e.to)));
  g.adopt(root, [...topLevel.filter((i) => !required.has(i)), ...topLevel], (i) => (g.drafts[i]!.flags?.dev ? 'dev' : 'prod'));
  failOnDangling(ctx, dangling, lineOfKey);
  return {
    file: ctx.file,
    format,
    version: '1',
    rootName,
    entries: g.finish(),
    notes: manifest ? [] : ['lockfileVersion 1 does not list the project\'s direct dependencies; paths start at the top-level packages nothing else requires'],
  };
}
