// Per-format parser tests on small fixtures (fixtures/lockfiles/) that reproduce the odd cases
// INDEX.json notes list for the real lockfiles, plus malformed and truncated files of each format.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { detectFormat, findLockfile, loadLockfile, parseLockfileText, LockfileError, type LockEntry, type Lockfile } from '../src/lockfile/index.js';
import { analyzeGraph } from '../src/lockfile/graph.js';
import { fetchUrlFor, planUnits, tarballUrlFor } from '../src/audit/plan.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/lockfiles');
const load = (name: string): Lockfile => loadLockfile(path.join(FIX, name));
const get = (lf: Lockfile, name: string, version?: string): LockEntry => {
  const e = lf.entries.find((x) => (x.name === name || x.alias === name) && (version === undefined || x.version === version));
  if (!e) throw new Error(`${name}@${version ?? '*'} not in ${lf.entries.map((x) => `${x.name}@${x.version}`).join(', ')}`);
  return e;
};
const paths = (e: LockEntry) => e.paths.map((p) => p.join(' > '));

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-lock-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('package-lock.json v1', () => {
  const lf = load('npm-v1.package-lock.json');
  test('nested tree, aliases, bundled, git and file: entries', () => {
    expect(lf).toMatchObject({ format: 'package-lock', version: '1', rootName: 'app' });
    expect(get(lf, 'dep-b', '2.0.0')).toMatchObject({ dev: false, integrity: 'sha512-BBBB', key: 'node_modules/dep-a/node_modules/dep-b' });
    expect(get(lf, 'dep-b', '1.0.0')).toMatchObject({ dev: true, integrity: 'sha1-CCCC' });
    expect(get(lf, 'sw-cjs')).toMatchObject({ name: 'string-width', version: '4.2.3', alias: 'sw-cjs', kind: 'registry' });
    expect(get(lf, 'inner')).toMatchObject({ bundled: true });
    expect(get(lf, 'from-git')).toMatchObject({ kind: 'git', optional: true, version: '' });
    expect(get(lf, 'from-git').resolved).toMatch(/^git\+https:/);
    expect(get(lf, 'local-lib')).toMatchObject({ kind: 'directory', resolved: 'libs/local-lib' });
  });
  test('requires resolve through the nesting (own copy first), and paths follow them', () => {
    expect(paths(get(lf, 'dep-b', '2.0.0'))).toEqual(['app > dep-a > dep-b']);
    expect(paths(get(lf, 'inner'))[0]).toBe('app > dep-a > bundler > inner');
  });
  test('with the project package.json, its direct dependencies are the roots', () => {
    const text = fs.readFileSync(path.join(FIX, 'npm-v1.package-lock.json'), 'utf8');
    const lf2 = parseLockfileText('package-lock.json', text, new Map([['', { name: 'app', dependencies: { bundler: '^1' } }]]));
    expect(paths(get(lf2, 'bundler'))[0]).toBe('app > bundler');
  });
});

describe('package-lock.json v3', () => {
  const lf = load('npm-v3.package-lock.json');
  test('flags as npm wrote them: dev, optional, peer, devOptional (kept by --omit=dev), inBundle', () => {
    expect(get(lf, 'jest')).toMatchObject({ dev: true, optional: false });
    expect(get(lf, '@next/swc-linux-x64-gnu')).toMatchObject({ dev: false, optional: true });
    expect(get(lf, 'react')).toMatchObject({ peer: true });
    expect(get(lf, 'fsevents')).toMatchObject({ dev: false, optional: true });
    expect(get(lf, 'inside')).toMatchObject({ bundled: true });
    expect(get(lf, 'inside').resolved).toBeUndefined();
  });
  test('aliases, workspaces via link entries, git, missing resolved, private registry URL', () => {
    expect(get(lf, 'sw-cjs')).toMatchObject({ name: 'string-width', alias: 'sw-cjs', version: '4.2.3' });
    expect(get(lf, 'lib-a')).toMatchObject({ kind: 'workspace', resolved: 'packages/lib-a', version: '0.1.0' });
    expect(lf.entries.some((e) => e.key === 'node_modules/lib-a')).toBe(false); // the link itself is not an entry
    expect(get(lf, 'from-git')).toMatchObject({ kind: 'git' });
    expect(get(lf, 'no-resolved')).toMatchObject({ kind: 'registry', integrity: 'sha512-NORES' });
    expect(get(lf, 'no-resolved').resolved).toBeUndefined();
    expect(get(lf, 'private')).toMatchObject({ kind: 'registry', resolved: expect.stringContaining('pkgs.example.invalid') });
  });
  test('dependency paths: app > next > @next/swc…, and through a workspace', () => {
    expect(paths(get(lf, '@next/swc-linux-x64-gnu'))).toEqual(['mono > next > @next/swc-linux-x64-gnu']);
    expect(paths(get(lf, 'busboy'))).toEqual(['mono > next > busboy', 'mono > jest > busboy', 'mono > lib-a > busboy']);
    expect(paths(get(lf, 'inside'))).toEqual(['mono > lib-a > bundles > inside']);
  });
  test('npm-shrinkwrap.json is the same format', () => {
    const text = fs.readFileSync(path.join(FIX, 'npm-v3.package-lock.json'), 'utf8');
    expect(detectFormat('/x/npm-shrinkwrap.json', text)).toBe('npm-shrinkwrap');
    expect(parseLockfileText('/x/npm-shrinkwrap.json', text).entries).toHaveLength(lf.entries.length);
  });
});

