// The guard's pure parts: request routing, packument rewriting, the child environment, decisions.
import { describe, expect, test } from 'vitest';
import { routeOf, tarballPath } from '../src/guard/paths.js';
import fc from 'fast-check';
import { PackumentRecordReader, PackumentRewriter, PackumentSyntaxError, shasumToSri, integrityOf, type TarballRecord } from '../src/guard/packument-rewrite.js';
import { guardedEnv, scopesOf } from '../src/guard/env.js';
import { decide, type Policy } from '../src/guard/decision.js';
import { EMPTY_CONFIG, parseConfig } from '../src/check/config.js';
import type { ReportedPackage } from '../src/types.js';

const policy = (over: Partial<Policy> = {}): Policy => ({ failOn: 'malicious', failOpen: false, config: { ...EMPTY_CONFIG, rulesOff: new Set() }, ...over });
const result = (over: Partial<ReportedPackage>): ReportedPackage => ({ name: 'pkg', version: '1.0.0', source: 'registry', score: 0, verdict: 'clean', reasons: [], findings: [], ...over });

describe('routing', () => {
  test('tarball paths, plain and scoped, round-trip', () => {
    expect(tarballPath('left-pad', '1.3.0')).toBe('/left-pad/-/left-pad-1.3.0.tgz');
    expect(tarballPath('@scope/pkg', '2.0.0-beta.1')).toBe('/@scope/pkg/-/pkg-2.0.0-beta.1.tgz');
    expect(routeOf('/left-pad/-/left-pad-1.3.0.tgz')).toEqual({ kind: 'tarball', name: 'left-pad', version: '1.3.0' });
    expect(routeOf('/@scope/pkg/-/pkg-2.0.0-beta.1.tgz')).toEqual({ kind: 'tarball', name: '@scope/pkg', version: '2.0.0-beta.1' });
    expect(routeOf('/@scope%2fpkg/-/pkg-2.0.0.tgz')).toEqual({ kind: 'tarball', name: '@scope/pkg', version: '2.0.0' });
  });
  test('packuments, the health endpoint, and what is not a registry request', () => {
    expect(routeOf('/express')).toEqual({ kind: 'packument', name: 'express' });
    expect(routeOf('/@types%2fnode')).toEqual({ kind: 'packument', name: '@types/node' });
    expect(routeOf('/-/tollgate/health')).toEqual({ kind: 'health' });
    for (const p of ['/..', '/%2e%2e/etc', '/a/../b', '/x/-/y-1.0.0.tgz', '/%zz', '/http:%2f%2fevil.invalid', '/-/v1/search']) expect(routeOf(p).kind).toBe('other');
  });
});

/** Stream `text` through the rewriter in the given chunk sizes; the output text and the records. */
function rewrite(name: string, text: string, base: string, cuts: number[] = []): { text: string; records: TarballRecord[] } {
  const bytes = Buffer.from(text, 'utf8');
  const records: TarballRecord[] = [];
  const r = new PackumentRewriter(name, base, (rec) => records.push(rec));
  const out: Buffer[] = [];
  let at = 0;
  for (const n of [...cuts, bytes.length]) {
    const end = Math.min(bytes.length, at + n);
    out.push(r.push(bytes.subarray(at, end)));
    at = end;
    if (at >= bytes.length) break;
  }
  r.end();
  return { text: Buffer.concat(out).toString('utf8'), records };
}

/** Read `bytes` for records only (PackumentRecordReader) in the given chunk sizes. */
function readRecords(name: string, bytes: Buffer, wholeBytes: number, cuts: number[] = []): TarballRecord[] {
  const reader = new PackumentRecordReader(name, wholeBytes);
  const out: TarballRecord[] = [];
  let at = 0;
  for (const n of [...cuts, bytes.length]) {
    const end = Math.min(bytes.length, at + n);
    out.push(...reader.push(bytes.subarray(at, end)));
    at = end;
    if (at >= bytes.length) break;
  }
  return [...out, ...reader.end()];
}

