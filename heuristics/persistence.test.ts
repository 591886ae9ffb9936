import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'persistence';
const postinstall = (code: string) => scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node p.js' } }), 'p.js': code });

describe('persistence: from install-time code it is malicious', () => {
  test('appending a registry switch and strict-ssl=false to ~/.npmrc is critical', () => {
    const r = postinstall("const fs = require('fs'); const os = require('os'); const path = require('path');\nfs.appendFileSync(path.join(os.homedir(), '.npmrc'), '\\nregistry=https://mirror.invalid/\\nstrict-ssl=false\\n');");
    expect(r.of(RULE)).toEqual([finding('critical', ['persistence'], { message: expect.stringContaining('redirects package installs') })]);
    expect(r.verdict).toBe('malicious');
  });

  test.each([
    ['a Windows Run key', "require('child_process').execSync('reg add HKCU\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run /v upd /d \"node %APPDATA%\\\\upd.js\" /f');", 'Windows Run key'],
    ['the Windows Startup folder', "const fs = require('fs'); const path = require('path');\nfs.copyFileSync(__dirname + '/u.vbs', path.join(process.env.APPDATA, 'Microsoft', 'Windows', 'Start Menu', 'Programs', 'Startup', 'u.vbs'));", 'Windows Startup folder'],
    ['a LaunchAgent', "const fs = require('fs'); const os = require('os');\nfs.writeFileSync(os.homedir() + '/Library/LaunchAgents/com.helper.plist', '<plist/>');", 'LaunchAgent'],
    ['a systemd user unit', "const fs = require('fs'); const os = require('os');\nfs.writeFileSync(os.homedir() + '/.config/systemd/user/helper.service', '[Service]\\nExecStart=node x.js');", 'systemd unit'],
    ['systemctl --user enable', "require('child_process').execSync('systemctl --user enable --now helper.service');", 'systemd unit'],
    ['a crontab entry', "require('child_process').execSync('(crontab -l; echo \"@reboot node ~/.x.js\") | crontab -');", 'cron job'],
    ['~/.zshrc', "const fs = require('fs'); const os = require('os');\nfs.appendFileSync(`${os.homedir()}/.zshrc`, '\\nnode ~/.cache/.x.js &\\n');", 'shell profile'],
    ['a PowerShell profile', "const fs = require('fs'); const os = require('os'); const path = require('path');\nfs.appendFileSync(path.join(os.homedir(), 'Documents', 'WindowsPowerShell', 'Microsoft.PowerShell_profile.ps1'), 'iex x');", 'PowerShell profile'],
    ['npm config set registry', "require('child_process').execSync('npm config set registry https://mirror.invalid/');", 'npm setting'],
    ['a project .yarnrc.yml', "require('fs').writeFileSync(process.env.INIT_CWD + '/.yarnrc.yml', 'npmRegistryServer: \"https://mirror.invalid\"');", 'yarn/pnpm/bun config'],
    ['a scheduled task', "require('child_process').execSync('schtasks /create /sc onlogon /tn upd /tr \"node x.js\"');", 'scheduled task'],
  ])('%s is critical', (_label, code, label) => {
    const r = postinstall(code);
    expect(r.of(RULE)).toEqual([finding('critical', ['persistence'], { reach: 'install', message: expect.stringContaining(label) })]);
    expect(r.verdict).toBe('malicious');
  });

  test('git core.hooksPath set from install code is high, and malicious in a postinstall script line', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'git config core.hooksPath .hooks' } }) });
    expect(r.of(RULE)).toEqual([finding('high', ['persistence'], { file: 'package.json', message: expect.stringContaining('core.hooksPath') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('a shell script run at install that appends to ~/.bashrc is critical', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { install: 'bash setup.sh' } }), 'setup.sh': '#!/bin/bash\necho "export NODE_TLS_REJECT_UNAUTHORIZED=0" >> ~/.bashrc\n' });
    expect(r.of(RULE)).toEqual([finding('critical', ['persistence'], { file: 'setup.sh', message: expect.stringContaining('switches off TLS') })]);
  });
});

