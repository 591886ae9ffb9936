// Dependency paths and npm-style flags from a lockfile's graph. Every format can name, for each
// entry, the entries it depends on and, for each project root, its direct dependencies; from that
// we derive what some formats do not record (pnpm 9, bun and yarn keep no dev/optional flags):
//   dev      = reachable, but not from the roots' non-dev dependencies
//   optional = not reachable through non-optional edges only
//   peer     = not reachable through non-peer edges only
// which is how npm's arborist defines the flags it writes into package-lock.json.
import { MAX_PATHS } from './types.js';

export type EdgeType = 'prod' | 'dev' | 'optional' | 'peer';

export interface Edge {
  to: number;
  type: EdgeType;
}

export interface GraphRoot {
  label: string;
  edges: Edge[];
}

export interface GraphFlags {
  reachable: boolean[];
  dev: boolean[];
  optional: boolean[];
  peer: boolean[];
  /** Per node: up to MAX_PATHS label paths, shortest first, each starting at a root label. */
  paths: string[][][];
}

/** Nodes reachable from the roots, following only the edges `keep` accepts. */
function reach(n: number, edges: readonly Edge[][], roots: readonly GraphRoot[], keepRoot: (e: Edge) => boolean, keep: (e: Edge) => boolean): boolean[] {
  const seen = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  for (const r of roots) for (const e of r.edges) if (keepRoot(e) && !seen[e.to]) (seen[e.to] = true), stack.push(e.to);
  while (stack.length) {
    const i = stack.pop()!;
    for (const e of edges[i]!) if (keep(e) && !seen[e.to]) (seen[e.to] = true), stack.push(e.to);
  }
  return seen;
}

export function analyzeGraph(labels: readonly string[], edges: readonly Edge[][], roots: readonly GraphRoot[]): GraphFlags {
  const n = labels.length;
  const all = () => true;
  const reachable = reach(n, edges, roots, all, all);
  const prod = reach(n, edges, roots, (e) => e.type !== 'dev', (e) => e.type !== 'dev');
  const required = reach(n, edges, roots, (e) => e.type !== 'optional', (e) => e.type !== 'optional');
  const nonPeer = reach(n, edges, roots, (e) => e.type !== 'peer', (e) => e.type !== 'peer');
  const dev = reachable.map((r, i) => r && !prod[i]);
  const optional = reachable.map((r, i) => r && !required[i]);
  const peer = reachable.map((r, i) => r && !nonPeer[i]);
  return { reachable, dev, optional, peer, paths: shortestPaths(labels, edges, roots) };
}

/**
 * Multi-source BFS from every root. Each node gets its shortest path, plus paths through other
 * parents (each parent's own shortest path + the node), so a user sees the few chains that pull a
 * package in without the exponential "every path" set.
 */
export function shortestPaths(labels: readonly string[], edges: readonly Edge[][], roots: readonly GraphRoot[]): string[][][] {
  const n = labels.length;
  const via = new Array<number>(n).fill(NaN); // BFS parent: a node index, or -1 - rootIndex
  const queue: number[] = [];
  roots.forEach((r, ri) => {
    for (const e of r.edges) if (Number.isNaN(via[e.to]!)) (via[e.to] = -1 - ri), queue.push(e.to);
  });
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    for (const e of edges[i]!) if (Number.isNaN(via[e.to]!)) (via[e.to] = i), queue.push(e.to);
  }
  // Shortest path of each node (as node indexes), built in BFS order so a parent's is always ready.
  const best: number[][] = new Array(n);
  for (const i of queue) {
    const v = via[i]!;
    best[i] = v < 0 ? [i] : [...best[v]!, i];
  }
  const rootOf = (i: number): number => {
    return -1 - via[best[i]![0]!]!;
  };
  const label = (rootIndex: number, path: number[]): string[] => [roots[rootIndex]!.label, ...path.map((k) => labels[k]!)];
  // Other parents: each parent's shortest path + this node, shortest first, never through itself.
  const parents: number[][] = Array.from({ length: n }, () => []);
  roots.forEach((r, ri) => {
    for (const e of r.edges) parents[e.to]!.push(-1 - ri);
  });
  for (let i = 0; i < n; i++) if (best[i]) for (const e of edges[i]!) if (e.to !== i) parents[e.to]!.push(i);
  const out: string[][][] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (!best[i]) {
      out[i] = [];
      continue;
    }
    const paths = [label(rootOf(i), best[i]!)];
    const len = (p: number) => (p < 0 ? 0 : best[p]!.length);
    const ranked = [...new Set(parents[i])].sort((a, b) => len(a) - len(b));
    for (const p of ranked) {
      if (paths.length >= MAX_PATHS) break;
      if (p === via[i]) continue;
      if (p >= 0 && best[p]!.includes(i)) continue;
      const path = p < 0 ? label(-1 - p, [i]) : label(rootOf(p), [...best[p]!, i]);
      if (!paths.some((q) => q.length === path.length && q.every((x, k) => x === path[k]))) paths.push(path);
    }
    out[i] = paths;
  }
  return out;
}