/** What the rewrite must amount to, written the obvious way (parse, walk, rewrite). */
function oracle(name: string, doc: unknown, base: string): { doc: unknown; records: TarballRecord[] } {
  const copy = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  const records: TarballRecord[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(copy) && isObj(copy.versions)) {
    for (const [version, meta] of Object.entries(copy.versions)) {
      if (!isObj(meta) || !isObj(meta.dist)) continue;
      const up = meta.dist.tarball;
      if (typeof up !== 'string' || !/^https?:\/\//i.test(up)) continue;
      records.push({ name, version, upstreamUrl: up, integrity: integrityOf(meta.dist) });
      meta.dist.tarball = `${base}/${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${encodeURIComponent(version)}.tgz`;
    }
  }
  return { doc: copy, records };
}

describe('packument rewriting (streamed)', () => {
  const p = {
    name: '@s/a',
    versions: {
      '1.0.0': { dist: { tarball: 'https://registry.npmjs.org/@s/a/-/a-1.0.0.tgz', integrity: 'sha512-AAAA' } },
      '0.9.0': { dist: { shasum: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', tarball: 'https://cdn.invalid/a-0.9.0.tgz' } },
      '0.1.0': { dist: { tarball: 'git+ssh://example.invalid/a.git' } },
      '0.0.1': 'junk',
    },
    readme: 'é "dist": {"tarball": "https://evil.invalid/x.tgz"} \u2028',
  };

  test('every version points at the proxy; records keep the upstream URL and integrity; the rest is byte for byte', () => {
    const text = JSON.stringify(p, null, 2);
    const { text: out, records } = rewrite('@s/a', text, 'http://127.0.0.1:9');
    const doc = JSON.parse(out) as typeof p;
    expect(doc.versions['1.0.0'].dist.tarball).toBe('http://127.0.0.1:9/@s/a/-/a-1.0.0.tgz');
    expect(doc.versions['0.9.0'].dist.tarball).toBe('http://127.0.0.1:9/@s/a/-/a-0.9.0.tgz');
    expect(doc.versions['0.1.0'].dist.tarball).toBe('git+ssh://example.invalid/a.git');
    expect(doc.readme).toBe(p.readme);
    expect(records).toEqual([
      { name: '@s/a', version: '1.0.0', upstreamUrl: 'https://registry.npmjs.org/@s/a/-/a-1.0.0.tgz', integrity: 'sha512-AAAA' },
      { name: '@s/a', version: '0.9.0', upstreamUrl: 'https://cdn.invalid/a-0.9.0.tgz', integrity: shasumToSri('da39a3ee5e6b4b0d3255bfef95601890afd80709') },
    ]);
    // Only the tarball strings changed: the text around them is exactly the upstream's.
    expect(out.replace(/"http:\/\/127\.0\.0\.1:9[^"]*"/g, '"X"')).toBe(text.replace(/"tarball": "https:[^"]*"/g, '"tarball": "X"'));
    expect(shasumToSri('da39a3ee5e6b4b0d3255bfef95601890afd80709')).toBe('sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
  });

  test('chunk boundaries anywhere (inside a URL, an escape, a key, a number) give the same answer', () => {
    const text = JSON.stringify({ ...p, time: { n: -12.5e3 }, list: [true, false, null, 0, 'a\\"b'] });
    const whole = rewrite('@s/a', text, 'http://p.invalid');
    for (let cut = 1; cut < text.length; cut++) expect(rewrite('@s/a', text, 'http://p.invalid', [cut, 7, 1, 3])).toEqual(whole);
  });

  test('property: for any JSON packument and any chunking, the streamed rewrite equals parse, rewrite, compare', () => {
    const url = fc.oneof(fc.webUrl(), fc.constantFrom('git://x.invalid/a', 'file:../a.tgz', '', 'HTTPS://X.INVALID/a.tgz'), fc.string({ unit: 'binary' }));
    const dist = fc.record({ tarball: url, integrity: fc.oneof(fc.constant('sha512-QUJD'), fc.string()), shasum: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }), extra: fc.jsonValue() }, { requiredKeys: [] });
    const versions = fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.oneof(fc.record({ dist, other: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()));
    const doc = fc.record({ name: fc.string(), versions, 'dist-tags': fc.jsonValue(), readme: fc.string({ unit: 'binary' }) }, { requiredKeys: [] });
    fc.assert(
      fc.property(doc, fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), fc.boolean(), (d, cuts, pretty) => {
        const text = pretty ? JSON.stringify(d, null, 1) : JSON.stringify(d);
        const got = rewrite('pkg', text, 'http://127.0.0.1:9', cuts);
        const want = oracle('pkg', d, 'http://127.0.0.1:9');
        expect(JSON.parse(got.text)).toEqual(want.doc);
        expect(got.records).toEqual(want.records);
      }),
      { numRuns: 300 },
    );
  });

  test('property: a packument read only for its records gives the rewriter\'s records, parsed whole or streamed past the size it holds', () => {
    const url = fc.oneof(fc.webUrl(), fc.constantFrom('git://x.invalid/a', 'HTTPS://X.INVALID/a.tgz', 'https://x.invalid/\u00e9.tgz'), fc.string({ unit: 'binary' }));
    const dist = fc.record({ tarball: url, integrity: fc.oneof(fc.constant('sha512-QUJD'), fc.string()), shasum: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }) }, { requiredKeys: [] });
    const versions = fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.oneof(fc.record({ dist, other: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()));
    const doc = fc.record({ versions, readme: fc.string({ unit: 'binary' }) }, { requiredKeys: [] });
    fc.assert(
      fc.property(doc, fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), fc.integer({ min: 0, max: 400 }), (d, cuts, wholeBytes) => {
        const bytes = Buffer.from(JSON.stringify(d), 'utf8');
        expect(readRecords('pkg', bytes, wholeBytes, cuts)).toEqual(rewrite('pkg', bytes.toString('utf8'), 'http://127.0.0.1:9').records);
      }),
      { numRuns: 300 },
    );
  });

  test('anything that is not one JSON value is refused, so no lenient client can read a URL the rewrite did not see', () => {
    const bad = [
      '',
      '{"versions": {"1.0.0": {"dist": {"tarball": "https://x.invalid/a.tgz",}}}}',
      '{"versions": {}} {"versions": {}}',
      '// c\n{}',
      '\ufeff{}',
      "{'versions': {}}",
      '{"a": tru}',
      '{"a": 01}',
      '{"a" 1}',
      '[1, 2',
      '{"versions": {"1.0.0": {"dist": {"tarball": "https://x.invalid/\u0001.tgz"}}}}',
      '{"versions": {"1.0.0": {"dist": {"tarball": "https://x.invalid/\\q"}}}}',
      '{"a": NaN}',
    ];
    for (const text of bad) {
      expect(() => rewrite('x', text, 'http://p'), text).toThrow(PackumentSyntaxError);
      // Read only for its records: parsed whole, and streamed.
      for (const wholeBytes of [1 << 20, 0]) expect(() => readRecords('x', Buffer.from(text, 'utf8'), wholeBytes), `${text} (${wholeBytes})`).toThrow(PackumentSyntaxError);
    }
  });

  test('hostile shapes end within bounds: deep nesting and huge captured strings are refused, huge other strings stream', () => {
    expect(() => rewrite('x', '['.repeat(100_000), 'http://p')).toThrow(/nested deeper than/);
    expect(() => rewrite('x', `{"versions": {"1": {"dist": {"tarball": "https://${'a'.repeat(70_000)}"}}}}`, 'http://p')).toThrow(/longer than/);
    const big = JSON.stringify({ readme: 'r'.repeat(5_000_000), versions: { '1.0.0': { dist: { tarball: 'https://x.invalid/a.tgz' } } } });
    const { records } = rewrite('x', big, 'http://p', [65_536, 65_536]);
    expect(records).toHaveLength(1);
  });
});

