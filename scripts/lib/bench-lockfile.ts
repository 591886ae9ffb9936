// The benchmark lockfile shared by `bench:audit` and `bench:guard`: `npm install --package-lock-only
// --ignore-scripts` for a set of popular packages (writes package-lock.json only: nothing installed or run).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const BENCH_PACKAGES = ['next', 'react', 'react-dom', '@babel/core', 'webpack', 'webpack-cli', 'babel-loader', 'express', 'jest', 'eslint', '@typescript-eslint/eslint-plugin', 'typescript', 'mocha', 'nodemon', 'axios', 'vite', 'rollup', 'prettier', 'lodash'];

/** Write `projectDir/package-lock.json` unless it is there (or `refresh`). */
export function ensureBenchLockfile(projectDir: string, refresh = false): void {
  const lock = path.join(projectDir, 'package-lock.json');
  if (fs.existsSync(lock) && !refresh) return pinToLockfile(projectDir);
  fs.mkdirSync(projectDir, { recursive: true });
  const deps = Object.fromEntries(BENCH_PACKAGES.map((p) => [p, 'latest']));
  fs.writeFileSync(path.join(projectDir, 'package.json'), JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: deps }, null, 2));
  console.log(`generating the lockfile: npm install --package-lock-only --ignore-scripts (${BENCH_PACKAGES.join(' ')})`);
  const r = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: projectDir, encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`npm install --package-lock-only failed:\n${r.stderr}`);
  pinToLockfile(projectDir);
}

/**
 * Replace `latest` in package.json (and in the lockfile's root entry) with the version the lockfile
 * resolved: `npm ci` (bench:guard) refuses a lockfile whose `latest` is no longer the registry's,
 * and the registry moves between runs (a new next was published mid-session).
 */
function pinToLockfile(projectDir: string): void {
  const pkgFile = path.join(projectDir, 'package.json');
  const lockFile = path.join(projectDir, 'package-lock.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { dependencies: Record<string, string> };
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
  let changed = false;
  for (const [name, range] of Object.entries(pkg.dependencies)) {
    const version = lock.packages[`node_modules/${name}`]?.version;
    if (range !== 'latest' || !version) continue;
    pkg.dependencies[name] = version;
    if (lock.packages['']?.dependencies) lock.packages[''].dependencies[name] = version;
    changed = true;
  }
  if (!changed) return;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2) + '\n');
}
