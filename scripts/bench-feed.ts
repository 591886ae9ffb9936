/**
 * `npm run bench:feed [-- --runs N] [-- --versions N] [-- --only embedded,workers-1,workers-2,workers-4] [-- --prepare-only] [-- --refresh]`: how many published versions
 * per second `tollgate watch` scans, embedded (one process, SQLite) and distributed (BullMQ on
 * Redis, results in PostgreSQL) with 1, 2 and 4 worker processes, on this machine.
 *
 * - Corpus: the latest tarball of each package in shared/corpus/benign-top300.txt, fetched from the
 *   registry once into .bench/feed/tarballs (gitignored). Each is republished under several
 *   versions (1.0.0, 1.0.1, ...: package.json rewritten inside the tarball, so every version has
 *   its own bytes and integrity) until there are --versions (default 2,000).
 * - Feed: a loopback changes feed + registry (scripts/lib/replay-feed.ts) serving them all.
 * - Each run starts from an empty store and empty download and results caches, with
 *   `watch --once --since 0`; the clock runs from the watcher's start until every version has a
 *   result (embedded: the watcher exits; distributed: the PostgreSQL row count reaches N; the
 *   workers were started and connected before the clock starts).
 * - Throwaway Redis and PostgreSQL (scripts/lib/throwaway-services.ts), one pair per run.
 * Real tarballs include big ones (typescript, @babel/*, ...): the rate is what the live mix of
 * popular packages costs, a pessimistic stand-in for the typical small publish.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import pLimit from 'p-limit';
import pg from 'pg';
import { Header, Parser, type ReadEntry } from 'tar';
import { fetchTarball } from '../src/fetch/fetch.js';
import { loadNpmConfig } from '../src/fetch/npm-config.js';
import { startReplayFeed, type ReplayVersion } from './lib/replay-feed.js';
import { startPostgres, startRedis, type Service } from './lib/throwaway-services.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = path.join(repoRoot, '.bench', 'feed');
const tarballDir = path.join(benchDir, 'tarballs');
const variantDir = path.join(benchDir, 'variants');
/**
 * The CLI runs from a private copy of dist/ taken at the start: other builds in this checkout
 * during a run of an hour must not change the code being measured halfway.
 */