describe('yarn.lock classic', () => {
  const lf = load('yarn-classic.yarn.lock');
  test('one entry per block, descriptors merged; sha1 from the URL fragment when no integrity', () => {
    expect(lf.format).toBe('yarn-classic');
    expect(lf.entries).toHaveLength(8);
    const scoped = get(lf, '@scope/pkg');
    expect(scoped.key).toBe('@scope/pkg@^1.0.0, @scope/pkg@^1.1.0');
    expect(scoped.integrity).toBe(`sha1-${Buffer.from('5bd6f0a4b8b6e2f8d3c7e4f2a1b0c9d8e7f6a5b4', 'hex').toString('base64')}`);
    expect(get(lf, 'left-pad').integrity).toMatch(/^sha512-/);
  });
  test('the alias yarn recorded under the real name still resolves (and keeps the alias)', () => {
    expect(get(lf, 'string-width')).toMatchObject({ version: '4.2.3', alias: 'string-width-cjs', kind: 'registry' });
    expect(get(lf, 'fsevents')).toMatchObject({ optional: true });
  });
  test('git (repo and codeload tarball) and file:/link: entries', () => {
    expect(get(lf, '@lerna/collect-updates')).toMatchObject({ kind: 'git' });
    expect(get(lf, 'gh-tarball')).toMatchObject({ kind: 'git' });
    expect(get(lf, 'eslint-plugin-internal')).toMatchObject({ kind: 'directory', resolved: 'scripts/eslint-plugin-internal' });
    expect(get(lf, 'workspace-tool')).toMatchObject({ kind: 'directory' });
  });
  test('no dev flags in yarn.lock: everything prod unless package.json says otherwise', () => {
    expect(lf.entries.every((e) => !e.dev)).toBe(true);
    expect(lf.notes.join(' ')).toMatch(/no dev flags/);
    const text = fs.readFileSync(path.join(FIX, 'yarn-classic.yarn.lock'), 'utf8');
    const lf2 = parseLockfileText('yarn.lock', text, new Map([['', { name: 'proj', dependencies: { 'left-pad': '^1.3.0' }, devDependencies: { '@scope/pkg': '^1.1.0' } }]]));
    expect(get(lf2, '@scope/pkg').dev).toBe(true);
    expect(get(lf2, 'left-pad').dev).toBe(false);
    expect(paths(get(lf2, 'left-pad'))[0]).toBe('proj > left-pad');
  });
});

