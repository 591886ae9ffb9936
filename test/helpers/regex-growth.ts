// Helpers for the ReDoS audit (test/redos.test.ts): collect the regular expressions written in
// the modules that read package, lockfile and registry text, and measure how their running time
// grows with adversarial input. Growth, not wall-clock: each input is timed at two sizes eight
// times apart (the fastest of several runs each, so a busy machine slows both alike) and the
// ratio is compared with the 64 a quadratic regex shows; a linear one shows 8-15.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@babel/parser';

export interface FoundRegex {
  where: string;
  source: string;
  flags: string;
}

/** Every regex literal in the non-test .ts files under `roots` (relative to the repository root). */
export function collectRegexLiterals(repo: string, roots: readonly string[]): FoundRegex[] {
  const files: string[] = [];
  const walk = (p: string): void => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) files.push(p);
  };
  for (const r of roots) walk(path.join(repo, r));
  const out: FoundRegex[] = [];
  for (const file of files) {
    const ast = parse(fs.readFileSync(file, 'utf8'), { sourceType: 'module', plugins: ['typescript'] });
    const visit = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      const node = n as Record<string, unknown> & { type?: string; loc?: { start: { line: number } } };
      if (node.type === 'RegExpLiteral') out.push({ where: `${path.relative(repo, file)}:${node.loc!.start.line}`, source: node.pattern as string, flags: node.flags as string });
      for (const [k, v] of Object.entries(node)) {
        if (k === 'loc' || k === 'start' || k === 'end') continue;
        if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === 'object') visit(v);
      }
    };
    visit(ast.program);
  }
  return out;
}

/** Strings that, repeated, make a backtracking regex retry: its own words and common separators. */
export function pumpsFor(source: string): string[] {
  const words = [...new Set(source.replace(/\\[a-zA-Z]/g, ' ').match(/[A-Za-z][A-Za-z_-]{2,}/g) ?? [])].slice(0, 24);
  const generic = [' ', '\t', '/', '0', 'a', '$', '-', '.', '<!--', '(', '::', '#', '_', 'a-', '0.', 'a ', '\\', '"', "'", '=', '@', ':', '*', 'a.', '0$a', '-a '];
  return [...generic, ...words.flatMap((w) => [`${w} `, `${w}/`])];
}

/** Run `re` over `s` the way the callers do: every match of a global regex, else one search. */
export function runOver(re: RegExp, s: string): number {
  re.lastIndex = 0;
  if (!re.global && !re.sticky) return re.test(s) ? 1 : 0;
  // test(), not exec(): no match arrays, so the collector does not add its own growth.
  let n = 0;
  while (re.test(s)) {
    n++;
    if (re.lastIndex === 0) break;
    if (s.length && re.lastIndex > s.length) break;
  }
  return n;
}

/** Fastest of `runs` timings of one call, in ms. */
export function fastest(f: () => unknown, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

export interface Growth {
  small: number;
  large: number;
  ratio: number;
}

/**
 * Time of `re` over `prefix + pump×k + suffix` at about `chars` and 8×`chars` characters. `ratio`
 * is large/small: about 8-15 for a linear regex (more than 8 where the larger input leaves the CPU
 * cache), 64 for a quadratic one. When the small input already takes `giveUpMs` (default 100 ms,
 * 25× the slowest linear regex measured at 32k characters on a busy machine), the large one is not
 * run (a quadratic regex would take minutes on it) and the ratio is reported as Infinity.
 */
export function growth(re: RegExp, pump: string, chars: number, opts: { prefix?: string; suffix?: string; runs?: number; giveUpMs?: number } = {}): Growth {
  const make = (target: number) => (opts.prefix ?? '') + pump.repeat(Math.max(1, Math.ceil(target / pump.length))) + (opts.suffix ?? '\u0000!');
  const a = make(chars);
  const runs = opts.runs ?? 3;
  const small = fastest(() => runOver(re, a), runs);
  if (small > (opts.giveUpMs ?? 100)) return { small, large: Infinity, ratio: Infinity };
  const b = make(chars * 8);
  const large = fastest(() => runOver(re, b), runs);
  return { small, large, ratio: large / Math.max(small, 1e-3) };
}
