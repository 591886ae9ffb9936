// The bounded pure interpreter (src/engine/semantics/interpret.ts): decoders of several shapes through the
// evaluator, the bounds on hostile code (asserted on its counters and abort reasons, not on wall
// clock), and property tests that it never reaches the host.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import * as t from '@babel/types';
import type { Node } from '@babel/types';
import { parseFile } from '../src/engine/parse/parse.js';
import { walkFile } from '../src/engine/semantics/walk.js';
import { Evaluator } from '../src/engine/semantics/evaluate.js';
import { DEFAULT_LIMITS, IArray, IBytes, IClosure, INative, IObject, IRegExp, Interpreter, fromPlain, regexCost, type IValue, type Limits, type Outcome, type Plain } from '../src/engine/semantics/interpret.js';

function parse(src: string): { program: Node; ev: Evaluator; last: Node } {
  const parsed = parseFile('fixture.js', src);
  if (!parsed.ast) throw new Error(`fixture does not parse: ${parsed.error?.message}`);
  const walked = walkFile(parsed.ast, new Set(['CallExpression']), 1e6);
  const body = parsed.ast.program.body;
  const stmt = body[body.length - 1]!;
  return { program: parsed.ast.program, ev: new Evaluator(walked.bindings), last: stmt.type === 'ExpressionStatement' ? stmt.expression : stmt };
}

/** Call `name` (declared at the top of `src`) with constant arguments. */
function call(src: string, name: string, args: Plain[] = [], limits: Partial<Limits> = {}): Outcome {
  const { program } = parse(src);
  return new Interpreter({ ...DEFAULT_LIMITS, ...limits }).callIn(program, name, args.map(fromPlain));
}

const value = (o: Outcome): IValue => {
  if (!o.ok) throw new Error(`aborted: ${o.reason} (${o.detail})`);
  return o.value;
};