describe('yarn.lock berry', () => {
  const lf = load('yarn-berry.yarn.lock');
  test('__metadata, npm: resolutions, no tarball URL or tarball checksum (berry checksums are of its zips)', () => {
    expect(lf).toMatchObject({ format: 'yarn-berry', version: '6', rootName: 'app' });
    expect(get(lf, 'left-pad')).toMatchObject({ kind: 'registry', version: '1.3.0' });
    expect(get(lf, 'left-pad').integrity).toBeUndefined();
    expect(get(lf, 'left-pad').resolved).toBeUndefined();
  });
  test('workspaces, link: relative to its locator, patch:, git, alias to a registry tarball URL, npm: alias', () => {
    expect(lf.entries.some((e) => e.name === 'app')).toBe(false); // root workspace is the project
    expect(get(lf, '@scope/lib')).toMatchObject({ kind: 'workspace', resolved: 'packages/lib' });
    expect(get(lf, 'tools')).toMatchObject({ kind: 'directory', resolved: 'tools' });
    const patched = lf.entries.filter((e) => e.name === 'resolve');
    expect(patched.map((e) => e.patch ?? 'none')).toEqual(expect.arrayContaining(['~builtin<compat/resolve>', 'none']));
    expect(patched.every((e) => e.version === '1.22.8' && e.kind === 'registry')).toBe(true);
    expect(get(lf, 'jest-light-runner')).toMatchObject({ kind: 'git' });
    expect(get(lf, 'chokidarAt2')).toMatchObject({ name: 'chokidar', version: '2.1.8', alias: 'chokidarAt2', kind: 'registry' });
    expect(get(lf, 'react-is-18')).toMatchObject({ name: 'react-is', version: '18.3.1' });
    expect(paths(get(lf, 'left-pad'))).toEqual(['app > left-pad', 'app > @scope/lib > left-pad']);
  });
  test('yarn 2 condition: entries are virtual (no code of their own)', () => {
    const text = `__metadata:\n  version: 4\n  cacheKey: 7\n\n"root@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "root@workspace:."\n  dependencies:\n    slash: "condition:FLAG ? ^3.0.0 : "\n  languageName: unknown\n  linkType: soft\n\n"slash@condition:FLAG ? ^3.0.0 : ":\n  version: 0.0.0-condition-1\n  resolution: "slash@condition:FLAG?^3.0.0:#1"\n  dependencies:\n    slash-FLAG-true: "npm:slash@^3.0.0"\n  languageName: node\n  linkType: hard\n\n"slash@npm:^3.0.0":\n  version: 3.0.0\n  resolution: "slash@npm:3.0.0"\n  languageName: node\n  linkType: hard\n`;
    const lf2 = parseLockfileText('yarn.lock', text);
    expect(lf2.entries.map((e) => [e.name, e.kind, e.version])).toEqual([
      ['slash', 'virtual', '0.0.0-condition-1'],
      ['slash', 'registry', '3.0.0'],
    ]);
    expect(paths(lf2.entries[1]!)).toEqual(['root > slash > slash']);
  });
});

