// Shared assembly for every parser: collect entries and edges as the file names them, then let
// graph.ts fill flags the format does not record and the dependency paths.
import { analyzeGraph, type Edge, type EdgeType, type GraphRoot } from './graph.js';
import type { LockEntry } from './types.js';

/** An entry as a parser reads it; flags and paths are filled from the graph afterwards. */
export interface Draft extends Pick<LockEntry, 'name' | 'version' | 'alias' | 'kind' | 'resolved' | 'integrity' | 'patch' | 'key'> {
  /** Flags as the lockfile records them; when absent they are derived from the graph. */
  flags?: { dev: boolean; optional: boolean; peer: boolean };
  bundled?: boolean;
  /** Label in dependency paths: the install name (alias when aliased). */
  label?: string;
}

export class LockGraph {
  readonly drafts: Draft[] = [];
  readonly edges: Edge[][] = [];
  readonly roots: GraphRoot[] = [];

  add(d: Draft): number {
    this.drafts.push(d);
    this.edges.push([]);
    return this.drafts.length - 1;
  }

  edge(from: number, to: number, type: EdgeType): void {
    if (from === to) return;
    const list = this.edges[from]!;
    // One edge per target, the strongest kind wins (prod over optional over peer).
    const prior = list.find((e) => e.to === to);
    if (!prior) list.push({ to, type });
    else if (rank(type) > rank(prior.type)) prior.type = type;
  }

  root(label: string): GraphRoot {
    const r: GraphRoot = { label, edges: [] };
    this.roots.push(r);
    return r;
  }

  /** Entries no other entry depends on: the best guess at a root's direct dependencies when the lockfile does not say. */
  orphans(): number[] {
    const has = new Array<boolean>(this.drafts.length).fill(false);
    for (const list of this.edges) for (const e of list) has[e.to] = true;
    const out: number[] = [];
    has.forEach((h, i) => {
      if (!h) out.push(i);
    });
    return out;
  }

  /**
   * Make each candidate not yet reachable from any root a direct dependency of `root`, in order:
   * used when the lockfile does not say what the project depends on directly (npm v1, yarn).
   */
  adopt(root: GraphRoot, candidates: readonly number[], type: (i: number) => EdgeType = () => 'prod'): void {
    const seen = new Array<boolean>(this.drafts.length).fill(false);
    const mark = (start: number) => {
      const stack = [start];
      seen[start] = true;
      while (stack.length) for (const e of this.edges[stack.pop()!]!) if (!seen[e.to]) (seen[e.to] = true), stack.push(e.to);
    };
    for (const r of this.roots) for (const e of r.edges) if (!seen[e.to]) mark(e.to);
    for (const c of candidates) {
      if (seen[c]) continue;
      root.edges.push({ to: c, type: type(c) });
      mark(c);
    }
  }

  finish(): LockEntry[] {
    const labels = this.drafts.map((d) => d.label ?? d.alias ?? d.name);
    const g = analyzeGraph(labels, this.edges, this.roots);
    return this.drafts.map((d, i) => {
      const f = d.flags ?? { dev: g.dev[i]!, optional: g.optional[i]!, peer: g.peer[i]! };
      const e: LockEntry = {
        name: d.name,
        version: d.version,
        kind: d.kind,
        dev: f.dev,
        optional: f.optional,
        peer: f.peer,
        bundled: d.bundled ?? false,
        paths: g.paths[i]!,
        key: d.key,
      };
      if (d.alias && d.alias !== d.name) e.alias = d.alias;
      if (d.resolved) e.resolved = d.resolved;
      if (d.integrity) e.integrity = d.integrity;
      if (d.patch) e.patch = d.patch;
      return e;
    });
  }
}

const rank = (t: EdgeType): number => (t === 'prod' ? 3 : t === 'dev' ? 2 : t === 'optional' ? 1 : 0);

/** Dependency maps of a manifest-like object, with the edge type each implies. */
export function depLists(obj: Record<string, unknown>, withDev: boolean): Array<[name: string, spec: string, type: EdgeType]> {
  const out: Array<[string, string, EdgeType]> = [];
  const add = (field: string, type: EdgeType) => {
    const m = obj[field];
    if (m && typeof m === 'object') for (const [k, v] of Object.entries(m as Record<string, unknown>)) out.push([k, typeof v === 'string' ? v : String(v ?? ''), type]);
  };
  add('dependencies', 'prod');
  add('optionalDependencies', 'optional');
  if (withDev) add('devDependencies', 'dev');
  add('peerDependencies', 'peer');
  return out;
}
