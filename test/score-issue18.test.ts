import { expect, test } from 'vitest';
import { scoreFindings } from '../src/score/score.js';
import type { Finding } from '../src/types.js';

const confusion = (severity: Finding['severity']): Finding => ({ rule: 'manifest-confusion', severity, message: 'install scripts differ: the tarball has postinstall, the registry manifest has none', file: 'package.json', reach: 'install', signals: severity === 'high' || severity === 'critical' ? ['registry:manifest-confusion'] : undefined });

test('a high manifest-confusion finding alone never ends clean', () => {
  expect(scoreFindings([confusion('high')]).verdict).toBe('suspicious');
  expect(scoreFindings([confusion('critical')]).verdict).not.toBe('clean');
});

test('a low manifest-confusion finding alone stays clean', () => {
  expect(scoreFindings([confusion('low')]).verdict).toBe('clean');
});

test('bins get nothing from the issue-18 threat signals (patching tools the user runs)', () => {
  const f: Finding = { rule: 'tampering', severity: 'high', message: 'writes into the package "x"', file: 'cli.js', reach: 'bin', signals: ['tamper'] };
  expect(scoreFindings([f]).verdict).toBe('clean');
  expect(scoreFindings([{ ...f, reach: 'install', severity: 'critical' }]).verdict).toBe('malicious');
});
