import { describe, expect, test } from 'vitest';
import * as t from '@babel/types';
import type { CallExpression, Node } from '@babel/types';
import { parseFile } from '../src/engine/parse/parse.js';
import { walkFile } from '../src/engine/semantics/walk.js';
import { Evaluator, HOLE, UNKNOWN } from '../src/engine/semantics/evaluate.js';
import { dataModules, MAX_JSON_MODULE_BYTES } from '../src/engine/semantics/json-modules.js';
import type { PackageFile } from '../src/types.js';

/** Parse and walk a fixture the way the engine does; `last` is the final expression statement. */
function load(src: string, file = 'fixture.js'): { ev: Evaluator; last: Node; calls: CallExpression[] } {
  const parsed = parseFile(file, src);
  if (!parsed.ast) throw new Error(`fixture does not parse: ${parsed.error?.message}`);
  const walked = walkFile(parsed.ast, new Set(['CallExpression']), 1e6);
  const body = parsed.ast.program.body;
  const stmt = body[body.length - 1];
  if (stmt?.type !== 'ExpressionStatement') throw new Error('fixture must end with an expression statement');
  return { ev: new Evaluator(walked.bindings), last: stmt.expression, calls: walked.interesting as CallExpression[] };
}

const fold = (src: string, file?: string) => {
  const { ev, last } = load(src, file);
  return ev.fold(last);
};
const foldLoose = (src: string) => {
  const { ev, last } = load(src);
  return ev.foldLoose(last);
};
const canonical = (src: string) => {
  const { ev, last } = load(src);
  return ev.canonical(last);
};
/** The canonical callee of every call in the fixture, in source order. */
const callees = (src: string) => {
  const { ev, calls } = load(src);
  return calls.map((c) => ev.canonical(c.callee));
};

