// Reasons told once, build copies grouped, and what a reviewer needs shown without --verbose.
import { describe, expect, test } from 'vitest';
import { copyStem, dedupeReasons } from '../src/score/dedupe.js';
import { scoreFindings } from '../src/score/score.js';
import { copiesText, groupCopies, isReviewFinding } from '../src/report/review.js';
import { renderHuman } from '../src/report/human.js';
import type { Finding, ReportedPackage } from '../src/types.js';

const pkg = (over: Partial<ReportedPackage>): ReportedPackage => ({ name: 'p', version: '1.0.0', source: 'registry', score: 0, verdict: 'clean', reasons: [], findings: [], ...over });

describe('dedupeReasons', () => {
  test('one chain told three ways (flow, per-file chain, package-wide) is kept once, the first wording', () => {
    const reasons = [
      'at install: npm auth token file (.npmrc) (~/.npmrc) flows to the network: npm auth token file (.npmrc) (~/.npmrc) (index.js:8) → data = … (index.js:8) → https.request().on().end(…) (index.js:9)',
      'install-time code collects data and sends it out: reads npm auth token file (.npmrc): ~/.npmrc (index.js:8) and names Discord webhook endpoint (index.js:9)',
      'sends data to names Discord webhook endpoint (index.js:9) and reads npm auth token file (index.js:8)',
    ];
    expect(dedupeReasons(reasons)).toEqual([reasons[0]]);
  });

  test('a chain through other places, and a one-place reason on a line a chain passes, are kept', () => {
    const reasons = ['collects secrets and sends them out: a (lib/a.js:1) and b (lib/a.js:9)', 'collects secrets and sends them out: a (lib/b.js:1) and b (lib/a.js:9)', 'obfuscated code that also uses the network (lib/a.js:1: string array)'];
    expect(dedupeReasons(reasons)).toEqual(reasons);
  });

  test('the same reason about build copies of one file is kept once; word-for-word repeats too', () => {
    const reasons = ['decodes code and executes it (dist/esm/x.mjs:3)', 'decodes code and executes it (dist/cjs/x.cjs:5)', 'decodes code and executes it (src/x.ts:4)', 'name imitates express', 'name imitates express'];
    expect(dedupeReasons(reasons)).toEqual(['decodes code and executes it (dist/esm/x.mjs:3)', 'name imitates express']);
  });

  test('copyStem drops extensions and build-variant folders only', () => {
    expect(copyStem('dist/esm/util/x.mjs')).toBe('util/x');
    expect(copyStem('src/util/x.ts')).toBe('util/x');
    expect(copyStem('lib/util/x.d.ts')).toBe('util/x');
    expect(copyStem('util/y.js')).not.toBe(copyStem('util/x.js'));
    expect(copyStem('a/x.js')).not.toBe(copyStem('b/x.js'));
  });

  test('the scorer applies it: an install-time secret flow yields one reason for its chain', () => {
    const findings: Finding[] = [
      { rule: 'exfiltration-flow', severity: 'critical', message: 'token (~/.npmrc) flows to the network: ~/.npmrc (i.js:8) → https.request (i.js:9)', file: 'i.js', line: 9, reach: 'install', signals: ['flow:secret'] },
      { rule: 'credential-files', severity: 'high', message: 'reads npm auth token file', file: 'i.js', line: 8, reach: 'install', signals: ['source:credential-file'] },
      { rule: 'network', severity: 'high', message: 'names a Discord webhook endpoint', file: 'i.js', line: 9, reach: 'install', signals: ['sink:exfil-endpoint'] },
    ];
    const r = scoreFindings(findings);
    expect(r.verdict).toBe('malicious');
    expect(r.reasons.filter((x) => x.includes('i.js:8') && x.includes('i.js:9'))).toHaveLength(1);
  });
});

