/**
 * `npm run bench:guard`: installing the benchmark lockfile (the one `bench:audit` uses) through
 * `tollgate guard -- npm ci --ignore-scripts`, against `tollgate audit` and plain npm.
 *
 * - Cold: guard with empty caches (results, downloads, npm's) vs a cold `tollgate audit` of the
 *   same lockfile (empty results and download caches). Target: guard <= 1.5x audit.
 * - Warm: guard again with its caches filled vs plain `npm ci --ignore-scripts` with a filled npm
 *   cache. Target: guard <= 1.2x plain npm. The proxy serves tarballs `no-store`, so even warm,
 *   npm asks the proxy for each one and each is decided again (verdicts from the results cache,
 *   bytes from the guard's download cache).
 * - Also: guard with a warm results cache but an empty npm cache (every tarball downloaded through
 *   the proxy, verdicts from the cache) vs plain `npm ci` with an empty npm cache.
 * Every npm run passes --ignore-scripts: nothing from the installed packages runs.
 * `--fail-on never` so a verdict cannot cut an install short and skew the times; what the guard
 * would have refused at the default is printed from its summary and decision lines.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBenchLockfile } from './lib/bench-lockfile.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = path.join(repoRoot, '.bench', 'guard');
const lockProject = path.join(repoRoot, '.bench', 'audit', 'project');
const app = path.join(benchDir, 'app');
const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A private copy of dist/ (the results cache is keyed by the compiled engine's bytes; see bench-audit). */
function snapshotDist(): string {
  const snap = path.join(benchDir, 'snapshot', 'dist');
  fs.rmSync(snap, { recursive: true, force: true });
  fs.cpSync(path.join(repoRoot, 'dist'), snap, { recursive: true });
  return snap;
}

interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

function timed(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Timed> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (c) => resolve({ ms: performance.now() - t0, code: c ?? 2, stdout, stderr })));
}

async function main(): Promise<void> {
  ensureBenchLockfile(lockProject, process.argv.includes('--refresh'));
  const dist = snapshotDist();
  const cli = path.join(dist, 'src', 'cli', 'bin.js');
  await fsp.rm(app, { recursive: true, force: true });
  fs.mkdirSync(app, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(lockProject, f), path.join(app, f));
  const caches = path.join(benchDir, 'caches');
  await fsp.rm(caches, { recursive: true, force: true });
  const dir = (name: string) => path.join(caches, name);
  const clean = () => fsp.rm(path.join(app, 'node_modules'), { recursive: true, force: true });
  const npmCi = ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  const check = (what: string, r: Timed) => {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  };

  // Cold audit.
  const audit = await timed(process.execPath, [cli, 'audit', app, '--quiet', '--fail-on', 'never', '--cache', dir('audit-dl')], { cwd: app, env: { TOLLGATE_CACHE_DIR: dir('audit-results') } });
  check('tollgate audit', audit);
  console.log(`cold audit: ${fmt(audit.ms)}`);

  // Cold guard: empty results cache, empty download cache, empty npm cache (the guard gives npm its own).
  const guardEnv = { TOLLGATE_CACHE_DIR: dir('guard-results') };
  const guardArgs = [cli, 'guard', '--fail-on', 'never', '--cache', dir('guard-dl'), '--', 'npm', ...npmCi];
  await clean();
  const cold = await timed(process.execPath, guardArgs, { cwd: app, env: guardEnv });
  check('guard (cold)', cold);
  const summary = (r: Timed) => /tollgate guard: (\d+ tarballs?:.*)/.exec(r.stderr)?.[1] ?? '(no summary)';
  console.log(`cold guard -- npm ci: ${fmt(cold.ms)}; ${summary(cold)}`);

  // Warm guard: every cache filled.
  await clean();
  const warm = await timed(process.execPath, guardArgs, { cwd: app, env: guardEnv });
  check('guard (warm)', warm);
  console.log(`warm guard -- npm ci: ${fmt(warm.ms)}; ${summary(warm)}`);

  // Warm results, cold npm cache: every tarball goes through the proxy, verdicts from the cache.
  await clean();
  await fsp.rm(path.join(dir('guard-results'), 'guard'), { recursive: true, force: true });
  const warmResults = await timed(process.execPath, guardArgs, { cwd: app, env: guardEnv });
  check('guard (warm results, cold npm cache)', warmResults);
  console.log(`guard -- npm ci, results cached, npm cache empty: ${fmt(warmResults.ms)}; ${summary(warmResults)}`);

  // Plain npm, cold then warm.
  const plainEnv = { npm_config_cache: dir('plain-npm') };
  await clean();
  const plainCold = await timed('npm', npmCi, { cwd: app, env: plainEnv });
  check('npm ci (cold)', plainCold);
  await clean();
  const plainWarm = await timed('npm', npmCi, { cwd: app, env: plainEnv });
  check('npm ci (warm)', plainWarm);
  console.log(`plain npm ci: cold ${fmt(plainCold.ms)}, warm ${fmt(plainWarm.ms)}`);

  // With --fail-on never only tarballs that could not be checked are refused (and npm ci would have failed).
  const refused = (cold.stderr.match(/tollgate guard refused [^\n]*/g) ?? []).length;
  const last = {
    date: new Date().toISOString(),
    auditColdMs: audit.ms,
    guardColdMs: cold.ms,
    guardWarmMs: warm.ms,
    guardWarmResultsColdNpmMs: warmResults.ms,
    npmColdMs: plainCold.ms,
    npmWarmMs: plainWarm.ms,
    ratioColdToAudit: cold.ms / audit.ms,
    ratioWarmToNpm: warm.ms / plainWarm.ms,
    ratioWarmResultsToColdNpm: warmResults.ms / plainCold.ms,
    summaries: { cold: summary(cold), warm: summary(warm), warmResults: summary(warmResults) },
    refusedCold: refused,
  };
  console.log('\nsummary');
  console.log(`  cold: guard ${fmt(cold.ms)} vs audit ${fmt(audit.ms)} = ${last.ratioColdToAudit.toFixed(2)}x (target <= 1.5x)`);
  console.log(`  warm: guard ${fmt(warm.ms)} vs npm ci ${fmt(plainWarm.ms)} = ${last.ratioWarmToNpm.toFixed(2)}x (target <= 1.2x)`);
  console.log(`  results cached, npm cache empty: guard ${fmt(warmResults.ms)} vs cold npm ci ${fmt(plainCold.ms)} = ${last.ratioWarmResultsToColdNpm.toFixed(2)}x`);
  fs.writeFileSync(path.join(benchDir, 'last.json'), JSON.stringify(last, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(repoRoot, path.join(benchDir, 'last.json'))}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
