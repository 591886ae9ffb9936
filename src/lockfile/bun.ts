// bun.lock (text, JSONC with trailing commas), lockfileVersion 0 and 1. `packages` maps an install
// path ("a", "a/b" for b nested under a, "@ws/name/dep" for a workspace-local copy) to a tuple:
//   npm:        [ "name@1.2.3", "<registry URL or '' for the default>", {deps...}, "sha512-..." ]
//   git/github: [ "name@github:owner/repo#sha", {deps...}, "<bun tag>" ]
//   tarball, file, link: [ "name@https://...tgz" | "name@file:..." | "name@link:...", {deps...} ]
//   workspace:  [ "name@workspace:packages/x" ]
// bun records no dev/optional flags: they come from the workspaces' dependency kinds via the graph.
// A binary bun.lockb is refused before we get here (see index.ts).
import path from 'node:path';
import { LockGraph, depLists, type Draft } from './builder.js';
import type { EdgeType } from './graph.js';
import { isObject, readJsonc } from './json.js';
import { isGit, kindOfResolved } from './spec.js';
import { failOnDangling } from './dangling.js';
import { LineIndex, LockfileError, type Dangling, type Lockfile, type ParseContext } from './types.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `name@ref` -> [name, ref], scope-aware. */
function splitId(id: string): [string, string] {
  const at = id.indexOf('@', id.startsWith('@') ? 1 : 0);
  return at === -1 ? [id, ''] : [id.slice(0, at), id.slice(at + 1)];
}

/** The install path minus its last package name ("a/@s/b" -> "a", "@s/b" -> ""). */
function parentPath(key: string): string | undefined {
  const parts = key.split('/');
  const lastLen = parts.length >= 2 && parts[parts.length - 2]!.startsWith('@') ? 2 : 1;
  if (parts.length <= lastLen) return undefined;
  return parts.slice(0, parts.length - lastLen).join('/');
}

function lastName(key: string): string {
  const parent = parentPath(key);
  return parent === undefined ? key : key.slice(parent.length + 1);
}

export function tarballUrl(registry: string, name: string, version: string): string {
  const base = registry.endsWith('/') ? registry : registry + '/';
  return `${base}${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${version}.tgz`;
}