describe('pnpm-lock.yaml', () => {
  test('5.x: /name/version_peer keys, dev/optional as written, link: workspace, alias ref', () => {
    const lf = load('pnpm-v5.pnpm-lock.yaml');
    expect(lf).toMatchObject({ format: 'pnpm', version: '5.4' });
    expect(get(lf, 'rollup-plugin')).toMatchObject({ version: '1.0.0', dev: true, key: '/rollup-plugin/1.0.0_rollup@2.0.0', integrity: 'sha512-PLUGIN' });
    expect(get(lf, 'fsevents')).toMatchObject({ dev: true, optional: true });
    expect(get(lf, 'string-width')).toMatchObject({ version: '4.2.3', dev: false });
    expect(get(lf, 'packages/lib')).toMatchObject({ kind: 'workspace', resolved: 'packages/lib' });
    expect(paths(get(lf, 'fsevents'))).toEqual(['(root) > rollup-plugin > rollup > fsevents']);
  });
  test('6.x: /name@version(peer) keys, {specifier, version} importers, git-hosted tarball', () => {
    const lf = load('pnpm-v6.pnpm-lock.yaml');
    expect(get(lf, 'rollup-plugin')).toMatchObject({ version: '1.0.0', key: '/rollup-plugin@1.0.0(rollup@2.0.0)' });
    expect(get(lf, 'is-negative')).toMatchObject({ kind: 'git', version: '2.1.0' });
    expect(paths(get(lf, 'rollup'))).toEqual(['(root) > rollup-plugin > rollup']);
  });
  test('9.x in two YAML documents: package manager deps, snapshots merged per package, dev derived, patches, file:, runtime', () => {
    const lf = load('pnpm-v9.multidoc.pnpm-lock.yaml');
    expect(get(lf, 'pnpm')).toMatchObject({ version: '10.0.0', dev: true });
    expect(paths(get(lf, 'pnpm'))).toEqual(['(package manager) > pnpm']);
    // react-dom has two snapshots (peer react 18.2.0 and 18.3.1): one entry, prod (the workspace needs it).
    expect(lf.entries.filter((e) => e.name === 'react-dom')).toHaveLength(1);
    expect(get(lf, 'react-dom')).toMatchObject({ dev: false, integrity: 'sha512-REACTDOM' });
    expect(get(lf, 'react', '18.2.0').dev).toBe(true);
    expect(get(lf, 'react', '18.3.1').dev).toBe(false);
    expect(get(lf, 'fsevents')).toMatchObject({ dev: true, optional: true });
    expect(get(lf, 'left-pad').patch).toBe('patches/left-pad@1.3.0.patch');
    expect(get(lf, 'sw-cjs')).toMatchObject({ name: 'string-width', version: '4.2.3' });
    expect(get(lf, 'injected')).toMatchObject({ kind: 'directory', resolved: 'packages/injected', version: '' });
    expect(get(lf, 'node')).toMatchObject({ kind: 'runtime' });
    expect(get(lf, 'packages/lib')).toMatchObject({ kind: 'workspace' });
  });
  test('the real two-document pnpm file: a single-document YAML load would fail, we read both', () => {
    const text = fs.readFileSync(path.join(FIX, 'pnpm-v9.multidoc.pnpm-lock.yaml'), 'utf8');
    expect(text.match(/^---$/gm)).toHaveLength(2);
  });
  test('git-hosted resolution and name@<tarball URL> key (pnpm fixture in shared/)', () => {
    const text = `lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      is-negative:\n        specifier: github:kevva/is-negative#master\n        version: https://codeload.github.com/kevva/is-negative/tar.gz/1d7e288\n\npackages:\n\n  is-negative@https://codeload.github.com/kevva/is-negative/tar.gz/1d7e288:\n    resolution: {gitHosted: true, tarball: https://codeload.github.com/kevva/is-negative/tar.gz/1d7e288}\n    version: 2.1.0\n\nsnapshots:\n\n  is-negative@https://codeload.github.com/kevva/is-negative/tar.gz/1d7e288: {}\n`;
    const lf = parseLockfileText('pnpm-lock.yaml', text);
    expect(lf.entries).toEqual([expect.objectContaining({ name: 'is-negative', version: '2.1.0', kind: 'git', paths: [['(root)', 'is-negative']] })]);
  });
});

