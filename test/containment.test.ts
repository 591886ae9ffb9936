// Never execute, never write outside our own folders: a scan and an audit run with HOME, TMPDIR and
// the caches pointed into a sandbox; afterwards nothing has changed outside the cache folders, the
// working tree is untouched, and no canary (lifecycle script, main, bin, eval'd payload) has run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { packTarball, startRegistry, type TestRegistry } from './helpers/registry.js';
import { startFeed } from './helpers/feed.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const canaryCode = (marker: string) => `require('fs').writeFileSync(process.env.TOLLGATE_CANARY_DIR + '/${marker}', 'x');`;
const FILES = {
  'package.json': JSON.stringify({ name: 'canary-eval', version: '1.0.0', main: 'index.js', bin: { canary: 'cli.js' }, scripts: { preinstall: 'node pre.js', postinstall: 'node -e "require(\'./post\')"' } }),
  'index.js': `${canaryCode('ran-main')}\neval(Buffer.from(${JSON.stringify(Buffer.from(canaryCode('ran-eval')).toString('base64'))}, 'base64').toString());`,
  'cli.js': `#!/usr/bin/env node\n${canaryCode('ran-bin')}`,
  'pre.js': canaryCode('ran-preinstall'),
  'post.js': canaryCode('ran-postinstall'),
};

let sandbox: string;
let registry: TestRegistry;
const saved: Record<string, string | undefined> = {};
const ENV = ['HOME', 'TMPDIR', 'XDG_CACHE_HOME', 'TOLLGATE_CACHE_DIR', 'TOLLGATE_CANARY_DIR', 'npm_config_cache'];

/** Every path under a folder with its content hash (bounded: the sandbox is small). */
function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (skip(rel)) continue;
      if (e.isDirectory()) walk(p);
      else out.set(rel, e.isFile() ? createHash('sha1').update(fs.readFileSync(p)).digest('hex') : 'special');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-contain-'));
  for (const d of ['home', 'tmp', 'cache', 'canary', 'work']) fs.mkdirSync(path.join(sandbox, d));
  for (const k of ENV) saved[k] = process.env[k];
  process.env.HOME = path.join(sandbox, 'home');
  process.env.TMPDIR = path.join(sandbox, 'tmp');
  process.env.XDG_CACHE_HOME = path.join(sandbox, 'cache');
  process.env.TOLLGATE_CACHE_DIR = path.join(sandbox, 'cache', 'tollgate');
  process.env.TOLLGATE_CANARY_DIR = path.join(sandbox, 'canary');
  registry = await startRegistry([{ name: 'canary-eval', version: '1.0.0', files: FILES }]);
  fs.writeFileSync(path.join(sandbox, 'work', 'canary-eval-1.0.0.tgz'), await packTarball(FILES));
});

afterAll(async () => {
  await registry?.close();
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(sandbox, { recursive: true, force: true });
});

test('scan and audit write only into their cache folders and run nothing', async () => {
  const repoBefore = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' });
  const outside = (rel: string) => rel.startsWith('cache') || rel.startsWith('npm-cache');
  const before = snapshot(sandbox, outside);
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const werr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const cache = path.join(sandbox, 'npm-cache');
    const scanCode = await main(['scan', 'canary-eval@1.0.0', path.join(sandbox, 'work', 'canary-eval-1.0.0.tgz'), '--registry', registry.url, '--cache', cache, '--json', '--no-registry-signals']);
    expect([0, 1]).toContain(scanCode);
    // An audit of a lockfile that pulls the same package in.
    const tgz = fs.readFileSync(path.join(sandbox, 'work', 'canary-eval-1.0.0.tgz'));
    const integrity = 'sha512-' + createHash('sha512').update(tgz).digest('base64');
    const project = path.join(sandbox, 'work', 'app');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'canary-eval': '1.0.0' } }));
    fs.writeFileSync(
      path.join(project, 'package-lock.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0', dependencies: { 'canary-eval': '1.0.0' } }, 'node_modules/canary-eval': { version: '1.0.0', resolved: registry.tarballUrl('canary-eval', '1.0.0'), integrity } } }),
    );
    const projectBefore = snapshot(project);
    const auditCode = await main(['audit', project, '--json', '--cache', cache]);
    expect([0, 1]).toContain(auditCode);
    expect(snapshot(project)).toEqual(projectBefore);
  } finally {
    write.mockRestore();
    werr.mockRestore();
  }
  expect(fs.readdirSync(path.join(sandbox, 'canary'))).toEqual([]);
  const after = snapshot(sandbox, (rel) => outside(rel) || rel.startsWith(path.join('work', 'app')));
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  expect(after).toEqual(before);
  expect(execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' })).toBe(repoBefore);
});

