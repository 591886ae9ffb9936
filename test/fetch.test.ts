import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pacote from 'pacote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, fetchTarball, prefetchTarball, type FetchOptions } from '../src/fetch/fetch.js';
import { loadNpmConfig, toFetchOptions } from '../src/fetch/npm-config.js';
import { packTarball, startRegistry, type TestRegistry } from './helpers/registry.js';

/** Paths inside a gzipped tarball, read in memory (no extraction). */
function tarPaths(tgz: Buffer): string[] {
  const tar = zlib.gunzipSync(tgz);
  const out: string[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    out.push(prefix ? `${prefix}/${name}` : name);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

async function expectFetchError(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

let registry: TestRegistry;
let tmp: string;
let opts: FetchOptions;

beforeAll(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-fetch-'));
  registry = await startRegistry([
    { name: 'left-pad', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } },
    { name: 'left-pad', version: '1.2.0', files: { 'index.js': 'module.exports = 12;\n' } },
    { name: 'left-pad', version: '2.0.0', files: { 'index.js': 'module.exports = 2;\n' } },
    { name: '@acme/util', version: '1.0.0', files: { 'index.js': 'exports.x = 1;\n' } },
    { name: 'tampered', version: '1.0.0', files: { 'index.js': 'ok\n' }, corruptTarball: true },
  ]);
  opts = { npmConfig: { registry: registry.url }, cache: path.join(tmp, 'cache') };
});

afterAll(async () => {
  await registry?.close();
  if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
});

describe('fetchTarball: registry specs', () => {
  it('fetches a bare name as the latest version, with verified integrity', async () => {
    const r = await fetchTarball('left-pad', opts);
    expect(r).toMatchObject({ spec: 'left-pad', name: 'left-pad', version: '2.0.0', source: 'registry' });
    expect(r.integrity).toMatch(/^sha512-/);
    expect(r.resolved).toBe(registry.tarballUrl('left-pad', '2.0.0'));
    expect(tarPaths(r.data)).toContain('package/index.js');
  });

  it('resolves a range to the highest matching version', async () => {
    const r = await fetchTarball('left-pad@^1', opts);
    expect(r).toMatchObject({ name: 'left-pad', version: '1.2.0', source: 'registry' });
  });

  it('fetches a scoped package by exact version, requesting the encoded name', async () => {
    const r = await fetchTarball('@acme/util@1.0.0', opts);
    expect(r).toMatchObject({ name: '@acme/util', version: '1.0.0', source: 'registry' });
    expect(registry.requests).toContain('/@acme%2futil');
    expect(registry.requests).toContain('/@acme/util/-/util-1.0.0.tgz');
  });

  it('fetches npm: aliases as the real package', async () => {
    const r = await fetchTarball('pad@npm:left-pad@^1', opts);
    expect(r).toMatchObject({ name: 'left-pad', version: '1.2.0', source: 'alias' });
  });

  it('fetches an alias without a local name, and a remote tarball URL', async () => {
    expect(await fetchTarball('npm:@acme/util@1', opts)).toMatchObject({ name: '@acme/util', version: '1.0.0', source: 'alias' });
    const url = registry.tarballUrl('left-pad', '1.0.0');
    const r = await fetchTarball(url, opts);
    expect(r).toMatchObject({ name: 'left-pad', version: '1.0.0', source: 'remote', resolved: url });
    expect(r.integrity).toMatch(/^sha512-/);
  });

  it('turns a tampered tarball into EINTEGRITY', async () => {
    const err = await expectFetchError(fetchTarball('tampered@1.0.0', opts));
    expect(err.code).toBe('EINTEGRITY');
    expect(err.spec).toBe('tampered@1.0.0');
    expect(err.message).toContain('"tampered@1.0.0"');
    expect(err.message).toMatch(/tampered with/);
  });

  it('rejects a tarball that does not match the integrity the caller expects', async () => {
    const wrong = 'sha512-' + Buffer.alloc(64, 1).toString('base64');
    const err = await expectFetchError(fetchTarball('left-pad@1.0.0', { ...opts, integrity: wrong }));
    expect(err.code).toBe('EINTEGRITY');
  });

  it('reports an unknown package as E404, naming it and the registry', async () => {
    const err = await expectFetchError(fetchTarball('no-such-package', opts));
    expect(err.code).toBe('E404');
    expect(err.message).toContain('"no-such-package"');
    expect(err.message).toContain(registry.url);
  });

  it('reports an unsatisfiable range as ETARGET', async () => {
    const err = await expectFetchError(fetchTarball('left-pad@^9', opts));
    expect(err.code).toBe('ETARGET');
    expect(err.message).toContain('left-pad');
  });

  it('enforces maxTarballBytes', async () => {
    const err = await expectFetchError(fetchTarball('left-pad@1.0.0', { ...opts, maxTarballBytes: 10 }));
    expect(err.code).toBe('ETOOBIG');
  });

  it('sends the auth token configured for the registry, from npm config', async () => {
    const host = new URL(registry.url).host;
    const npmConfig = { registry: registry.url, [`//${host}/:_authToken`]: 's3cret' };
    const before = registry.requests.length;
    await fetchTarball('left-pad@2.0.0', { npmConfig, cache: path.join(tmp, 'cache-auth') });
    expect(registry.authorizations.slice(before)).toContain('Bearer s3cret');
  });
});

describe('fetchTarball: local and refused specs', () => {
  it('reads a local .tgz, relative to `where`', async () => {
    const dir = await fs.promises.mkdtemp(path.join(tmp, 'tgz-'));
    const tgz = await packTarball({ 'package.json': JSON.stringify({ name: 'local-tgz', version: '3.1.4' }), 'index.js': '1\n' });
    await fs.promises.writeFile(path.join(dir, 'local-tgz-3.1.4.tgz'), tgz);
    const r = await fetchTarball('./local-tgz-3.1.4.tgz', { ...opts, where: dir });
    expect(r).toMatchObject({ name: 'local-tgz', version: '3.1.4', source: 'file' });
    expect(r.data.equals(tgz)).toBe(true);
    expect(r.resolved).toBe(path.join(dir, 'local-tgz-3.1.4.tgz'));
  });

  it('reports a missing local file clearly', async () => {
    const err = await expectFetchError(fetchTarball('./nope.tgz', { ...opts, where: tmp }));
    expect(err.code).toBe('ENOENT');
    expect(err.message).toContain('nope.tgz');
  });

  it('packs a local folder WITHOUT running its prepare script', async () => {
    const dir = await fs.promises.mkdtemp(path.join(tmp, 'dir-'));
    const marker = path.join(dir, 'PREPARE_RAN');
    const pkg = {
      name: 'local-dir',
      version: '0.0.1',
      // Scripts run with the package folder as cwd, so a relative marker lands in `dir`.
      scripts: { prepare: `node -e "require('fs').writeFileSync('PREPARE_RAN', 'x')"` },
    };
    await fs.promises.writeFile(path.join(dir, 'package.json'), JSON.stringify(pkg));
    await fs.promises.writeFile(path.join(dir, 'index.js'), 'module.exports = 1;\n');
    const r = await fetchTarball(dir, opts);
    expect(r).toMatchObject({ name: 'local-dir', version: '0.0.1', source: 'directory' });
    expect(tarPaths(r.data).sort()).toEqual(['package/index.js', 'package/package.json']);
    expect(fs.existsSync(marker)).toBe(false);

    // Control: the same pack with scripts allowed does create the marker, so the check above is meaningful.
    const tree = { path: dir, package: pkg, isProjectRoot: true, edgesOut: new Map() };
    await pacote.tarball(dir, { cache: path.join(tmp, 'cache'), tree } as pacote.Options);
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('includes bundled dependencies of a local folder', async () => {
    const dir = await fs.promises.mkdtemp(path.join(tmp, 'bundle-'));
    const pkg = { name: 'bundler', version: '1.0.0', dependencies: { dep: '1' }, bundleDependencies: ['dep'] };
    await fs.promises.writeFile(path.join(dir, 'package.json'), JSON.stringify(pkg));
    await fs.promises.mkdir(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    await fs.promises.writeFile(path.join(dir, 'node_modules', 'dep', 'package.json'), '{"name":"dep","version":"1.0.0"}');
    await fs.promises.writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'), 'hidden\n');
    const r = await fetchTarball(dir, opts);
    expect(tarPaths(r.data)).toContain('package/node_modules/dep/index.js');
  });

  it('refuses git specs with EGIT, without any network request', async () => {
    const before = registry.requests.length;
    for (const spec of ['github:someone/thing', 'git+https://example.com/x.git', 'someone/thing#main']) {
      const err = await expectFetchError(fetchTarball(spec, opts));
      expect(err.code).toBe('EGIT');
      expect(err.message).toMatch(/prepare scripts/);
    }
    expect(registry.requests.length).toBe(before);
    // npm reads `a/b` as GitHub shorthand even when such a folder exists; say how to mean the folder.
    await fs.promises.mkdir(path.join(tmp, 'some', 'pkg'), { recursive: true });
    const err = await expectFetchError(fetchTarball('some/pkg', { ...opts, where: tmp }));
    expect(err.message).toContain('./some/pkg');
  });

  it('rejects an invalid spec', async () => {
    const err = await expectFetchError(fetchTarball('@@bad name', opts));
    expect(err.code).toBe('EINVALIDSPEC');
  });
});

describe('prefetchTarball (the audit downloads everything into the cache first)', () => {
  it('fills the download cache so the later fetch by integrity makes no request, and reads the same bytes', async () => {
    const cache = path.join(tmp, 'prefetch-cache');
    const url = registry.tarballUrl('left-pad', '1.2.0');
    const integrity = registry.integrityOf('left-pad', '1.2.0');
    const size = await prefetchTarball(url, { ...opts, cache, integrity });
    const before = registry.requests.length;
    const sized = await fetchTarball(url, { ...opts, cache, integrity, skipIdentity: true, expectedBytes: size });
    const unsized = await fetchTarball(url, { ...opts, cache, integrity, skipIdentity: true });
    expect(registry.requests.length).toBe(before);
    expect(sized.data.length).toBe(size);
    expect(sized.data.equals(unsized.data)).toBe(true);
    expect(tarPaths(sized.data)).toContain('package/index.js');
  });

  it('reads the whole tarball even when the expected size is wrong', async () => {
    const url = registry.tarballUrl('left-pad', '2.0.0');
    const whole = await fetchTarball(url, { ...opts, skipIdentity: true });
    for (const expectedBytes of [1, whole.data.length - 1, whole.data.length + 100]) {
      const r = await fetchTarball(url, { ...opts, skipIdentity: true, expectedBytes });
      expect(r.data.equals(whole.data)).toBe(true);
    }
  });

  it('rejects a tampered tarball with EINTEGRITY and caches nothing under its integrity', async () => {
    const cache = path.join(tmp, 'prefetch-tampered');
    const url = registry.tarballUrl('tampered', '1.0.0');
    const integrity = registry.integrityOf('tampered', '1.0.0');
    const err = await expectFetchError(prefetchTarball(url, { ...opts, cache, integrity }));
    expect(err.code).toBe('EINTEGRITY');
    const again = await expectFetchError(fetchTarball(url, { ...opts, cache, integrity, skipIdentity: true }));
    expect(again.code).toBe('EINTEGRITY');
  });

  it('prefetches tarball URLs only', async () => {
    const err = await expectFetchError(prefetchTarball('left-pad@1.0.0', opts));
    expect(err.code).toBe('ENOTREMOTE');
  });
});

describe('loadNpmConfig', () => {
  it('layers global < user < project < env and expands ${VAR}', async () => {
    const root = await fs.promises.mkdtemp(path.join(tmp, 'npmrc-'));
    const project = path.join(root, 'project');
    const prefix = path.join(root, 'prefix');
    await fs.promises.mkdir(path.join(prefix, 'etc'), { recursive: true });
    await fs.promises.mkdir(project);
    await fs.promises.writeFile(path.join(project, 'package.json'), '{}');
    await fs.promises.writeFile(path.join(prefix, 'etc', 'npmrc'), 'registry=https://global.example/\nfetch-retries=7\nstrict-ssl=true\n');
    const userconfig = path.join(root, 'user.npmrc');
    await fs.promises.writeFile(
      userconfig,
      [
        'registry=https://user.example/',
        '@acme:registry=https://acme.example/npm/',
        '//host.example/:_authToken=${TOKEN}',
        '//other.example/:_authToken=${UNSET_TOKEN?}',
        'proxy=${UNSET_PROXY}',
        'strict-ssl=false',
        'https-proxy=http://proxy.example:8080',
      ].join('\n'),
    );
    await fs.promises.writeFile(path.join(project, '.npmrc'), 'fetch-retries=3\n');
    const env = { TOKEN: 's3cret', HOME: root, PREFIX: prefix };

    const conf = loadNpmConfig({ cwd: project, env, userconfig });
    expect(conf).toMatchObject({
      registry: 'https://user.example/',
      '@acme:registry': 'https://acme.example/npm/',
      '//host.example/:_authToken': 's3cret',
      '//other.example/:_authToken': '',
      proxy: '${UNSET_PROXY}', // npm leaves an unset ${VAR} (without ?) as is
      'fetch-retries': '3',
      'strict-ssl': false,
    });

    const withEnv = loadNpmConfig({ cwd: project, env: { ...env, npm_config_registry: 'https://env.example/', NPM_CONFIG_FETCH_RETRIES: '5' } });
    // No explicit userconfig: $HOME/.npmrc is absent, so only global + project + env apply.
    expect(withEnv.registry).toBe('https://env.example/');
    expect(withEnv['fetch-retries']).toBe('5');
    expect(withEnv['@acme:registry']).toBeUndefined();

    const viaEnvUserconfig = loadNpmConfig({ cwd: project, env: { ...env, npm_config_userconfig: userconfig, npm_config_registry: 'https://env.example/' } });
    expect(viaEnvUserconfig.registry).toBe('https://env.example/');
    expect(viaEnvUserconfig['//host.example/:_authToken']).toBe('s3cret');

    // What pacote / npm-registry-fetch actually read: camelCase for settings, auth keys verbatim.
    expect(toFetchOptions(conf)).toMatchObject({
      registry: 'https://user.example/',
      '@acme:registry': 'https://acme.example/npm/',
      '//host.example/:_authToken': 's3cret',
      strictSSL: false,
      httpsProxy: 'http://proxy.example:8080',
      fetchRetries: 3,
    });
  });
});