/** Runs fn and returns its result with the time it took. */
function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe('fold', () => {
  test('through const, let and template literals', () => {
    expect(fold("const a = 'ch' + 'ild_';\nlet b = `${a}process`;\nb;")).toBe('child_process');
    expect(fold("const host = 'collector';\n`https://${host}.invalid/${1 + 1}`;")).toBe('https://collector.invalid/2');
  });

  test('+ follows JavaScript: numbers add, then concatenate', () => {
    expect(fold("const n = 40 + 2;\n'port:' + n;")).toBe('port:42');
    expect(fold("1 + 2 + 'x';")).toBe('3x');
    expect(fold("'x' + 1 + 2;")).toBe('x12');
  });

  test('[..].join and split/reverse/join', () => {
    expect(fold("['c', 'u', 'r', 'l'].join('');")).toBe('curl');
    expect(fold("['a', 'b'].join();")).toBe('a,b');
    expect(fold("'lave'.split('').reverse().join('');")).toBe('eval');
    expect(fold("const x = 'abc';\nx.toUpperCase().split('').reverse().join('-');")).toBe('C-B-A');
  });

  test('decoders: fromCharCode, Buffer base64/hex, atob, decodeURIComponent', () => {
    expect(fold('String.fromCharCode(101, 118, 97, 108);')).toBe('eval');
    expect(fold("Buffer.from('ZXZhbA==', 'base64').toString();")).toBe('eval');
    expect(fold("Buffer.from('6576616c', 'hex').toString('utf8');")).toBe('eval');
    expect(fold("atob('ZXZhbA==');")).toBe('eval');
    expect(fold("decodeURIComponent('%65%76%61%6c');")).toBe('eval');
  });

  test("the home folder folds to '~'", () => {
    expect(fold("const os = require('os'), path = require('path');\npath.join(os.homedir(), '.ssh');")).toBe('~/.ssh');
    expect(fold("const os = require('node:os');\n`${os.homedir()}/.ssh/id_rsa`;")).toBe('~/.ssh/id_rsa');
    expect(fold("import { homedir } from 'os';\nimport { join } from 'path';\njoin(homedir(), '.aws', 'credentials');", 'fixture.mjs')).toBe('~/.aws/credentials');
    expect(fold("import { homedir } from 'node:os';\n`${homedir()}/.npmrc`;", 'fixture.mjs')).toBe('~/.npmrc');
  });

  test('a function that returns a constant, and an object property', () => {
    expect(fold("function k() { return 'ev' + 'al'; }\nk();")).toBe('eval');
    expect(fold("const o = { host: 'collector.invalid', port: 443 };\no.host;")).toBe('collector.invalid');
  });

  test('what cannot be proven stays unknown', () => {
    expect(fold('process.argv[2];')).toBe(UNKNOWN);
    expect(fold("'https://' + host;")).toBe(UNKNOWN);
    expect(fold("let s = 'a';\ns += 'b';\ns;")).toBe(UNKNOWN);
    expect(fold("let x = 'a';\nif (c) x = 'b';\nx;")).toBe(UNKNOWN);
    expect(fold("process.platform === 'win32';")).toBe(UNKNOWN);
  });

  test('loose folding keeps the known parts around a hole', () => {
    expect(foldLoose("'https://' + host + '/x';")).toBe(`https://${HOLE}/x`);
    expect(foldLoose('`${a}.${b}.collector.invalid`;')).toBe(`${HOLE}.${HOLE}.collector.invalid`);
  });

  test('foldLooseAll gives every value a reassigned variable may hold', () => {
    const { ev, last } = load("let cmd = 'echo ok';\nif (win) cmd = 'powershell -c iex';\ncmd;");
    expect(ev.foldLooseAll(last).sort()).toEqual(['echo ok', 'powershell -c iex']);
  });

  test("process.env.HOME folds to '~' on a fresh evaluator", () => {
    expect(fold("process.env.HOME + '/.ssh';")).toBe('~/.ssh');
  });

  test('loose folding reads object properties like strict folding does', () => {
    expect(foldLoose("const o = { host: 'collector.invalid' };\no.host;")).toBe('collector.invalid');
  });

  test('loose folding does not pick a branch on an unknown condition', () => {
    expect(foldLoose("process.platform === 'win32' ? 'powershell -c iex' : 'true';")).not.toBe('true');
  });

  test('a per-character concatenation longer than 60 pieces folds', () => {
    const url = 'https://discord.com/api/webhooks/000000000000000000/fake-token-for-tests';
    expect(url.length).toBeGreaterThan(60);
    expect(fold([...url].map((c) => `'${c}'`).join(' + ') + ';')).toBe(url);
  });
});