test('check (lockfile and spec modes) writes only into its cache folders and runs nothing', async () => {
  const outside = (rel: string) => rel.startsWith('cache') || rel.startsWith('npm-cache');
  const cache = path.join(sandbox, 'npm-cache');
  const repo = path.join(sandbox, 'work', 'repo');
  fs.mkdirSync(repo);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'CI');
  fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));
  fs.writeFileSync(path.join(repo, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' } } }));
  git('add', '.');
  git('commit', '-qm', 'base');
  const tgz = fs.readFileSync(path.join(sandbox, 'work', 'canary-eval-1.0.0.tgz'));
  const integrity = 'sha512-' + createHash('sha512').update(tgz).digest('base64');
  fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'canary-eval': '1.0.0' } }));
  fs.writeFileSync(
    path.join(repo, 'package-lock.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0', dependencies: { 'canary-eval': '1.0.0' } }, 'node_modules/canary-eval': { version: '1.0.0', resolved: registry.tarballUrl('canary-eval', '1.0.0'), integrity } } }),
  );
  const before = snapshot(sandbox, outside);
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const werr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  let lockCode: number;
  let specCode: number;
  try {
    lockCode = await main(['check', '--project', repo, '--base', 'main', '--registry', registry.url, '--cache', cache, '--json']);
    specCode = await main(['check', 'canary-eval@1.0.0', '--project', repo, '--registry', registry.url, '--cache', cache, '--json']);
  } finally {
    write.mockRestore();
    werr.mockRestore();
  }
  // The canary is scanned (not skipped): it ends in a verdict, not an error exit.
  expect([0, 1]).toContain(lockCode);
  expect([0, 1]).toContain(specCode);
  expect(fs.readdirSync(path.join(sandbox, 'canary'))).toEqual([]);
  expect(snapshot(sandbox, outside)).toEqual(before);
});

test('watch over a feed publishing the canary package writes only its store and cache, and runs nothing', async () => {
  const feed = await startFeed();
  try {
    await feed.publish({ name: 'canary-eval', version: '1.0.0', files: FILES });
    await feed.publish({ name: 'canary-eval', version: '1.0.1', files: { ...FILES, 'package.json': FILES['package.json'].replace('"1.0.0"', '"1.0.1"') } });
    const store = path.join(sandbox, 'cache', 'watch.sqlite');
    const outside = (rel: string) => rel.startsWith('cache') || rel.startsWith('npm-cache');
    const before = snapshot(sandbox, outside);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const werr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['watch', '--once', '--json', '--since', '0', '--changes-url', feed.changesUrl, '--registry', feed.url, '--store', store]);
    } finally {
      write.mockRestore();
      werr.mockRestore();
    }
    expect(code).toBe(0);
    // Both versions were scanned (they are in the store), and nothing of theirs ran.
    const results = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli', 'bin.js'), 'results', '--store', store, '--json'], { encoding: 'utf8', env: { ...process.env, TOLLGATE_CANARY_DIR: path.join(sandbox, 'canary') } })) as { results: Array<{ name: string; version: string; verdict: string }> };
    expect(results.results.map((r) => `${r.name}@${r.version}`).sort()).toEqual(['canary-eval@1.0.0', 'canary-eval@1.0.1']);
    // Analyzed, not skipped: a canary whose install scripts eval a decoded payload is never an error or clean.
    expect(results.results.map((r) => r.verdict).filter((v) => v === 'error' || v === 'clean')).toEqual([]);
    expect(fs.readdirSync(path.join(sandbox, 'canary'))).toEqual([]);
    expect(snapshot(sandbox, outside)).toEqual(before);
  } finally {
    await feed.close();
  }
});