function snapshotDist(): string {
  const snap = path.join(benchDir, 'snapshot', 'dist');
  fs.rmSync(snap, { recursive: true, force: true });
  fs.cpSync(path.join(repoRoot, 'dist'), snap, { recursive: true });
  return path.join(snap, 'src', 'cli', 'bin.js');
}
let cli = path.join(repoRoot, 'dist', 'src', 'cli', 'bin.js');
const corpusList = path.resolve(repoRoot, '..', 'shared', 'corpus', 'benign-top300.txt');

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive whole number`);
  return v;
}
const RUNS = argValue('--runs', 3);
const VERSIONS = argValue('--versions', 2000);
const WORKER_CONCURRENCY = argValue('--worker-concurrency', 2);
const EMBEDDED_CONCURRENCY = argValue('--embedded-concurrency', 2);
const TIMEOUT_MS = argValue('--timeout-s', 3600) * 1000;
const refresh = process.argv.includes('--refresh');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : undefined;

const safeFile = (name: string) => name.replace(/^@/, '').replace(/\//g, '__');

/** The latest tarball of each corpus package, fetched once (pinned by the registry's integrity). */
async function fetchCorpus(): Promise<{ name: string; file: string }[]> {
  const names = fs
    .readFileSync(corpusList, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  fs.mkdirSync(tarballDir, { recursive: true });
  const npmConfig = loadNpmConfig({ cwd: repoRoot });
  const limit = pLimit(8);
  let fetched = 0;
  const out = await Promise.all(
    names.map((name) =>
      limit(async () => {
        const file = path.join(tarballDir, `${safeFile(name)}.tgz`);
        if (!fs.existsSync(file) || refresh) {
          try {
            const t = await fetchTarball(`${name}@latest`, { npmConfig, cache: path.join(benchDir, 'npm-cache') });
            fs.writeFileSync(file, t.data);
            fetched++;
          } catch (err) {
            console.log(`  skipped ${name}: ${(err as Error).message}`);
            return undefined;
          }
        }
        return { name, file };
      }),
    ),
  );
  if (fetched) console.log(`fetched ${fetched} tarballs into ${path.relative(repoRoot, tarballDir)}`);
  return out.filter((x): x is { name: string; file: string } => !!x);
}

/** Every regular file of a .tgz, in order (links and folders are irrelevant to a scan). */
async function readTar(tgz: Buffer): Promise<{ path: string; mode: number; data: Buffer }[]> {
  const files: { path: string; mode: number; data: Buffer }[] = [];
  await new Promise<void>((resolve, reject) => {
    const p = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type !== 'File' && entry.type !== 'OldFile') return entry.resume();
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => files.push({ path: entry.path, mode: entry.mode ?? 0o644, data: Buffer.concat(chunks) }));
      },
    });
    p.on('error', reject);
    p.on('end', () => resolve());
    p.end(tgz);
  });
  return files;
}

function writeTgz(files: { path: string; mode: number; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  const mtime = new Date('1985-10-26T08:15:00.000Z');
  for (const f of files) {
    const header = new Header({ path: f.path, mode: f.mode & 0o777, size: f.data.length, mtime, type: 'File', uid: 0, gid: 0 });
    header.encode();
    if (!header.block) throw new Error(`cannot encode a tar header for ${f.path}`);
    blocks.push(header.block, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks), { level: 6 });
}

/** The tarball with its package.json's name and version replaced: a distinct publish with its own integrity. */
async function republish(tgz: Buffer, name: string, version: string): Promise<Buffer> {
  const files = await readTar(tgz);
  const manifest = files.find((f) => /^[^/]+\/package\.json$/.test(f.path));
  if (!manifest) throw new Error('no package.json at the top of the tarball');
  const pj = JSON.parse(manifest.data.toString('utf8')) as Record<string, unknown>;
  manifest.data = Buffer.from(JSON.stringify({ ...pj, name, version }, null, 2));
  return writeTgz(files);
}

/** N versions: each corpus package republished as 1.0.0, 1.0.1, ... round-robin until N. */
async function buildVersions(corpus: { name: string; file: string }[], n: number): Promise<ReplayVersion[]> {
  fs.mkdirSync(variantDir, { recursive: true });
  const perPackage = Math.ceil(n / corpus.length);
  const plan: { name: string; file: string; version: string }[] = [];
  for (let k = 0; k < perPackage; k++) for (const c of corpus) if (plan.length < n) plan.push({ ...c, version: `1.0.${k}` });
  const now = Date.now();
  const limit = pLimit(4);
  let made = 0;
  const versions = await Promise.all(
    plan.map((p, i) =>
      limit(async () => {
        const file = path.join(variantDir, `${safeFile(p.name)}-${p.version}.tgz`);
        let data: Buffer;
        if (fs.existsSync(file) && !refresh) data = fs.readFileSync(file);
        else {
          data = await republish(fs.readFileSync(p.file), p.name, p.version);
          fs.writeFileSync(file, data);
          made++;
        }
        const pjFile = (await readTar(data)).find((f) => /^[^/]+\/package\.json$/.test(f.path));
        const packageJson = pjFile ? (JSON.parse(pjFile.data.toString('utf8')) as Record<string, unknown>) : undefined;
        // Published "just now", in plan order (so 1.0.0 is older than 1.0.1): all new to the watcher.
        return { name: p.name, version: p.version, tarball: data, packageJson, time: new Date(now - (plan.length - i) * 10).toISOString() };
      }),
    ),
  );
  if (made) console.log(`built ${made} republished tarballs into ${path.relative(repoRoot, variantDir)}`);
  return versions;
}

interface Proc {
  child: ChildProcess;
  exited: Promise<number>;
  stderr: () => string;
  /** CPU seconds (user + system) the process used, known once it has exited. */
  cpuSeconds: () => number;
}

// Each CLI process reports its own CPU time on exit: wall time on a shared 2-core machine is noisy
// (other builds and tests run beside the bench), CPU seconds per version much less so.
const CPU_REPORT = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\nBENCH_CPU_US '+(u.user+u.system)+'\\n')})`;