describe('canonical', () => {
  test.each([
    ["require('child_process').exec;", 'child_process.exec'],
    ["const cp = require('child_process');\ncp.exec;", 'child_process.exec'],
    ["const { exec: run } = require('node:child_process');\nrun;", 'child_process.exec'],
    ["const cp = require('child_process');\nconst { execSync } = cp;\nexecSync;", 'child_process.execSync'],
    ["const r = require;\nr('child_' + 'process').spawn;", 'child_process.spawn'],
    ["require(`${'child'}_process`).fork;", 'child_process.fork'],
    ["process.mainModule.require('child_process').exec;", 'child_process.exec'],
    ["const { createRequire } = require('module');\nconst req = createRequire(__filename);\nreq('child_process').exec;", 'child_process.exec'],
    ["function getCp() { return require('child_process'); }\ngetCp().execSync;", 'child_process.execSync'],
    ["require('child_process').exec.bind(null);", 'child_process.exec'],
    ["require('fs/promises').readFile;", 'fs.promises.readFile'],
    ["const { promises: fsp } = require('fs');\nfsp.readFile;", 'fs.promises.readFile'],
  ])('require form %s -> %s', (src, expected) => {
    expect(canonical(src)).toBe(expected);
  });

  test.each([
    ["import * as cp from 'child_process';\ncp.spawn;", 'child_process.spawn'],
    ["import cp from 'node:child_process';\ncp.fork;", 'child_process.fork'],
    ["import { execSync as x } from 'node:child_process';\nx;", 'child_process.execSync'],
    ["import('node:fs/promises');", 'fs.promises'],
  ])('import form %s -> %s', (src, expected) => {
    expect(canonical(src)).toBe(expected);
  });

  test.each([
    ["globalThis['ev' + 'al'];", 'eval'],
    ["const g = globalThis;\nconst k = 'ev' + 'al';\ng[k];", 'eval'],
    ['window.eval;', 'eval'],
    ["global['Func' + 'tion'];", 'Function'],
    ['(0, eval);', 'eval'],
    ['const e = eval;\ne;', 'eval'],
    ["Reflect.get(process, 'env');", 'process.env'],
    ["Reflect.get(globalThis, 'ev' + 'al');", 'eval'],
    ["process['en' + 'v'].HOME;", 'process.env.HOME'],
  ])('global form %s -> %s', (src, expected) => {
    expect(canonical(src)).toBe(expected);
  });

  test('an inner `const cp = {}` shadows the outer child_process', () => {
    expect(callees("const cp = require('child_process');\nfunction f() { const cp = {}; return cp.exec('x'); }\ncp.exec('y');")).toEqual(['require', undefined, 'child_process.exec']);
  });

  test('a parameter or a block-scoped const named cp is not child_process', () => {
    expect(callees("const cp = require('child_process');\nfunction run(cp) { return cp.exec('x'); }\nrun({});")).toEqual(['require', undefined, undefined]);
    const [, , inner] = callees("const cp = require('child_process');\n{ const cp = make(); cp.exec('x'); }\n0;");
    expect(inner ?? '').not.toMatch(/^child_process/);
  });

  test('a variable that may hold two modules resolves to neither', () => {
    expect(canonical("let m = require('child_process');\nif (x) m = require('fs');\nm.exec;")).toBeUndefined();
  });

  test('unbound names are globals; a local object is not a module', () => {
    expect(canonical('fetch;')).toBe('fetch');
    expect(canonical("const fetch = { get() {} };\nfetch.get;")).toBeUndefined();
  });

  test('a module assigned after a bare declaration resolves', () => {
    expect(canonical("var c;\nc = require('child_process');\nc.exec;")).toBe('child_process.exec');
  });
});

