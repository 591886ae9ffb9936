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

/**
 * Network callees, by canonical name (`name.*`: any one method of `name`):
 * - `sends`: the call sends its arguments out, so a flow of data into it is exfiltration
 *   (engine/network-calls.ts NETWORK_CALLS, used by flows and the flow rules);
 * - `reports`: the network rule reports the call as network access with its destination.
 * `global` as for process callees. Adding a client library is one line here; its module becomes a
 * tier-0 trigger.
 */
export interface NetworkCallee {
  callee: string;
  sends: boolean;
  reports: boolean;
  global?: boolean;
}

export const NETWORK_CALLEES: readonly NetworkCallee[] = [
  { callee: 'fetch', sends: true, reports: true, global: true },
  { callee: 'navigator.sendBeacon', sends: true, reports: false, global: true },
  { callee: 'XMLHttpRequest', sends: false, reports: true, global: true },
  { callee: 'WebSocket', sends: true, reports: true, global: true },
  { callee: 'EventSource', sends: true, reports: true, global: true },
  { callee: 'http.request', sends: true, reports: true },
  { callee: 'http.get', sends: true, reports: true },
  { callee: 'https.request', sends: true, reports: true },
  { callee: 'https.get', sends: true, reports: true },
  { callee: 'http2.request', sends: true, reports: false },
  { callee: 'http2.get', sends: true, reports: false },
  { callee: 'http2.connect', sends: false, reports: true },
  { callee: 'net.connect', sends: true, reports: true },
  { callee: 'net.createConnection', sends: true, reports: true },
  { callee: 'net.Socket', sends: false, reports: true },
  { callee: 'tls.connect', sends: true, reports: true },
  { callee: 'dgram.createSocket', sends: false, reports: true },
  { callee: 'ws', sends: false, reports: true },
  { callee: 'axios', sends: true, reports: true },
  { callee: 'axios.get', sends: true, reports: true },
  { callee: 'axios.post', sends: true, reports: true },
  { callee: 'axios.put', sends: true, reports: true },
  { callee: 'axios.request', sends: true, reports: true },
  { callee: 'axios.create', sends: true, reports: true },
  { callee: 'axios.*', sends: true, reports: false },
  { callee: 'got', sends: true, reports: true },
  { callee: 'got.get', sends: true, reports: true },
  { callee: 'got.post', sends: true, reports: true },
  { callee: 'got.stream', sends: true, reports: true },
  { callee: 'got.*', sends: true, reports: false },
  { callee: 'node-fetch', sends: true, reports: true },
  { callee: 'undici.request', sends: true, reports: true },
  { callee: 'undici.fetch', sends: true, reports: true },
  { callee: 'undici.stream', sends: true, reports: true },
  { callee: 'request', sends: true, reports: true },
  { callee: 'request.get', sends: true, reports: true },
  { callee: 'request.post', sends: true, reports: true },
  { callee: 'request.*', sends: true, reports: false },
  { callee: 'request-promise', sends: true, reports: true },
  { callee: 'request-promise.*', sends: true, reports: false },
  { callee: 'needle', sends: true, reports: true },
  { callee: 'needle.post', sends: true, reports: true },
  { callee: 'needle.*', sends: true, reports: false },
  { callee: 'superagent.get', sends: true, reports: true },
  { callee: 'superagent.post', sends: true, reports: true },
  { callee: 'superagent.*', sends: true, reports: false },
  { callee: 'phin', sends: true, reports: true },
  { callee: 'bent', sends: true, reports: true },
  { callee: 'ky', sends: true, reports: true },
  { callee: 'ky.post', sends: true, reports: true },
  { callee: 'ky.*', sends: true, reports: false },
];

/** The modules the process and network callees come from (`child_process`, `execa`, `axios`…): tier-0 triggers. */
export function calleeModules(): string[] {
  return [...new Set([...PROCESS_CALLEES, ...NETWORK_CALLEES].filter((c) => !c.global).map((c) => moduleOf(c)))];
}

/** The module of a non-global callee: its name up to the method (`cross-spawn.sync` -> `cross-spawn`). */
export function moduleOf(c: { callee: string }): string {
  const dot = c.callee.indexOf('.');
  return dot < 0 ? c.callee : c.callee.slice(0, dot);
}

/** An anchored pattern of the process callees that pass `keep` (`name.*`: any one method of `name`). */
export function calleePattern(keep: (c: ProcessCallee) => boolean = () => true): RegExp {
  return patternOf(PROCESS_CALLEES.filter(keep));
}

/** An anchored pattern of the network callees that pass `keep`. */
export function networkPattern(keep: (c: NetworkCallee) => boolean): RegExp {
  return patternOf(NETWORK_CALLEES.filter(keep));
}

function patternOf(list: readonly { callee: string }[]): RegExp {
  const alts = list.map((c) => (c.callee.endsWith('.*') ? escape(c.callee.slice(0, -2)) + '\\.\\w+' : escape(c.callee)));
  return new RegExp(`^(?:${alts.join('|')})$`);
}

function escape(name: string): string {
  return name.replace(/[.$]/g, (ch) => '\\' + ch);
}