/** CLI processes still running; killed if the bench itself is interrupted. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
// Ctrl-C / SIGTERM: exit through process.exit so the exit hooks stop the CLIs, Redis and PostgreSQL.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

function start(argv: string[], env: NodeJS.ProcessEnv): Proc {
  // The heap flag makes bin.js run the command in this very process instead of re-executing
  // itself, so stopping the pid we hold stops the real worker.
  const child = spawn(process.execPath, ['--max-old-space-size=1024', '--import', CPU_REPORT, cli, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let cpuUs = NaN;
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000);
    const m = /BENCH_CPU_US (\d+)/.exec(err);
    if (m) cpuUs = Number(m[1]);
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 2))));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { child, exited, stderr: () => err, cpuSeconds: () => cpuUs / 1e6 };
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await p.exited;
  clearTimeout(t);
}

function freshDirs(): { root: string; env: NodeJS.ProcessEnv; fetchCache: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-bench-feed-'));
  // Empty results cache and packument cache (TOLLGATE_CACHE_DIR) and download cache per run.
  return { root, env: { TOLLGATE_CACHE_DIR: path.join(root, 'cache'), TOLLGATE_DATA_DIR: path.join(root, 'data'), npm_config_cache: path.join(root, 'npm') }, fetchCache: path.join(root, 'npm') };
}

interface RunResult {
  ms: number;
  results: number;
  verdicts: Record<string, number>;
  /** Packages with a version not judged clean (false positives, on this benign corpus, or errors). */
  flagged: string[];
  /** CPU seconds of the tollgate processes (watcher and workers; Redis and PostgreSQL not counted). */
  cpuSeconds: number;
}

