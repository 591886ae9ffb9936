// yarn.lock, classic (v1) and berry (yarn 2+, `__metadata`), both read by @yarnpkg/parsers'
// parseSyml: classic through its PEG grammar, berry as YAML. Neither format records dev flags, and
// berry records no tarball URL or tarball checksum (its `checksum` is of yarn's zip archive), so:
// dev comes from the project's package.json files when we have them, and berry tarball URLs are
// built from the npm registry config at fetch time.
import path from 'node:path';
import { parseSyml } from '@yarnpkg/parsers';
import semver from 'semver';
import { LockGraph, type Draft } from './builder.js';
import type { EdgeType, GraphRoot } from './graph.js';
import { isObject } from './json.js';
import { isGit, isRegistryTarballUrl, kindOfResolved, parseAlias, sha1HexToSri, splitDescriptor } from './spec.js';
import { failOnDangling } from './dangling.js';
import { LineIndex, LockfileError, type Dangling, type EntryKind, type Lockfile, type ParseContext } from './types.js';

interface SymlError extends Error {
  location?: { start: { line: number } };
  mark?: { line: number };
}

function parse(ctx: ParseContext): Record<string, unknown> {
  try {
    return parseSyml(ctx.text);
  } catch (err) {
    const e = err as SymlError;
    // PEG errors (classic) carry location.start.line (1-based); js-yaml errors (berry) mark.line (0-based).
    const line = e.location?.start.line ?? (e.mark ? e.mark.line + 1 : undefined);
    const first = String(e.message ?? err).split('\n')[0]!.replace(/\(\d+:\d+\)$/, '').trimEnd();
    throw new LockfileError(ctx.file, line, `not a valid yarn.lock: ${first}`);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const map = (v: unknown): Record<string, string> => (isObject(v) ? (v as Record<string, string>) : {});

/** Dev/prod split for the roots, from package.json files when the caller could read them. */
function manifestTypes(m: Record<string, unknown> | undefined): Map<string, EdgeType> {
  const out = new Map<string, EdgeType>();
  if (!m) return out;
  for (const [field, type] of [['devDependencies', 'dev'], ['peerDependencies', 'peer'], ['optionalDependencies', 'optional'], ['dependencies', 'prod']] as const) {
    for (const k of Object.keys(map(m[field]))) out.set(k, type);
  }
  return out;
}

export function parseYarnLockfile(ctx: ParseContext): Lockfile {
  const data = parse(ctx);
  if (!isObject(data)) throw new LockfileError(ctx.file, 1, 'not a valid yarn.lock: expected a map of entries');
  return isObject(data.__metadata) ? berry(ctx, data) : classic(ctx, data);
}

/** Each lockfile key is a comma-separated list of descriptors resolving to the same entry. */
function descriptors(key: string): string[] {
  // Not trimmed: yarn 2 `condition:` descriptors can end in a space that their references repeat.
  return key.split(', ').filter(Boolean);
}

/**
 * Find the entry a dependency resolves to. Exact descriptor first (berry adds `npm:` to bare
 * ranges), then the forms yarn writes for aliases (classic has a bug that records
 * `real@npm:real@range` instead of `alias@npm:real@range`), then any entry of that name, since
 * `resolutions` overrides redirect a range to a version outside it without a matching key.
 */
function makeLookup(byDescriptor: Map<string, number>, byName: Map<string, number[]>, versionOf: (i: number) => string) {
  return (dep: string, range: string): number | undefined => {
    // A truncated or hand-edited file can leave a dependency without a range (YAML null): no edge.
    if (typeof range !== 'string') return undefined;
    const direct = byDescriptor.get(`${dep}@${range}`) ?? byDescriptor.get(`${dep}@npm:${range}`);
    if (direct !== undefined) return direct;
    const alias = parseAlias(range);
    const target = alias?.name ?? dep;
    const spec = alias?.spec ?? range.replace(/^npm:/, '');
    if (alias) {
      const hit = byDescriptor.get(`${target}@${range}`) ?? byDescriptor.get(`${target}@npm:${spec}`) ?? byDescriptor.get(`${target}@${spec}`);
      if (hit !== undefined) return hit;
    }
    const same = byName.get(target);
    if (!same?.length) return undefined;
    return same.find((i) => semver.valid(versionOf(i)) && semver.satisfies(versionOf(i), spec, { loose: true })) ?? same[0];
  };
}

function classic(ctx: ParseContext, data: Record<string, unknown>): Lockfile {
  const g = new LockGraph();
  const byDescriptor = new Map<string, number>();
  const raws: Array<[number, Record<string, unknown>, string]> = [];
  let lines: LineIndex | undefined;
  const lineOfKey = (key: string) => {
    lines ??= new LineIndex(ctx.text);
    const first = descriptors(key)[0]!;
    return lines.lineOf(`\n"${first}`) !== undefined ? lines.lineOf(`\n"${first}`)! + 1 : lines.lineOf(`\n${first}`)! + 1;
  };
  // parseSyml splits `a@^1, a@^1.2:` into one key per descriptor, all sharing the entry object.
  const grouped = new Map<unknown, string[]>();
  for (const [key, raw] of Object.entries(data)) {
    if (!isObject(raw)) throw new LockfileError(ctx.file, lineOfKey(key), `entry ${JSON.stringify(key)} is not a map`);
    const list = grouped.get(raw);
    if (list) list.push(key);
    else grouped.set(raw, [key]);
  }
  const byName = new Map<string, number[]>();
  for (const [rawEntry, descs] of grouped) {
    const raw = rawEntry as Record<string, unknown>;
    const key = descs.join(', ');
    const { name: installName, range } = splitDescriptor(descs[0]!);
    const version = str(raw.version);
    if (!version) throw new LockfileError(ctx.file, lineOfKey(key), `entry ${JSON.stringify(key)} has no version; the lockfile is incomplete or hand-edited`);
    const resolved = str(raw.resolved);
    const alias = parseAlias(range);
    const name = alias?.name ?? installName;
    let kind: EntryKind;
    if (resolved) kind = kindOfResolved(resolved);
    else if (/^(?:file|link|portal):/.test(range)) kind = kindOfResolved(range.startsWith('link:') ? range : range);
    else if (isGit(range)) kind = 'git';
    else kind = 'registry';
    const hash = resolved && kind !== 'git' ? /#([0-9a-f]{40})$/i.exec(resolved)?.[1] : undefined;
    const i = g.add({
      name,
      version,
      alias: name !== installName ? installName : undefined,
      kind,
      resolved: resolved ?? (kind === 'directory' || kind === 'local-tarball' ? range.replace(/^(?:file|link|portal):/, '') : undefined),
      integrity: str(raw.integrity) ?? (hash ? sha1HexToSri(hash) : undefined),
      key,
      label: installName,
    });
    for (const d of descs) byDescriptor.set(d, i);
    for (const n of new Set([name, installName])) byName.set(n, [...(byName.get(n) ?? []), i]);
    raws.push([i, raw, key]);
  }

  const lookup = makeLookup(byDescriptor, byName, (i) => g.drafts[i]!.version);
  const dangling: Dangling[] = [];
  for (const [i, raw, key] of raws) {
    for (const [field, type] of [['dependencies', 'prod'], ['optionalDependencies', 'optional']] as const) {
      for (const [dep, range] of Object.entries(map(raw[field]))) {
        const to = lookup(dep, range);
        if (to !== undefined) {
          g.edge(i, to, type);
          // Classic may record an alias under the real name: the dependent still names the alias.
          const d = g.drafts[to]!;
          if (dep !== d.name && parseAlias(range)) d.alias ??= dep;
        } else dangling.push({ from: key, name: dep, spec: range, optional: type === 'optional' });
      }
    }
  }
  failOnDangling(ctx, dangling, lineOfKey);

  const manifests = ctx.manifests;
  const rootManifest = manifests?.get('');
  const root = g.root(str(rootManifest?.name) ?? '(root)');
  if (manifests) {
    // Classic lockfiles leave workspaces out; their dependencies are ordinary entries.
    for (const [dir, m] of manifests) {
      const types = manifestTypes(m);
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
        for (const [dep, range] of Object.entries(map(m[field]))) {
          const to = lookup(dep, range);
          if (to !== undefined) root.edges.push({ to, type: dir === '' ? (types.get(dep) ?? 'prod') : field === 'devDependencies' ? 'dev' : 'prod' });
        }
      }
    }
  }
  adoptOrphans(g, root);
  return {
    file: ctx.file,
    format: 'yarn-classic',
    version: 'v1',
    rootName: root.label,
    entries: g.finish(),
    notes: rootManifest ? [] : ['yarn.lock records no dev flags; without the project\'s package.json every package counts as prod'],
  };
}

/** Whatever nothing else depends on hangs off the root, so every entry gets a path. */
function adoptOrphans(g: LockGraph, root: GraphRoot, except?: number): void {
  g.adopt(root, [...g.orphans(), ...g.drafts.map((_, i) => i)].filter((i) => i !== except));
}

/** `name@protocol:ref` -> parts; the name may be scoped. */
function splitLocator(locator: string): { name: string; ref: string } {
  const { name, range } = splitDescriptor(locator);
  return { name, ref: range };
}

/** `::locator=<encoded>` suffix of link:/portal:/file: references: the workspace they are relative to. */
function locatorParam(ref: string): string | undefined {
  // Split, not /::(?:.*&)?locator=/: that regex rescans the rest of the line after every "::".
  const at = ref.indexOf('::');
  if (at === -1) return undefined;
  const param = ref.slice(at + 2).split(/[&\n]/).find((p) => p.startsWith('locator=') && p.length > 'locator='.length);
  return param === undefined ? undefined : decodeURIComponent(param.slice('locator='.length));
}

function berry(ctx: ParseContext, data: Record<string, unknown>): Lockfile {
  const meta = data.__metadata as Record<string, unknown>;
  const g = new LockGraph();
  const byDescriptor = new Map<string, number>();
  const byName = new Map<string, number[]>();
  const raws: Array<[number, Record<string, unknown>, string]> = [];
  const workspaces = new Map<string, { index: number; dir: string; name: string }>(); // by locator
  let rootWs: { index: number; dir: string; name: string } | undefined;
  let lines: LineIndex | undefined;
  const lineOfKey = (key: string) => {
    lines ??= new LineIndex(ctx.text);
    const first = descriptors(key)[0]!;
    return (lines.lineOf(`\n"${first}`) ?? lines.lineOf(`\n${first}`) ?? 0) + 1;
  };

  // Workspaces first: link:/portal: references are relative to the workspace named in ::locator=.
  const wsDir = new Map<string, string>();
  for (const [key, raw] of Object.entries(data)) {
    if (key === '__metadata' || !isObject(raw)) continue;
    const res = str(raw.resolution);
    if (!res) continue;
    const { ref } = splitLocator(res);
    if (ref.startsWith('workspace:')) wsDir.set(res, ref.slice('workspace:'.length));
  }

  for (const [key, raw] of Object.entries(data)) {
    if (key === '__metadata') continue;
    if (!isObject(raw)) throw new LockfileError(ctx.file, lineOfKey(key), `entry ${JSON.stringify(key)} is not a map`);
    const resolution = str(raw.resolution);
    if (!resolution) throw new LockfileError(ctx.file, lineOfKey(key), `entry ${JSON.stringify(key)} has no resolution; the lockfile is incomplete or hand-edited`);
    const version = str(raw.version);
    if (!version) throw new LockfileError(ctx.file, lineOfKey(key), `entry ${JSON.stringify(key)} has no version; the lockfile is incomplete or hand-edited`);
    const descs = descriptors(key);
    const installName = splitDescriptor(descs[0]!).name;
    let { name, ref } = splitLocator(resolution);
    let patch: string | undefined;
    if (ref.startsWith('patch:')) {
      // patch:<inner locator, URL-encoded>#<patch file or ~builtin<compat/x>>::version=...&hash=...
      const body = ref.slice('patch:'.length);
      const hashAt = body.indexOf('#');
      const inner = decodeURIComponent(hashAt === -1 ? body : body.slice(0, hashAt));
      patch = hashAt === -1 ? undefined : body.slice(hashAt + 1).replace(/::[\s\S]*/, '');
      ({ name, ref } = splitLocator(inner));
    }
    const d: Draft = { name, version, kind: 'registry', key, label: installName, patch };
    if (ref.startsWith('npm:')) {
      d.kind = 'registry';
      d.version = ref.slice(4) || version;
    } else if (ref.startsWith('workspace:')) {
      d.kind = 'workspace';
      d.resolved = ref.slice('workspace:'.length);
    } else if (/^(?:link|portal|file):/.test(ref)) {
      const rel = ref.slice(ref.indexOf(':') + 1).replace(/::[\s\S]*/, '');
      const base = wsDir.get(locatorParam(ref) ?? '') ?? '.';
      d.resolved = path.posix.normalize(path.posix.join(base, rel));
      d.kind = ref.startsWith('file:') && /\.(?:tgz|tar\.gz|tar)$/i.test(rel) ? 'local-tarball' : 'directory';
    } else if (ref.startsWith('condition:')) d.kind = 'virtual';
    else if (isGit(ref)) {
      d.kind = 'git';
      d.resolved = ref;
    } else if (/^https?:\/\//.test(ref)) {
      d.resolved = ref;
      d.kind = kindOfResolved(ref);
      // An alias to a registry tarball (`chokidarAt2@https://registry.npmjs.org/chokidar/-/chokidar-2.1.8.tgz`).
      const m = /\/((?:@[^/]+\/)?[^/]+)\/-\/[^/]+\.tgz$/.exec(ref);
      if (m && isRegistryTarballUrl(ref, decodeURIComponent(m[1]!))) d.name = decodeURIComponent(m[1]!);
    } else d.kind = 'virtual';
    if (d.label === d.name) d.label = undefined;
    else d.alias = installName;
    const i = g.add(d);
    for (const desc of descs) byDescriptor.set(desc, i);
    for (const n of new Set([d.name, installName])) byName.set(n, [...(byName.get(n) ?? []), i]);
    raws.push([i, raw, key]);
    if (d.kind === 'workspace') {
      const ws = { index: i, dir: d.resolved!, name };
      workspaces.set(resolution, ws);
      if (d.resolved === '.') rootWs = ws;
    }
  }

  const lookup = makeLookup(byDescriptor, byName, (i) => g.drafts[i]!.version);
  const wsTypes = new Map<number, Map<string, EdgeType>>();
  for (const ws of workspaces.values()) wsTypes.set(ws.index, manifestTypes(ctx.manifests?.get(ws.dir === '.' ? '' : ws.dir)));
  const dangling: Dangling[] = [];
  for (const [i, raw, key] of raws) {
    const meta = map(raw.dependenciesMeta) as unknown as Record<string, { optional?: boolean }>;
    const types = wsTypes.get(i);
    for (const [dep, range] of Object.entries(map(raw.dependencies))) {
      const to = lookup(dep, range);
      const type: EdgeType = types?.get(dep) ?? (isObject(meta[dep]) && meta[dep].optional ? 'optional' : 'prod');
      if (to !== undefined) g.edge(i, to, type === 'peer' ? 'prod' : type);
      else dangling.push({ from: key, name: dep, spec: range, optional: type === 'optional' });
    }
    // Peer dependencies are provided by the dependent's parent in berry (never auto-installed): no edges.
  }
  failOnDangling(ctx, dangling, lineOfKey);

  // The root workspace is the project itself, not a dependency: it becomes the path root.
  const root = g.root(rootWs?.name ?? '(root)');
  if (rootWs) {
    for (const e of g.edges[rootWs.index]!) root.edges.push(e);
    for (const ws of workspaces.values()) if (ws !== rootWs) root.edges.push({ to: ws.index, type: 'prod' });
  }
  adoptOrphans(g, root, rootWs?.index);
  const entries = g.finish();
  if (rootWs) entries.splice(rootWs.index, 1);
  return {
    file: ctx.file,
    format: 'yarn-berry',
    version: String(meta.version ?? ''),
    rootName: root.label,
    entries,
    notes: ctx.manifests?.size ? [] : ['yarn.lock records no dev flags; without the project\'s package.json files every package counts as prod'],
  };
}
