import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse as babelParse } from '@babel/parser';
import type { Node } from '@babel/types';
import { fastParse } from '../src/engine/parse/fast-parse.js';
import { parseFile } from '../src/engine/parse/parse.js';
import { walkFile } from '../src/engine/semantics/walk.js';

/**
 * The fast tier must hand the rules the same tree Babel would: after the walk has reshaped acorn's
 * ESTree nodes, every node's type, its scalar fields and its line and column must equal Babel's.
 */
const SCALARS = ['type', 'start', 'end', 'name', 'value', 'operator', 'prefix', 'optional', 'computed', 'kind', 'static', 'async', 'generator', 'shorthand', 'pattern', 'flags', 'delegate', 'tail'];

function babelTree(text: string): Node {
  return babelParse(text, { sourceType: 'unambiguous', allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true, allowImportExportEverywhere: true, attachComment: false, plugins: ['importAttributes'] }) as unknown as Node;
}

/** Pre-order list of every node the walk visited, as comparable records. */
function shape(ast: Node): string[] {
  const walked = walkFile(ast, new Set(['*']), 1_000_000);
  expect(walked.truncated).toBe(false);
  const out: string[] = [];
  const visit = (n: Node) => {
    const rec: Record<string, unknown> = {};
    for (const k of SCALARS) {
      const v = (n as unknown as Record<string, unknown>)[k];
      if (v !== undefined && v !== null && typeof v !== 'object') rec[k] = typeof v === 'bigint' ? String(v) : v;
      if (k === 'value' && n.type === 'TemplateElement') rec.value = JSON.stringify(v); // {raw, cooked}
    }
    // Leftovers of acorn's shape that no reader looks at, and that would cost a write per node to clear.
    if (rec.optional === false && (n.type === 'MemberExpression' || n.type === 'CallExpression' || n.type === 'NewExpression')) delete rec.optional;
    if (n.type === 'ObjectProperty') delete rec.kind;
    if (n.type === 'ObjectMethod') delete rec.shorthand;
    if (n.type === 'ClassPrivateProperty' || n.type === 'ClassPrivateMethod') delete rec.computed;
    if (n.type === 'PrivateName') delete rec.name;
    if (n.type === 'File') return void out.push(JSON.stringify(rec)); // the wrapper: no place of its own
    rec.line = n.loc?.start.line;
    rec.column = n.loc?.start.column;
    rec.endLine = n.loc?.end.line;
    rec.endColumn = n.loc?.end.column;
    out.push(JSON.stringify(rec));
  };
  // walkFile records only wanted types; '*' is not a type, so walk again over the reshaped tree.
  const stack: Node[] = [ast];
  while (stack.length) {
    const n = stack.pop()!;
    visit(n);
    const kids = childrenOf(n);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}

import { childNodes as childrenOf } from '../src/engine/semantics/walk.js';

function fastTree(text: string): Node {
  const r = fastParse(text);
  if ('error' in r) throw r.error;
  return r.ast as unknown as Node;
}

const SNIPPETS: Record<string, string> = {
  literals: `const a = 'x', b = 1.5e3, c = true, d = null, e = /a[b]c/giu, f = 10n, g = 0x1F, h = "\\u0041";`,
  objects: `const o = { a, b: 1, [c]: 2, d() { return 1 }, get e() { return 2 }, set e(v) {}, async *f() {}, ...g, 'h-i': 3, 4: 5 };`,
  patterns: `const { a, b: { c = 1 }, ...rest } = obj; const [x, , y = 2, ...z] = arr; ({ p, q: [r] } = s);`,
  chains: `a?.b; a?.b.c; a.b?.c.d; a?.(); a?.b(); a.b?.(); (a?.b).c; a?.[k]?.(x).y; x = a?.b?.c;`,
  classes: `class A extends B { #p = 1; static s = 2; q; constructor() { super(); this.#p++; } #m() {} get g() { return this.#p } static { init() } static async *gen() {} ['c' + 1]() {} }`,
  modules: `import d, { a as b, 'c-d' as e } from 'm'; import * as ns from 'n'; import j from './x.json' with { type: 'json' }; export { b as f }; export default function () {} export * from 'o'; export const g = import('p'); const u = import.meta.url;`,
  functions: `function f(a, b = 1, ...c) { return async () => { await g(a); for await (const x of y) yield* z; }; } function* gen() { yield 1 }`,
  control: `label: for (let i = 0; i < 3; i++) { if (i) continue label; else break; } for (const k in o) {} for (const v of a) {} while (x) x--; do { y() } while (z); switch (s) { case 1: t(); default: u(); } try { v() } catch { w() } finally { q() } try {} catch ({ message }) {}`,
  templates: 'const t = `a${b}c${`d${e}`}`; tag`x${y}\\u{41}`; String.raw`\\n`;',
  sloppy: `with (obj) { x = 1 } var let = 1; function f(a) { return arguments[0] } if (a) function g() {}`,
  misc: `new Foo; new Foo.Bar(1); a = b ? c : d; a ||= b; a ??= c; a **= 2; delete a.b; void 0; typeof x; -x; !y; ~z; a in b; a instanceof C; (a, b); x = function named() {}; debugger;`,
  regexInCode: `const r = a / b / c; const s = x.replace(/\\/\\*[\\s\\S]*?\\*\\//g, ''); if (/^x/.test(y)) z();`,
  lines: `a();\r\nb();\rc();\u2028d();\u2029e();\n\n  f(\n    'multi',\n    g\n  );`,
  unicode: `const s = '\u00e9t\u00e9 😀'; const 𝒳 = 1; call(s, 𝒳);`,
  topLevel: `return 1; await x; #!notHashbangHere`.replace(' #!notHashbangHere', ''),
  hashbang: `#!/usr/bin/env node\nrequire('x');`,
};

describe('fast parse tier (acorn, reshaped to Babel)', () => {
  for (const [name, code] of Object.entries(SNIPPETS)) {
    it(`gives the same tree as Babel: ${name}`, () => {
      expect(shape(fastTree(code))).toEqual(shape(babelTree(code)));
    });
  }

  it('gives the same tree as Babel on real published code (this project’s own dependencies)', () => {
    const root = path.resolve('node_modules');
    const files = ['semver/classes/range.js', 'semver/functions/inc.js', 'p-limit/index.js', 'ini/lib/ini.js', 'yaml/dist/compose/composer.js', 'tar/dist/commonjs/parse.js', 'jsonc-parser/lib/esm/impl/scanner.js'];
    let compared = 0;
    for (const f of files) {
      const p = path.join(root, f);
      if (!fs.existsSync(p)) continue;
      const text = fs.readFileSync(p, 'utf8');
      expect(shape(fastTree(text)), f).toEqual(shape(babelTree(text)));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
  });

  it('sends what acorn cannot read to Babel, and TypeScript, JSX and Flow straight there', () => {
    expect(parseFile('a.js', 'const x = 1;').parser).toBe('acorn');
    expect(parseFile('a.js', 'const el = <div onClick={f}>hi</div>;').parser).toBe('babel');
    expect(parseFile('a.jsx', 'const x = 1;').parser).toBe('babel');
    expect(parseFile('a.ts', 'const x: number = 1;').parser).toBe('babel');
    expect(parseFile('a.js', '// @flow\nconst x = 1;').parser).toBe('babel');
    // A syntax error acorn stops at: Babel's error recovery still yields a tree.
    const broken = parseFile('a.js', 'let a = 1; let a = 2; require("child_process").exec(x);');
    expect(broken.parser).toBe('babel');
    expect(broken.ast).toBeDefined();
    expect(broken.recovered).toBeGreaterThan(0);
  });

  it('computes a node’s line and column only when asked, with Babel’s line endings', () => {
    const r = fastParse('a;\r\nb;\rc;\u2028d;\n  e;');
    if ('error' in r) throw r.error;
    const body = (r.ast.program as unknown as { body: { loc: { start: { line: number; column: number } } }[] }).body;
    expect(body.map((s) => [s.loc.start.line, s.loc.start.column])).toEqual([[1, 0], [2, 0], [3, 0], [4, 0], [5, 2]]);
    expect(Object.keys(r.ast.program)).not.toContain('loc');
  });
});
