import { expect, test } from 'vitest';
import { diffReleases } from '../src/registry/release-diff.js';
import type { Packument, VersionMeta } from '../src/registry/packument.js';
import { scoreFindings } from '../src/score/score.js';
import type { Finding } from '../src/types.js';

const packument = (versions: Record<string, VersionMeta>): Packument => ({ name: 'wallet-kit', 'dist-tags': {}, versions, time: { '1.0.0': '2025-01-01', '1.0.1': '2025-03-01' } });
const flow: Finding = { rule: 'library-secrets', severity: 'high', message: 'sends keypair to metrics.othercorp.invalid, a host that is not this package\'s own', file: 'index.js', line: 4, reach: 'import', signals: ['flow:library-secret'] };

test('a release that adds a secret flow to a foreign host is weighed as a hijack (malicious)', () => {
  const meta: VersionMeta = { name: 'wallet-kit' };
  const diff = diffReleases(packument({ '1.0.0': meta, '1.0.1': meta }), { version: '1.0.1', meta, findings: [flow] }, { version: '1.0.0', meta, findings: [] });
  const added = diff.find((f) => f.signals?.includes('flow:library-secret'));
  expect(added).toEqual(expect.objectContaining({ severity: 'critical', message: expect.stringContaining('1.0.0 did not send it') }));
  expect(scoreFindings([flow]).verdict).toBe('suspicious');
  expect(scoreFindings([flow, ...diff]).verdict).toBe('malicious');
});

test('a flow the previous release had already is not new', () => {
  const meta: VersionMeta = { name: 'wallet-kit' };
  const diff = diffReleases(packument({ '1.0.0': meta, '1.0.1': meta }), { version: '1.0.1', meta, findings: [flow] }, { version: '1.0.0', meta, findings: [{ ...flow, line: 9 }] });
  expect(diff.some((f) => f.signals?.includes('flow:library-secret'))).toBe(false);
});