describe('budgets', () => {
  test("a 5,000-term 'a' + 'a' + ... concatenation returns promptly and never wrongly", () => {
    // Built with @babel/types, the shape Babel produces: @babel/parser itself overflows its stack on this
    // depth in a cold process (analyze.ts reports that as a parse-error finding).
    let expr: t.Expression = t.stringLiteral('a');
    for (let i = 1; i < 5000; i++) expr = t.binaryExpression('+', expr, t.stringLiteral('a'));
    const ast = t.file(t.program([t.expressionStatement(expr)]));
    const ev = new Evaluator(walkFile(ast, new Set(['CallExpression']), 1e6).bindings);
    const strict = timed(() => ev.fold(expr));
    const loose = timed(() => ev.foldLoose(expr));
    const canon = timed(() => ev.canonical(expr));
    expect(strict.ms + loose.ms + canon.ms).toBeLessThan(1000);
    expect([UNKNOWN, 'a'.repeat(5000)]).toContain(strict.value);
    expect(loose.value === undefined || /^[a\u2026]+$/.test(loose.value)).toBe(true);
    expect(canon.value).toBeUndefined();
  });

  test('a 5,000-step chain of consts, each adding a term, returns promptly', () => {
    let src = "const s0 = 'a';\n";
    for (let i = 1; i < 5000; i++) src += `const s${i} = s${i - 1} + 'a';\n`;
    src += 's4999;';
    const { ev, last } = load(src);
    const r = timed(() => [ev.fold(last), ev.foldLoose(last)]);
    expect(r.ms).toBeLessThan(1000);
    expect([UNKNOWN, 'a'.repeat(5000)]).toContain(r.value[0]);
  });

  test('a doubling chain (2^60 characters) stops at the step and size budgets', () => {
    let src = "const a0 = 'ab';\n";
    for (let i = 1; i <= 60; i++) src += `const a${i} = a${i - 1} + a${i - 1};\n`;
    src += 'a60;';
    const { ev, last } = load(src);
    const r = timed(() => [ev.fold(last), ev.foldLoose(last)]);
    expect(r.ms).toBeLessThan(1000);
    expect(r.value[0]).toBe(UNKNOWN);
    expect((r.value[1] as string | undefined)?.length ?? 0).toBeLessThanOrEqual(1 << 20);
  });

  test('huge repeat and self-referential definitions come back unknown', () => {
    expect(fold("'x'.repeat(1e9);")).toBe(UNKNOWN);
    expect(fold("var a = b + '1';\nvar b = a + '2';\na;")).toBe(UNKNOWN);
    expect(fold("let x = x + 'a';\nx;")).toBe(UNKNOWN);
  });

  test('foldLooseAll on `x = y || x` does not recurse forever (commander lib/command.js)', () => {
    const { ev, last } = load("let file = opts.file || `${name}-sub`;\nlet local = find(file);\nfile = local || file;\nspawn(file, args);\nfile;");
    expect(ev.foldLooseAll(last).length).toBeGreaterThan(0);
  });
});