describe('decoders fold through the evaluator', () => {
  test('XOR with a key, hex-encoded: require(x(…)) is child_process', () => {
    const key = 'k3y';
    const hex = Buffer.from([...Buffer.from('child_process')].map((b, i) => b ^ key.charCodeAt(i % 3))).toString('hex');
    const { ev, last } = parse(`const K = '${key}';
function x(h) { let o = ''; for (let i = 0; i < h.length; i += 2) o += String.fromCharCode(parseInt(h.slice(i, i + 2), 16) ^ K.charCodeAt(i / 2 % K.length)); return o; }
require(x('${hex}'));`);
    expect(ev.canonical(last)).toBe('child_process');
  });

  test('process.env[dec(…)] and fetch(dec(…)) fold to the name and the URL', () => {
    const enc = (s: string) => JSON.stringify([...s].map((c) => c.charCodeAt(0) + 3));
    const src = `const dec = (codes) => codes.map((c) => String.fromCharCode(c - 3)).join('');\n`;
    expect(parse(`${src}dec(${enc('NPM_TOKEN')});`).ev.fold(parse(`${src}dec(${enc('NPM_TOKEN')});`).last)).toBe('NPM_TOKEN');
    const { ev, last } = parse(`${src}fetch(dec(${enc('https://collector.invalid/u')}));`);
    expect(last.type === 'CallExpression' && ev.fold(last.arguments[0] as Node)).toBe('https://collector.invalid/u');
  });

  test('reversed base64, chunks joined, code points shifted, a table, rot13', () => {
    const cases: [string, string][] = [
      [`function d(s) { return Buffer.from(s.split('').reverse().join(''), 'base64').toString(); }\nd('${Buffer.from('child_process').toString('base64').split('').reverse().join('')}');`, 'child_process'],
      [`const parts = ['Y2hp', 'bGRf', 'cHJv', 'Y2Vz', 'cw==']; function j(o) { return atob(o.map((i) => parts[i]).join('')); }\nj([0, 1, 2, 3, 4]);`, 'child_process'],
      [`function c(s) { return [...s].map((ch) => String.fromCodePoint(ch.codePointAt(0) - 2)).join(''); }\nc('ejknfartqeguu');`, 'child_process'],
      [`const T = { a: 'ev', b: 'al' }; function t(k) { return k.split(',').map((x) => T[x]).join(''); }\nt('a,b');`, 'eval'],
      [`function r(s) { return s.replace(/[a-z]/g, (c) => String.fromCharCode((c.charCodeAt(0) - 97 + 13) % 26 + 97)); }\nr('puvyq_cebprff');`, 'child_process'],
      [`function h(s) { return new TextDecoder().decode(Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16))); }\nh('${Buffer.from('child_process').toString('hex')}');`, 'child_process'],
    ];
    for (const [src, want] of cases) {
      const { ev, last } = parse(src);
      expect(ev.fold(last), src).toBe(want);
    }
  });

  test('a string array rotated by an IIFE at load time: the replayed scope sees the rotation', () => {
    const { ev, last } = parse(`var a = ['c', 'd', 'a', 'b'];
(function (x, n) { while (n--) x.push(x.shift()); })(a, 2);
function s(i) { return a[i]; }
s(0) + s(1) + s(2) + s(3);`);
    expect(ev.fold(last)).toBe('abcd');
  });

  test('an array a statement was changing when it aborted is unknown; one it only read is not', () => {
    const half = call(`var a = ['x', 'y', 'z'];
(function (l) { for (let i = 0; i < 3; i++) { l.push(l.shift()); if (i === 1) process.exit(); } })(a);
function s(i) { return a[i]; }`, 's', [0]);
    expect(half.ok).toBe(false);
    if (!half.ok) expect(half.reason).toBe('unknown');
    const read = call(`const P = ['ev', 'al'];
function dec() { return P.join(''); }
eval(dec() + P[0]);`, 'dec');
    expect(value(read)).toBe('eval');
  });

  test('variation selectors decoded by code point arithmetic', () => {
    const hidden = [...Buffer.from('eval')].map((b) => String.fromCodePoint(b < 16 ? 0xfe00 + b : 0xe0100 + b - 16)).join('');
    const { ev, last } = parse(`function v(s) { const out = []; for (const ch of s) { const c = ch.codePointAt(0); out.push(c >= 0xe0100 ? c - 0xe0100 + 16 : c - 0xfe00); } return Buffer.from(out).toString('utf8'); }
v('${hidden}');`);
    expect(ev.fold(last)).toBe('eval');
    expect(ev.interpreted.has(last)).toBe(true);
  });

  test('values that depend on the host, or unknown arguments, stay unknown', () => {
    expect(parse(`const k = process.env.KEY; function d(s) { return s + k; }\nd('a');`).ev.fold(parse(`const k = process.env.KEY; function d(s) { return s + k; }\nd('a');`).last)).toBe(UNKNOWN_SYMBOL());
    const { ev, last } = parse(`function d(s) { return s.split('').reverse().join(''); }\nd(process.argv[2]);`);
    expect(ev.fold(last)).toBe(UNKNOWN_SYMBOL());
  });

  test('ES modules: exported decoders and exported constants', () => {
    const { ev, last } = parse(`export const KEY = 7;
export function dec(codes) { return codes.map((c) => String.fromCharCode(c ^ KEY)).join(''); }
export default dec([${[...'child_process'].map((c) => c.charCodeAt(0) ^ 7).join(', ')}]);`);
    expect(last.type === 'ExportDefaultDeclaration' && ev.fold(last.declaration as Node)).toBe('child_process');
  });

  test('a result that cannot be a constant (a cyclic array) stays unknown', () => {
    const { ev, last } = parse('function f() { const a = [1]; a.push(a); return a; }\nf();');
    expect(ev.fold(last)).toBe(UNKNOWN_SYMBOL());
  });

  test('outcomes are cached per function and arguments', () => {
    const { program } = parse(`let n = 0; function f(s) { n++; return s + n; }`);
    const it = new Interpreter();
    expect(value(it.callIn(program, 'f', ['a'], 'a'))).toBe('a1');
    expect(value(it.callIn(program, 'f', ['a'], 'a'))).toBe('a1');
    expect(value(it.callIn(program, 'f', ['b'], 'b'))).toBe('b2');
  });
});

// The evaluator's UNKNOWN, obtained the way rules see it.
function UNKNOWN_SYMBOL(): unknown {
  return parse('foo();').ev.fold(parse('foo();').last);
}