describe('the guarded environment', () => {
  test('every manager points at the proxy, scoped registries too; old spellings of those keys are dropped', () => {
    const env = guardedEnv('http://127.0.0.1:5000', { '@corp:registry': 'https://npm.corp.invalid/' }, { PATH: '/bin', NPM_CONFIG_REGISTRY: 'https://elsewhere.invalid/', keep: '1' });
    expect(env).toMatchObject({
      PATH: '/bin',
      keep: '1',
      npm_config_registry: 'http://127.0.0.1:5000/',
      npm_config_replace_registry_host: 'always',
      'npm_config_@corp:registry': 'http://127.0.0.1:5000/',
      YARN_REGISTRY: 'http://127.0.0.1:5000/',
      YARN_NPM_REGISTRY_SERVER: 'http://127.0.0.1:5000/',
      YARN_UNSAFE_HTTP_WHITELIST: '127.0.0.1',
      BUN_CONFIG_REGISTRY: 'http://127.0.0.1:5000/',
    });
    expect(env.NPM_CONFIG_REGISTRY).toBeUndefined();
    // Caches of the guard's own, so nothing the user's caches hold skips the proxy.
    const cached = guardedEnv('http://127.0.0.1:5000', {}, { npm_config_cache: '/home/u/.npm' }, '/c/guard', 'npm');
    expect(cached).toMatchObject({ npm_config_cache: '/c/guard/npm', YARN_GLOBAL_FOLDER: '/c/guard/yarn-berry', BUN_INSTALL_CACHE_DIR: '/c/guard/bun' });
    expect(cached.npm_config_store_dir).toBeUndefined();
    expect(guardedEnv('http://127.0.0.1:5000', {}, {}, '/c/guard', '/usr/bin/pnpm').npm_config_store_dir).toBe('/c/guard/pnpm-store');
    expect(scopesOf({ registry: 'x', '@a:registry': 'y', '//host/:_authToken': 'z' })).toEqual(['@a']);
  });
});