describe('bun.lock', () => {
  const lf = load('bun.lock');
  test('tuples by kind: npm (default and custom registry), workspace, git, tarball URL, alias', () => {
    expect(lf).toMatchObject({ format: 'bun', version: '1', rootName: 'app' });
    expect(get(lf, 'left-pad')).toMatchObject({ kind: 'registry', integrity: 'sha512-LEFTPAD' });
    expect(get(lf, 'left-pad').resolved).toBeUndefined();
    expect(get(lf, 'supports-color').resolved).toBe('https://npm.private.invalid/supports-color/-/supports-color-5.5.0.tgz');
    expect(get(lf, '@app/lib')).toMatchObject({ kind: 'workspace', resolved: 'packages/lib' });
    expect(get(lf, 'is-negative')).toMatchObject({ kind: 'git' });
    expect(get(lf, 'xlsx')).toMatchObject({ kind: 'tarball', resolved: 'https://cdn.sheetjs.invalid/xlsx-0.20.2.tgz' });
    expect(get(lf, 'sw-cjs')).toMatchObject({ name: 'string-width', version: '4.2.3', alias: 'sw-cjs' });
  });
  test('nested and workspace-local copies resolve the way bun does; dev derived from workspaces', () => {
    expect(get(lf, 'chalk', '5.3.0')).toMatchObject({ dev: false, key: '@app/lib/chalk' });
    expect(paths(get(lf, 'chalk', '5.3.0'))).toEqual(['app > @app/lib > chalk']);
    expect(get(lf, 'chalk', '2.4.2').dev).toBe(true);
    expect(get(lf, 'supports-color')).toMatchObject({ dev: true, key: 'chalk/supports-color' });
  });
  test('lockfileVersion 2 (bun 1.3+): the second slot is the full tarball URL bun downloads, or "" for the default registry', () => {
    const text = '{\n  "lockfileVersion": 2,\n  "configVersion": 1,\n  "workspaces": { "": { "name": "app", "dependencies": { "a": "1.0.0", "@s/b": "2.0.0", "c": "3.0.0" } } },\n  "packages": {\n' +
      '    "a": ["a@1.0.0", "https://registry.npmmirror.invalid/a/-/a-1.0.0.tgz", {}, "sha512-A"],\n' +
      '    "@s/b": ["@s/b@2.0.0", "http://127.0.0.1:4873/@s/b/-/b-2.0.0.tgz", {}, "sha512-B"],\n' +
      '    "c": ["c@3.0.0", "", {}, "sha512-C"],\n  }\n}\n';
    expect(detectFormat('some.lock', text)).toBe('bun');
    const lf = parseLockfileText('bun.lock', text);
    expect(get(lf, 'a').resolved).toBe('https://registry.npmmirror.invalid/a/-/a-1.0.0.tgz');
    expect(get(lf, '@s/b').resolved).toBe('http://127.0.0.1:4873/@s/b/-/b-2.0.0.tgz');
    expect(get(lf, 'c').resolved).toBeUndefined();
  });
  test('JSONC: comments and trailing commas are fine', () => {
    const text = '{\n  // written by bun\n  "lockfileVersion": 0,\n  "workspaces": { "": { "dependencies": { "a": "^1", }, }, },\n  "packages": {\n    "a": ["a@1.0.0", "", {}, "sha512-A"],\n  },\n}\n';
    expect(parseLockfileText('bun.lock', text).entries).toHaveLength(1);
  });
});

describe('finding the lockfile', () => {
  test('a folder: the lockfile in it; shrinkwrap wins over package-lock; text bun.lock over bun.lockb', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'find-'));
    for (const n of ['package-lock.json', 'npm-shrinkwrap.json', 'bun.lockb']) fs.writeFileSync(path.join(dir, n), '{}');
    expect(path.basename(findLockfile(dir).file)).toBe('npm-shrinkwrap.json');
    expect(findLockfile(dir).others.map((f) => path.basename(f))).toEqual(['package-lock.json', 'bun.lockb']);
    const bunDir = fs.mkdtempSync(path.join(tmp, 'bun-'));
    fs.copyFileSync(path.join(FIX, 'bun.lockb'), path.join(bunDir, 'bun.lockb'));
    expect(findLockfile(bunDir).file).toBe(path.join(bunDir, 'bun.lockb'));
    fs.copyFileSync(path.join(FIX, 'bun.lock'), path.join(bunDir, 'bun.lock'));
    expect(findLockfile(bunDir).file).toBe(path.join(bunDir, 'bun.lock'));
  });
  test('a folder with no lockfile, and a missing path, are errors naming them', () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    expect(() => findLockfile(empty)).toThrow(new RegExp(`${empty}: no lockfile here`));
    expect(() => findLockfile(path.join(tmp, 'nope'))).toThrow(/nope: no such file or folder/);
  });
  test('binary bun.lockb: refused with how to produce a text lockfile', () => {
    expect(() => load('bun.lockb')).toThrow(/bun\.lockb: is a binary bun\.lockb.*bun install --save-text-lockfile/);
  });
});

/** Write `text` to a temp file and expect loading it to fail with file:line and a message. */
function expectBroken(name: string, text: string, line: number | RegExp, message: RegExp): void {
  const file = path.join(fs.mkdtempSync(path.join(tmp, 'bad-')), name);
  fs.writeFileSync(file, text);
  let err: unknown;
  try {
    loadLockfile(file);
  } catch (e) {
    err = e;
  }
  expect(err, `${name} should not parse`).toBeInstanceOf(LockfileError);
  const e = err as LockfileError;
  expect(e.file).toBe(file);
  if (typeof line === 'number') expect(e.line).toBe(line);
  else expect(String(e.line)).toMatch(line);
  expect(e.message.startsWith(`${file}:${e.line}: `)).toBe(true);
  expect(e.detail).toMatch(message);
}