async function embeddedRun(feedUrl: string, changesUrl: string, n: number): Promise<RunResult> {
  const d = freshDirs();
  const store = path.join(d.root, 'watch.sqlite');
  try {
    const t0 = performance.now();
    const p = start(['watch', '--once', '--since', '0', '--changes-url', changesUrl, '--registry', feedUrl, '--store', store, '--concurrency', String(EMBEDDED_CONCURRENCY), '--json'], d.env);
    const timer = setTimeout(() => p.child.kill('SIGKILL'), TIMEOUT_MS);
    const code = await p.exited;
    clearTimeout(timer);
    const ms = performance.now() - t0;
    if (code !== 0 && code !== 1) throw new Error(`embedded watch exited ${code}:\n${p.stderr()}`);
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(store, { readonly: true });
    try {
      const rows = db.prepare('SELECT verdict, count(*) AS n FROM results GROUP BY verdict').all() as { verdict: string; n: number }[];
      const verdicts = Object.fromEntries(rows.map((r) => [r.verdict, r.n]));
      const results = rows.reduce((s, r) => s + r.n, 0);
      if (results !== n) console.log(`  warning: embedded run stored ${results} results for ${n} versions`);
      const flagged = (db.prepare("SELECT DISTINCT name || ' (' || verdict || ')' AS f FROM results WHERE verdict <> 'clean' ORDER BY 1").all() as { f: string }[]).map((r) => r.f);
      return { ms, results, verdicts, flagged, cpuSeconds: p.cpuSeconds() };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(d.root, { recursive: true, force: true });
  }
}

async function countResults(client: pg.Client): Promise<{ results: number; verdicts: Record<string, number> }> {
  const r = await client.query<{ verdict: string; n: string }>("SELECT verdict, count(*) AS n FROM tollgate_results GROUP BY verdict").catch(() => ({ rows: [] as { verdict: string; n: string }[] }));
  const verdicts = Object.fromEntries(r.rows.map((x) => [x.verdict, Number(x.n)]));
  return { results: Object.values(verdicts).reduce((s, x) => s + x, 0), verdicts };
}

async function distributedRun(feedUrl: string, changesUrl: string, n: number, workers: number): Promise<RunResult> {
  const d = freshDirs();
  let redis: Service | undefined;
  let postgres: Service | undefined;
  const procs: Proc[] = [];
  const client = { c: undefined as pg.Client | undefined };
  try {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const common = ['--queue', redis.url, '--store', postgres.url];
    for (let i = 0; i < workers; i++) procs.push(start(['worker', ...common, '--registry', feedUrl, '--concurrency', String(WORKER_CONCURRENCY), '--json'], d.env));
    // Workers are up when they have connected (they print "waiting for jobs" on stderr).
    const readyBy = Date.now() + 60_000;
    while (!procs.every((p) => /waiting for jobs/.test(p.stderr()))) {
      for (const p of procs) if (p.child.exitCode !== null) throw new Error(`a worker exited at start:\n${p.stderr()}`);
      if (Date.now() > readyBy) throw new Error(`workers not ready within 60 s:\n${procs.map((p) => p.stderr()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    client.c = new pg.Client(postgres.url);
    await client.c.connect();
    const t0 = performance.now();
    const watcher = start(['watch', '--once', '--since', '0', '--changes-url', changesUrl, '--registry', feedUrl, ...common], d.env);
    procs.push(watcher);
    let last = { results: 0, verdicts: {} as Record<string, number> };
    while (performance.now() - t0 < TIMEOUT_MS) {
      last = await countResults(client.c);
      if (last.results >= n) break;
      if (watcher.child.exitCode !== null && watcher.child.exitCode !== 0) throw new Error(`watcher exited ${watcher.child.exitCode}:\n${watcher.stderr()}`);
      for (const p of procs.slice(0, workers)) if (p.child.exitCode !== null) throw new Error(`a worker exited ${p.child.exitCode}:\n${p.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const ms = performance.now() - t0;
    if (last.results < n) throw new Error(`only ${last.results} of ${n} results after ${TIMEOUT_MS / 1000} s`);
    const flagged = (await client.c.query<{ f: string }>("SELECT DISTINCT name || ' (' || verdict || ')' AS f FROM tollgate_results WHERE verdict <> 'clean' ORDER BY 1")).rows.map((r) => r.f);
    await Promise.all(procs.map(stopProc)); // they print their CPU time as they exit
    const cpuSeconds = procs.reduce((sum, p) => sum + p.cpuSeconds(), 0);
    return { ms, ...last, flagged, cpuSeconds };
  } finally {
    await client.c?.end().catch(() => undefined);
    await Promise.all(procs.map(stopProc));
    await Promise.all([redis?.stop(), postgres?.stop()]);
    fs.rmSync(d.root, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run through \`npm run bench:feed\` (it builds first)`);
  cli = snapshotDist();
  if (!fs.existsSync(corpusList)) throw new Error(`${corpusList} is missing: the bench needs shared/ beside the checkout`);
  const corpus = await fetchCorpus();
  const versions = await buildVersions(corpus, VERSIONS);
  const bytes = versions.reduce((s, v) => s + v.tarball.length, 0);
  console.log(`corpus: ${corpus.length} packages, ${versions.length} versions, ${(bytes / 1e6).toFixed(0)} MB of tarballs; ${os.cpus().length} cores; ${RUNS} run(s) per mode`);
  if (process.argv.includes('--prepare-only')) return;
  const feed = await startReplayFeed(versions);
  const modes: { label: string; key: string; run: () => Promise<RunResult> }[] = [
    { label: `embedded (SQLite, --concurrency ${EMBEDDED_CONCURRENCY})`, key: 'embedded', run: () => embeddedRun(feed.url, feed.changesUrl, versions.length) },
    ...[1, 2, 4].map((w) => ({ label: `BullMQ, ${w} worker process${w > 1 ? 'es' : ''} (--concurrency ${WORKER_CONCURRENCY} each)`, key: `workers-${w}`, run: () => distributedRun(feed.url, feed.changesUrl, versions.length, w) })),
  ];
  const table: { label: string; key: string; rates: number[]; cpuMs: number[]; verdicts?: Record<string, number> }[] = [];
  try {
    for (const m of modes) {
      if (only && !only.includes(m.key)) continue;
      const rates: number[] = [];
      const cpuMs: number[] = [];
      let verdicts: Record<string, number> | undefined;
      for (let i = 0; i < RUNS; i++) {
        const r = await m.run();
        const rate = (r.results / r.ms) * 1000;
        rates.push(rate);
        verdicts = r.verdicts;
        cpuMs.push((r.cpuSeconds * 1000) / r.results);
        console.log(`  ${m.label}, run ${i + 1}: ${r.results} versions in ${(r.ms / 1000).toFixed(1)} s = ${rate.toFixed(2)} versions/s, ${((r.cpuSeconds * 1000) / r.results).toFixed(0)} CPU-ms/version, machine load ${os.loadavg()[0].toFixed(1)} ${JSON.stringify(r.verdicts)}${r.flagged.length ? ` not clean: ${r.flagged.join(', ')}` : ''}`);
      }
      table.push({ label: m.label, key: m.key, rates, cpuMs, verdicts });
    }
  } finally {
    await feed.close();
  }
  console.log('\nmode                                                  versions/s (median)  CPU-ms/version (median)  runs (versions/s)');
  for (const row of table) console.log(`${row.label.padEnd(54)}${median(row.rates).toFixed(2).padStart(10)}  ${median(row.cpuMs).toFixed(0).padStart(22)}           ${row.rates.map((r) => r.toFixed(2)).join(', ')}`);
  const last = { date: new Date().toISOString(), versions: versions.length, packages: corpus.length, bytes, cores: os.cpus().length, runs: RUNS, table: table.map((r) => ({ ...r, median: median(r.rates), medianCpuMs: median(r.cpuMs) })) };
  fs.writeFileSync(path.join(benchDir, 'last.json'), JSON.stringify(last, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(repoRoot, path.join(benchDir, 'last.json'))}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