describe('hostile code ends within its bounds', () => {
  test('an infinite loop stops at the step bound', () => {
    const o = call('function f() { let i = 0; while (true) i++; }', 'f', [], { maxSteps: 50_000, maxMs: 60_000 });
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.reason).toBe('steps');
    expect(o.counters.steps).toBeGreaterThan(50_000);
    expect(o.counters.steps).toBeLessThan(50_000 + 100);
  });

  test('exponential string doubling stops at the string bound, before building the string', () => {
    for (const body of ["let s = 'ab'; for (;;) s = s + s;", "let s = 'ab'; for (;;) s = s.repeat(2);", "let s = 'ab'; for (;;) s = `${s}${s}`;", "let a = ['ab']; for (;;) a = [a.join('') + a.join('')];"]) {
      const o = call(`function f() { ${body} }`, 'f', [], { maxString: 1 << 16, maxMs: 60_000 });
      expect(o.ok, body).toBe(false);
      if (o.ok) continue;
      expect(o.reason, body).toBe('size');
      expect(o.counters.string, body).toBeLessThanOrEqual(1 << 16);
    }
  });

  test('deep recursion stops at the depth bound', () => {
    for (const src of ['function f(n) { return f(n + 1) + 1; }', 'function f() { return [1].map(f); }', 'const o = { m() { return this.m(); } }; function f() { return o.m(); }']) {
      const o = call(src, 'f', [0], { maxDepth: 40, maxMs: 60_000 });
      expect(o.ok, src).toBe(false);
      if (o.ok) continue;
      expect(o.reason, src).toBe('depth');
      expect(o.counters.depth, src).toBe(40);
    }
  });

  test('huge arrays stop at the array bound', () => {
    for (const body of ['return new Array(1e9);', 'const a = []; for (;;) a.push(1, 2, 3);', 'const a = []; a[5e8] = 1;', 'const a = [1]; for (;;) a.push(...a);', 'return Buffer.alloc(1e9);']) {
      const o = call(`function f() { ${body} }`, 'f', [], { maxArray: 10_000, maxMs: 60_000 });
      expect(o.ok, body).toBe(false);
      if (o.ok) continue;
      expect(o.reason, body).toBe('size');
      expect(o.counters.array, body).toBeLessThanOrEqual(10_000);
    }
  });

  test('syntax nested deeper than the walk allows aborts on depth, not on the host stack', () => {
    // Built directly: the parser itself cannot read nesting this deep, but a tree handed over can be.
    let e: t.Expression = t.numericLiteral(1);
    for (let i = 0; i < 20_000; i++) e = t.unaryExpression('-', e);
    const fn = t.functionDeclaration(t.identifier('f'), [], t.blockStatement([t.returnStatement(e)]));
    const o = new Interpreter().callFunction(fn, []);
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.reason).toBe('depth');
  });

  test('catastrophic regular expressions are refused, linear ones run', () => {
    expect(regexCost('(a+)+$', 10)).toBe(Infinity);
    expect(regexCost('(a|aa)*b', 10)).toBe(Infinity);
    expect(regexCost('(x)\\1', 10)).toBe(Infinity);
    expect(regexCost('[^A-Za-z0-9+/=]', 1000)).toBe(1000);
    expect(regexCost('.{1,2}', 1000)).toBe(1000);
    const o = call("function f(s) { return /(a+)+$/.test(s); }", 'f', ['a'.repeat(40) + 'b']);
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.reason).toBe('unsupported');
  });

  test('a file budget caps the work of every call together', () => {
    const { program } = parse('function f(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }');
    const it = new Interpreter(DEFAULT_LIMITS, { steps: 30_000, calls: 1000, ms: 60_000 });
    let spent = 0;
    for (let k = 0; k < 20 && !it.exhausted; k++) {
      const o = it.callIn(program, 'f', [2000], String(k));
      spent += o.counters.steps;
    }
    expect(it.exhausted).toBe(true);
    expect(spent).toBeLessThanOrEqual(30_000 + 200);
    expect(it.callIn(program, 'f', [1], 'x').ok).toBe(false);
  });
});

// ---------- never the host ----------

const SENTINEL = 'tollgateInterpSentinel';
let touched = 0;
beforeAll(() => {
  Object.defineProperty(globalThis, SENTINEL, {
    configurable: true,
    get() {
      touched++;
      return 'host value';
    },
    set() {
      touched++;
    },
  });
});
afterAll(() => {
  delete (globalThis as Record<string, unknown>)[SENTINEL];
});

