import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';

const RULE = 'remote-dependencies';

describe('remote-dependencies reports', () => {
  test.each([
    ['github:someone/util', 'medium', 'git repository'],
    ['git+https://git.example.invalid/u/helper.git#main', 'medium', 'git repository'],
    ['someone/util', 'medium', 'git repository'],
    ['https://files.example.invalid/helper-1.0.0.tgz', 'medium', 'tarball URL'],
    ['http://files.example.invalid/helper-1.0.0.tgz', 'high', 'plain http'],
    ['file:../helper', 'low', 'local path'],
  ])('%s (%s)', (spec, severity, what) => {
    const r = scanFiles({ 'package.json': manifest({ dependencies: { helper: spec } }), 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([expect.objectContaining({ severity, file: 'package.json', message: expect.stringContaining(what) })]);
    expect(r.verdict).toBe('clean');
  });

  test('optional and peer dependencies count; devDependencies do not (consumers never install them)', () => {
    const r = scanFiles({
      'package.json': manifest({ optionalDependencies: { a: 'github:x/a' }, peerDependencies: { b: 'https://x.invalid/b.tgz' }, devDependencies: { c: 'github:x/c' } }),
    });
    expect(r.of(RULE).map((f) => f.message)).toEqual([expect.stringContaining('optionalDependencies "a"'), expect.stringContaining('peerDependencies "b"')]);
  });
});

describe('remote-dependencies stays quiet on', () => {
  test('registry ranges, tags and npm: aliases', () => {
    const r = scanFiles({ 'package.json': manifest({ dependencies: { a: '^1.2.3', b: 'latest', c: 'npm:lodash@^4', d: '*', e: '1.x || 2.x' } }) });
    expect(r.of(RULE)).toEqual([]);
  });
});

describe('remote dependencies with install-time code (scored)', () => {
  test.each([
    ['a tarball URL', 'https://files.example.invalid/helper-1.0.0.tgz'],
    ['a git host', 'github:someone/helper'],
  ])('%s beside a postinstall script is suspicious', (_label, spec) => {
    const r = scanFiles({ 'package.json': manifest({ dependencies: { helper: spec }, scripts: { postinstall: 'node setup.js' } }), 'setup.js': "console.log('thanks for installing');" });
    expect(r.verdict).toBe('suspicious');
    expect(r.reasons.join('\n')).toContain('"helper"');
  });

  test('a remote dependency without install-time code stays clean; so does a registry dependency with a postinstall', () => {
    expect(scanFiles({ 'package.json': manifest({ dependencies: { helper: 'github:someone/helper' } }), 'index.js': 'module.exports = 1;' }).verdict).toBe('clean');
    expect(scanFiles({ 'package.json': manifest({ dependencies: { helper: '^1.0.0' }, scripts: { postinstall: 'node setup.js' } }), 'setup.js': "console.log('hi');" }).verdict).toBe('clean');
  });

  test('a local file: dependency beside a postinstall does not count', () => {
    expect(scanFiles({ 'package.json': manifest({ dependencies: { helper: 'file:../helper' }, scripts: { postinstall: 'node setup.js' } }), 'setup.js': "console.log('hi');" }).verdict).toBe('clean');
  });
});
