/**
 * Process-starting callees, by canonical name (what the evaluator resolves a call to), with the
 * role of what they are given and what they hand back. The rules and the flow engine take the sets
 * they need from this one table instead of each writing its own pattern:
 * - every callee starts a process (engine/effects.ts EXEC_CALLEES, heuristics/process-exec.ts);
 * - `command`: the first argument is a command line or program (not a module path, as for fork);
 * - `output`: the call's result (or callback) carries the command's output, a flow source;
 * - `tag`: the callee is a template tag (zx's $`cmd`), seen by its own visitor, not as a call;
 * - `global`: the first part names a global (Bun, Deno), not a module: every other callee's module
 *   is a tier-0 trigger (engine/lexical.ts), so a file that loads it is parsed.
 * Adding a process API is one line here.
 */
export interface ProcessCallee {
  callee: string;
  command: boolean;
  output: boolean;
  tag?: boolean;
  global?: boolean;
}

export const PROCESS_CALLEES: readonly ProcessCallee[] = [
  { callee: 'child_process.exec', command: true, output: true },
  { callee: 'child_process.execSync', command: true, output: true },
  { callee: 'child_process.execFile', command: true, output: true },
  { callee: 'child_process.execFileSync', command: true, output: true },
  { callee: 'child_process.spawn', command: true, output: false },
  { callee: 'child_process.spawnSync', command: true, output: true },
  { callee: 'child_process.fork', command: false, output: false },
  { callee: 'execa', command: true, output: true },
  { callee: 'execa.*', command: true, output: true },
  { callee: 'cross-spawn', command: true, output: false },
  { callee: 'cross-spawn.sync', command: true, output: true },
  { callee: 'shelljs.exec', command: true, output: true },
  { callee: 'Bun.spawn', command: true, output: false, global: true },
  { callee: 'Bun.spawnSync', command: true, output: true, global: true },
  { callee: 'Deno.Command', command: true, output: false, global: true },
  { callee: 'zx.$', command: true, output: true, tag: true },
];

/** The modules the callees come from (`child_process`, `execa`…): tier-0 triggers. */
export function calleeModules(): string[] {
  return [...new Set(PROCESS_CALLEES.filter((c) => !c.global).map((c) => moduleOf(c)))];
}

/** The module of a non-global callee: its name up to the method (`cross-spawn.sync` -> `cross-spawn`). */
export function moduleOf(c: ProcessCallee): string {
  const dot = c.callee.indexOf('.');
  return dot < 0 ? c.callee : c.callee.slice(0, dot);
}

/** An anchored pattern of the callees that pass `keep` (`name.*`: any one method of `name`). */
export function calleePattern(keep: (c: ProcessCallee) => boolean = () => true): RegExp {
  const alts = PROCESS_CALLEES.filter(keep).map((c) => (c.callee.endsWith('.*') ? escape(c.callee.slice(0, -2)) + '\\.\\w+' : escape(c.callee)));
  return new RegExp(`^(?:${alts.join('|')})$`);
}

function escape(name: string): string {
  return name.replace(/[.$]/g, (ch) => '\\' + ch);
}