describe('decisions', () => {
  test('below --fail-on is served, at it refused with the reason and the allow entry', () => {
    expect(decide('pkg', '1.0.0', result({ verdict: 'suspicious', reasons: ['odd'] }), false, policy())).toMatchObject({ action: 'serve' });
    const d = decide('pkg', '1.0.0', result({ verdict: 'suspicious', score: 50, reasons: ['reads ~/.npmrc'] }), false, policy({ failOn: 'suspicious' }));
    expect(d).toMatchObject({ action: 'refuse', status: 403 });
    expect(d.action === 'refuse' && d.message).toBe(
      'tollgate guard refused pkg@1.0.0: suspicious (reads ~/.npmrc). Not installed. If you reviewed it and trust it, add {"package": "pkg@1.0.0", "reason": "reviewed by <you>: <why it is safe>"} to the "allow" list of tollgate.config.json',
    );
    expect(decide('pkg', '1.0.0', result({ verdict: 'malicious' }), false, policy({ failOn: 'never' }))).toMatchObject({ action: 'serve' });
  });
  test('a scan error is refused (fail closed) unless --fail-open, and an allow never passes an error', () => {
    const err = result({ verdict: 'error', reasons: ['analysis failed'], error: 'analysis failed' });
    const closed = decide('pkg', '1.0.0', err, false, policy());
    expect(closed).toMatchObject({ action: 'refuse', status: 403 });
    expect(closed.action === 'refuse' && closed.message).toMatch(/could not be scanned: analysis failed.*fail closed.*--fail-open/);
    expect(decide('pkg', '1.0.0', err, false, policy({ failOpen: true }))).toMatchObject({ action: 'serve', note: expect.stringContaining('UNSCANNED') });
    const config = parseConfig('tollgate.config.json', JSON.stringify({ allow: [{ package: 'pkg@1.0.0', reason: 'ok' }] }), new Set());
    expect(decide('pkg', '1.0.0', err, false, policy({ config }))).toMatchObject({ action: 'refuse' });
    expect(decide('pkg', '1.0.0', result({ verdict: 'malicious' }), false, policy({ config }))).toMatchObject({ action: 'serve' });
    // Pinned: another version of the same package is judged again.
    expect(decide('pkg', '1.0.1', result({ verdict: 'malicious' }), false, policy({ config }))).toMatchObject({ action: 'refuse' });
  });
  test('names and reasons from a package cannot break the line', () => {
    const d = decide('pkg', '1.0.0', result({ verdict: 'malicious', reasons: ['evil\n::error::forged\u001b[2J'] }), false, policy());
    expect(d.action === 'refuse' && d.message).not.toMatch(/[\n\u001b]/);
  });
});

