import path from 'node:path';
import type { Node, Expression } from '@babel/types';
import type { BindingTable, Binding } from './bindings.js';
import { Interpreter, fromPlain, toPlain, type Plain } from './interpret.js';
import type { DataModules, Json } from './json-modules.js';

/**
 * Static evaluation: folds expressions to constants and resolves what a callee really is
 * (`cp.exec` -> `child_process.exec`), without ever running scanned code. Every call is bounded by
 * a step budget and a string size cap, and anything not provable comes back as unknown.
 */
export const UNKNOWN: unique symbol = Symbol('unknown');
export type Value = string | number | boolean | null | Value[] | typeof UNKNOWN;

/** Stands in for the parts of a string that could not be folded, in loose folding. */
export const HOLE = '\u2026';

const MAX_STEPS = 4000;
const MAX_DEPTH = 60;
const MAX_STRING = 1 << 20;
/** Functions larger than this (source bytes) are not interpreted: decoders are small. */
const MAX_INTERPRETED_BYTES = 8 * 1024;

const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);
const REQUIRE_NAMES = new Set(['require', 'module.require', 'process.mainModule.require', 'require.main.require']);

/** Canonical module id: `node:fs/promises` -> `fs.promises`, `node:child_process` -> `child_process`. */
export function normalizeModule(spec: string): string {
  let s = spec.startsWith('node:') ? spec.slice(5) : spec;
  if (s === 'fs/promises') s = 'fs.promises';
  if (s === 'dns/promises') s = 'dns.promises';
  if (s === 'timers/promises') s = 'timers.promises';
  return s;
}

/** Environment variables that name a folder, folded into paths (`process.env.HOME + '/.ssh'`). */
export const ENV_PATHS: Readonly<Record<string, string>> = {
  HOME: '~',
  USERPROFILE: '~',
  HOMEPATH: '~',
  APPDATA: '~/AppData/Roaming',
  LOCALAPPDATA: '~/AppData/Local',
  TMPDIR: '/tmp',
  TEMP: '/tmp',
  TMP: '/tmp',
  XDG_CONFIG_HOME: '~/.config',
};

function unwrap(node: Node): Node {
  let n = node;
  for (let i = 0; i < 32; i++) {
    switch (n.type) {
      case 'ParenthesizedExpression':
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
      case 'TypeCastExpression':
        n = n.expression;
        continue;
      case 'AwaitExpression':
        if (!n.argument) return n;
        n = n.argument;
        continue;
      default:
        return n;
    }
  }
  return n;
}

/** The property name of a member access when it is static or foldable. */
export function isFunctionNode(n: Node): boolean {
  return n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';
}

export class Evaluator {
  private steps = 0;
  private depth = 0;
  private loose = false;
  private readonly visiting = new Set<Node>();
  private readonly canonVisiting = new Set<Node>();
  /** Per-identifier values chosen by foldLooseAll while it enumerates candidates. */
  private readonly overrides = new Map<Node, Value>();
  private readonly canonCache = new Map<Node, string | undefined>();

  constructor(
    private readonly bindings: BindingTable,
    /** The package's own JSON files this file may require (`require('./package.json').name`). */
    private readonly modules?: DataModules,
  ) {}

  // ---------- public API ----------

  /** Fold to a constant, or UNKNOWN. */
  fold(node: Node | null | undefined): Value {
    if (!node) return UNKNOWN;
    return this.run(false, () => this.value(node));
  }

  /** Fold to a string, with unknown parts shown as HOLE; undefined when nothing is known. */
  foldLoose(node: Node | null | undefined): string | undefined {
    if (!node) return undefined;
    const v = this.run(true, () => this.value(node));
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    return undefined;
  }

  /**
   * Every string a variable may hold, one per assignment (`let cmd; if (win) cmd = A; else cmd = B`).
   * Detectors test each: the dangerous branch is the one that matters.
   */
  foldLooseAll(node: Node | null | undefined): string[] {
    if (!node) return [];
    // `x = y || x` makes candidates of x fold x again: past a few levels, one loose fold.
    if (this.allDepth >= 4) {
      const one = this.foldLoose(node);
      return one === undefined ? [] : [one];
    }
    this.allDepth++;
    try {
      return this.foldLooseAllInner(node);
    } finally {
      this.allDepth--;
    }
  }

  private allDepth = 0;

  private foldLooseAllInner(node: Node): string[] {
    // Identifiers in the expression that may hold several values: try each combination.
    const choices: [Node, Value[]][] = [];
    const stack: Node[] = [node];
    for (let budget = 400; stack.length && budget > 0 && choices.length < 3; budget--) {
      const n = unwrap(stack.pop()!);
      if (n.type === 'Identifier') {
        const c = this.candidates(n, 0);
        if (c.length > 1) choices.push([n, c.slice(0, 8)]);
        continue;
      }
      if (n.type === 'ConditionalExpression' || n.type === 'LogicalExpression') {
        // Both branches are possible: the platform check is exactly where payloads differ.
        const [a, b] = n.type === 'ConditionalExpression' ? [n.consequent, n.alternate] : [n.left, n.right];
        const out = new Set<string>();
        for (const part of [a, b]) for (const v of this.foldLooseAll(part)) out.add(v);
        if (n === unwrap(node)) return [...out].slice(0, 16);
        continue;
      }
      for (const k of ['left', 'right', 'expressions', 'arguments', 'object', 'callee', 'elements', 'argument'] as const) {
        const c = (n as unknown as Record<string, unknown>)[k];
        if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
        else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
      }
    }
    if (choices.length === 0) {
      const one = this.foldLoose(node);
      return one === undefined ? [] : [one];
    }
    const out = new Set<string>();
    const assign = (i: number) => {
      if (out.size >= 16) return;
      if (i === choices.length) {
        const v = this.foldLoose(node);
        if (v !== undefined && v !== HOLE) out.add(v);
        return;
      }
      const [id, values] = choices[i]!;
      for (const v of values) {
        this.overrides.set(id, v);
        assign(i + 1);
      }
      this.overrides.delete(id);
    };
    assign(0);
    return [...out];
  }