const halfway = (text: string) => text.slice(0, Math.floor(text.length / 2));
/** Cut at a line boundary: still valid YAML/yarn syntax, so only consistency checks can tell. */
const atLine = (text: string, frac: number) => text.split('\n').slice(0, Math.floor(text.split('\n').length * frac)).join('\n') + '\n';
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');

describe('truncated and malformed lockfiles: an error naming the file and line', () => {
  test('package-lock.json truncated mid-file', () => {
    const text = fixture('npm-v3.package-lock.json');
    const cut = halfway(text);
    expectBroken('package-lock.json', cut, cut.split('\n').length, /truncated/);
  });
  test('package-lock.json with a syntax error points at its line', () => {
    const text = fixture('npm-v3.package-lock.json').replace('"version": "1.6.0",', '"version": "1.6.0",,');
    expectBroken('package-lock.json', text, text.split('\n').findIndex((l) => l.includes('"1.6.0",,')) + 1, /not valid JSON/);
  });
  test('package-lock.json: entry without version, unknown lockfileVersion', () => {
    const text = fixture('npm-v3.package-lock.json').replace('"version": "2.3.3",', '');
    expectBroken('package-lock.json', text, text.split('\n').findIndex((l) => l.includes('"node_modules/fsevents"')) + 1, /no "version"/);
    expectBroken('package-lock.json', '{\n  "name": "x",\n  "lockfileVersion": 7\n}\n', 3, /unsupported lockfileVersion 7/);
  });
  test('npm v1 truncated', () => {
    const cut = halfway(fixture('npm-v1.package-lock.json'));
    expectBroken('package-lock.json', cut, cut.split('\n').length, /truncated/);
  });
  test('yarn classic: bad syntax and a cut at a line boundary', () => {
    expectBroken('yarn.lock', fixture('yarn-classic.yarn.lock').replace('version "1.3.0"', 'version "1.3.0\n  x: "'), /^\d+$/, /not a valid yarn\.lock/);
    const cut = fixture('yarn-classic.yarn.lock').split('\nleft-pad@^1.3.0:')[0] + '\n';
    expectBroken('yarn.lock', cut, 5, /depends on left-pad@\^1\.3\.0 but the lockfile has no entry for it.*truncated/);
  });
  test('yarn berry: bad YAML and a cut at a line boundary', () => {
    expectBroken('yarn.lock', fixture('yarn-berry.yarn.lock').replace('  version: 1.3.0\n', '  version: 1.3.0\n   bad: [\n'), /^\d+$/, /not a valid yarn\.lock/);
    const text = fixture('yarn-berry.yarn.lock');
    expectBroken('yarn.lock', text.slice(0, text.indexOf('"left-pad@npm')), 8, /depends on left-pad@npm:\^1\.3\.0 but the lockfile has no entry.*truncated/);
    expectBroken('yarn.lock', text.replace('  resolution: "typescript@npm:4.9.5"\n', ''), text.split('\n').indexOf('"typescript@npm:4.9.5":') + 1, /no resolution/);
  });
  test('pnpm: bad YAML, a cut inside snapshots, a cut before snapshots, unknown version', () => {
    const text = fixture('pnpm-v9.multidoc.pnpm-lock.yaml');
    expectBroken('pnpm-lock.yaml', text.replace('  react@18.2.0:\n', '  react@18.2.0:\n bad: [\n'), /^\d+$/, /not valid YAML/);
    expectBroken('pnpm-lock.yaml', text.slice(0, text.lastIndexOf('  react@18.2.0: {}')), /^\d+$/, /no package entry|has no entry|truncated/);
    const noSnap = text.slice(0, text.lastIndexOf('snapshots:'));
    expectBroken('pnpm-lock.yaml', noSnap, noSnap.split('\n').length, /no "snapshots" section.*truncated/);
    expectBroken('pnpm-lock.yaml', "lockfileVersion: '4.0'\n", 1, /unsupported pnpm lockfileVersion/);
    const v5 = fixture('pnpm-v5.pnpm-lock.yaml');
    expectBroken('pnpm-lock.yaml', atLine(v5, 0.75), /^\d+$/, /has no entry|truncated/);
  });
  test('bun.lock truncated, and a malformed tuple', () => {
    const text = fixture('bun.lock');
    const cut = halfway(text);
    expectBroken('bun.lock', cut, cut.split('\n').length, /truncated/);
    const bad = text.replace('["left-pad@1.3.0", "", {}, "sha512-LEFTPAD"]', '["left-pad@1.3.0", ""]');
    expectBroken('bun.lock', bad, bad.split('\n').findIndex((l) => l.includes('"left-pad": [')) + 1, /should be \[id, registry, info, integrity\]/);
  });
  test('a file that is no lockfile at all', () => {
    expectBroken('deps.txt', 'hello\n', 1, /not a lockfile Tollgate knows/);
  });
});

