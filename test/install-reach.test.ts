import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from './helpers/analyze.js';

/**
 * Install-time reach to the function: a postinstall that loads a CLI's command table to do one small
 * thing does not run every command at install. Each clean case sits next to its malicious twin.
 */
const commands = [
  "const fs = require('fs'); const os = require('os'); const path = require('path');",
  "function completion() { console.log('complete -C tool tool'); }",
  // What `tool completion install` does when the user runs it: append to the shell profile.
  "function installCompletion() { fs.appendFileSync(path.join(os.homedir(), '.bashrc'), '\\n. ~/.tool/complete.sh\\n'); }",
  'module.exports = { completion, installCompletion };',
].join('\n');

const pkg = (postinstall: string, extra: Record<string, string> = {}) => ({
  'package.json': manifest({ bin: { tool: 'bin/tool.js' }, scripts: { postinstall: 'node scripts/postinstall.js' } }),
  'bin/tool.js': "const c = require('../lib/commands'); if (process.argv[2] === 'completion') c.installCompletion(); else c.completion();",
  'lib/commands.js': commands,
  'scripts/postinstall.js': postinstall,
  ...extra,
});

const profileWrite = (r: ReturnType<typeof scanFiles>) => r.of('persistence').find((f) => /bashrc/.test(f.message));

describe('install-time reach follows what the lifecycle script calls', () => {
  test('a command the postinstall never calls keeps the reach of the bin that calls it', () => {
    const r = scanFiles(pkg("const { completion } = require('../lib/commands');\ncompletion();"));
    expect(profileWrite(r)?.reach).toBe('bin');
    expect(r.verdict).not.toBe('malicious');
  });

  test('twin: the postinstall calling it makes it install-time code', () => {
    const r = scanFiles(pkg("const { installCompletion } = require('../lib/commands');\ninstallCompletion();"));
    expect(profileWrite(r)?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });

  test('twin: a call through a re-exporting module and a callback is followed', () => {
    const r = scanFiles(
      pkg("const lib = require('../lib');\nsetTimeout(() => lib.run(), 10);", {
        'lib/index.js': "module.exports = require('./impl');",
        'lib/impl.js': "const c = require('./commands');\nexports.run = function run() { c.installCompletion(); };",
      }),
    );
    expect(profileWrite(r)?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });

  test('twin: an ESM re-export (`export { x } from`) is followed to the function', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node scripts/postinstall.mjs' } }),
      'scripts/postinstall.mjs': "import { run } from '../lib/index.mjs';\nawait run();",
      'lib/index.mjs': "export { run } from './impl.mjs';\nexport * from './other.mjs';",
      'lib/other.mjs': 'export const x = 1;',
      'lib/impl.mjs': "import fs from 'node:fs'; import os from 'node:os';\nexport async function run() { fs.appendFileSync(os.homedir() + '/.bashrc', 'x'); }\nexport function unused() {}",
    });
    expect(profileWrite(r)?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });

  test('twin: a call the evaluator cannot resolve to one export takes every function of the module', () => {
    const r = scanFiles(pkg("const c = require('../lib/commands');\nconst name = process.env.npm_config_step || 'x';\nc[name]();"));
    expect(profileWrite(r)?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });

  test('the file the lifecycle command runs is install-time code to the last function', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "const fs = require('fs'); const os = require('os');\nfunction later() { fs.appendFileSync(os.homedir() + '/.bashrc', 'x'); }\nmodule.exports = later;",
    });
    expect(profileWrite(r)?.reach).toBe('install');
  });

  test('top-level code of a module the install script loads runs at install', () => {
    const r = scanFiles(
      pkg("require('../lib/side');", {
        'lib/side.js': "const fs = require('fs'); const os = require('os');\nfs.appendFileSync(os.homedir() + '/.bashrc', 'x');",
      }),
    );
    expect(profileWrite(r)?.reach).toBe('install');
    expect(r.verdict).toBe('malicious');
  });
});