describe('guard usage', () => {
  test('a command or --serve is required, not both; --port is for --serve', async () => {
    const { runCli } = await import('./helpers/run-cli.js');
    const none = await runCli(['guard']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('guard needs a command to run, e.g. `tollgate guard -- npm install`, or --serve');
    expect((await runCli(['guard', '--serve', '--', 'npm', 'ci'])).code).toBe(2);
    expect((await runCli(['guard', '--port', '4873', '--', 'npm', 'ci'])).stderr).toContain('--port applies to --serve');
    expect((await runCli(['guard', '--fail-on', 'sometimes', '--', 'npm', 'ci'])).stderr).toContain('--fail-on must be malicious, suspicious or never');
  });
});

describe('what installs past the proxy', () => {
  test('a yarn 1 lockfile is found for yarn (however it is started), a bun.lock for bun; npm and berry lockfiles are not', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { lockfileFetchedDirectly, runsYarn } = await import('../src/guard/coverage.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-cov-'));
    try {
      expect(lockfileFetchedDirectly(['yarn', 'install'], dir)).toBeUndefined();
      fs.writeFileSync(path.join(dir, 'yarn.lock'), '# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n');
      expect(lockfileFetchedDirectly(['yarn', 'install'], dir)).toEqual({ file: path.join(dir, 'yarn.lock'), manager: 'yarn 1' });
      expect(lockfileFetchedDirectly(['/usr/local/bin/yarn'], dir)).toBeDefined();
      expect(lockfileFetchedDirectly(['npm', 'ci'], dir)).toBeUndefined();
      fs.writeFileSync(path.join(dir, 'yarn.lock'), '__metadata:\n  version: 8\n');
      expect(lockfileFetchedDirectly(['yarn', 'install'], dir)).toBeUndefined();
      expect(lockfileFetchedDirectly(['bun', 'install'], dir)).toBeUndefined();
      fs.writeFileSync(path.join(dir, 'bun.lock'), '{}');
      expect(lockfileFetchedDirectly(['/opt/bun/bin/bun', 'install'], dir)).toEqual({ file: path.join(dir, 'bun.lock'), manager: 'bun' });
      for (const argv of [['yarnpkg'], ['node', '.yarn/releases/yarn-1.22.22.cjs', 'install'], ['/usr/bin/node', '--no-warnings', '/x/node_modules/yarn/bin/yarn.js']]) expect(runsYarn(argv), argv.join(' ')).toBe(true);
      for (const argv of [['node', 'build.js'], ['npx', 'yarn'], ['node'], ['pnpm', 'install']]) expect(runsYarn(argv), argv.join(' ')).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the proxy's address is taken back out of a lockfile: the upstream URL, bun's \"\" for npm's registry, unknown ones reported", async () => {
    const { restoreUpstreamUrls } = await import('../src/guard/lockfile-urls.js');
    const base = 'http://127.0.0.1:5000';
    const upstream = (name: string, version: string) =>
      name === 'gone' ? undefined : name.startsWith('@corp/') ? `https://npm.corp.invalid/${name}/-/${name.slice(6)}-${version}.tgz` : `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`;
    const yarn1 = `a@^1:\n  version "1.0.0"\n  resolved "${base}/a/-/a-1.0.0.tgz#0123abcd"\n  integrity sha512-A\n\nb@^2:\n  resolved "http://127.0.0.1:50001/b/-/b-2.0.0.tgz"\n`;
    const y = restoreUpstreamUrls(yarn1, base, upstream);
    expect(y.text).toBe(yarn1.replace(`${base}/a/-/a-1.0.0.tgz#`, 'https://registry.npmjs.org/a/-/a-1.0.0.tgz#'));
    expect(y).toMatchObject({ restored: 1, unknown: [] });
    const bun = `{\n  "packages": {\n    "a": ["a@1.0.0", "${base}/a/-/a-1.0.0.tgz", {}, "sha512-A"],\n    "@corp/x": ["@corp/x@2.0.0", "${base}/@corp/x/-/x-2.0.0.tgz", {}, "sha512-X"],\n    "gone": ["gone@1.0.0", "${base}/gone/-/gone-1.0.0.tgz", {}, "sha512-G"],\n  }\n}\n`;
    const b = restoreUpstreamUrls(bun, base, upstream, true);
    expect(b.text).toContain('"a": ["a@1.0.0", "", {}');
    expect(b.text).toContain('"@corp/x": ["@corp/x@2.0.0", "https://npm.corp.invalid/@corp/x/-/x-2.0.0.tgz", {}');
    expect(b.text).toContain(`"gone": ["gone@1.0.0", "${base}/gone/-/gone-1.0.0.tgz"`);
    expect(b).toMatchObject({ restored: 2, unknown: [`${base}/gone/-/gone-1.0.0.tgz`] });
    // Not a lockfile bun wrote: npm's default registry URL stays a URL.
    expect(restoreUpstreamUrls(bun, base, upstream, false).text).toContain('"https://registry.npmjs.org/a/-/a-1.0.0.tgz"');
  });
});