describe("the package's own JSON files (require('./package.json'))", () => {
  const MANIFEST = JSON.stringify({ name: 'tunnel-cli', version: '2.1.0', bin: { 'tunnel-cli': 'bin/cli.js', tcli: 'bin/cli.js' }, keywords: ['a', 'b'], nested: { deep: { host: 'mirror.invalid' } } });
  const pkgFiles = (extra: Record<string, string | Buffer> = {}): Map<string, PackageFile> => {
    const map = new Map<string, PackageFile>();
    for (const [p, content] of Object.entries({ 'package.json': MANIFEST, ...extra })) {
      const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
      map.set(p, { path: p, size: data.length, data });
    }
    return map;
  };
  /** Fold the last expression of `src`, as the file `file` of a package holding `files`. */
  const foldIn = (src: string, file = 'postinstall.js', files = pkgFiles(), loose = false) => {
    const parsed = parseFile(file, src);
    if (!parsed.ast) throw new Error(`fixture does not parse: ${parsed.error?.message}`);
    const walked = walkFile(parsed.ast, new Set(['CallExpression']), 1e6);
    const body = parsed.ast.program.body;
    const stmt = body[body.length - 1];
    if (stmt?.type !== 'ExpressionStatement') throw new Error('fixture must end with an expression statement');
    const ev = new Evaluator(walked.bindings, dataModules(files).forFile(file));
    return loose ? ev.foldLoose(stmt.expression) : ev.fold(stmt.expression);
  };

  test.each([
    ["require('./package.json').name", 'tunnel-cli'],
    ["require('./package.json').version", '2.1.0'],
    ["require('./package.json').bin['tunnel-cli']", 'bin/cli.js'],
    ["require('./package.json').keywords", ['a', 'b']],
    ["require('./package.json').keywords.length", 2],
    ["require('./package.json').nested.deep.host", 'mirror.invalid'],
    ["Object.keys(require('./package.json').bin)", ['tunnel-cli', 'tcli']],
    ["const pkg = require('./package.json');\npkg.name + '@' + pkg.version", 'tunnel-cli@2.1.0'],
    ["const { name, bin: { tcli } } = require('./package.json');\n[name, tcli]", ['tunnel-cli', 'bin/cli.js']],
    ["const path = require('path');\npath.join('npm', require('./package.json').name)", 'npm/tunnel-cli'],
  ])('%s folds', (src, expected) => {
    expect(foldIn(src)).toEqual(expected);
  });

  test('requires resolve from the requiring file, the way Node resolves them', () => {
    expect(foldIn("require('../package.json').name", 'lib/x.js')).toBe('tunnel-cli');
    expect(foldIn("require('./package.json').name", 'lib/x.js')).toBe(UNKNOWN); // no lib/package.json
    expect(foldIn("require('./data').mirror", 'index.js', pkgFiles({ 'data.json': '{"mirror":"m.invalid"}' }))).toBe('m.invalid');
    expect(foldIn("require('./version.json')", 'index.js', pkgFiles({ 'version.json': '"3.0.0"' }))).toBe('3.0.0');
  });

  test('ESM default imports of a JSON file fold too', () => {
    expect(foldIn("import pkg from './package.json' with { type: 'json' };\npkg.name", 'index.mjs')).toBe('tunnel-cli');
  });

  test.each([
    ['an object (no Value form)', "require('./package.json').bin"],
    ['a missing field', "require('./package.json').homepage"],
    ['an inherited property', "require('./package.json').constructor"],
    ['__proto__', "require('./package.json').__proto__"],
    ['toString of a field', "require('./package.json').nested.toString"],
    ['a package name, not a file of this package', "require('other/package.json').name"],
    ['a JavaScript module', "require('./index.js').name"],
    ['a shadowed require', "const require = (x) => ({ name: 'evil' });\nrequire('./package.json').name"],
    ['a name assigned twice', "let pkg = require('./package.json');\npkg = { name: 'x' };\npkg.name"],
    ['an escape from the package', "require('../../package.json').name"],
  ])('%s is unknown', (_label, src) => {
    expect(foldIn(src)).toBe(UNKNOWN);
  });

  test('hostile JSON: too large, invalid, deeply nested or partial gives unknown and never throws', () => {
    const huge = JSON.stringify({ name: 'x'.repeat(MAX_JSON_MODULE_BYTES) });
    expect(foldIn("require('./big.json').name", 'index.js', pkgFiles({ 'big.json': huge }))).toBe(UNKNOWN);
    expect(foldIn("require('./bad.json').name", 'index.js', pkgFiles({ 'bad.json': '{"name": "x",' }))).toBe(UNKNOWN);
    expect(foldIn("require('./code.json').name", 'index.js', pkgFiles({ 'code.json': "module.exports = { name: 'x' }" }))).toBe(UNKNOWN);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => foldIn("require('./deep.json')[0][0][0]", 'index.js', pkgFiles({ 'deep.json': deep }))).not.toThrow();
    const partial = pkgFiles({ 'p.json': '{"name":"x"}' });
    partial.set('p.json', { ...partial.get('p.json')!, partial: true });
    expect(foldIn("require('./p.json').name", 'index.js', partial)).toBe(UNKNOWN);
    // A loose fold shows what is unknown as a hole, not a crash.
    expect(foldIn("'~/AppData/Roaming/npm/' + require('./bad.json').name", 'index.js', pkgFiles({ 'bad.json': '{' }), true)).toBe(`~/AppData/Roaming/npm/${HOLE}`);
  });

  test('a BOM before the JSON is skipped, as Node does', () => {
    expect(foldIn("require('./b.json').name", 'index.js', pkgFiles({ 'b.json': '\uFEFF{"name":"bom"}' }))).toBe('bom');
  });

  test('JSON text is data: a string that looks like code is a string', () => {
    expect(foldIn("require('./c.json').run", 'index.js', pkgFiles({ 'c.json': '{"run":"require(\'child_process\').exec(\'id\')"}' }))).toBe("require('child_process').exec('id')");
  });

  test('without the service (no package), nothing changes', () => {
    expect(fold("require('./package.json').name")).toBe(UNKNOWN);
  });
});