  /** Every value an identifier may hold: each assignment, each branch, each element iterated over. */
  private candidates(id: Extract<Node, { type: 'Identifier' }>, depth: number): Value[] {
    const out: Value[] = [];
    const push = (v: Value) => {
      if (v !== UNKNOWN && v !== HOLE && !out.some((x) => sameValue(x, v)) && out.length < 16) out.push(v);
    };
    for (const b of this.bindings.visible(id.name, id)) {
      if (b.iterates && b.init) {
        const arr = this.run(false, () => this.value(b.init!));
        if (Array.isArray(arr)) for (const v of arr) push(v);
        continue;
      }
      if (!b.init || b.kind === 'param' || b.kind === 'import' || b.kind === 'function') continue;
      const init = unwrap(b.init);
      if (!b.path && (init.type === 'ConditionalExpression' || init.type === 'LogicalExpression') && depth < 3) {
        for (const v of this.foldLooseAll(init)) push(v);
        continue;
      }
      push(this.run(true, () => this.bindingValue(b)));
    }
    return out;
  }

  /** Fold to a string exactly, or undefined. */
  foldString(node: Node | null | undefined): string | undefined {
    const v = this.fold(node);
    return typeof v === 'string' ? v : undefined;
  }

  /**
   * The canonical name of what an expression refers to: `require('child_process').exec`,
   * `cp.exec`, `const { exec } = require('node:child_process')`, `globalThis['ev'+'al']` and
   * `(0, eval)` all come back as `child_process.exec` or `eval`. Globals come back as their name.
   */
  canonical(node: Node | null | undefined): string | undefined {
    if (!node) return undefined;
    return this.run(this.loose, () => this.canon(node));
  }

  /** Resolve a binding lookup for rules that need to know whether a name is local. */
  isBound(name: string): boolean {
    return this.bindings.has(name);
  }

  // ---------- machinery ----------

  private run<T>(loose: boolean, fn: () => T): T {
    const outer = this.depth === 0;
    const prevLoose = this.loose;
    if (outer) this.steps = 0;
    this.loose = loose;
    try {
      return fn();
    } finally {
      this.loose = prevLoose;
    }
  }

  private enter(node: Node): boolean {
    if (++this.steps > MAX_STEPS || this.depth >= MAX_DEPTH || this.visiting.has(node)) return false;
    this.depth++;
    this.visiting.add(node);
    return true;
  }

  private leave(node: Node): void {
    this.depth--;
    this.visiting.delete(node);
  }

  private canon(raw: Node): string | undefined {
    const node = unwrap(raw);
    if (this.canonCache.has(node)) return this.canonCache.get(node);
    if (++this.steps > MAX_STEPS || this.depth >= MAX_DEPTH || this.canonVisiting.has(node)) return undefined;
    this.depth++;
    this.canonVisiting.add(node);
    let out: string | undefined;
    try {
      out = this.canonInner(node);
    } finally {
      this.depth--;
      this.canonVisiting.delete(node);
    }
    if (this.depth === 0 || out !== undefined) this.canonCache.set(node, out);
    return out;
  }