export function parseBunLockfile(ctx: ParseContext): Lockfile {
  const data = readJsonc(ctx.text, ctx.file);
  if (!isObject(data)) throw new LockfileError(ctx.file, 1, 'not a bun.lock: expected a JSON object');
  const lines = new LineIndex(ctx.text);
  const lineOfKey = (key: string) => lines.lineOf(`\n    ${JSON.stringify(key)}:`)! + 1;
  const lv = data.lockfileVersion;
  // Version 2 (bun 1.3+) only made bun's own parse stricter; the tuples are the same.
  if (lv !== 0 && lv !== 1 && lv !== 2) throw new LockfileError(ctx.file, lines.lineOf('"lockfileVersion"') ?? 1, `unsupported bun lockfileVersion ${JSON.stringify(lv)} (Tollgate reads 0 to 2)`);
  if (!isObject(data.packages)) throw new LockfileError(ctx.file, lines.lineOf('"packages"') ?? 1, 'bun.lock has no "packages" object');
  const workspaces = isObject(data.workspaces) ? data.workspaces : {};

  const g = new LockGraph();
  const at = new Map<string, number>();
  const infos: Array<[number, string, Obj]> = [];
  const wsByDir = new Map<string, { index: number; key: string }>();
  for (const [key, tuple] of Object.entries(data.packages)) {
    if (!Array.isArray(tuple) || typeof tuple[0] !== 'string') throw new LockfileError(ctx.file, lineOfKey(key), `packages[${JSON.stringify(key)}] is not a [id, ...] array`);
    const [name, ref] = splitId(tuple[0]);
    const install = lastName(key);
    const d: Draft = { name, version: ref, key, label: install, alias: install !== name ? install : undefined, kind: 'registry' };
    let info: Obj = {};
    if (ref.startsWith('workspace:')) {
      d.kind = 'workspace';
      d.resolved = ref.slice('workspace:'.length);
      d.version = '';
    } else if (/^(?:link|file|portal):/.test(ref)) {
      d.resolved = ref.slice(ref.indexOf(':') + 1);
      d.kind = ref.startsWith('file:') ? kindOfResolved(ref) : 'directory';
      d.version = '';
      info = isObject(tuple[1]) ? tuple[1] : {};
    } else if (ref.startsWith('root:')) {
      d.kind = 'virtual';
    } else if (isGit(ref)) {
      d.kind = 'git';
      d.resolved = ref;
      d.version = '';
      info = isObject(tuple[1]) ? tuple[1] : {};
    } else if (/^https?:\/\//.test(ref)) {
      d.kind = kindOfResolved(ref);
      d.resolved = ref;
      d.version = '';
      info = isObject(tuple[1]) ? tuple[1] : {};
    } else {
      if (tuple.length < 4 || typeof tuple[1] !== 'string' || !isObject(tuple[2]) || typeof tuple[3] !== 'string') {
        throw new LockfileError(ctx.file, lineOfKey(key), `packages[${JSON.stringify(key)}] should be [id, registry, info, integrity]; the file looks truncated or hand-edited`);
      }
      // The second slot is where bun downloads the tarball: "" for the default registry, else the
      // full tarball URL it was resolved to (a registry base URL is read too, as older tools wrote).
      const where = str(tuple[1]);
      if (where) d.resolved = /\.tgz(?:[?#].*)?$/i.test(where) ? where : tarballUrl(where, name, ref);
      info = tuple[2];
      d.integrity = str(tuple[3]);
    }
    if (!d.version && d.kind === 'registry') throw new LockfileError(ctx.file, lineOfKey(key), `package id ${JSON.stringify(tuple[0])} has no version`);
    const i = g.add(d);
    at.set(key, i);
    infos.push([i, key, info]);
    if (d.kind === 'workspace') wsByDir.set(d.resolved!, { index: i, key });
  }

  // bun's lookup: the dependent's own nested copies ("<path>/<dep>"), then each path above it.
  const resolve = (from: string, dep: string): number | undefined => {
    for (let base: string | undefined = from; ; base = parentPath(base)) {
      const hit = at.get(base ? `${base}/${dep}` : dep);
      if (hit !== undefined) return hit;
      if (!base) return undefined;
    }
  };
  const dangling: Dangling[] = [];
  const connect = (fromKey: string, manifest: Obj, withDev: boolean, add: (to: number, type: EdgeType) => void) => {
    const optionalPeers = new Set(Array.isArray(manifest.optionalPeers) ? manifest.optionalPeers : []);
    for (const [dep, spec, type] of depLists(manifest, withDev)) {
      const to = resolve(fromKey, dep);
      if (to !== undefined) add(to, type);
      else if (!(type === 'peer' && optionalPeers.has(dep))) dangling.push({ from: fromKey, name: dep, spec, optional: type === 'optional' || type === 'peer' });
    }
  };
  for (const [i, key, info] of infos) connect(key, info, false, (to, type) => g.edge(i, to, type));

  const rootWs = isObject(workspaces['']) ? workspaces[''] : {};
  const root = g.root(str(rootWs.name) ?? '(root)');
  connect('', rootWs, true, (to, type) => root.edges.push({ to, type }));
  for (const [dir, ws] of Object.entries(workspaces)) {
    if (dir === '' || !isObject(ws)) continue;
    const node = wsByDir.get(dir) ?? wsByDir.get(path.posix.normalize(dir));
    if (!node) {
      dangling.push({ from: `workspaces[${dir}]`, name: str(ws.name) ?? dir, spec: `workspace:${dir}`, optional: false });
      continue;
    }
    root.edges.push({ to: node.index, type: 'prod' });
    // A workspace's own copies live under its package name ("@midday/api/zod").
    connect(node.key, ws, true, (to, type) => g.edge(node.index, to, type));
  }
  failOnDangling(ctx, dangling, (from) => (from.startsWith('workspaces[') ? lines.lineOf(`"${from.slice(11, -1)}": {`) : lineOfKey(from)));
  g.adopt(root, g.orphans());
  return { file: ctx.file, format: 'bun', version: String(lv), rootName: root.label, entries: g.finish(), notes: [] };
}