describe('groupCopies', () => {
  const f = (file: string, line: number, over: Partial<Finding> = {}): Finding => ({ rule: 'dynamic-code', severity: 'high', message: 'new Function with a computed body', file, line, ...over });

  test('one finding in .ts, .js and .mjs copies is one group with two copies', () => {
    const groups = groupCopies([f('src/x.ts', 4), f('dist/cjs/x.js', 3), f('dist/esm/x.mjs', 3)]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.finding.file).toBe('src/x.ts');
    expect(copiesText(groups[0]!.copies)).toBe('and 2 more copies: dist/cjs/x.js:3, dist/esm/x.mjs:3');
  });

  test('other files, other rules, other messages and two places in one file stay apart', () => {
    expect(groupCopies([f('src/x.ts', 4), f('src/y.ts', 4)])).toHaveLength(2);
    expect(groupCopies([f('src/x.ts', 4), f('dist/x.js', 4, { rule: 'network' })])).toHaveLength(2);
    expect(groupCopies([f('src/x.ts', 4), f('dist/x.js', 4, { message: 'eval of a decoded string' })])).toHaveLength(2);
    expect(groupCopies([f('src/x.ts', 4), f('src/x.ts', 9)])).toHaveLength(2);
    expect(groupCopies([f('src/x.ts', 4), f('dist/x.js', 4, { severity: 'low' })])).toHaveLength(2);
  });
});

describe('default human output', () => {
  test('a clean package shows its install script, what it runs, a look-alike name and a new capability', () => {
    const findings: Finding[] = [
      { rule: 'install-scripts', severity: 'low', message: 'postinstall script runs install.js on every install', file: 'package.json', reach: 'install' },
      { rule: 'network', severity: 'info', message: 'network access via https.get to registry.npmjs.org', file: 'install.js', line: 146, reach: 'install' },
      { rule: 'network', severity: 'info', message: 'network access via fetch', file: 'lib/main.js', line: 10, reach: 'import' },
      { rule: 'typosquat', severity: 'low', message: 'name "expresss" imitates "express"' },
      { rule: 'dependency-confusion', severity: 'low', message: 'public name in your private scope' },
      { rule: 'release-diff', severity: 'low', message: 'new since 1.0.0: network access' },
      { rule: 'release-diff', severity: 'info', message: 'nothing new since 0.9.0' },
    ];
    const out = renderHuman([pkg({ findings })], { color: false, verbose: false });
    for (const m of ['postinstall script runs install.js', 'https.get to registry.npmjs.org', 'imitates "express"', 'private scope', 'new since 1.0.0']) expect(out).toContain(m);
    expect(out).not.toContain('via fetch'); // import-time info: --verbose
    expect(out).not.toContain('nothing new');
    expect(renderHuman([pkg({ findings })], { color: false, verbose: true })).toContain('via fetch');
    expect(isReviewFinding(findings[2]!)).toBe(false);
  });

  test('review findings are not cut by the finding cap; the rest is counted once', () => {
    const filler: Finding[] = Array.from({ length: 8 }, (_, i) => ({ rule: 'obfuscation', severity: 'high', message: `packed ${i}`, file: `f${i}.js`, line: 1 }));
    const out = renderHuman([pkg({ verdict: 'suspicious', score: 40, findings: [...filler, { rule: 'typosquat', severity: 'low', message: 'name imitates lodash' }] })], { color: false, verbose: false, maxFindings: 3 });
    expect(out).toContain('name imitates lodash');
    expect(out).toContain('… 5 more (--verbose shows all)');
  });

  test('build copies are grouped; a flow told as a reason is not repeated in full', () => {
    const flow = 'process.env flows to the network: process.env (index.js:4) → https.request (index.js:5)';
    const findings: Finding[] = [
      { rule: 'exfiltration-flow', severity: 'critical', message: flow, file: 'index.js', line: 5, reach: 'install', signals: ['flow:secret'] },
      { rule: 'dynamic-code', severity: 'high', message: 'eval of a computed string', file: 'src/x.ts', line: 2 },
      { rule: 'dynamic-code', severity: 'high', message: 'eval of a computed string', file: 'dist/x.js', line: 2 },
      { rule: 'dynamic-code', severity: 'high', message: 'eval of a computed string', file: 'dist/x.mjs', line: 2 },
    ];
    const out = renderHuman([pkg({ verdict: 'malicious', score: 96, reasons: [`at install: ${flow}`], findings })], { color: false, verbose: false });
    expect(out.split(flow)).toHaveLength(2); // once, in the why line
    expect(out).toContain('exfiltration-flow (the chain above)');
    expect(out.match(/eval of a computed string/g)).toHaveLength(1);
    expect(out).toContain('and 2 more copies: dist/x.js:2, dist/x.mjs:2');
  });
});