/** Expressions that need the host, reflection or a global this interpreter does not have. */
const HOSTILE = [
  SENTINEL, `globalThis.${SENTINEL}`, `global['${SENTINEL}']`, `this.${SENTINEL}`, `(function () { return this; })().${SENTINEL}`,
  `${SENTINEL} = 1`, `globalThis.${SENTINEL} = 1`, `[].constructor.constructor('return ${SENTINEL}')()`, `''.constructor`,
  `(() => 1).constructor('return 1')`, `({}).__proto__`, `Object.getPrototypeOf({})`, `Reflect.get(globalThis, '${SENTINEL}')`,
  "require('fs')", 'process.env.HOME', 'process', 'module.exports', "eval('1')", "Function('return 1')()", "new Function('return 1')",
  'setTimeout(() => 1)', "import('fs')", 'new Date()', 'Math.random()', 'Symbol.iterator', "fetch('https://collector.invalid')",
  'console.log(1)', 'Buffer.prototype', "Object.defineProperty({}, 'a', { value: 1 })", '({ get a() { return 1; } })',
  'Array.prototype.constructor', "String.prototype.__proto__", 'arguments.callee', 'queueMicrotask(() => 1)', 'structuredClone({})',
  'WebAssembly', 'XMLHttpRequest', "Object.prototype", 'TextDecoder.prototype', '[].map.constructor', "({}).toString.call.constructor",
  'new (class {})()', '__dirname', 'Atomics', "typeof process", `delete globalThis.${SENTINEL}`,
];

const SAFE_LEAVES = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('a', 'b', "'xyz'.split('')", '[1, 2, 3]', "({ k: 'v' })", 'a.length', "String.fromCharCode(104, 105)", "btoa('hi')", "Math.max(1, 2)", "JSON.stringify([1])"),
);

const safeExpr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    SAFE_LEAVES,
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '^', '===', '||', '&&', '%', '<'), tie('e')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('e').map((x) => `[${x}]`),
    tie('e').map((x) => `String(${x}).split('').reverse().join('')`),
    tie('e').map((x) => `(${x} ? 1 : 2)`),
  ),
})).e;

const isOwnValue = (v: IValue, depth = 0): boolean => {
  if (depth > 20) return true;
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return true;
  if (v instanceof IArray) return v.items.every((x) => isOwnValue(x, depth + 1));
  if (v instanceof IObject) return [...v.props.values()].every((x) => isOwnValue(x, depth + 1));
  return v instanceof IBytes || v instanceof IRegExp || v instanceof IClosure || v instanceof INative;
};

describe('the interpreter never touches the host', () => {
  test.each(HOSTILE)('%s aborts', (h) => {
    const before = touched;
    const o = call(`function f(a, b) { return [1, ${h}, 2]; }`, 'f', ['x', 'y']);
    expect(o.ok).toBe(false);
    if (!o.ok) expect(['host', 'reflection', 'unsupported']).toContain(o.reason);
    expect(touched).toBe(before);
  });

  test('random programs with a hostile part abort, even inside try/catch; the sentinel is never read or written', () => {
    fc.assert(
      fc.property(safeExpr, fc.constantFrom(...HOSTILE), safeExpr, fc.constantFrom('plain', 'try', 'loop', 'callback', 'closure'), (pre, h, post, wrap) => {
        const before = touched;
        const core = `let x = ${pre}; const y = ${h}; return [x, y, ${post}];`;
        const body =
          wrap === 'try' ? `try { ${core} } catch (e) { return 'caught'; } finally { }`
          : wrap === 'loop' ? `for (let i = 0; i < 2; i++) { ${core} }`
          : wrap === 'callback' ? `return [0].map(() => { ${core} });`
          : wrap === 'closure' ? `const g = () => { ${core} }; return g();`
          : core;
        const o = call(`function f(a, b) { ${body} }`, 'f', ['a', 'b']);
        expect(o.ok, body).toBe(false);
        if (!o.ok) expect(['host', 'reflection', 'unsupported'], `${body}: ${o.detail}`).toContain(o.reason);
        expect(touched).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  test('random pure programs return values of the interpreter only, the same every time', () => {
    fc.assert(
      fc.property(safeExpr, (e) => {
        const src = `function f(a, b) { return ${e}; }`;
        const one = call(src, 'f', ['a', 'b']);
        const two = call(src, 'f', ['a', 'b']);
        expect(one.ok, `${src}: ${one.ok ? '' : one.detail}`).toBe(true);
        if (!one.ok || !two.ok) return;
        expect(isOwnValue(one.value)).toBe(true);
        expect(JSON.stringify(one.value, (_k, v) => (v instanceof IArray ? v.items : v instanceof IObject ? Object.fromEntries(v.props) : v))).toBe(
          JSON.stringify(two.value, (_k, v) => (v instanceof IArray ? v.items : v instanceof IObject ? Object.fromEntries(v.props) : v)),
        );
      }),
      { numRuns: 300 },
    );
    expect(touched).toBe(0);
  });
});