  private canonInner(node: Node): string | undefined {
    switch (node.type) {
      case 'Identifier': {
        const list = withValues(this.bindings.visible(node.name, node));
        if (list.length === 0) return GLOBAL_OBJECTS.has(node.name) ? 'global' : node.name;
        if (this.bindings.isTainted(node.name)) return undefined;
        return this.agree(list.map((b) => this.canonOfBinding(b)));
      }
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const obj = this.canon(node.object);
        if (obj === undefined) return undefined;
        const prop = this.propName(node.property, node.computed);
        if (prop === undefined) return undefined;
        if (obj === 'global') return GLOBAL_OBJECTS.has(prop) ? 'global' : prop;
        if (obj === 'require' && prop === 'main') return 'require.main';
        return `${obj}.${prop}`;
      }
      case 'CallExpression':
      case 'OptionalCallExpression': {
        if (node.callee.type === 'Import') {
          const spec = this.strOf(node.arguments[0]);
          return spec === undefined ? undefined : normalizeModule(spec);
        }
        const callee = this.canon(node.callee);
        if (callee === undefined) return this.canonOfReturn(node);
        if (REQUIRE_NAMES.has(callee)) {
          const spec = this.strOf(node.arguments[0]);
          return spec === undefined ? undefined : normalizeModule(spec);
        }
        if (callee === 'module.createRequire' || callee === 'module.Module.createRequire') return 'require';
        if (callee === 'Reflect.get' && node.arguments.length >= 2) {
          const obj = this.canon(node.arguments[0]!);
          const prop = this.strOf(node.arguments[1]);
          if (obj === undefined || prop === undefined) return undefined;
          return obj === 'global' ? prop : `${obj}.${prop}`;
        }
        if (callee.endsWith('.bind')) return callee.slice(0, -5);
        // `https.request(...)` -> 'https.request()', so `req.write(x)` resolves to 'https.request().write'.
        return this.canonOfReturn(node) ?? `${callee}()`;
      }
      case 'NewExpression': {
        // `new Module()._compile`, `new WebSocket(u).send`: name the instance after its class.
        const callee = this.canon(node.callee);
        return callee === undefined ? undefined : `${callee}()`;
      }
      case 'SequenceExpression':
        return this.canon(node.expressions[node.expressions.length - 1]!);
      case 'AssignmentExpression':
        return node.operator === '=' ? this.canon(node.right) : undefined;
      case 'LogicalExpression': {
        // `globalThis.fetch || require('node-fetch')` style fallbacks: both sides must agree.
        const l = this.canon(node.left);
        const r = this.canon(node.right);
        return l !== undefined && l === r ? l : undefined;
      }
      case 'ThisExpression':
        return undefined;
      case 'MetaProperty':
        return node.meta.name === 'import' && node.property.name === 'meta' ? 'import.meta' : undefined;
      default:
        return undefined;
    }
  }

  private canonOfBinding(b: Binding): string | undefined {
    let base: string | undefined;
    if (b.kind === 'import') {
      const mod = normalizeModule(b.source ?? '');
      base = b.imported === 'default' || b.imported === '*' ? mod : `${mod}.${b.imported}`;
    } else if ((b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init) {
      base = this.canon(b.init);
    } else return undefined;
    if (base === undefined) return undefined;
    if (b.path) {
      for (const p of b.path) {
        if (typeof p === 'number') return undefined;
        base = base === 'global' ? p : `${base}.${p}`;
      }
    }
    return base;
  }

  /** `function getCp() { return require('child_process') }` -> getCp() is child_process. */
  private canonOfReturn(call: Node): string | undefined {
    if (call.type !== 'CallExpression' || call.callee.type !== 'Identifier') return undefined;
    const ret = this.singleReturn(call.callee.name, call.callee);
    return ret ? this.canon(ret) : undefined;
  }

  private singleReturn(name: string, site: Node): Node | undefined {
    const list = this.bindings.visible(name, site);
    if (list.length !== 1) return undefined;
    const b = list[0]!;
    let fn: Node | undefined;
    if (b.kind === 'function') fn = b.init;
    else if ((b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init && !b.path && isFunctionNode(b.init)) fn = b.init;
    if (!fn || !isFunctionNode(fn)) return undefined;
    const f = fn as Extract<Node, { type: 'FunctionDeclaration' | 'FunctionExpression' | 'ArrowFunctionExpression' }>;
    if (f.params.length > 0) return undefined;
    if (f.body.type !== 'BlockStatement') return f.body;
    const stmts = f.body.body;
    if (stmts.length === 1 && stmts[0]!.type === 'ReturnStatement' && stmts[0]!.argument) return stmts[0]!.argument;
    return undefined;
  }

  private agree(values: (string | undefined)[]): string | undefined {
    const first = values[0];
    if (first === undefined) return undefined;
    for (const v of values) if (v !== first) return undefined;
    return first;
  }

  private propName(prop: Node, computed: boolean): string | undefined {
    if (!computed) {
      if (prop.type === 'Identifier') return prop.name;
      if (prop.type === 'PrivateName') return undefined;
    }
    const v = this.strictValue(prop);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  }

  private strOf(node: Node | undefined | null): string | undefined {
    if (!node || node.type === 'SpreadElement' || node.type === 'ArgumentPlaceholder') return undefined;
    const v = this.strictValue(node);
    return typeof v === 'string' ? v : undefined;
  }

  /** Fold in strict mode regardless of the outer mode (property names and module ids must be exact). */
  private strictValue(node: Node): Value {
    const prev = this.loose;
    this.loose = false;
    try {
      return this.value(node);
    } finally {
      this.loose = prev;
    }
  }

  private value(raw: Node): Value {
    const node = unwrap(raw);
    if (!this.enter(node)) return this.loose ? HOLE : UNKNOWN;
    try {
      const v = this.valueInner(node);
      if (typeof v === 'string' && v.length > MAX_STRING) return UNKNOWN;
      if (v === UNKNOWN && this.loose) return HOLE;
      return v;
    } finally {
      this.leave(node);
    }
  }

  private valueInner(node: Node): Value {
    switch (node.type) {
      case 'StringLiteral':
        return node.value;
      case 'NumericLiteral':
        return node.value;
      case 'BooleanLiteral':
        return node.value;
      case 'NullLiteral':
        return null;
      case 'TemplateLiteral': {
        let out = '';
        for (let i = 0; i < node.quasis.length; i++) {
          const q = node.quasis[i]!;
          out += q.value.cooked ?? q.value.raw;
          if (i < node.expressions.length) {
            const v = this.value(node.expressions[i]!);
            const s = this.asString(v);
            if (s === undefined) return UNKNOWN;
            out += s;
          }
        }
        return out;
      }
      case 'BinaryExpression':
        if (node.operator === '+' && node.left.type === 'BinaryExpression' && node.left.operator === '+') return this.plusChain(node);
        return this.binary(node.operator, node.left, node.right);
      case 'UnaryExpression': {
        const v = this.value(node.argument);
        if (node.operator === '-' && typeof v === 'number') return -v;
        if (node.operator === '+' && typeof v === 'number') return v;
        if (node.operator === '!' && v !== UNKNOWN && v !== HOLE && typeof v !== 'object') return !v;
        if (node.operator === '~' && typeof v === 'number') return ~v;
        return UNKNOWN;
      }
      case 'ArrayExpression': {
        if (node.elements.length > 10000) return UNKNOWN;
        const out: Value[] = [];
        for (const el of node.elements) {
          if (!el || el.type === 'SpreadElement') return UNKNOWN;
          out.push(this.value(el));
        }
        return out;
      }
      case 'SequenceExpression':
        return this.value(node.expressions[node.expressions.length - 1]!);
      case 'ConditionalExpression': {
        const t = this.value(node.test);
        if (t === UNKNOWN || (this.loose && t === HOLE)) return UNKNOWN;
        return this.value(t ? node.consequent : node.alternate);
      }
      case 'Identifier':
        return this.identifierValue(node.name, node);
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        return this.memberValue(node);
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        return this.callValue(node);
      case 'TaggedTemplateExpression': {
        if (this.canon(node.tag) === 'String.raw' && node.quasi.expressions.length === 0) {
          return node.quasi.quasis.map((q) => q.value.raw).join('');
        }
        return UNKNOWN;
      }
      case 'AssignmentExpression':
        return node.operator === '=' ? this.value(node.right) : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  private asString(v: Value): string | undefined {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
    if (Array.isArray(v)) {
      const parts = v.map((x) => this.asString(x));
      return parts.every((p) => p !== undefined) ? parts.join(',') : undefined;
    }
    return undefined;
  }

  /** 'h'+'t'+'t'+'p'…: fold a left-deep chain iteratively so length is not limited by depth. */
  private plusChain(node: Node): Value {
    const operands: Node[] = [];
    let n: Node = node;
    while (n.type === 'BinaryExpression' && n.operator === '+' && operands.length < 200_000) {
      operands.push(n.right);
      n = n.left;
    }
    operands.push(n);
    operands.reverse();
    let acc: Value = this.value(operands[0]!);
    for (let i = 1; i < operands.length; i++) {
      if (++this.steps > MAX_STEPS * 10) return UNKNOWN;
      const b = this.value(operands[i]!);
      if (typeof acc === 'number' && typeof b === 'number') acc = acc + b;
      else {
        const sa = this.asString(acc);
        const sb = this.asString(b);
        if (sa === undefined || sb === undefined) return UNKNOWN;
        acc = sa + sb;
        if (acc.length > MAX_STRING) return UNKNOWN;
      }
    }
    return acc;
  }

  private binary(op: string, l: Node, r: Node): Value {
    if (l.type === 'PrivateName') return UNKNOWN;
    const a = this.value(l);
    const b = this.value(r);
    if (op === '+') {
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      const sa = this.asString(a);
      const sb = this.asString(b);
      if (sa === undefined || sb === undefined) return UNKNOWN;
      return sa + sb;
    }
    if ((typeof a === 'string' && a.includes(HOLE)) || (typeof b === 'string' && b.includes(HOLE))) return UNKNOWN;
    if (typeof a !== 'number' || typeof b !== 'number') {
      if (op === '===' || op === '==') return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : a === b;
      if (op === '!==' || op === '!=') return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : a !== b;
      return UNKNOWN;
    }
    switch (op) {
      case '-': return a - b;
      case '*': return a * b;
      case '/': return b === 0 ? UNKNOWN : a / b;
      case '%': return b === 0 ? UNKNOWN : a % b;
      case '^': return a ^ b;
      case '|': return a | b;
      case '&': return a & b;
      case '<<': return a << b;
      case '>>': return a >> b;
      case '>>>': return a >>> b;
      case '===': case '==': return a === b;
      case '!==': case '!=': return a !== b;
      case '<': return a < b;
      case '>': return a > b;
      default: return UNKNOWN;
    }
  }

  private identifierValue(name: string, site: Node): Value {
    if (name === 'undefined') return UNKNOWN;
    if (name === '__dirname') return '.';
    if (this.overrides.has(site)) return this.overrides.get(site)!;
    const list = withValues(this.bindings.visible(name, site));
    if (list.length === 0 || this.bindings.isTainted(name)) return UNKNOWN;
    let result: Value = UNKNOWN;
    let first = true;
    for (const b of list) {
      const v = this.bindingValue(b);
      if (v === UNKNOWN || v === HOLE) {
        if (!this.loose) return UNKNOWN;
        continue;
      }
      if (first) {
        result = v;
        first = false;
      } else if (!this.loose && !sameValue(result, v)) return UNKNOWN;
    }
    return result;
  }

  private bindingValue(b: Binding): Value {
    if (b.kind === 'param') return this.paramValue(b);
    if (b.iterates) {
      // `for (const t of ['a', 'b'])`: one of the elements; loose folding takes the first.
      if (!this.loose || !b.init) return UNKNOWN;
      const arr = this.value(b.init);
      return Array.isArray(arr) && arr.length ? arr[0]! : UNKNOWN;
    }
    if (b.kind === 'import') {
      // `import { homedir } from 'os'` used as a value inside a template: the home folder.
      const c = this.canonOfBinding(b);
      return c === 'os.homedir' ? '~' : UNKNOWN;
    }
    if ((b.kind !== 'const' && b.kind !== 'let' && b.kind !== 'var') || !b.init) return UNKNOWN;
    let v = this.value(b.init);
    if (b.path && this.modules) {
      // `const { name } = require('./package.json')`
      const j = this.jsonOfBinding(b, 0);
      if (j !== undefined) return fromJson(j);
    }
    if (b.path) {
      for (const p of b.path) {
        if (Array.isArray(v) && typeof p === 'number') v = v[p] ?? UNKNOWN;
        else return this.objectPathValue(b.init, b.path);
      }
    }
    return v;
  }

  private objectPathValue(init: Node, pathParts: (string | number)[]): Value {
    let n: Node | undefined = unwrap(init);
    for (const p of pathParts) {
      if (!n || n.type !== 'ObjectExpression') return UNKNOWN;
      n = this.objectProperty(n, String(p));
    }
    return n ? this.value(n) : UNKNOWN;
  }

  private objectProperty(obj: Node, key: string): Node | undefined {
    if (obj.type !== 'ObjectExpression') return undefined;
    let found: Node | undefined;
    for (const prop of obj.properties) {
      if (prop.type !== 'ObjectProperty') {
        if (prop.type === 'SpreadElement') found = undefined;
        continue;
      }
      const k = this.propName(prop.key, prop.computed);
      if (k === key) found = prop.value;
    }
    return found;
  }

  /** A parameter of a named function: fold the matching argument at its call sites. */
  private paramValue(b: Binding): Value {
    const fn = b.fn;
    if (!fn || fn.type !== 'FunctionDeclaration' || !fn.id || b.index === undefined || b.path) return UNKNOWN;
    const calls = this.bindings.callsByName.get(fn.id.name) ?? [];
    if (calls.length === 0) return UNKNOWN;
    let result: Value = UNKNOWN;
    for (const call of calls) {
      if (call.type !== 'CallExpression' && call.type !== 'NewExpression') continue;
      const arg = call.arguments[b.index];
      if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return UNKNOWN;
      const v = this.value(arg);
      if (v === UNKNOWN || v === HOLE) {
        if (!this.loose) return UNKNOWN;
        continue;
      }
      if (result === UNKNOWN) result = v;
      else if (!sameValue(result, v)) return this.loose ? result : UNKNOWN;
    }
    return result;
  }

  private memberValue(node: Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>): Value {
    const canon = this.canon(node);
    if (canon !== undefined) {
      if (canon.startsWith('process.env.')) {
        const envPath = ENV_PATHS[canon.slice(12)];
        return envPath ?? UNKNOWN;
      }
      if (canon === 'os.EOL') return '\n';
      if (canon === 'path.sep') return '/';
    }
    const prop = this.propName(node.property, node.computed);
    if (prop === undefined) return UNKNOWN;
    // Object literals first: `const cfg = { host: 'x' }; cfg.host` (loose folding of cfg is a hole).
    const base = unwrap(node.object);
    if (base.type === 'ObjectExpression') {
      const target = this.objectProperty(base, prop);
      if (target) return this.value(target);
    } else if (base.type === 'Identifier') {
      const list = withValues(this.bindings.visible(base.name, base));
      if (list.length === 1 && list[0]!.init && !list[0]!.path && !this.bindings.isTainted(base.name) && unwrap(list[0]!.init).type === 'ObjectExpression') {
        const target = this.objectProperty(unwrap(list[0]!.init), prop);
        return target ? this.value(target) : UNKNOWN;
      }
    }
    if (this.modules) {
      // `require('./package.json').name`, `pkg.bin.ngrok`: a field of one of the package's JSON files.
      const j = this.jsonAt(node, 0);
      if (j !== undefined) {
        const v = fromJson(j);
        if (v !== UNKNOWN) return v;
      }
    }
    const obj = this.value(node.object);
    if (obj === HOLE) return UNKNOWN;
    if (typeof obj === 'string') {
      if (prop === 'length') return obj.length;
      const i = Number(prop);
      return Number.isInteger(i) && i >= 0 && i < obj.length ? obj[i]! : UNKNOWN;
    }
    if (Array.isArray(obj)) {
      if (prop === 'length') return obj.length;
      const i = Number(prop);
      return Number.isInteger(i) && i >= 0 && i < obj.length ? obj[i]! : UNKNOWN;
    }
    // `const cfg = { host: 'x' }; cfg.host`
    const o = unwrap(node.object);
    if (o.type === 'Identifier') {
      const list = this.bindings.visible(o.name, o);
      if (list.length === 1 && list[0]!.init && !list[0]!.path && !this.bindings.isTainted(o.name)) {
        const target = this.objectProperty(unwrap(list[0]!.init), prop);
        if (target) return this.value(target);
      }
    } else if (o.type === 'ObjectExpression') {
      const target = this.objectProperty(o, prop);
      if (target) return this.value(target);
    }
    return UNKNOWN;
  }

  /**
   * The JSON value an expression denotes when it is one of the package's own JSON files or a field
   * of one: `require('./package.json')`, `.bin.name`, a name bound to either (destructuring too),
   * `import pkg from './package.json'`. Undefined when it is anything else.
   */
  private jsonAt(raw: Node, depth: number): Json | undefined {
    if (!this.modules || depth > 32 || ++this.steps > MAX_STEPS) return undefined;
    const node = unwrap(raw);
    switch (node.type) {
      case 'CallExpression': {
        if (node.arguments.length !== 1) return undefined;
        const callee = this.canon(node.callee);
        if (callee === undefined || !REQUIRE_NAMES.has(callee)) return undefined;
        const spec = this.strOf(node.arguments[0]);
        return spec === undefined ? undefined : this.modules.json(spec);
      }
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const base = this.jsonAt(node.object, depth + 1);
        if (base === undefined) return undefined;
        const prop = this.propName(node.property, node.computed);
        return prop === undefined ? undefined : jsonChild(base, prop);
      }
      case 'Identifier': {
        if (this.bindings.isTainted(node.name)) return undefined;
        const list = withValues(this.bindings.visible(node.name, node));
        return list.length === 1 ? this.jsonOfBinding(list[0]!, depth + 1) : undefined;
      }
      default:
        return undefined;
    }
  }

  private jsonOfBinding(b: Binding, depth: number): Json | undefined {
    let base: Json | undefined;
    if (b.kind === 'import') base = b.imported === 'default' && b.source ? this.modules?.json(b.source) : undefined;
    else if ((b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init && !b.iterates) base = this.jsonAt(b.init, depth);
    for (const p of b.path ?? []) {
      if (base === undefined) return undefined;
      base = jsonChild(base, String(p));
    }
    return base;
  }

  private args(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>): Value[] | undefined {
    const out: Value[] = [];
    for (const a of node.arguments) {
      if (a.type === 'SpreadElement' || a.type === 'ArgumentPlaceholder') return undefined;
      out.push(this.value(a));
    }
    return out;
  }

  private callValue(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>): Value {
    if (node.callee.type === 'V8IntrinsicIdentifier' || node.callee.type === 'Import') return UNKNOWN;
    const callee = this.canon(node.callee);
    if (callee !== undefined) {
      const builtin = this.builtinCall(callee, node);
      if (builtin !== UNKNOWN) return builtin;
    }
    // Method calls on folded receivers: 'abc'.split('').reverse().join('')
    const c = unwrap(node.callee);
    if ((c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') && node.type !== 'NewExpression') {
      const method = this.propName(c.property, c.computed);
      if (method === undefined) return UNKNOWN;
      // Buffer.from(x, 'base64').toString(...)
      if (method === 'toString') {
        const decoded = this.bufferToString(unwrap(c.object), node.arguments[0] as Node | undefined);
        if (decoded !== UNKNOWN) return decoded;
      }
      const recv = this.value(c.object);
      if (recv === UNKNOWN || recv === HOLE) return UNKNOWN;
      const args = this.args(node);
      if (!args) return UNKNOWN;
      return applyMethod(recv, method, args);
    }
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier') {
      // Decoders of obfuscator-style string arrays, found by the string-array service. The
      // interpreter runs the decoder's own code first (right for any shape); the service's model
      // of the common shape answers when the interpreter cannot (budget spent, say).
      if (this.decoders.size) {
        const fn = this.functionNodeOf(node.callee);
        const decode = fn ? this.decoders.get(fn) : undefined;
        if (decode) {
          const run = this.interpretCall(node, node.callee);
          if (run !== UNKNOWN) return run;
          const args = this.args(node);
          return args ? decode(args) : UNKNOWN;
        }
      }
      // function-returns-constant
      const ret = this.singleReturn(node.callee.name, node.callee);
      if (ret) {
        const v = this.value(ret);
        if (v !== UNKNOWN && v !== HOLE) return v;
      }
      // Any other local function with constant arguments: run its own code (interpret.ts).
      return this.interpretCall(node, node.callee);
    }
    if (node.type === 'CallExpression' && (node.callee.type === 'FunctionExpression' || node.callee.type === 'ArrowFunctionExpression')) return this.interpretCall(node, node.callee);
    return UNKNOWN;
  }

  private interpreter?: Interpreter;
  /** Calls whose value came out of the interpreter: code that decodes (dynamic-code uses it). */
  readonly interpreted = new WeakSet<Node>();

  /**
   * A call of a function of this file that the folding rules do not know (a custom XOR, rotation or
   * table decoder): evaluated by the bounded interpreter when every argument is a constant and the
   * function is small. Outcomes are cached per function and arguments; a file's interpreter has a
   * budget of its own, after which calls stay unknown.
   */
  private interpretCall(node: Extract<Node, { type: 'CallExpression' }>, callee: Node): Value {
    if (this.interpreter?.exhausted) return UNKNOWN;
    let fn: Node | undefined;
    let scope: Node | undefined;
    if (callee.type === 'Identifier') {
      const decl = this.bindings.visible(callee.name, callee).find((b) => b.scope && !b.site && !b.path && b.init && (b.kind === 'function' || ((b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && isFunctionNode(unwrap(b.init)))));
      if (!decl) return UNKNOWN;
      fn = decl.kind === 'function' ? decl.init : unwrap(decl.init!);
      scope = decl.scope;
    } else fn = callee;
    if (!fn || fn.start == null || fn.end == null || fn.end - fn.start > MAX_INTERPRETED_BYTES) return UNKNOWN;
    const args: Plain[] = [];
    for (const a of node.arguments) {
      if (a.type === 'SpreadElement' || a.type === 'ArgumentPlaceholder') return UNKNOWN;
      const v = this.strictValue(a);
      if (!isPlain(v)) return UNKNOWN;
      args.push(v);
    }
    const key = JSON.stringify(args);
    if (key.length > MAX_STRING) return UNKNOWN;
    this.interpreter ??= new Interpreter();
    const out = callee.type === 'Identifier' ? this.interpreter.callIn(scope!, callee.name, args.map(fromPlain), key) : this.interpreter.callFunction(fn, args.map(fromPlain));
    if (!out.ok) return UNKNOWN;
    const plain = toPlain(out.value);
    if (plain === undefined) return UNKNOWN;
    this.interpreted.add(node);
    return plain;
  }

  /** Decoder functions: call -> decoded string. Filled by the string-array service. */
  readonly decoders = new Map<Node, (args: Value[]) => Value>();

  /** The single initializer an identifier is bound to, when there is exactly one. */
  initOf(id: Node): Node | undefined {
    if (id.type !== 'Identifier') return undefined;
    const list = withValues(this.bindings.visible(id.name, id));
    if (list.length !== 1 || this.bindings.isTainted(id.name)) return undefined;
    const b = list[0]!;
    return b.init && !b.path && !b.iterates && (b.kind === 'const' || b.kind === 'let' || b.kind === 'var') ? unwrap(b.init) : undefined;
  }

  /** The function an identifier names, through `const alias = fn` chains. */
  functionNodeOf(id: Node): Node | undefined {
    let n: Node = id;
    for (let i = 0; i < 6; i++) {
      if (isFunctionNode(n)) return n;
      if (n.type !== 'Identifier') return undefined;
      const list = this.bindings.visible(n.name, n);
      if (list.length !== 1) return undefined;
      const b = list[0]!;
      if (b.kind === 'function' && b.init) return b.init;
      if (!b.init || b.path) return undefined;
      n = unwrap(b.init);
    }
    return undefined;
  }

  private bufferToString(recv: Node, encArg: Node | undefined): Value {
    if (recv.type !== 'CallExpression' && recv.type !== 'NewExpression') return UNKNOWN;
    const callee = this.canon(recv.callee);
    if (callee !== 'Buffer.from' && callee !== 'Buffer' && callee !== 'buffer.Buffer.from' && callee !== 'Buffer.from.bind') return UNKNOWN;
    const src = recv.arguments[0];
    if (!src || src.type === 'SpreadElement' || src.type === 'ArgumentPlaceholder') return UNKNOWN;
    const inEnc = recv.arguments[1] ? this.strictValue(recv.arguments[1] as Node) : 'utf8';
    const outEnc = encArg ? this.strictValue(encArg) : 'utf8';
    const data = this.strictValue(src);
    if (typeof inEnc !== 'string' || typeof outEnc !== 'string') return UNKNOWN;
    let buf: Buffer;
    if (typeof data === 'string') {
      if (!Buffer.isEncoding(inEnc)) return UNKNOWN;
      buf = Buffer.from(data, inEnc);
    } else if (Array.isArray(data) && data.every((x) => typeof x === 'number')) {
      buf = Buffer.from(data as number[]);
    } else return UNKNOWN;
    if (!Buffer.isEncoding(outEnc)) return UNKNOWN;
    return buf.toString(outEnc);
  }

  private builtinCall(callee: string, node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>): Value {
    switch (callee) {
      case 'os.homedir':
        return '~';
      case 'os.tmpdir':
        return '/tmp';
      case 'require':
      case 'module.require':
      case 'process.mainModule.require':
      case 'require.main.require': {
        // `require('./version.json')` holding a string or a list.
        const j = this.jsonAt(node, 0);
        return j === undefined ? UNKNOWN : fromJson(j);
      }
      case 'Object.keys': {
        // `Object.keys(require('./package.json').bin)`: the package's command names.
        const arg = node.arguments[0];
        if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return UNKNOWN;
        const j = this.jsonAt(arg, 0);
        return j !== undefined && j !== null && typeof j === 'object' && !Array.isArray(j) ? Object.keys(j).slice(0, MAX_JSON_ELEMENTS) : UNKNOWN;
      }
      case 'process.cwd':
        return this.loose ? '<cwd>' : UNKNOWN;
      case 'String.fromCharCode':
      case 'String.fromCodePoint': {
        const args = this.args(node);
        if (!args || !args.every((a) => typeof a === 'number')) return UNKNOWN;
        try {
          return callee === 'String.fromCharCode' ? String.fromCharCode(...(args as number[])) : String.fromCodePoint(...(args as number[]));
        } catch {
          return UNKNOWN;
        }
      }
      case 'atob': {
        const s = this.strOf(node.arguments[0] as Node);
        return s === undefined ? UNKNOWN : Buffer.from(s, 'base64').toString('latin1');
      }
      case 'decodeURIComponent':
      case 'decodeURI':
      case 'unescape': {
        const s = this.strOf(node.arguments[0] as Node);
        if (s === undefined) return UNKNOWN;
        try {
          return callee === 'unescape' ? unescape(s) : callee === 'decodeURI' ? decodeURI(s) : decodeURIComponent(s);
        } catch {
          return UNKNOWN;
        }
      }
      case 'String': {
        const a = this.args(node);
        return a && a.length === 1 ? (this.asString(a[0]!) ?? UNKNOWN) : UNKNOWN;
      }
      case 'parseInt': {
        const a = this.args(node);
        if (!a || typeof a[0] !== 'string') return UNKNOWN;
        const radix = typeof a[1] === 'number' ? a[1] : undefined;
        const n = parseInt(a[0], radix);
        return Number.isNaN(n) ? UNKNOWN : n;
      }
      case 'path.join':
      case 'path.resolve':
      case 'path.posix.join':
      case 'path.win32.join':
      case 'path.posix.resolve':
      case 'path.win32.resolve': {
        const parts: string[] = [];
        for (const a of node.arguments) {
          if (a.type === 'SpreadElement' || a.type === 'ArgumentPlaceholder') return UNKNOWN;
          const v = this.value(a);
          const s = typeof v === 'string' ? v : undefined;
          if (s === undefined) return UNKNOWN;
          parts.push(s.replace(/\\/g, '/'));
        }
        if (parts.length === 0) return UNKNOWN;
        return path.posix.join(...parts);
      }
      default:
        return UNKNOWN;
    }
  }
}

/** Declarations without an initializer (`let x;`) say nothing about the value when assignments do. */
function withValues(list: readonly Binding[]): readonly Binding[] {
  if (list.length <= 1) return list;
  const valued = list.filter((b) => b.init || b.kind === 'param' || b.kind === 'import' || b.kind === 'function' || b.kind === 'class' || b.kind === 'opaque');
  return valued.length ? valued : list;
}

const MAX_JSON_ELEMENTS = 10_000;

/** A field of a JSON value: own properties only (`__proto__`, `constructor` of a plain object are not fields). */
function jsonChild(base: Json, key: string): Json | undefined {
  if (Array.isArray(base)) {
    if (key === 'length') return base.length;
    const i = Number(key);
    return Number.isInteger(i) && i >= 0 && i < base.length ? base[i] : undefined;
  }
  if (base === null || typeof base !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(base, key) ? base[key] : undefined;
}

/** A JSON value as the evaluator's Value: objects have no Value form (their fields do). */
function fromJson(j: Json, depth = 0): Value {
  if (j === null || typeof j === 'string' || typeof j === 'number' || typeof j === 'boolean') return j;
  if (Array.isArray(j) && j.length <= MAX_JSON_ELEMENTS && depth < 8) return j.map((x) => fromJson(x, depth + 1));
  return UNKNOWN;
}

/** A constant the interpreter can take: no unknown part anywhere. */
function isPlain(v: Value, depth = 0): v is Plain {
  if (v === UNKNOWN || depth > 32) return false;
  if (Array.isArray(v)) return v.length <= 100_000 && v.every((x) => isPlain(x, depth + 1));
  return true;
}

function sameValue(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]!));
  return a === b;
}

function applyMethod(recv: Value, method: string, args: Value[]): Value {
  const s0 = args[0];
  if (typeof recv === 'string') {
    switch (method) {
      case 'split':
        if (typeof s0 === 'string') return recv.split(s0).slice(0, 100000);
        return UNKNOWN;
      case 'concat':
        return args.every((a) => typeof a === 'string' || typeof a === 'number') ? recv.concat(...(args as string[])) : UNKNOWN;
      case 'toString':
      case 'valueOf':
      case 'trim':
      case 'trimStart':
      case 'trimEnd':
      case 'toLowerCase':
      case 'toUpperCase':
        return (recv[method] as () => string).call(recv);
      case 'replace':
      case 'replaceAll':
        return typeof s0 === 'string' && typeof args[1] === 'string' ? (recv[method] as (a: string, b: string) => string).call(recv, s0, args[1]) : UNKNOWN;
      case 'slice':
      case 'substring':
      case 'substr':
        return args.every((a) => typeof a === 'number') ? (recv[method] as (...n: number[]) => string).apply(recv, args as number[]) : UNKNOWN;
      case 'charAt':
        return typeof s0 === 'number' ? recv.charAt(s0) : UNKNOWN;
      case 'charCodeAt':
        return typeof s0 === 'number' ? recv.charCodeAt(s0) : UNKNOWN;
      case 'repeat':
        return typeof s0 === 'number' && s0 >= 0 && recv.length * s0 <= MAX_STRING ? recv.repeat(s0) : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }
  if (Array.isArray(recv)) {
    switch (method) {
      case 'join': {
        const sep = s0 === undefined ? ',' : typeof s0 === 'string' ? s0 : undefined;
        if (sep === undefined) return UNKNOWN;
        const parts: string[] = [];
        for (const x of recv) {
          if (typeof x === 'string' || typeof x === 'number') parts.push(String(x));
          else if (x === null) parts.push('');
          else return UNKNOWN;
        }
        return parts.join(sep);
      }
      case 'reverse':
        return [...recv].reverse();
      case 'concat':
        return recv.concat(...args.map((a): Value[] => (Array.isArray(a) ? a : [a])));
      case 'slice':
        return args.every((a) => typeof a === 'number') ? recv.slice(...(args as number[])) : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }
  if (typeof recv === 'number' && method === 'toString') {
    const radix = s0 === undefined ? 10 : s0;
    return typeof radix === 'number' && radix >= 2 && radix <= 36 ? recv.toString(radix) : UNKNOWN;
  }
  return UNKNOWN;
}

export type { Expression };
