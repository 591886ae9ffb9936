// Typosquat and dependency-confusion name checks as pure functions, over the shipped popular list.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildPopularIndex, editDistance, findTyposquat, popularIndex, skeleton } from '../src/registry/typosquat.js';
import { assessDependencyConfusion, isAbsurdVersion, privateScopeCopy, privateScopesOf } from '../src/registry/dependency-confusion.js';
import { parsePopularTsv, renderPopularJson } from '../scripts/build-popular-names.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TOP300 = path.resolve(ROOT, '../shared/corpus/benign-top300.txt');
const TSV = path.resolve(ROOT, '../shared/data/npm-popular-10k.tsv');

describe('findTyposquat: positives name the target', () => {
  test.each([
    ['expres', 'express', 'dropped-letter'],
    ['expresss', 'express', 'doubled-letter'],
    ['exprses', 'express', 'transposition'],
    ['ezpress', 'express', 'substitution'], // z touches x on the keyboard
    ['express-js', 'express', 'combo'],
    ['express2', 'express', 'combo'],
    ['express-dev', 'express', 'combo'],
    ['express-node', 'express', 'combo'],
    ['types-express', '@types/express', 'unscoped-copy'],
    ['@types-express', '@types/express', 'separator'], // not a valid npm name, but manifests say anything
    ['@types-utils/express', '@types/express', 'scope-confusion'],
    ['@typess/express', '@types/express', 'doubled-letter'],
    ['@types/expres', '@types/express', 'dropped-letter'],
    ['electorn', 'electron', 'transposition'],
    ['crossenv', 'cross-env', 'separator'],
    ['cross_env', 'cross-env', 'separator'],
    ['lodash-merge', 'lodash.merge', 'separator'],
    ['l0dash', 'lodash', 'homoglyph'],
    ['lоdash', 'lodash', 'homoglyph'], // Cyrillic о
    ['mongose', 'mongoose', 'dropped-letter'],
    ['jquerry', 'jquery', 'doubled-letter'],
    ['babelcli', '@babel/cli', 'unscoped-copy'],
    ['expresss-session', 'express-session', 'doubled-letter'],
    ['webpack-dev-servr', 'webpack-dev-server', 'dropped-letter'],
  ])('%s imitates %s (%s)', (name, target, kind) => {
    expect(findTyposquat(name)).toMatchObject({ target, kind });
  });
});

describe('findTyposquat: negatives', () => {
  test.each([
    'express', // the package itself
    '@types/express',
    'react-dom',
    'globals', // a popular name never flags against another popular name
    'global', // plural / singular pairs are other words, not slips
    'jsdoc', // jsdom: c and m do not touch, and it is a short word
    'react-dnd', // two edits in a three-letter segment: another word
    'get-proxy', // get-proto
    'vue3', // vue2 / vue3 are a family
    'ms', // short names are too close to each other to mean anything
    'tidy-lib',
    'my-company-widgets',
    '@acme/express', // a scoped fork of a popular name is common and honest
  ])('%s', (name) => {
    expect(findTyposquat(name)).toBeUndefined();
  });

  test('only much more popular targets count: a name as popular as its look-alike is not a squat', () => {
    const index = buildPopularIndex([
      ['express', 300_000_000],
      ['expresss', 100_000_000],
      ['expres', 1_000],
    ]);
    expect(findTyposquat('expresss', index)).toBeUndefined();
    expect(findTyposquat('expres', index)).toMatchObject({ target: 'express' });
    expect(findTyposquat('exprss', index, 50_000_000)).toBeUndefined(); // known downloads, passed by the caller
  });
});

describe('the popular list itself', () => {
  test('0 typosquat findings on the 300 most downloaded names in the shipped list', () => {
    const top = [...popularIndex().downloads.keys()].slice(0, 300);
    expect(top).toHaveLength(300);
    expect(top.filter((n) => findTyposquat(n))).toEqual([]);
  });

  test.skipIf(!fs.existsSync(TOP300))('0 typosquat findings on ../shared/corpus/benign-top300.txt', () => {
    const names = fs.readFileSync(TOP300, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    expect(names.length).toBe(300);
    expect(names.filter((n) => findTyposquat(n))).toEqual([]);
  });

  test('few of the 10,000 popular names flag against each other (measured by scripts/typosquat-report.ts)', () => {
    const flagged = [...popularIndex().downloads.keys()].filter((n) => findTyposquat(n));
    expect(flagged.length).toBeLessThanOrEqual(40);
  });

  test.skipIf(!fs.existsSync(TSV))('data/popular-names.json is what scripts/build-popular-names.ts makes from the TSV', () => {
    const built = renderPopularJson(parsePopularTsv(fs.readFileSync(TSV, 'utf8')), path.basename(TSV));
    expect(fs.readFileSync(path.join(ROOT, 'data/popular-names.json'), 'utf8')).toBe(built);
  });
});

describe('helpers', () => {
  test('editDistance counts an adjacent swap as one edit and stops early past the bound', () => {
    expect(editDistance('express', 'exprses')).toBe(1);
    expect(editDistance('express', 'expres')).toBe(1);
    expect(editDistance('express', 'lodash', 2)).toBe(3);
  });
  test('skeleton folds separators and look-alikes', () => {
    expect(skeleton('Lo-d_a.sh')).toBe('lodash');
    expect(skeleton('l0dash')).toBe('lodash');
    expect(skeleton('rnongoose')).toBe('mongoose');
  });
});

describe('dependency confusion by name and version', () => {
  test('absurd versions', () => {
    expect(['99.10.9', '9999.0.0', '1.999.0', '100.0.0'].map(isAbsurdVersion)).toEqual([true, true, true, true]);
    expect(['1.0.30001690', '9.9.8', '42.1.0', 'not-a-version'].map(isAbsurdVersion)).toEqual([false, false, false, false]);
    // Counted up to, not picked: calendar versions, release counters, browser-tracking majors, years.
    expect(['1.20261117.1', '2.1692.0', '131.0.6778', '2024.11.0', '0.202411.3'].map(isAbsurdVersion)).toEqual([false, false, false, false, false]);
    expect(['1000.0.0', '1.9999.0', '5000.1.0', '1.1000.0'].map(isAbsurdVersion)).toEqual([true, true, true, true]);
  });

  test('private scopes come from @scope:registry entries that point away from the public registry', () => {
    const config = { registry: 'https://registry.npmjs.org/', '@acme:registry': 'https://npm.acme.invalid/', '@pub:registry': 'https://registry.npmjs.org/', '//npm.acme.invalid/:_authToken': 'x' };
    expect(privateScopesOf(config)).toEqual(['acme']);
    expect(privateScopeCopy('acme-auth', ['acme'])).toBe('acme');
    expect(privateScopeCopy('acme', ['acme'])).toBe('acme');
    expect(privateScopeCopy('acmes-auth', ['acme'])).toBeUndefined();
    expect(privateScopeCopy('@acme/auth', ['acme'])).toBeUndefined();
  });

  test('a copy of a private scope is high with install code or an absurd version, medium otherwise', () => {
    expect(assessDependencyConfusion({ name: 'acme-auth', version: '1.0.0', hasInstallScript: false, privateScopes: ['acme'] })).toMatchObject({ severity: 'medium', strong: true });
    expect(assessDependencyConfusion({ name: 'acme-auth', version: '1.0.0', hasInstallScript: true, privateScopes: ['acme'] })).toMatchObject({ severity: 'high' });
    expect(assessDependencyConfusion({ name: 'acme-auth', version: '99.0.0', hasInstallScript: false, privateScopes: ['acme'] })).toMatchObject({ severity: 'high' });
  });
});