describe('graph: flags and paths the way npm defines them', () => {
  test('dev = not reachable without dev edges; optional = only through optional edges; cycles are fine', () => {
    // 0:a (prod) -> 1:b ; 2:c (dev) -> 1:b ; 2:c -> 3:d ; 0:a -opt-> 4:e ; 4:e -> 0:a (cycle)
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const edges = [[{ to: 1, type: 'prod' as const }, { to: 4, type: 'optional' as const }], [], [{ to: 1, type: 'prod' as const }, { to: 3, type: 'prod' as const }], [], [{ to: 0, type: 'prod' as const }]];
    const g = analyzeGraph(labels, edges, [{ label: 'app', edges: [{ to: 0, type: 'prod' }, { to: 2, type: 'dev' }] }]);
    expect(g.dev).toEqual([false, false, true, true, false]);
    expect(g.optional).toEqual([false, false, false, false, true]);
    expect(g.paths[1]!.map((p) => p.join(' > '))).toEqual(['app > a > b', 'app > c > b']);
    expect(g.paths[0]!.map((p) => p.join(' > '))).toEqual(['app > a']);
  });
});

describe('fetch plan: tarball URLs without packuments', () => {
  const cfg = { registry: 'https://mirror.example.invalid/npm/', '@corp:registry': 'https://corp.example.invalid/' };
  const entry = (over: Partial<LockEntry>): LockEntry => ({ name: 'x', version: '1.0.0', kind: 'registry', dev: false, optional: false, peer: false, bundled: false, paths: [], key: 'x', ...over });
  test('built from the registry config when the lockfile omits resolved (scoped registries too)', () => {
    expect(tarballUrlFor('left-pad', '1.3.0', {})).toBe('https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz');
    expect(fetchUrlFor(entry({ name: '@corp/lib', version: '2.0.0' }), cfg)).toBe('https://corp.example.invalid/@corp/lib/-/lib-2.0.0.tgz');
  });
  test('public registry hosts follow the configured registry (npm replace-registry-host); other hosts are kept', () => {
    expect(fetchUrlFor(entry({ resolved: 'https://registry.yarnpkg.com/x/-/x-1.0.0.tgz#abcdef' }), cfg)).toBe('https://mirror.example.invalid/npm/x/-/x-1.0.0.tgz');
    expect(fetchUrlFor(entry({ resolved: 'https://pkgs.dev.azure.invalid/feed/x/-/x-1.0.0.tgz' }), cfg)).toBe('https://pkgs.dev.azure.invalid/feed/x/-/x-1.0.0.tgz');
    expect(fetchUrlFor(entry({ resolved: 'https://registry.npmjs.org/x/-/x-1.0.0.tgz' }), { ...cfg, 'replace-registry-host': 'never' })).toBe('https://registry.npmjs.org/x/-/x-1.0.0.tgz');
  });
  test('units: dedupe by name, version and integrity; bundled, virtual and runtime entries are not fetched', () => {
    const lf = load('npm-v3.package-lock.json');
    const units = planUnits(lf.entries, '/proj', {});
    expect(units.filter((u) => u.action === 'skip').map((u) => u.name)).toEqual(['inside']);
    expect(units.find((u) => u.name === 'lib-a')).toMatchObject({ action: 'folder', target: path.resolve('/proj/packages/lib-a') });
    expect(units.find((u) => u.name === 'from-git')).toMatchObject({ action: 'git' });
    const dup = planUnits([entry({ key: 'a', integrity: 'sha512-1' }), entry({ key: 'b', integrity: 'sha512-1' }), entry({ key: 'c', integrity: 'sha512-2' })], '/', {});
    expect(dup.map((u) => u.entries.length)).toEqual([2, 1]);
  });
});