describe('persistence: on load it is high; in functions and bins it stays low or medium', () => {
  test('a LaunchAgent written when the package is loaded is high and malicious', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os');\nfs.writeFileSync(os.homedir() + '/Library/LaunchAgents/com.x.plist', '<plist/>');" });
    expect(r.of(RULE)).toEqual([finding('high', ['persistence'], { message: expect.stringContaining('as soon as the package is loaded') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('reading core.hooksPath from install code (where a hook manager looks before writing) is not a write', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node ./postinstall.js' } }),
      'postinstall.js': "const { execSync } = require('child_process');\nconst dir = execSync('git config --local core.hooksPath', { encoding: 'utf8' }).trim();\nconst other = execSync('git config --get core.hooksPath').toString();\nmodule.exports = { dir, other };",
    });
    expect(r.of(RULE).filter((f) => /hooksPath/.test(f.message))).toEqual([]);
  });

  test('setting core.hooksPath from install code with an appended value is still a write', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node ./postinstall.js' } }),
      'postinstall.js': "const { execSync } = require('child_process');\nconst dir = require('path').join(__dirname, 'hooks');\nexecSync('git config --global core.hooksPath ' + dir);",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['persistence'], { message: expect.stringContaining('core.hooksPath') }));
  });

  test('husky-style core.hooksPath in an exported function is low and clean', () => {
    const r = scanFiles({ 'index.js': "const c = require('child_process');\nmodule.exports = (d = '.husky') => { c.spawnSync('git', ['config', 'core.hooksPath', `${d}/_`]); };" });
    expect(r.of(RULE)).toEqual([finding('low', [], { message: expect.stringContaining('core.hooksPath') })]);
    expect(r.verdict).toBe('clean');
  });

  test('a process manager\'s startup command (systemd unit from a function) is medium and clean', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const cp = require('child_process');\nexports.startup = (user) => { fs.writeFileSync('/etc/systemd/system/pm2-' + user + '.service', '[Unit]'); cp.execSync('systemctl enable pm2-' + user); };" });
    for (const f of r.of(RULE)) expect(f.severity).toBe('medium');
    expect(r.verdict).toBe('clean');
  });

  test('a completion installer bin appending to ~/.bashrc is medium, not malicious', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { tool: 'cli.js' } }), 'cli.js': "const fs = require('fs'); const os = require('os');\nif (process.argv[2] === 'completion') fs.appendFileSync(os.homedir() + '/.bashrc', '\\nsource <(tool completion)\\n');" });
    expect(r.of(RULE)).toEqual([finding('medium', ['persistence'], { reach: 'bin' })]);
    expect(r.verdict).not.toBe('malicious');
  });

  test('writing a project .npmrc with a token in a release bin is low', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { rel: 'cli.js' } }), 'cli.js': "require('fs').writeFileSync('.npmrc', '//registry.npmjs.org/:_authToken=' + process.env.NPM_TOKEN);" });
    expect(r.of(RULE)).toEqual([finding('low')]);
    expect(r.verdict).toBe('clean');
  });

  test('reading ~/.bashrc or writing unrelated files is not reported', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os');\nexports.rc = () => fs.readFileSync(os.homedir() + '/.bashrc', 'utf8');\nexports.save = (d) => fs.writeFileSync(os.tmpdir() + '/profile.json', d);" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});

describe('persistence: reading git config is not setting it', () => {
  test('asking git where the hooks are, at install, is not a hooks-path change', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "const { execSync } = require('child_process');\nconst dir = execSync('git config --local core.hooksPath', { encoding: 'utf8' }).trim();\nconsole.log(dir);",
    });
    expect(r.of(RULE).filter((f) => /core\.hooksPath/.test(f.message))).toEqual([]);
  });
  test('twin: setting it at install is still reported', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "const { execSync } = require('child_process');\nexecSync('git config --local core.hooksPath /tmp/hooks');",
    });
    expect(r.of(RULE)[0]?.message).toMatch(/core\.hooksPath/);
    expect(r.of(RULE)[0]?.reach).toBe('install');
  });
});
