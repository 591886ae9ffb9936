import path from 'node:path';
import type { Manifest, Reach } from '../../types.js';
import type { LifecycleScripts } from './scripts.js';

/**
 * Which files run when: reachable from a lifecycle script (install), from the package's entry
 * points (import), or only from a bin the user runs. Edges come from a lexical scan of relative
 * `require`/`import` specifiers so that every file gets placed, parsed or not.
 */
export interface ModuleGraph {
  reachOf(file: string): Reach;
  /**
   * The reach a file would have if nothing ran at install: for code of an install-reached module
   * that install-time code never calls (see install-reach.ts).
   */
  reachBesidesInstall(file: string): Reach;
  entries: Record<'install' | 'import' | 'bin', string[]>;
  edges: Map<string, string[]>;
}

const SPEC_RE = /(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s*|\bimport\s+)(['"`])(\.{1,2}\/[^'"`\n]{0,300}|\.{1,2})\1/g;
const RESOLVE_SUFFIXES = ['', '.js', '.cjs', '.mjs', '.ts', '.mts', '.cts', '.tsx', '.jsx', '.json', '/index.js', '/index.cjs', '/index.mjs', '/index.ts', '/index.json'];

export function resolveInPackage(files: ReadonlySet<string> | Map<string, unknown>, from: string | undefined, spec: string): string | undefined {
  const dir = from ? path.posix.dirname(from) : '.';
  const joined = path.posix.normalize(path.posix.join(dir, spec.replace(/\\/g, '/')));
  if (joined.startsWith('..') || path.posix.isAbsolute(joined)) return undefined;
  const base = joined === '.' ? '' : joined.replace(/\/$/, '');
  for (const suf of RESOLVE_SUFFIXES) {
    const cand = base === '' ? (suf.startsWith('/') ? suf.slice(1) : suf) : base + suf;
    if (cand && files.has(cand)) return cand;
  }
  return undefined;
}

function exportTargets(exp: unknown, out: string[], depth = 0): void {
  if (depth > 10 || out.length > 200) return;
  if (typeof exp === 'string') out.push(exp);
  else if (Array.isArray(exp)) for (const e of exp) exportTargets(e, out, depth + 1);
  else if (exp && typeof exp === 'object') for (const v of Object.values(exp)) exportTargets(v, out, depth + 1);
}

export function mainEntry(files: ReadonlySet<string> | Map<string, unknown>, manifest: Manifest | undefined): string | undefined {
  return resolveInPackage(files, undefined, './' + (manifest?.main ?? 'index.js')) ?? resolveInPackage(files, undefined, './index.js');
}

export function buildGraph(
  files: ReadonlySet<string>,
  textOf: (file: string) => string | undefined,
  manifest: Manifest | undefined,
  scripts: LifecycleScripts,
  virtualInstallFiles: string[],
  /** Edges found by the AST tier (e.g. `require('./' + name)` folded), added to the lexical ones. */
  extraEdges?: ReadonlyMap<string, readonly string[]>,
): ModuleGraph {
  const edges = new Map<string, string[]>();
  const edgesOf = (file: string): string[] => {
    let e = edges.get(file);
    if (e) return e;
    e = [...(extraEdges?.get(file) ?? [])];
    edges.set(file, e);
    const text = textOf(file);
    if (!text) return e;
    SPEC_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    let count = 0;
    while ((m = SPEC_RE.exec(text)) && count++ < 2000) {
      const target = resolveInPackage(files, file.startsWith('package.json#') ? undefined : file, m[2]!);
      if (target && !e.includes(target)) e.push(target);
    }
    return e;
  };

  const install: string[] = [...virtualInstallFiles];
  for (const s of [...scripts.install, ...scripts.uninstall]) {
    for (const f of s.nodeFiles) {
      const r = resolveInPackage(files, undefined, './' + f) ?? (f === '.' ? mainEntry(files, manifest) : undefined);
      if (r) install.push(r);
    }
    for (const f of s.shellFiles) if (files.has(f)) install.push(f);
  }
  const imports: string[] = [];
  const main = mainEntry(files, manifest);
  if (main) imports.push(main);
  const targets: string[] = [];
  exportTargets(manifest?.exports, targets);
  if (typeof manifest?.module === 'string') targets.push(manifest.module);
  for (const t of targets) {
    const r = resolveInPackage(files, undefined, t.startsWith('.') ? t : './' + t);
    if (r) imports.push(r);
  }
  const bins: string[] = [];
  const bin = manifest?.bin;
  const binPaths = typeof bin === 'string' ? [bin] : bin ? Object.values(bin) : [];
  for (const b of binPaths) {
    const r = resolveInPackage(files, undefined, b.startsWith('.') ? b : './' + b);
    if (r) bins.push(r);
  }

  const seeds: Record<'install' | 'import' | 'bin', string[]> = { install, import: imports, bin: bins };
  const spread = (order: ('install' | 'import' | 'bin')[]) => {
    const reach = new Map<string, Reach>();
    for (const kind of order) {
      const queue = [...seeds[kind]];
      while (queue.length) {
        const f = queue.shift()!;
        if (reach.has(f)) continue;
        reach.set(f, kind);
        for (const t of edgesOf(f)) if (!reach.has(t)) queue.push(t);
      }
    }
    return reach;
  };
  const reach = spread(['install', 'import', 'bin']);
  let besides: Map<string, Reach> | undefined;
  return {
    reachOf: (file) => reach.get(file) ?? 'unreached',
    reachBesidesInstall: (file) => (besides ??= spread(['import', 'bin'])).get(file) ?? 'unreached',
    entries: seeds,
    edges,
  };
}
