import type { Node } from '@babel/types';

/**
 * A bounded, pure interpreter over the syntax tree, for the decoders the folding rules do not
 * know: a home-made XOR or rotation routine, reversed or chunked base64, arithmetic over code
 * points, a lookup table, a string-array decoder of any shape. Given a function of the scanned
 * file and constant arguments, it walks that function's own code and returns what it computes.
 *
 * Nothing of the scanned code runs on the host: this is a tree walk written here, never `vm`,
 * `eval` or `Function`. Its values are primitives and its own arrays, plain objects, byte buffers
 * and closures; there is no global object. The built-ins are pure functions implemented here or
 * host functions applied to primitives only (String/Array/Math/Number/JSON methods, atob/btoa,
 * Buffer.from(…).toString(…) for base64, hex, utf8 and latin1, TextDecoder for utf8, parseInt).
 * Any other global (process, require, globalThis, eval, Function, timers, Date, Math.random), any
 * reflection (`constructor`, `__proto__`, `prototype`, getters, defineProperty) or a `this` that
 * would be the host's aborts that evaluation, as does running past a bound (steps, call depth,
 * string or array size, time).
 *
 * Names a function closes over come from replaying the scopes around it: each enclosing scope's
 * statements run here one by one, and a statement that aborts (it touches the host) leaves the
 * names it declares or assigns unknown, so reading them aborts too. String-array rotations,
 * lookup tables and key constants come out right; a value that depends on the host never does.
 */

// ---------- values ----------

/**
 * Replay statement during which a container was last changed (see Interpreter.scopeEnv): an
 * array a statement was rotating when it aborted holds a half-done result.
 */
let epoch = 0;

export class IArray {
  touched = 0;
  constructor(public items: IValue[]) {}
}
export class IObject {
  readonly props = new Map<string, IValue>();
  frozen = false;
  touched = 0;
}
export class IBytes {
  touched = 0;
  constructor(public bytes: Uint8Array) {}
}

function touch(v: IArray | IObject | IBytes): void {
  v.touched = epoch;
}
export class IRegExp {
  lastIndex = 0;
  constructor(
    readonly source: string,
    readonly flags: string,
  ) {}
}
type FnNode = Extract<Node, { type: 'FunctionDeclaration' | 'FunctionExpression' | 'ArrowFunctionExpression' | 'ObjectMethod' }>;
export class IClosure {
  constructor(
    readonly fn: FnNode,
    readonly env: Env,
  ) {}
}
type NativeFn = (self: IValue, args: IValue[], m: Machine) => IValue;
export class INative {
  props?: Map<string, IValue>;
  constructor(
    readonly name: string,
    readonly call: NativeFn,
    readonly construct?: (args: IValue[], m: Machine) => IValue,
  ) {}
}
export type IValue = string | number | boolean | null | undefined | IArray | IObject | IBytes | IRegExp | IClosure | INative;

/** A binding whose value depends on the host (or was never computed): reading it aborts. */
const OPAQUE: unique symbol = Symbol('opaque');
type Slot = { v: IValue | typeof OPAQUE; konst: boolean };

export class Env {
  readonly vars = new Map<string, Slot>();
  /** `this` of a function scope; undefined means "the host's" (reading it aborts). */
  thisValue?: { v: IValue };
  constructor(readonly parent: Env | undefined) {}
  declare(name: string, v: IValue | typeof OPAQUE, konst = false): void {
    this.vars.set(name, { v, konst });
  }
  find(name: string): Slot | undefined {
    for (let e: Env | undefined = this; e; e = e.parent) {
      const s = e.vars.get(name);
      if (s) return s;
    }
    return undefined;
  }
}

// ---------- outcomes ----------

export type AbortReason = 'steps' | 'depth' | 'size' | 'time' | 'host' | 'reflection' | 'unsupported' | 'unknown' | 'throw';

export class Abort {
  constructor(
    readonly reason: AbortReason,
    readonly detail: string,
  ) {}
}
/** A value thrown by the interpreted code (catchable by its own try/catch). */
class Thrown {
  constructor(readonly value: IValue) {}
}

export interface Limits {
  /** Nodes evaluated plus work charged by built-ins (one step per ~32 characters or elements). */
  maxSteps: number;
  /** Interpreted call depth. */
  maxDepth: number;
  maxString: number;
  maxArray: number;
  maxMs: number;
}

export const DEFAULT_LIMITS: Limits = { maxSteps: 200_000, maxDepth: 64, maxString: 1 << 20, maxArray: 100_000, maxMs: 250 };

export interface Counters {
  steps: number;
  /** Deepest interpreted call reached. */
  depth: number;
  /** Longest string and largest array produced. */
  string: number;
  array: number;
}

export type Outcome = { ok: true; value: IValue; counters: Counters } | { ok: false; reason: AbortReason; detail: string; counters: Counters };

/** Syntax nesting (not calls) past which a walk aborts before the host's stack would. */
const MAX_NEST = 1200;

type Completion = undefined | { kind: 'return'; value: IValue } | { kind: 'break' | 'continue'; label?: string };

const FORBIDDEN_KEYS = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'caller', 'callee', 'arguments']);

// ---------- the machine: one bounded evaluation ----------

export class Machine {
  readonly counters: Counters = { steps: 0, depth: 0, string: 0, array: 0 };
  private callDepth = 0;
  private nest = 0;
  private readonly deadline: number;

  constructor(readonly limits: Limits) {
    this.deadline = performance.now() + limits.maxMs;
  }

  step(n = 1): void {
    const c = this.counters;
    const before = c.steps;
    c.steps += n;
    if (c.steps > this.limits.maxSteps) throw new Abort('steps', `more than ${this.limits.maxSteps} steps`);
    if ((before >> 10) !== (c.steps >> 10) && performance.now() > this.deadline) throw new Abort('time', `more than ${this.limits.maxMs} ms`);
  }

  /** Charge work proportional to a size (built-ins over long strings and arrays). */
  charge(size: number): void {
    if (size > 64) this.step(size >> 5);
  }

  str(s: string): string {
    if (s.length > this.counters.string) {
      if (s.length > this.limits.maxString) throw new Abort('size', `a string of more than ${this.limits.maxString} characters`);
      this.counters.string = s.length;
    }
    return s;
  }

  arrLen(n: number): void {
    if (n > this.counters.array) {
      if (n > this.limits.maxArray) throw new Abort('size', `an array of more than ${this.limits.maxArray} elements`);
      this.counters.array = n;
    }
  }

  arr(items: IValue[]): IArray {
    this.arrLen(items.length);
    this.charge(items.length);
    return new IArray(items);
  }

  throwError(name: string, message: string): never {
    const o = new IObject();
    o.props.set('name', name);
    o.props.set('message', message);
    throw new Thrown(o);
  }

  // ----- calls -----

  call(fnv: IValue, self: IValue, args: IValue[]): IValue {
    if (fnv instanceof IClosure) return this.invoke(fnv, self, args);
    if (fnv instanceof INative) return this.native(fnv, self, args);
    return this.throwError('TypeError', `${typeName(fnv)} is not a function`);
  }

  private native(fn: INative, self: IValue, args: IValue[]): IValue {
    this.step();
    try {
      return fn.call(self, args, this);
    } catch (e) {
      throw this.hostError(e);
    }
  }

  /** Errors raised by host functions on primitives become the scanned code's own exceptions. */
  hostError(e: unknown): unknown {
    if (e instanceof Abort || e instanceof Thrown) return e;
    if (e instanceof RangeError && /call stack/i.test(e.message)) return new Abort('depth', 'the host stack');
    const err = e as Error;
    const o = new IObject();
    o.props.set('name', String(err?.name ?? 'Error'));
    o.props.set('message', String(err?.message ?? ''));
    return new Thrown(o);
  }

  invoke(c: IClosure, self: IValue, args: IValue[]): IValue {
    const fn = c.fn;
    if (fn.async || fn.generator) throw new Abort('unsupported', 'async or generator function');
    if (++this.callDepth > this.limits.maxDepth) throw new Abort('depth', `calls nested more than ${this.limits.maxDepth} deep`);
    if (this.callDepth > this.counters.depth) this.counters.depth = this.callDepth;
    try {
      const env = new Env(c.env);
      if (fn.type !== 'ArrowFunctionExpression') {
        env.thisValue = self === undefined ? undefined : { v: self };
        env.declare('arguments', this.arr([...args]));
        if (fn.type === 'FunctionExpression' && fn.id) env.declare(fn.id.name, c);
      }
      for (let i = 0; i < fn.params.length; i++) {
        const p = fn.params[i]!;
        if (p.type === 'RestElement') {
          this.bind(p.argument, this.arr(args.slice(i)), env, 'let');
          break;
        }
        this.bind(p as Node, args[i], env, 'let');
      }
      if (fn.body.type !== 'BlockStatement') return this.expr(fn.body, env);
      this.hoist(fn.body.body, env, true);
      const done = this.stmts(fn.body.body, env);
      return done?.kind === 'return' ? done.value : undefined;
    } finally {
      this.callDepth--;
    }
  }

  // ----- declarations -----

  /** Declare what a statement list declares before it runs: functions, `var`s (function scope), let/const (unset). */
  hoist(body: readonly Node[], env: Env, functionScope: boolean): void {
    for (const s of body) {
      const d = s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' ? (s.declaration as Node | null) : s;
      if (!d) continue;
      if (d.type === 'FunctionDeclaration' && d.id) env.declare(d.id.name, new IClosure(d, env));
      else if (d.type === 'VariableDeclaration' && d.kind !== 'var') for (const x of d.declarations) for (const n of patternNames(x.id)) env.declare(n, OPAQUE, d.kind === 'const');
      else if (d.type === 'ClassDeclaration' && d.id) env.declare(d.id.name, OPAQUE);
    }
    if (functionScope) for (const n of varNames(body)) if (!env.vars.has(n)) env.declare(n, undefined);
  }

  bind(target: Node, value: IValue, env: Env, kind: 'var' | 'let' | 'const' | 'assign'): void {
    this.step();
    switch (target.type) {
      case 'Identifier':
        if (kind === 'assign') return this.assignName(target.name, value, env);
        if (kind === 'var') {
          const s = env.find(target.name);
          if (s) s.v = value;
          else env.declare(target.name, value);
          return;
        }
        env.declare(target.name, value, kind === 'const');
        return;
      case 'AssignmentPattern':
        return this.bind(target.left, value === undefined ? this.expr(target.right, env) : value, env, kind);
      case 'ArrayPattern': {
        const items = this.iterate(value);
        target.elements.forEach((el, i) => {
          if (!el) return;
          if (el.type === 'RestElement') this.bind(el.argument, this.arr(items.slice(i)), env, kind);
          else this.bind(el, items[i], env, kind);
        });
        return;
      }
      case 'ObjectPattern': {
        const used = new Set<string>();
        for (const p of target.properties) {
          if (p.type === 'RestElement') {
            const rest = new IObject();
            if (value instanceof IObject) for (const [k, v] of value.props) if (!used.has(k)) rest.props.set(k, v);
            this.bind(p.argument, rest, env, kind);
            continue;
          }
          const key = p.computed ? this.key(this.expr(p.key, env)) : p.key.type === 'Identifier' ? p.key.name : this.key(this.literal(p.key));
          used.add(key);
          this.bind(p.value as Node, this.get(value, key), env, kind);
        }
        return;
      }
      case 'MemberExpression':
        if (kind !== 'assign') throw new Abort('unsupported', 'member pattern in a declaration');
        this.set(this.expr(target.object, env), this.memberKey(target, env), value);
        return;
      default:
        throw new Abort('unsupported', `pattern ${target.type}`);
    }
  }

  private assignName(name: string, value: IValue, env: Env): void {
    const s = env.find(name);
    if (!s) throw new Abort('host', `assignment to global ${name}`);
    if (s.konst && s.v !== OPAQUE) this.throwError('TypeError', 'Assignment to constant variable.');
    s.v = value;
  }

  lookup(name: string, env: Env): IValue {
    const s = env.find(name);
    if (s) {
      if (s.v === OPAQUE) throw new Abort('unknown', `${name} depends on the host`);
      return s.v;
    }
    const g = GLOBALS.get(name);
    if (g !== undefined || GLOBAL_UNDEFINED.has(name)) return g;
    throw new Abort('host', `global ${name}`);
  }

  // ----- statements -----

  stmts(body: readonly Node[], env: Env): Completion {
    for (const s of body) {
      const c = this.stmt(s, env);
      if (c) return c;
    }
    return undefined;
  }

  stmt(node: Node, env: Env): Completion {
    this.step();
    if (++this.nest > MAX_NEST) throw new Abort('depth', 'syntax nested too deep');
    try {
      return this.stmtInner(node, env);
    } finally {
      this.nest--;
    }
  }

  private block(body: readonly Node[], env: Env): Completion {
    const inner = needsScope(body) ? new Env(env) : env;
    if (inner !== env) this.hoist(body, inner, false);
    return this.stmts(body, inner);
  }

  private stmtInner(node: Node, env: Env): Completion {
    switch (node.type) {
      case 'ExpressionStatement':
        this.expr(node.expression, env);
        return undefined;
      case 'VariableDeclaration':
        for (const d of node.declarations) {
          const v = d.init ? this.expr(d.init, env) : undefined;
          if (!d.init && node.kind === 'var') continue;
          this.bind(d.id, v, env, node.kind === 'var' ? 'var' : node.kind === 'const' ? 'const' : 'let');
        }
        return undefined;
      case 'FunctionDeclaration':
      case 'EmptyStatement':
      case 'DebuggerStatement':
      case 'TSInterfaceDeclaration':
      case 'TSTypeAliasDeclaration':
      case 'TSDeclareFunction':
        return undefined;
      case 'ReturnStatement':
        return { kind: 'return', value: node.argument ? this.expr(node.argument, env) : undefined };
      case 'IfStatement':
        if (truthy(this.expr(node.test, env))) return this.stmt(node.consequent, env);
        return node.alternate ? this.stmt(node.alternate, env) : undefined;
      case 'BlockStatement':
        return this.block(node.body, env);
      case 'ForStatement':
        return this.forStatement(node, env);
      case 'WhileStatement':
        return this.loop(node, env, () => truthy(this.expr(node.test, env)), node.body, false);
      case 'DoWhileStatement':
        return this.loop(node, env, () => truthy(this.expr(node.test, env)), node.body, true);
      case 'ForOfStatement':
      case 'ForInStatement': {
        if (node.type === 'ForOfStatement' && node.await) throw new Abort('unsupported', 'for await');
        const src = this.expr(node.right, env);
        const items = node.type === 'ForOfStatement' ? this.iterate(src) : this.keys(src);
        const label = labelOf(node);
        for (const item of items) {
          this.step();
          const inner = new Env(env);
          const left = node.left;
          if (left.type === 'VariableDeclaration') this.bind(left.declarations[0]!.id, item, left.kind === 'var' ? env : inner, left.kind === 'var' ? 'var' : 'let');
          else this.bind(left as Node, item, env, 'assign');
          const c = this.stmt(node.body, inner);
          if (c?.kind === 'return') return c;
          if (c?.kind === 'break') {
            if (!c.label || c.label === label) break;
            return c;
          }
          if (c?.kind === 'continue' && c.label && c.label !== label) return c;
        }
        return undefined;
      }
      case 'BreakStatement':
        return { kind: 'break', label: node.label?.name };
      case 'ContinueStatement':
        return { kind: 'continue', label: node.label?.name };
      case 'LabeledStatement': {
        const c = this.stmt(node.body, env);
        if (c?.kind === 'break' && c.label === node.label.name) return undefined;
        return c;
      }
      case 'ThrowStatement':
        throw new Thrown(this.expr(node.argument, env));
      case 'TryStatement':
        return this.tryStatement(node, env);
      case 'SwitchStatement': {
        const d = this.expr(node.discriminant, env);
        const inner = new Env(env);
        this.hoist(node.cases.flatMap((c) => c.consequent), inner, false);
        let matched = -1;
        for (let i = 0; i < node.cases.length && matched < 0; i++) {
          const t = node.cases[i]!.test;
          if (t && strictEquals(d, this.expr(t, inner))) matched = i;
        }
        if (matched < 0) matched = node.cases.findIndex((c) => !c.test);
        if (matched < 0) return undefined;
        for (let i = matched; i < node.cases.length; i++) {
          const c = this.stmts(node.cases[i]!.consequent, inner);
          if (c?.kind === 'break' && !c.label) return undefined;
          if (c) return c;
        }
        return undefined;
      }
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration': {
        // The declaration runs; what is exported to whom is the module system's business.
        const d = node.declaration as Node | null;
        if (!d || d.type === 'FunctionDeclaration' || d.type === 'TSInterfaceDeclaration' || d.type === 'TSTypeAliasDeclaration') return undefined;
        if (node.type === 'ExportDefaultDeclaration' && d.type !== 'ClassDeclaration' && d.type !== 'VariableDeclaration') {
          this.expr(d, env);
          return undefined;
        }
        return this.stmt(d, env);
      }
      case 'ExportAllDeclaration':
        return undefined;
      default:
        throw new Abort('unsupported', `statement ${node.type}`);
    }
  }

  private loop(node: Node, env: Env, test: () => boolean, body: Node, doFirst: boolean): Completion {
    const label = labelOf(node);
    for (let first = true; ; first = false) {
      this.step();
      if (!(doFirst && first) && !test()) return undefined;
      const c = this.stmt(body, env);
      if (c?.kind === 'return') return c;
      if (c?.kind === 'break') {
        if (!c.label || c.label === label) return undefined;
        return c;
      }
      if (c?.kind === 'continue' && c.label && c.label !== label) return c;
    }
  }

  private forStatement(node: Extract<Node, { type: 'ForStatement' }>, env: Env): Completion {
    const label = labelOf(node);
    const lexical = node.init?.type === 'VariableDeclaration' && node.init.kind !== 'var';
    let loopEnv = lexical ? new Env(env) : env;
    if (node.init) {
      if (node.init.type === 'VariableDeclaration') this.stmt(node.init, loopEnv);
      else this.expr(node.init, loopEnv);
    }
    for (;;) {
      this.step();
      if (node.test && !truthy(this.expr(node.test, loopEnv))) return undefined;
      const c = this.stmt(node.body, loopEnv);
      if (c?.kind === 'return') return c;
      if (c?.kind === 'break') {
        if (!c.label || c.label === label) return undefined;
        return c;
      }
      if (c?.kind === 'continue' && c.label && c.label !== label) return c;
      if (lexical) {
        // Each iteration has its own copy of the loop's let bindings (closures keep theirs).
        const next = new Env(env);
        for (const [k, s] of loopEnv.vars) next.vars.set(k, { ...s });
        loopEnv = next;
      }
      if (node.update) this.expr(node.update, loopEnv);
    }
  }

  private tryStatement(node: Extract<Node, { type: 'TryStatement' }>, env: Env): Completion {
    let result: Completion;
    try {
      result = this.block(node.block.body, env);
    } catch (e) {
      const err = this.hostError(e);
      if (!(err instanceof Thrown) || !node.handler) {
        if (node.finalizer && !(err instanceof Abort)) {
          const f = this.block(node.finalizer.body, env);
          if (f) return f;
        }
        throw err;
      }
      const inner = new Env(env);
      if (node.handler.param) this.bind(node.handler.param, err.value, inner, 'let');
      try {
        result = this.block(node.handler.body.body, inner);
      } catch (e2) {
        const err2 = this.hostError(e2);
        if (node.finalizer && !(err2 instanceof Abort)) {
          const f = this.block(node.finalizer.body, env);
          if (f) return f;
        }
        throw err2;
      }
    }
    if (node.finalizer) {
      const f = this.block(node.finalizer.body, env);
      if (f) return f;
    }
    return result;
  }

  // ----- expressions -----

  expr(node: Node, env: Env): IValue {
    const v = this.chain(node, env);
    return v === SHORT ? undefined : v;
  }

  /** Like expr, but an optional chain that short-circuits returns SHORT to its enclosing link. */
  private chain(node: Node, env: Env): IValue | typeof SHORT {
    this.step();
    if (++this.nest > MAX_NEST) throw new Abort('depth', 'syntax nested too deep');
    try {
      return this.exprInner(node, env);
    } finally {
      this.nest--;
    }
  }

  private literal(node: Node): IValue {
    switch (node.type) {
      case 'StringLiteral':
        return node.value;
      case 'NumericLiteral':
        return node.value;
      case 'BooleanLiteral':
        return node.value;
      case 'NullLiteral':
        return null;
      default:
        throw new Abort('unsupported', `key ${node.type}`);
    }
  }

  private exprInner(node: Node, env: Env): IValue | typeof SHORT {
    switch (node.type) {
      case 'StringLiteral':
      case 'NumericLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
        return this.literal(node);
      case 'RegExpLiteral':
        return new IRegExp(node.pattern, node.flags);
      case 'TemplateLiteral': {
        let out = '';
        for (let i = 0; i < node.quasis.length; i++) {
          const q = node.quasis[i]!;
          if (q.value.cooked == null) throw new Abort('unsupported', 'invalid escape in a template');
          out += q.value.cooked;
          if (i < node.expressions.length) out = this.str(out + this.toStr(this.expr(node.expressions[i] as Node, env)));
        }
        return this.str(out);
      }
      case 'TaggedTemplateExpression': {
        if (node.tag.type === 'MemberExpression' && node.tag.object.type === 'Identifier' && node.tag.object.name === 'String' && node.tag.property.type === 'Identifier' && node.tag.property.name === 'raw' && !env.find('String')) {
          let out = '';
          node.quasi.quasis.forEach((q, i) => {
            out += q.value.raw;
            if (i < node.quasi.expressions.length) out += this.toStr(this.expr(node.quasi.expressions[i] as Node, env));
          });
          return this.str(out);
        }
        throw new Abort('unsupported', 'tagged template');
      }
      case 'Identifier':
        if (node.name === 'undefined' && !env.find('undefined')) return undefined;
        return this.lookup(node.name, env);
      case 'ThisExpression': {
        for (let e: Env | undefined = env; e; e = e.parent) {
          if (e.thisValue) return e.thisValue.v;
          if (e.vars.has('arguments')) break; // a non-arrow function scope without a bound this
        }
        throw new Abort('host', 'this of the host');
      }
      case 'ParenthesizedExpression':
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
      case 'TypeCastExpression':
        return this.chain(node.expression, env);
      case 'ArrayExpression': {
        const out: IValue[] = [];
        for (const el of node.elements) {
          if (!el) out.push(undefined);
          else if (el.type === 'SpreadElement') out.push(...this.iterate(this.expr(el.argument, env)));
          else out.push(this.expr(el, env));
          this.arrLen(out.length);
        }
        return this.arr(out);
      }
      case 'ObjectExpression': {
        const o = new IObject();
        for (const p of node.properties) {
          if (p.type === 'SpreadElement') {
            const src = this.expr(p.argument, env);
            if (src instanceof IObject) for (const [k, v] of src.props) o.props.set(k, v);
            else if (src instanceof IArray) src.items.forEach((v, i) => o.props.set(String(i), v));
            else if (typeof src === 'string') [...src].forEach((v, i) => o.props.set(String(i), v));
            continue;
          }
          const key = p.computed ? this.key(this.expr(p.key, env)) : p.key.type === 'Identifier' ? p.key.name : this.key(this.literal(p.key));
          if (FORBIDDEN_KEYS.has(key)) throw new Abort('reflection', `property ${key}`);
          if (p.type === 'ObjectMethod') {
            if (p.kind !== 'method') throw new Abort('reflection', `${p.kind}ter`);
            o.props.set(key, new IClosure(p, env));
          } else o.props.set(key, this.expr(p.value as Node, env));
        }
        this.charge(o.props.size);
        return o;
      }
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return new IClosure(node, env);
      case 'SequenceExpression': {
        let v: IValue;
        for (const e of node.expressions) v = this.expr(e, env);
        return v!;
      }
      case 'ConditionalExpression':
        return this.expr(truthy(this.expr(node.test, env)) ? node.consequent : node.alternate, env);
      case 'LogicalExpression': {
        const l = this.expr(node.left, env);
        if (node.operator === '&&') return truthy(l) ? this.expr(node.right, env) : l;
        if (node.operator === '||') return truthy(l) ? l : this.expr(node.right, env);
        return l === null || l === undefined ? this.expr(node.right, env) : l;
      }
      case 'UnaryExpression':
        return this.unary(node, env);
      case 'BinaryExpression': {
        if (node.left.type === 'PrivateName') throw new Abort('unsupported', 'private name');
        return this.binary(node.operator, this.expr(node.left, env), this.expr(node.right, env));
      }
      case 'AssignmentExpression':
        return this.assign(node, env);
      case 'UpdateExpression': {
        const arg = node.argument;
        const read = (): IValue => (arg.type === 'Identifier' ? this.lookup(arg.name, env) : this.expr(arg as Node, env));
        if (arg.type === 'Identifier') {
          const old = this.toNum(read());
          const next = node.operator === '++' ? old + 1 : old - 1;
          this.assignName(arg.name, next, env);
          return node.prefix ? next : old;
        }
        if (arg.type === 'MemberExpression') {
          const obj = this.expr(arg.object, env);
          const key = this.memberKey(arg, env);
          const old = this.toNum(this.get(obj, key));
          const next = node.operator === '++' ? old + 1 : old - 1;
          this.set(obj, key, next);
          return node.prefix ? next : old;
        }
        throw new Abort('unsupported', 'update target');
      }
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const obj = this.chain(node.object, env);
        if (obj === SHORT) return SHORT;
        if (node.type === 'OptionalMemberExpression' && node.optional && (obj === null || obj === undefined)) return SHORT;
        return this.get(obj, this.memberKey(node, env));
      }
      case 'CallExpression':
      case 'OptionalCallExpression':
        return this.callExpr(node, env);
      case 'NewExpression': {
        const callee = this.expr(node.callee as Node, env);
        const args = this.args(node.arguments as Node[], env);
        if (callee instanceof INative && callee.construct) {
          this.step();
          try {
            return callee.construct(args, this);
          } catch (e) {
            throw this.hostError(e);
          }
        }
        throw new Abort('unsupported', 'new of a non built-in');
      }
      default:
        throw new Abort(node.type === 'MetaProperty' || node.type === 'Import' || node.type === 'Super' ? 'host' : 'unsupported', `expression ${node.type}`);
    }
  }

  private callExpr(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' }>, env: Env): IValue | typeof SHORT {
    const callee = node.callee;
    if (callee.type === 'Import' || callee.type === 'Super' || callee.type === 'V8IntrinsicIdentifier') throw new Abort('host', callee.type);
    let self: IValue;
    let fnv: IValue | typeof SHORT;
    if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
      const obj = this.chain(callee.object, env);
      if (obj === SHORT) return SHORT;
      if (callee.type === 'OptionalMemberExpression' && callee.optional && (obj === null || obj === undefined)) return SHORT;
      self = obj;
      fnv = this.get(obj, this.memberKey(callee, env));
    } else {
      fnv = this.chain(callee as Node, env);
      if (fnv === SHORT) return SHORT;
    }
    if (node.type === 'OptionalCallExpression' && node.optional && (fnv === null || fnv === undefined)) return SHORT;
    return this.call(fnv, self, this.args(node.arguments as Node[], env));
  }

  private args(list: Node[], env: Env): IValue[] {
    const out: IValue[] = [];
    for (const a of list) {
      if (a.type === 'SpreadElement') out.push(...this.iterate(this.expr(a.argument, env)));
      else if (a.type === 'ArgumentPlaceholder') throw new Abort('unsupported', 'argument placeholder');
      else out.push(this.expr(a, env));
    }
    this.arrLen(out.length);
    return out;
  }

  private memberKey(node: Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>, env: Env): string {
    if (!node.computed) {
      if (node.property.type === 'Identifier') return node.property.name;
      throw new Abort('unsupported', 'private member');
    }
    return this.key(this.expr(node.property as Node, env));
  }

  key(v: IValue): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
    return this.toStr(v);
  }

  private unary(node: Extract<Node, { type: 'UnaryExpression' }>, env: Env): IValue {
    if (node.operator === 'typeof') {
      if (node.argument.type === 'Identifier' && !env.find(node.argument.name) && !GLOBALS.has(node.argument.name) && !GLOBAL_UNDEFINED.has(node.argument.name)) throw new Abort('host', `typeof ${node.argument.name}`);
      return typeName(this.expr(node.argument, env));
    }
    if (node.operator === 'delete') {
      const a = node.argument;
      if (a.type !== 'MemberExpression') return true;
      const obj = this.expr(a.object, env);
      const key = this.memberKey(a, env);
      if (FORBIDDEN_KEYS.has(key)) throw new Abort('reflection', `delete ${key}`);
      if (obj instanceof IObject || obj instanceof IArray) touch(obj);
      if (obj instanceof IObject && !obj.frozen) obj.props.delete(key);
      else if (obj instanceof IArray && isIndex(key) && Number(key) < obj.items.length) obj.items[Number(key)] = undefined;
      return true;
    }
    const v = this.expr(node.argument, env);
    switch (node.operator) {
      case '!':
        return !truthy(v);
      case '-':
        return -this.toNum(v);
      case '+':
        return this.toNum(v);
      case '~':
        return ~this.toNum(v);
      case 'void':
        return undefined;
      default:
        throw new Abort('unsupported', `operator ${node.operator}`);
    }
  }

  binary(op: string, a: IValue, b: IValue): IValue {
    switch (op) {
      case '+': {
        const pa = this.toPrim(a);
        const pb = this.toPrim(b);
        if (typeof pa === 'string' || typeof pb === 'string') {
          const sa = this.toStr(pa);
          const sb = this.toStr(pb);
          if (sa.length + sb.length > this.limits.maxString) throw new Abort('size', `a string of more than ${this.limits.maxString} characters`);
          return this.str(sa + sb);
        }
        return this.toNum(pa) + this.toNum(pb);
      }
      case '-': return this.toNum(a) - this.toNum(b);
      case '*': return this.toNum(a) * this.toNum(b);
      case '/': return this.toNum(a) / this.toNum(b);
      case '%': return this.toNum(a) % this.toNum(b);
      case '**': return this.toNum(a) ** this.toNum(b);
      case '^': return this.toNum(a) ^ this.toNum(b);
      case '|': return this.toNum(a) | this.toNum(b);
      case '&': return this.toNum(a) & this.toNum(b);
      case '<<': return this.toNum(a) << this.toNum(b);
      case '>>': return this.toNum(a) >> this.toNum(b);
      case '>>>': return this.toNum(a) >>> this.toNum(b);
      case '===': return strictEquals(a, b);
      case '!==': return !strictEquals(a, b);
      case '==': return this.looseEquals(a, b);
      case '!=': return !this.looseEquals(a, b);
      case '<': case '>': case '<=': case '>=': {
        const pa = this.toPrim(a);
        const pb = this.toPrim(b);
        const [x, y] = typeof pa === 'string' && typeof pb === 'string' ? [pa, pb] : [this.toNum(pa), this.toNum(pb)];
        return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
      }
      case 'in': {
        const k = this.key(a);
        if (b instanceof IObject) return b.props.has(k);
        if (b instanceof IArray) return k === 'length' || (isIndex(k) && Number(k) < b.items.length);
        throw new Abort('unsupported', 'in on a non-object');
      }
      case 'instanceof':
        if (b === GLOBALS.get('Array')) return a instanceof IArray;
        if (b === GLOBALS.get('Uint8Array') || b === BUFFER) return a instanceof IBytes;
        if (b === GLOBALS.get('RegExp')) return a instanceof IRegExp;
        if (b === GLOBALS.get('Object')) return a instanceof IObject || a instanceof IArray || a instanceof IBytes || a instanceof IRegExp || a instanceof IClosure || a instanceof INative;
        throw new Abort('unsupported', 'instanceof');
      default:
        throw new Abort('unsupported', `operator ${op}`);
    }
  }

  private looseEquals(a: IValue, b: IValue): boolean {
    if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
    if (a === null || a === undefined || b === null || b === undefined) return false;
    if (typeof a === 'object' && typeof b === 'object') return a === b;
    const pa = this.toPrim(a);
    const pb = this.toPrim(b);
    // Both primitives now: the host's == on primitives is pure.
    return (pa as string | number | boolean) == (pb as string | number | boolean);
  }

  private assign(node: Extract<Node, { type: 'AssignmentExpression' }>, env: Env): IValue {
    const op = node.operator;
    const left = node.left;
    if (op === '=') {
      if (left.type === 'Identifier') {
        const v = this.expr(node.right, env);
        this.assignName(left.name, v, env);
        return v;
      }
      if (left.type === 'MemberExpression') {
        const obj = this.expr(left.object, env);
        const key = this.memberKey(left, env);
        const v = this.expr(node.right, env);
        this.set(obj, key, v);
        return v;
      }
      const v = this.expr(node.right, env);
      this.bind(left as Node, v, env, 'assign');
      return v;
    }
    let read: () => IValue;
    let write: (v: IValue) => void;
    if (left.type === 'Identifier') {
      read = () => this.lookup(left.name, env);
      write = (v) => this.assignName(left.name, v, env);
    } else if (left.type === 'MemberExpression') {
      const obj = this.expr(left.object, env);
      const key = this.memberKey(left, env);
      read = () => this.get(obj, key);
      write = (v) => this.set(obj, key, v);
    } else throw new Abort('unsupported', 'compound assignment target');
    const cur = read();
    if (op === '&&=' || op === '||=' || op === '??=') {
      const skip = op === '&&=' ? !truthy(cur) : op === '||=' ? truthy(cur) : cur !== null && cur !== undefined;
      if (skip) return cur;
      const v = this.expr(node.right, env);
      write(v);
      return v;
    }
    const v = this.binary(op.slice(0, -1), cur, this.expr(node.right, env));
    write(v);
    return v;
  }

  // ----- property access -----

  get(obj: IValue, key: string): IValue {
    if (FORBIDDEN_KEYS.has(key)) {
      // Array.prototype.map.call(…) and String.prototype.… name built-ins this file knows; nothing else.
      if (key === 'prototype' && obj instanceof INative && obj.props?.has('prototype')) return obj.props.get('prototype');
      throw new Abort('reflection', `property ${key}`);
    }
    if (typeof obj === 'string') {
      if (key === 'length') return obj.length;
      if (isIndex(key)) return obj[Number(key)];
      return STRING_METHODS.get(key) ?? this.notFound(key);
    }
    if (obj instanceof IArray) {
      if (key === 'length') return obj.items.length;
      if (isIndex(key)) return obj.items[Number(key)];
      return ARRAY_METHODS.get(key) ?? this.notFound(key);
    }
    if (obj instanceof IObject) {
      if (obj.props.has(key)) return obj.props.get(key);
      return OBJECT_METHODS.get(key);
    }
    if (obj instanceof IBytes) {
      if (key === 'length' || key === 'byteLength') return obj.bytes.length;
      if (isIndex(key)) return obj.bytes[Number(key)];
      return BYTES_METHODS.get(key) ?? ARRAY_METHODS.get(key) ?? this.notFound(key);
    }
    if (typeof obj === 'number') return NUMBER_METHODS.get(key) ?? this.notFound(key);
    if (typeof obj === 'boolean') return key === 'toString' || key === 'valueOf' ? NUMBER_METHODS.get(key) : this.notFound(key);
    if (obj instanceof IRegExp) {
      if (key === 'source') return obj.source;
      if (key === 'flags') return obj.flags;
      if (key === 'global') return obj.flags.includes('g');
      if (key === 'lastIndex') return obj.lastIndex;
      return REGEXP_METHODS.get(key) ?? this.notFound(key);
    }
    if (obj instanceof IClosure || obj instanceof INative) {
      if (obj instanceof INative && obj.props?.has(key)) return obj.props.get(key);
      const m = FUNCTION_METHODS.get(key);
      if (m) return m;
      if (key === 'name') return obj instanceof INative ? obj.name : obj.fn.type !== 'ArrowFunctionExpression' && obj.fn.type !== 'ObjectMethod' && obj.fn.id ? obj.fn.id.name : '';
      if (key === 'length' && obj instanceof IClosure) return obj.fn.params.length;
      // toString() of a function is its source: self-checks of obfuscators read it; not modelled.
      throw new Abort('reflection', `function property ${key}`);
    }
    return this.throwError('TypeError', `Cannot read properties of ${obj === null ? 'null' : 'undefined'} (reading '${key}')`);
  }

  private notFound(key: string): IValue {
    if (key === 'toLocaleString' || key === 'localeCompare' || key === 'normalize' || key.startsWith('@@')) throw new Abort('unsupported', `method ${key}`);
    return undefined;
  }

  set(obj: IValue, key: string, v: IValue): void {
    this.step();
    if (FORBIDDEN_KEYS.has(key)) throw new Abort('reflection', `property ${key}`);
    if (obj instanceof IArray || obj instanceof IObject || obj instanceof IBytes) touch(obj);
    if (obj instanceof IArray) {
      if (key === 'length') {
        const n = this.toNum(v);
        if (!Number.isInteger(n) || n < 0) this.throwError('RangeError', 'Invalid array length');
        this.arrLen(n);
        this.charge(Math.abs(n - obj.items.length));
        if (n < obj.items.length) obj.items.length = n;
        else while (obj.items.length < n) obj.items.push(undefined);
        return;
      }
      if (isIndex(key)) {
        const i = Number(key);
        this.arrLen(i + 1);
        if (i > obj.items.length) this.charge(i - obj.items.length);
        while (obj.items.length < i) obj.items.push(undefined);
        obj.items[i] = v;
        return;
      }
      throw new Abort('unsupported', `array property ${key}`);
    }
    if (obj instanceof IObject) {
      if (obj.frozen) return;
      obj.props.set(key, v);
      if (obj.props.size > this.limits.maxArray) throw new Abort('size', 'an object with too many properties');
      return;
    }
    if (obj instanceof IBytes) {
      if (isIndex(key) && Number(key) < obj.bytes.length) obj.bytes[Number(key)] = this.toNum(v);
      return;
    }
    if (typeof obj === 'string' || typeof obj === 'number' || typeof obj === 'boolean') return;
    if (obj === null || obj === undefined) this.throwError('TypeError', `Cannot set properties of ${obj} (setting '${key}')`);
    throw new Abort('reflection', `write to ${typeName(obj)} property ${key}`);
  }

  // ----- conversions -----

  toPrim(v: IValue): string | number | boolean | null | undefined {
    if (v === null || v === undefined || typeof v !== 'object') return v as string | number | boolean | null | undefined;
    return this.toStr(v);
  }

  toStr(v: IValue): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
    if (v instanceof IArray) return this.join(v.items, ',');
    if (v instanceof IObject) {
      const ts = v.props.get('toString');
      if (ts !== undefined) throw new Abort('unsupported', 'custom toString');
      return '[object Object]';
    }
    if (v instanceof IBytes) return this.str(Buffer.from(v.bytes).toString('utf8'));
    if (v instanceof IRegExp) return `/${v.source}/${v.flags}`;
    throw new Abort('reflection', 'source text of a function');
  }

  join(items: IValue[], sep: string): string {
    this.charge(items.length);
    const parts: string[] = [];
    let len = 0;
    for (const x of items) {
      const s = x === null || x === undefined ? '' : this.toStr(x);
      len += s.length + sep.length;
      if (len > this.limits.maxString + sep.length) throw new Abort('size', `a string of more than ${this.limits.maxString} characters`);
      parts.push(s);
    }
    return this.str(parts.join(sep));
  }

  toNum(v: IValue): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' || typeof v === 'boolean' || v === null || v === undefined) return Number(v);
    return Number(this.toStr(v));
  }

  /** Elements of an iterable: arrays, strings by code point, bytes. */
  iterate(v: IValue): IValue[] {
    if (v instanceof IArray) return v.items;
    if (typeof v === 'string') {
      this.charge(v.length);
      return [...v];
    }
    if (v instanceof IBytes) {
      this.charge(v.bytes.length);
      return Array.from(v.bytes);
    }
    if (v instanceof IObject && v.props.has('length') && typeof v.props.get('length') === 'number') return this.arrayLike(v);
    return this.throwError('TypeError', `${typeName(v)} is not iterable`);
  }

  /** Array-likes for Array.from and Array.prototype methods called on strings or { length }. */
  arrayLike(v: IValue): IValue[] {
    if (v instanceof IArray) return v.items;
    if (typeof v === 'string') {
      this.charge(v.length);
      return v.split('');
    }
    if (v instanceof IBytes) return Array.from(v.bytes);
    if (v instanceof IObject) {
      const n = this.toNum(v.props.get('length'));
      if (!Number.isFinite(n) || n < 0) return [];
      this.arrLen(n);
      this.charge(n);
      return Array.from({ length: Math.floor(n) }, (_, i) => v.props.get(String(i)));
    }
    return [];
  }

  private keys(v: IValue): IValue[] {
    if (v instanceof IObject) return [...v.props.keys()];
    if (v instanceof IArray) return v.items.map((_, i) => String(i));
    if (typeof v === 'string') return [...v.split('').keys()].map(String);
    if (v === null || v === undefined) return [];
    throw new Abort('unsupported', 'for-in over this value');
  }
}

const SHORT: unique symbol = Symbol('short-circuit');

function labelOf(node: Node): string | undefined {
  const p = (node as Node & { tgParent?: Node }).tgParent;
  return p?.type === 'LabeledStatement' ? p.label.name : undefined;
}

export function truthy(v: IValue): boolean {
  if (typeof v === 'object' && v !== null) return true;
  return !!v;
}

function strictEquals(a: IValue, b: IValue): boolean {
  return a === b;
}

export function typeName(v: IValue): string {
  if (v === null) return 'object';
  if (v instanceof IClosure || v instanceof INative) return 'function';
  return typeof v === 'object' ? 'object' : typeof v;
}

function isIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,8})$/.test(key);
}

/** Names a pattern binds. */
function patternNames(p: Node | null | undefined, out: string[] = []): string[] {
  if (!p) return out;
  switch (p.type) {
    case 'Identifier':
      out.push(p.name);
      break;
    case 'AssignmentPattern':
      patternNames(p.left, out);
      break;
    case 'RestElement':
      patternNames(p.argument, out);
      break;
    case 'ArrayPattern':
      for (const e of p.elements) patternNames(e, out);
      break;
    case 'ObjectPattern':
      for (const prop of p.properties) patternNames(prop.type === 'RestElement' ? prop : (prop.value as Node), out);
      break;
    default:
      break;
  }
  return out;
}

const VAR_CACHE = new WeakMap<readonly Node[], string[]>();

/** `var` names declared anywhere in a function body outside nested functions. */
function varNames(body: readonly Node[]): string[] {
  const cached = VAR_CACHE.get(body);
  if (cached) return cached;
  const out: string[] = [];
  const stack: Node[] = [...body];
  let budget = 50_000;
  while (stack.length && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression' || n.type === 'ClassDeclaration' || n.type === 'ClassExpression' || n.type === 'ObjectMethod') continue;
    if (n.type === 'VariableDeclaration' && n.kind === 'var') for (const d of n.declarations) patternNames(d.id, out);
    for (const k of STATEMENT_CHILDREN) {
      const c = (n as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
    }
  }
  VAR_CACHE.set(body, out);
  return out;
}
const STATEMENT_CHILDREN = ['body', 'consequent', 'alternate', 'block', 'handler', 'finalizer', 'cases', 'init', 'left', 'declaration'];

function needsScope(body: readonly Node[]): boolean {
  for (const s of body) if ((s.type === 'VariableDeclaration' && s.kind !== 'var') || s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') return true;
  return false;
}

// ---------- built-ins ----------

const GLOBALS = new Map<string, IValue>();
/** Globals whose value is `undefined` by name (so lookups can tell them from unknown names). */
const GLOBAL_UNDEFINED = new Set(['undefined']);

function native(name: string, call: NativeFn, construct?: (args: IValue[], m: Machine) => IValue): INative {
  return new INative(name, call, construct);
}
function withProps(n: INative, props: Record<string, IValue>): INative {
  n.props = new Map(Object.entries(props));
  return n;
}
function num(m: Machine, v: IValue): number {
  return m.toNum(v);
}
function optNum(m: Machine, v: IValue): number | undefined {
  return v === undefined ? undefined : m.toNum(v);
}
function selfStr(m: Machine, self: IValue, name: string): string {
  if (self === null || self === undefined) m.throwError('TypeError', `String.prototype.${name} called on null or undefined`);
  return m.toStr(self);
}
function callback(m: Machine, f: IValue): (...a: IValue[]) => IValue {
  if (!(f instanceof IClosure) && !(f instanceof INative)) m.throwError('TypeError', `${typeName(f)} is not a function`);
  return (...a) => m.call(f, undefined, a);
}

// --- regular expressions: only shapes whose matching time stays linear in the input ---

/**
 * A scanned pattern runs on the host's regex engine, which backtracks, so the cost of a match is
 * bounded before it runs: no backreferences or lookarounds; a quantified group only when it is the
 * pattern's single quantifier and holds no alternation (anything else can be exponential); with
 * more than one quantifier, the input's size to the power of their count is charged (at most 6),
 * which leaves such patterns to short inputs.
 */
export function regexCost(source: string, input: number): number {
  if (source.length > 300 || /\\[1-9]|\\k<|\(\?<?[=!]/.test(source)) return Infinity;
  const plain = source
    .replace(/\\./g, 'x')
    .replace(/\[(?:[^\]\\]|\\.)*\]/g, 'x')
    .replace(/\(\?(?::|<[A-Za-z_$][\w$]*>)/g, '(');
  const quantifiers = (plain.match(/[*+?]|\{\d+(?:,\d*)?\}/g) ?? []).length;
  if (/\)(?:[*+?]|\{\d)/.test(plain) && (quantifiers > 1 || plain.includes('|'))) return Infinity;
  return quantifiers <= 1 ? input : Math.max(input, input ** Math.min(quantifiers, 6));
}
function hostRegex(m: Machine, r: IRegExp, input: string, extraFlags = ''): RegExp {
  const cost = regexCost(r.source, input.length);
  if (!Number.isFinite(cost)) throw new Abort('unsupported', `regular expression /${r.source.slice(0, 40)}/`);
  m.charge(cost);
  const flags = [...new Set((r.flags + extraFlags).replace(/[^dgimsuy]/g, ''))].join('');
  try {
    return new RegExp(r.source, flags);
  } catch (e) {
    return m.throwError('SyntaxError', (e as Error).message);
  }
}
function matchArray(m: Machine, found: RegExpExecArray | RegExpMatchArray): IArray {
  const a = m.arr(found.map((x) => x));
  return a;
}

function replaceWith(m: Machine, s: string, pattern: IValue, replacement: IValue, all: boolean): string {
  const fn = replacement instanceof IClosure || replacement instanceof INative ? replacement : undefined;
  const repl = fn ? '' : m.toStr(replacement);
  if (pattern instanceof IRegExp) {
    const re = hostRegex(m, pattern, s);
    if (all && !re.global) m.throwError('TypeError', 'replaceAll must be called with a global RegExp');
    if (!fn) return m.str(s.replace(re, repl));
    let out = '';
    let last = 0;
    const loop = re.global;
    for (let hit = re.exec(s); hit; hit = loop ? re.exec(s) : null) {
      m.step();
      out += s.slice(last, hit.index) + m.toStr(m.call(fn, undefined, [...hit.map((x) => x as IValue), hit.index, s]));
      m.str(out);
      last = hit.index + hit[0].length;
      if (hit[0].length === 0) re.lastIndex++;
    }
    return m.str(out + s.slice(last));
  }
  const needle = m.toStr(pattern);
  if (!fn) {
    m.charge(s.length);
    return m.str(all ? s.replaceAll(needle, repl) : s.replace(needle, repl));
  }
  let out = '';
  let from = 0;
  for (let i = s.indexOf(needle); i >= 0; i = all ? s.indexOf(needle, i + Math.max(needle.length, 1)) : -1) {
    m.step();
    out += s.slice(from, i) + m.toStr(m.call(fn, undefined, [needle, i, s]));
    m.str(out);
    from = i + needle.length;
    if (!all) break;
  }
  return m.str(out + s.slice(from));
}

const STRING_METHODS = new Map<string, INative>();
const sm = (name: string, f: (s: string, args: IValue[], m: Machine) => IValue) => STRING_METHODS.set(name, native(name, (self, args, m) => f(selfStr(m, self, name), args, m)));
sm('charAt', (s, [i], m) => s.charAt(num(m, i ?? 0)));
sm('charCodeAt', (s, [i], m) => s.charCodeAt(num(m, i ?? 0)));
sm('codePointAt', (s, [i], m) => s.codePointAt(num(m, i ?? 0)));
sm('at', (s, [i], m) => s.at(num(m, i ?? 0)));
sm('indexOf', (s, [x, i], m) => (m.charge(s.length), s.indexOf(m.toStr(x), optNum(m, i))));
sm('lastIndexOf', (s, [x, i], m) => (m.charge(s.length), s.lastIndexOf(m.toStr(x), optNum(m, i))));
sm('includes', (s, [x, i], m) => (m.charge(s.length), s.includes(m.toStr(x), optNum(m, i))));
sm('startsWith', (s, [x, i], m) => s.startsWith(m.toStr(x), optNum(m, i)));
sm('endsWith', (s, [x, i], m) => s.endsWith(m.toStr(x), optNum(m, i)));
sm('slice', (s, [a, b], m) => (m.charge(s.length), s.slice(optNum(m, a), optNum(m, b))));
sm('substring', (s, [a, b], m) => (m.charge(s.length), s.substring(num(m, a ?? 0), optNum(m, b))));
sm('substr', (s, [a, b], m) => (m.charge(s.length), s.substr(num(m, a ?? 0), optNum(m, b))));
sm('toUpperCase', (s, _a, m) => (m.charge(s.length), s.toUpperCase()));
sm('toLowerCase', (s, _a, m) => (m.charge(s.length), s.toLowerCase()));
sm('trim', (s, _a, m) => (m.charge(s.length), s.trim()));
sm('trimStart', (s, _a, m) => (m.charge(s.length), s.trimStart()));
sm('trimEnd', (s, _a, m) => (m.charge(s.length), s.trimEnd()));
sm('toString', (s) => s);
sm('valueOf', (s) => s);
sm('concat', (s, args, m) => {
  let out = s;
  for (const a of args) out = m.str(out + m.toStr(a));
  return out;
});
sm('repeat', (s, [n], m) => {
  const k = num(m, n);
  if (k < 0 || !Number.isFinite(k)) m.throwError('RangeError', 'Invalid count value');
  if (s.length * Math.floor(k) > m.limits.maxString) throw new Abort('size', 'repeat past the string limit');
  m.charge(s.length * k);
  return m.str(s.repeat(k));
});
for (const name of ['padStart', 'padEnd'] as const) {
  sm(name, (s, [n, f], m) => {
    const len = num(m, n);
    if (len > m.limits.maxString) throw new Abort('size', `${name} past the string limit`);
    m.charge(len);
    return m.str(s[name](len, f === undefined ? undefined : m.toStr(f)));
  });
}
sm('split', (s, [sep, limit], m) => {
  m.charge(s.length);
  const lim = limit === undefined ? undefined : num(m, limit) >>> 0;
  if (sep === undefined) return m.arr([s]);
  const parts = sep instanceof IRegExp ? s.split(hostRegex(m, sep, s), lim) : s.split(m.toStr(sep), lim);
  return m.arr(parts.map((x) => x as IValue));
});
sm('replace', (s, [p, r], m) => replaceWith(m, s, p, r, false));
sm('replaceAll', (s, [p, r], m) => replaceWith(m, s, p, r, true));
sm('match', (s, [p], m) => {
  const r = p instanceof IRegExp ? p : new IRegExp(escapeRegex(m.toStr(p)), '');
  const found = s.match(hostRegex(m, r, s));
  return found ? matchArray(m, found) : null;
});
sm('search', (s, [p], m) => {
  const r = p instanceof IRegExp ? p : new IRegExp(escapeRegex(m.toStr(p)), '');
  return s.search(hostRegex(m, r, s));
});
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const REGEXP_METHODS = new Map<string, INative>();
REGEXP_METHODS.set('test', native('test', (self, [s], m) => {
  if (!(self instanceof IRegExp)) return m.throwError('TypeError', 'not a RegExp');
  const input = m.toStr(s);
  const re = hostRegex(m, self, input);
  re.lastIndex = self.lastIndex;
  const r = re.test(input);
  if (re.global || re.sticky) self.lastIndex = re.lastIndex;
  return r;
}));
REGEXP_METHODS.set('exec', native('exec', (self, [s], m) => {
  if (!(self instanceof IRegExp)) return m.throwError('TypeError', 'not a RegExp');
  const input = m.toStr(s);
  const re = hostRegex(m, self, input);
  re.lastIndex = self.lastIndex;
  const r = re.exec(input);
  if (re.global || re.sticky) self.lastIndex = r ? re.lastIndex : 0;
  if (!r) return null;
  const a = matchArray(m, r);
  return a;
}));
REGEXP_METHODS.set('toString', native('toString', (self, _a, m) => m.toStr(self)));

const NUMBER_METHODS = new Map<string, INative>();
NUMBER_METHODS.set('toString', native('toString', (self, [radix], m) => {
  if (typeof self === 'boolean') return String(self);
  const r = radix === undefined ? 10 : num(m, radix);
  if (r < 2 || r > 36) m.throwError('RangeError', 'toString() radix must be between 2 and 36');
  return num(m, self).toString(r);
}));
NUMBER_METHODS.set('toFixed', native('toFixed', (self, [d], m) => num(m, self).toFixed(Math.min(100, Math.max(0, num(m, d ?? 0))))));
NUMBER_METHODS.set('valueOf', native('valueOf', (self) => self));

const FUNCTION_METHODS = new Map<string, INative>();
FUNCTION_METHODS.set('call', native('call', (self, [t, ...rest], m) => m.call(self, t, rest)));
FUNCTION_METHODS.set('apply', native('apply', (self, [t, list], m) => m.call(self, t, list === undefined || list === null ? [] : m.arrayLike(list))));
FUNCTION_METHODS.set('bind', native('bind', (self, [t, ...pre], m) => {
  if (!(self instanceof IClosure) && !(self instanceof INative)) return m.throwError('TypeError', 'Bind must be called on a function');
  return native('bound', (_s, args, m2) => m2.call(self, t, [...pre, ...args]));
}));

const OBJECT_METHODS = new Map<string, INative>();
OBJECT_METHODS.set('hasOwnProperty', native('hasOwnProperty', (self, [k], m) => (self instanceof IObject ? self.props.has(m.key(k)) : self instanceof IArray ? isIndex(m.key(k)) && Number(m.key(k)) < self.items.length : false)));
OBJECT_METHODS.set('toString', native('toString', (self, _a, m) => m.toStr(self)));

// --- arrays (also applied to strings and { length } objects through Array.prototype.x.call) ---

const ARRAY_METHODS = new Map<string, INative>();
function selfArray(m: Machine, self: IValue): IArray {
  if (self instanceof IArray) return self;
  return new IArray([...m.arrayLike(self)]);
}
const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'reverse', 'fill', 'sort']);
const am = (name: string, f: (a: IArray, args: IValue[], m: Machine) => IValue) =>
  ARRAY_METHODS.set(
    name,
    native(name, (self, args, m) => {
      const a = selfArray(m, self);
      if (MUTATORS.has(name)) touch(a);
      return f(a, args, m);
    }),
  );
am('push', (a, args, m) => {
  m.arrLen(a.items.length + args.length);
  a.items.push(...args);
  return a.items.length;
});
am('pop', (a) => a.items.pop());
am('shift', (a, _x, m) => (m.charge(a.items.length), a.items.shift()));
am('unshift', (a, args, m) => {
  m.arrLen(a.items.length + args.length);
  m.charge(a.items.length);
  a.items.unshift(...args);
  return a.items.length;
});
am('slice', (a, [s, e], m) => m.arr(a.items.slice(optNum(m, s), optNum(m, e))));
am('splice', (a, [s, n, ...add], m) => {
  m.charge(a.items.length);
  const start = num(m, s ?? 0);
  const removed = n === undefined ? a.items.splice(start) : a.items.splice(start, num(m, n), ...add);
  m.arrLen(a.items.length);
  return m.arr(removed);
});
am('concat', (a, args, m) => {
  const out = [...a.items];
  for (const x of args) {
    if (x instanceof IArray) out.push(...x.items);
    else out.push(x);
    m.arrLen(out.length);
  }
  return m.arr(out);
});
am('join', (a, [sep], m) => m.join(a.items, sep === undefined ? ',' : m.toStr(sep)));
am('toString', (a, _x, m) => m.join(a.items, ','));
am('reverse', (a, _x, m) => (m.charge(a.items.length), a.items.reverse(), a));
am('indexOf', (a, [x], m) => (m.charge(a.items.length), a.items.indexOf(x)));
am('lastIndexOf', (a, [x], m) => (m.charge(a.items.length), a.items.lastIndexOf(x)));
am('includes', (a, [x], m) => (m.charge(a.items.length), a.items.includes(x)));
am('fill', (a, [v, s, e], m) => (m.charge(a.items.length), a.items.fill(v, optNum(m, s), optNum(m, e)), a));
am('at', (a, [i], m) => a.items.at(num(m, i ?? 0)));
am('flat', (a, [d], m) => {
  const depth = d === undefined ? 1 : num(m, d);
  const flat = (items: IValue[], k: number): IValue[] => items.flatMap((x) => (x instanceof IArray && k > 0 ? flat(x.items, k - 1) : [x]));
  return m.arr(flat(a.items, Math.min(depth, 16)));
});
// Callbacks: the scanned function runs once per element, each call bounded like any other.
am('map', (a, [f], m) => {
  const cb = callback(m, f);
  return m.arr(a.items.map((x, i) => cb(x, i, a)));
});
am('forEach', (a, [f], m) => {
  const cb = callback(m, f);
  a.items.forEach((x, i) => cb(x, i, a));
  return undefined;
});
am('filter', (a, [f], m) => {
  const cb = callback(m, f);
  return m.arr(a.items.filter((x, i) => truthy(cb(x, i, a))));
});
am('some', (a, [f], m) => {
  const cb = callback(m, f);
  return a.items.some((x, i) => truthy(cb(x, i, a)));
});
am('every', (a, [f], m) => {
  const cb = callback(m, f);
  return a.items.every((x, i) => truthy(cb(x, i, a)));
});
am('find', (a, [f], m) => {
  const cb = callback(m, f);
  return a.items.find((x, i) => truthy(cb(x, i, a)));
});
am('findIndex', (a, [f], m) => {
  const cb = callback(m, f);
  return a.items.findIndex((x, i) => truthy(cb(x, i, a)));
});
am('flatMap', (a, [f], m) => {
  const cb = callback(m, f);
  const out: IValue[] = [];
  a.items.forEach((x, i) => {
    const r = cb(x, i, a);
    if (r instanceof IArray) out.push(...r.items);
    else out.push(r);
    m.arrLen(out.length);
  });
  return m.arr(out);
});
for (const name of ['reduce', 'reduceRight'] as const) {
  am(name, (a, args, m) => {
    const cb = callback(m, args[0]);
    const items = name === 'reduce' ? a.items.map((x, i) => [x, i] as const) : a.items.map((x, i) => [x, i] as const).reverse();
    let k = 0;
    let acc: IValue;
    if (args.length >= 2) acc = args[1];
    else {
      if (items.length === 0) m.throwError('TypeError', 'Reduce of empty array with no initial value');
      acc = items[0]![0];
      k = 1;
    }
    for (; k < items.length; k++) acc = cb(acc, items[k]![0], items[k]![1], a);
    return acc;
  });
}
am('sort', (a, [f], m) => {
  m.charge(a.items.length * 8);
  if (f === undefined) {
    const keyed = a.items.map((x) => [x === undefined ? undefined : m.toStr(x), x] as const);
    keyed.sort((x, y) => (x[0] === undefined ? 1 : y[0] === undefined ? -1 : x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    a.items = keyed.map((k) => k[1]);
    return a;
  }
  const cb = callback(m, f);
  a.items.sort((x, y) => num(m, cb(x, y)) || 0);
  return a;
});
am('keys', (a, _x, m) => m.arr(a.items.map((_, i) => i)));

// --- bytes (Buffer, Uint8Array) ---

const ENCODINGS = new Set(['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'ucs2', 'ucs-2', 'utf16le', 'utf-16le']);
function encoding(m: Machine, v: IValue): BufferEncoding {
  const e = v === undefined ? 'utf8' : m.toStr(v).toLowerCase();
  if (!ENCODINGS.has(e)) m.throwError('TypeError', `Unknown encoding: ${e}`);
  return e as BufferEncoding;
}
function bytesOf(m: Machine, v: IValue, enc?: IValue): Uint8Array {
  if (typeof v === 'string') {
    m.charge(v.length);
    return new Uint8Array(Buffer.from(v, encoding(m, enc)));
  }
  if (v instanceof IBytes) return new Uint8Array(v.bytes);
  if (v instanceof IArray || (v instanceof IObject && v.props.has('length'))) {
    const items = m.arrayLike(v);
    m.arrLen(items.length);
    m.charge(items.length);
    return Uint8Array.from(items, (x) => m.toNum(x) & 0xff);
  }
  if (typeof v === 'number') {
    m.arrLen(v);
    return new Uint8Array(v);
  }
  return m.throwError('TypeError', 'unsupported Buffer source');
}
function decodeBytes(m: Machine, b: Uint8Array, enc: IValue, start?: IValue, end?: IValue): string {
  const e = encoding(m, enc);
  m.charge(b.length);
  const slice = b.subarray(optNum(m, start) ?? 0, optNum(m, end) ?? b.length);
  return m.str(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString(e));
}
const BYTES_METHODS = new Map<string, INative>();
BYTES_METHODS.set('toString', native('toString', (self, [enc, s, e], m) => (self instanceof IBytes ? decodeBytes(m, self.bytes, enc, s, e) : m.toStr(self))));
for (const name of ['slice', 'subarray'] as const) BYTES_METHODS.set(name, native(name, (self, [s, e], m) => (self instanceof IBytes ? new IBytes(self.bytes.slice(optNum(m, s), optNum(m, e))) : undefined)));
BYTES_METHODS.set('readUInt8', native('readUInt8', (self, [i], m) => (self instanceof IBytes ? self.bytes[num(m, i ?? 0)] : undefined)));
BYTES_METHODS.set('map', native('map', (self, [f], m) => {
  if (!(self instanceof IBytes)) return undefined;
  const cb = callback(m, f);
  m.charge(self.bytes.length);
  return new IBytes(Uint8Array.from(self.bytes, (x, i) => m.toNum(cb(x, i, self)) & 0xff));
}));

const BUFFER = withProps(
  native('Buffer', (_s, _a, m) => m.throwError('TypeError', 'Buffer() is deprecated')),
  {
    from: native('from', (_s, [v, enc], m) => {
      const b = bytesOf(m, v, enc);
      m.arrLen(b.length);
      return new IBytes(b);
    }),
    alloc: native('alloc', (_s, [n, fill], m) => {
      const k = num(m, n);
      m.arrLen(k);
      m.charge(k);
      const b = new Uint8Array(k);
      if (fill !== undefined) b.fill(num(m, fill) & 0xff);
      return new IBytes(b);
    }),
    concat: native('concat', (_s, [list], m) => {
      const parts = m.arrayLike(list).map((x) => bytesOf(m, x));
      const total = parts.reduce((n, p) => n + p.length, 0);
      m.arrLen(total);
      m.charge(total);
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return new IBytes(out);
    }),
    isBuffer: native('isBuffer', (_s, [v]) => v instanceof IBytes),
    byteLength: native('byteLength', (_s, [v, enc], m) => bytesOf(m, v, enc).length),
  },
);

// --- globals ---

const charCodes = (m: Machine, args: IValue[], cp: boolean): string => {
  m.arrLen(args.length);
  m.charge(args.length);
  const codes = args.map((a) => num(m, a));
  if (!cp) return m.str(String.fromCharCode(...codes));
  // fromCodePoint throws RangeError on bad input: the scanned code's exception (hostError).
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCodePoint(...codes.slice(i, i + 8192));
  return m.str(out);
};

const STRING_PROTO = new IObject();
for (const [k, v] of STRING_METHODS) STRING_PROTO.props.set(k, v);
STRING_PROTO.frozen = true;
const ARRAY_PROTO = new IObject();
for (const [k, v] of ARRAY_METHODS) ARRAY_PROTO.props.set(k, v);
ARRAY_PROTO.frozen = true;

GLOBALS.set('NaN', NaN);
GLOBALS.set('Infinity', Infinity);
GLOBALS.set(
  'String',
  withProps(native('String', (_s, args, m) => (args.length ? m.toStr(args[0]) : '')), {
    fromCharCode: native('fromCharCode', (_s, args, m) => charCodes(m, args, false)),
    fromCodePoint: native('fromCodePoint', (_s, args, m) => charCodes(m, args, true)),
    prototype: STRING_PROTO,
  }),
);
const arrayFrom = native('from', (_s, [src, f], m) => {
  const items = src instanceof IObject && !src.props.has('length') ? [] : typeof src === 'string' ? m.iterate(src) : m.arrayLike(src);
  if (f === undefined) return m.arr([...items]);
  const cb = callback(m, f);
  return m.arr(items.map((x, i) => cb(x, i)));
});
const arrayCtor = (args: IValue[], m: Machine): IValue => {
  if (args.length === 1 && typeof args[0] === 'number') {
    const n = args[0];
    if (!Number.isInteger(n) || n < 0) m.throwError('RangeError', 'Invalid array length');
    m.arrLen(n);
    return m.arr(new Array<IValue>(n).fill(undefined));
  }
  return m.arr([...args]);
};
GLOBALS.set(
  'Array',
  withProps(native('Array', (_s, args, m) => arrayCtor(args, m), arrayCtor), {
    isArray: native('isArray', (_s, [v]) => v instanceof IArray),
    from: arrayFrom,
    of: native('of', (_s, args, m) => m.arr([...args])),
    prototype: ARRAY_PROTO,
  }),
);
const objectOf = (m: Machine, v: IValue): [string, IValue][] => {
  if (v instanceof IObject) return [...v.props];
  if (v instanceof IArray) return v.items.map((x, i) => [String(i), x]);
  if (typeof v === 'string') return [...v.split('')].map((x, i) => [String(i), x]);
  if (v === null || v === undefined) m.throwError('TypeError', 'Cannot convert undefined or null to object');
  return [];
};
GLOBALS.set(
  'Object',
  withProps(native('Object', () => { throw new Abort('reflection', 'Object()'); }), {
    keys: native('keys', (_s, [v], m) => m.arr(objectOf(m, v).map(([k]) => k))),
    values: native('values', (_s, [v], m) => m.arr(objectOf(m, v).map(([, x]) => x))),
    entries: native('entries', (_s, [v], m) => m.arr(objectOf(m, v).map(([k, x]) => m.arr([k, x])))),
    fromEntries: native('fromEntries', (_s, [v], m) => {
      const o = new IObject();
      for (const e of m.iterate(v)) {
        const [k, x] = m.arrayLike(e);
        const key = m.key(k);
        if (FORBIDDEN_KEYS.has(key)) throw new Abort('reflection', `property ${key}`);
        o.props.set(key, x);
      }
      return o;
    }),
    assign: native('assign', (_s, [target, ...srcs], m) => {
      if (!(target instanceof IObject)) throw new Abort('unsupported', 'Object.assign onto a non-plain object');
      for (const s of srcs) if (s !== null && s !== undefined) for (const [k, x] of objectOf(m, s)) m.set(target, k, x);
      return target;
    }),
    freeze: native('freeze', (_s, [v]) => {
      if (v instanceof IObject) v.frozen = true;
      return v;
    }),
    create: native('create', (_s, [proto]) => {
      if (proto !== null) throw new Abort('reflection', 'Object.create with a prototype');
      return new IObject();
    }),
  }),
);
const mathFn = (f: (...n: number[]) => number) => native('math', (_s, args, m) => f(...args.map((a) => num(m, a))));
const math = new IObject();
for (const k of ['abs', 'floor', 'ceil', 'round', 'trunc', 'sign', 'sqrt', 'cbrt', 'min', 'max', 'pow', 'imul', 'log', 'log2', 'log10', 'exp', 'sin', 'cos', 'tan', 'atan', 'atan2', 'hypot', 'clz32', 'fround'] as const) {
  math.props.set(k, mathFn(Math[k] as (...n: number[]) => number));
}
for (const k of ['PI', 'E', 'LN2', 'LN10', 'LOG2E', 'LOG10E', 'SQRT2', 'SQRT1_2'] as const) math.props.set(k, Math[k]);
math.props.set('random', native('random', () => { throw new Abort('host', 'Math.random'); }));
math.frozen = true;
GLOBALS.set('Math', math);
const parseIntN = native('parseInt', (_s, [s, r], m) => parseInt(m.toStr(s), r === undefined ? undefined : num(m, r)));
const parseFloatN = native('parseFloat', (_s, [s], m) => parseFloat(m.toStr(s)));
GLOBALS.set('parseInt', parseIntN);
GLOBALS.set('parseFloat', parseFloatN);
GLOBALS.set('isNaN', native('isNaN', (_s, [v], m) => Number.isNaN(num(m, v))));
GLOBALS.set('isFinite', native('isFinite', (_s, [v], m) => Number.isFinite(num(m, v))));
GLOBALS.set(
  'Number',
  withProps(native('Number', (_s, args, m) => (args.length ? num(m, args[0]) : 0)), {
    isInteger: native('isInteger', (_s, [v]) => Number.isInteger(v)),
    isSafeInteger: native('isSafeInteger', (_s, [v]) => Number.isSafeInteger(v)),
    isNaN: native('isNaN', (_s, [v]) => Number.isNaN(v)),
    isFinite: native('isFinite', (_s, [v]) => Number.isFinite(v)),
    parseInt: parseIntN,
    parseFloat: parseFloatN,
    MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER,
    MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER,
    EPSILON: Number.EPSILON,
  }),
);
GLOBALS.set('Boolean', native('Boolean', (_s, [v]) => truthy(v)));
const stringify = (m: Machine, v: IValue, depth: number): string | undefined => {
  if (depth > 64) throw new Abort('depth', 'JSON nested too deep');
  m.step();
  if (v === undefined || v instanceof IClosure || v instanceof INative) return undefined;
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return m.str(JSON.stringify(v));
  if (v instanceof IArray) return m.str(`[${v.items.map((x) => stringify(m, x, depth + 1) ?? 'null').join(',')}]`);
  if (v instanceof IObject) {
    const parts: string[] = [];
    for (const [k, x] of v.props) {
      const s = stringify(m, x, depth + 1);
      if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
    }
    return m.str(`{${parts.join(',')}}`);
  }
  if (v instanceof IBytes) return stringify(m, m.arr(Array.from(v.bytes)), depth);
  return '{}';
};
const fromJson = (m: Machine, v: unknown, depth: number): IValue => {
  if (depth > 64) throw new Abort('depth', 'JSON nested too deep');
  m.step();
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return m.arr(v.map((x) => fromJson(m, x, depth + 1)));
  const o = new IObject();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) o.props.set(k, fromJson(m, x, depth + 1));
  return o;
};
const json = new IObject();
json.props.set('stringify', native('stringify', (_s, [v], m) => stringify(m, v, 0)));
json.props.set('parse', native('parse', (_s, [s], m) => {
  const text = m.toStr(s);
  m.charge(text.length);
  return fromJson(m, JSON.parse(text) as unknown, 0);
}));
json.frozen = true;
GLOBALS.set('JSON', json);
GLOBALS.set('atob', native('atob', (_s, [s], m) => {
  const t = m.toStr(s).replace(/[\t\n\f\r ]/g, '');
  if (/[^A-Za-z0-9+/=]/.test(t)) m.throwError('InvalidCharacterError', 'The string to be decoded is not correctly encoded.');
  m.charge(t.length);
  return m.str(Buffer.from(t, 'base64').toString('latin1'));
}));
GLOBALS.set('btoa', native('btoa', (_s, [s], m) => {
  const t = m.toStr(s);
  if (/[^\u0000-\u00ff]/.test(t)) m.throwError('InvalidCharacterError', 'Invalid character');
  m.charge(t.length);
  return m.str(Buffer.from(t, 'latin1').toString('base64'));
}));
for (const [name, f] of [['escape', escape], ['unescape', unescape], ['encodeURIComponent', encodeURIComponent], ['decodeURIComponent', decodeURIComponent], ['encodeURI', encodeURI], ['decodeURI', decodeURI]] as const) {
  GLOBALS.set(name, native(name, (_s, [s], m) => {
    const t = m.toStr(s);
    m.charge(t.length);
    return m.str(f(t));
  }));
}
GLOBALS.set('Buffer', BUFFER);
const uint8 = withProps(
  native('Uint8Array', (_s, _a, m) => m.throwError('TypeError', "Constructor Uint8Array requires 'new'"), (args, m) => new IBytes(bytesOf(m, args[0] ?? 0))),
  { from: native('from', (_s, [v, f], m) => new IBytes(bytesOf(m, f === undefined ? v : m.call(arrayFrom, undefined, [v, f])))) },
);
GLOBALS.set('Uint8Array', uint8);
const textDecoder = (args: IValue[], m: Machine): IValue => {
  const label = args[0] === undefined ? 'utf-8' : m.toStr(args[0]).toLowerCase();
  if (label !== 'utf-8' && label !== 'utf8') throw new Abort('unsupported', `TextDecoder ${label}`);
  const o = new IObject();
  o.props.set('encoding', 'utf-8');
  o.props.set('decode', native('decode', (_s, [b], m2) => (b === undefined ? '' : decodeBytes(m2, bytesOf(m2, b), 'utf8'))));
  o.frozen = true;
  return o;
};
GLOBALS.set('TextDecoder', native('TextDecoder', (_s, _a, m) => m.throwError('TypeError', "Constructor TextDecoder requires 'new'"), textDecoder));
const textEncoder = (): IValue => {
  const o = new IObject();
  o.props.set('encoding', 'utf-8');
  o.props.set('encode', native('encode', (_s, [s], m) => new IBytes(bytesOf(m, s === undefined ? '' : m.toStr(s), 'utf8'))));
  o.frozen = true;
  return o;
};
GLOBALS.set('TextEncoder', native('TextEncoder', (_s, _a, m) => m.throwError('TypeError', "Constructor TextEncoder requires 'new'"), textEncoder));
const regexpCtor = (args: IValue[], m: Machine): IValue => {
  const [p, f] = args;
  if (p instanceof IRegExp) return new IRegExp(p.source, f === undefined ? p.flags : m.toStr(f));
  return new IRegExp(p === undefined ? '(?:)' : m.toStr(p), f === undefined ? '' : m.toStr(f));
};
GLOBALS.set('RegExp', native('RegExp', (_s, args, m) => regexpCtor(args, m), regexpCtor));
const errorCtor = (name: string) => {
  const make = (args: IValue[], m: Machine): IValue => {
    const o = new IObject();
    o.props.set('name', name);
    o.props.set('message', args[0] === undefined ? '' : m.toStr(args[0]));
    return o;
  };
  return native(name, (_s, args, m) => make(args, m), make);
};
for (const name of ['Error', 'TypeError', 'RangeError', 'SyntaxError']) GLOBALS.set(name, errorCtor(name));

// ---------- scopes of the file: replayed once, shared by every call ----------

type WithParent = Node & { tgParent?: Node };
const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod']);
const SCOPE_TYPES = new Set(['Program', 'BlockStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'CatchClause', 'SwitchStatement', 'ClassMethod', 'ClassPrivateMethod', 'StaticBlock', ...FUNCTION_TYPES]);

function parentOf(n: Node): Node | undefined {
  return (n as WithParent).tgParent;
}

/** The scope node a binding's scope or a function lives in: function bodies count as their function. */
function normalizeScope(n: Node): Node {
  const p = parentOf(n);
  if (n.type === 'BlockStatement' && p && FUNCTION_TYPES.has(p.type) && (p as FnNode).body === n) return p;
  return n;
}

function enclosingScope(n: Node): Node | undefined {
  for (let p = parentOf(n), i = 0; p && i < 10_000; p = parentOf(p), i++) if (SCOPE_TYPES.has(p.type)) return normalizeScope(p);
  return undefined;
}

export interface FileBudget {
  /** Steps all evaluations of one file may spend together. */
  steps: number;
  /** Interpreted calls one file may make (each cached by function and arguments). */
  calls: number;
  ms: number;
}
export const DEFAULT_FILE_BUDGET: FileBudget = { steps: 1_000_000, calls: 2_000, ms: 1_000 };

/** Per-scope replay bounds: one enclosing scope's statements, run once per file. */
const REPLAY_LIMITS: Limits = { ...DEFAULT_LIMITS, maxSteps: 50_000 };
/** Statements larger than this (source bytes) are not replayed: see scopeEnv. */
const MAX_REPLAY_STATEMENT = 64 * 1024;

export class Interpreter {
  private readonly scopes = new Map<Node, Env>();
  private readonly cache = new Map<Node, Map<string, Outcome>>();
  private spent = 0;
  private calls = 0;
  private ms = 0;
  /** The last outcome (tests and diagnostics). */
  last?: Outcome;

  constructor(
    private readonly limits: Limits = DEFAULT_LIMITS,
    private readonly budget: FileBudget = DEFAULT_FILE_BUDGET,
  ) {}

  get exhausted(): boolean {
    return this.spent >= this.budget.steps || this.calls >= this.budget.calls || this.ms >= this.budget.ms;
  }

  /**
   * Call the function a name is bound to in `scope` (the scope node of its declaration, as the
   * binding table records it) with constant arguments. `key` caches the outcome.
   */
  callIn(scope: Node, name: string, args: IValue[], key?: string): Outcome {
    const decl = normalizeScope(scope);
    const hit = key === undefined ? undefined : this.cache.get(decl)?.get(`${name}\u0000${key}`);
    if (hit) return (this.last = hit);
    const out = this.run(this.limits, (m) => {
      const env = this.scopeEnv(decl);
      const fnv = m.lookup(name, env);
      if (!(fnv instanceof IClosure)) throw new Abort('unsupported', `${name} is not a function of this file`);
      return m.invoke(fnv, undefined, args);
    });
    if (key !== undefined) {
      let map = this.cache.get(decl);
      if (!map) this.cache.set(decl, (map = new Map()));
      if (map.size < 512) map.set(`${name}\u0000${key}`, out);
    }
    return (this.last = out);
  }

  /** Evaluate a closed function node (tests; a program's own functions close over its scopes). */
  callFunction(fn: Node, args: IValue[]): Outcome {
    return (this.last = this.run(this.limits, (m) => {
      if (!FUNCTION_TYPES.has(fn.type)) throw new Abort('unsupported', 'not a function');
      const scope = enclosingScope(fn);
      const env = scope ? this.scopeEnv(scope) : new Env(undefined);
      return m.invoke(new IClosure(fn as FnNode, env), undefined, args);
    }));
  }

  private run(limits: Limits, body: (m: Machine) => IValue): Outcome {
    const remaining = Math.max(0, this.budget.steps - this.spent);
    const m = new Machine({ ...limits, maxSteps: Math.min(limits.maxSteps, remaining), maxMs: Math.min(limits.maxMs, Math.max(0, this.budget.ms - this.ms)) });
    this.calls++;
    const started = performance.now();
    try {
      if (this.calls > this.budget.calls) throw new Abort('steps', 'the file budget of interpreted calls is spent');
      if (remaining <= 0) throw new Abort('steps', 'the file budget of steps is spent');
      const value = body(m);
      return { ok: true, value, counters: m.counters };
    } catch (e) {
      const err = m.hostError(e);
      if (err instanceof Abort) return { ok: false, reason: err.reason, detail: err.detail, counters: m.counters };
      if (err instanceof Thrown) return { ok: false, reason: 'throw', detail: 'the code threw', counters: m.counters };
      throw e;
    } finally {
      this.spent += m.counters.steps;
      this.ms += performance.now() - started;
    }
  }

  /**
   * The values a scope's names hold: its enclosing scopes first, then its own statements, each run
   * in turn. A statement that aborts leaves the names it declares or assigns unknown.
   */
  private scopeEnv(scope: Node): Env {
    const cached = this.scopes.get(scope);
    if (cached) return cached;
    const outer = enclosingScope(scope);
    const parent = outer ? this.scopeEnv(outer) : undefined;
    const env = new Env(parent);
    this.scopes.set(scope, env);
    const m = new Machine({ ...REPLAY_LIMITS, maxSteps: Math.min(REPLAY_LIMITS.maxSteps, Math.max(0, this.budget.steps - this.spent)) });
    let body: readonly Node[] = [];
    switch (scope.type) {
      case 'Program':
        body = scope.body;
        break;
      case 'BlockStatement':
      case 'StaticBlock':
        body = scope.body;
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ObjectMethod':
      case 'ClassMethod':
      case 'ClassPrivateMethod': {
        // Called from somewhere unknown: parameters, `this` and `arguments` are the caller's.
        for (const p of scope.params) for (const n of patternNames(p as Node)) env.declare(n, OPAQUE);
        env.declare('arguments', OPAQUE);
        if (scope.type === 'FunctionExpression' && scope.id) env.declare(scope.id.name, new IClosure(scope, env));
        if (scope.body.type === 'BlockStatement') body = scope.body.body;
        break;
      }
      case 'ForStatement':
        if (scope.init?.type === 'VariableDeclaration') for (const d of scope.init.declarations) for (const n of patternNames(d.id)) env.declare(n, OPAQUE);
        return env;
      case 'ForInStatement':
      case 'ForOfStatement':
        if (scope.left.type === 'VariableDeclaration') for (const d of scope.left.declarations) for (const n of patternNames(d.id)) env.declare(n, OPAQUE);
        return env;
      case 'CatchClause':
        for (const n of patternNames(scope.param)) env.declare(n, OPAQUE);
        return env;
      case 'SwitchStatement':
        for (const c of scope.cases) for (const s of c.consequent) if (s.type === 'VariableDeclaration' || s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') for (const n of declaredBy(s)) env.declare(n, OPAQUE);
        return env;
      default:
        return env;
    }
    const started = performance.now();
    try {
      m.hoist(body, env, scope.type !== 'BlockStatement' && scope.type !== 'StaticBlock');
      for (const s of body) {
        if (s.type === 'ImportDeclaration') {
          for (const sp of s.specifiers) env.declare(sp.local.name, OPAQUE);
          continue;
        }
        if (s.start != null && s.end != null && s.end - s.start > MAX_REPLAY_STATEMENT && s.type !== 'FunctionDeclaration') {
          // A bundle's wrapper: replaying it would run the whole bundle. Functions inside it are
          // replayed from their own scopes when called; what it declares here stays unknown.
          for (const n of declaredBy(s)) if (!(env.vars.get(n)?.v instanceof IClosure)) env.declare(n, OPAQUE);
          continue;
        }
        epoch++;
        try {
          const c = m.stmt(s, env);
          if (c) break; // a return (or stray break) ends the replay; hoisted functions stay
        } catch (e) {
          const err = m.hostError(e);
          for (const n of declaredBy(s)) {
            const slot = env.vars.get(n);
            if (slot && !(slot.v instanceof IClosure && s.type === 'FunctionDeclaration')) slot.v = OPAQUE;
          }
          // What the statement assigned, and any array or object of these scopes it changed, may
          // hold a half-done result (a rotation stopped midway): unknown from here on.
          for (const n of assignedIn(s)) {
            const slot = env.find(n);
            if (slot) slot.v = OPAQUE;
          }
          for (let e: Env | undefined = env; e; e = e.parent) {
            for (const slot of e.vars.values()) {
              const v = slot.v;
              if ((v instanceof IArray || v instanceof IObject || v instanceof IBytes) && v.touched === epoch) slot.v = OPAQUE;
            }
          }
          if (err instanceof Abort && (err.reason === 'steps' || err.reason === 'time')) {
            // Out of budget: what the rest of the scope declares stays unknown.
            const rest = body.slice(body.indexOf(s) + 1);
            for (const r of rest) for (const n of declaredBy(r)) if (!(env.vars.get(n)?.v instanceof IClosure)) env.declare(n, OPAQUE);
            break;
          }
        }
      }
    } finally {
      this.spent += m.counters.steps;
      this.ms += performance.now() - started;
    }
    return env;
  }
}

function declaredBy(s: Node): string[] {
  const d = s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' ? (s.declaration as Node | null) : s;
  if (!d) return [];
  if (d.type === 'VariableDeclaration') return d.declarations.flatMap((x) => patternNames(x.id));
  if ((d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') && d.id) return [d.id.name];
  if (d.type !== 'FunctionDeclaration') return varNames([d]);
  return [];
}

/** Names assigned anywhere in a statement (closures included: they may have run before the abort). */
function assignedIn(s: Node): string[] {
  const out = new Set<string>();
  const stack: Node[] = [s];
  let budget = 20_000;
  while (stack.length && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === 'AssignmentExpression') for (const name of patternNames(n.left as Node)) out.add(name);
    else if (n.type === 'UpdateExpression' && n.argument.type === 'Identifier') out.add(n.argument.name);
    for (const [k, v] of Object.entries(n)) {
      if (k === 'tgParent') continue;
      if (Array.isArray(v)) for (const x of v) x && typeof x === 'object' && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (v && typeof v === 'object' && typeof (v as Node).type === 'string') stack.push(v as Node);
    }
  }
  return [...out];
}

// ---------- the bridge to folding ----------

/** Folded constants the evaluator hands in. */
export type Plain = string | number | boolean | null | Plain[];

export function fromPlain(v: Plain): IValue {
  return Array.isArray(v) ? new IArray(v.map(fromPlain)) : v;
}

/**
 * What folding can use of a result: strings, numbers, booleans, null and arrays of them (bytes
 * become arrays of numbers, which Buffer.from folds). undefined when anything else is inside.
 */
export function toPlain(v: IValue, budget = { n: 200_000 }, depth = 0): Plain | undefined {
  if (--budget.n < 0 || depth > 32) return undefined;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof IBytes) {
    budget.n -= v.bytes.length;
    return budget.n < 0 ? undefined : Array.from(v.bytes);
  }
  if (v instanceof IArray) {
    const out: Plain[] = [];
    for (const x of v.items) {
      const p = toPlain(x, budget, depth + 1);
      if (p === undefined) return undefined;
      out.push(p);
    }
    return out;
  }
  return undefined;
}

/**
 * Files where a capability takes the result of a call to a local function with a constant
 * argument (`require(dec('…'))`, `eval(d(0x1f))`, `process.env[k('…')]`, `fetch(u([…]))`): their
 * function bodies are all parsed, since the decoder (and what it calls) may name no capability.
 */
const SINK_OF_CALL = /(?:\brequire|\beval|\bFunction|\bimport|\bfetch|\bexec(?:Sync|File|FileSync)?|\bspawn(?:Sync)?|\bprocess\s*\.\s*env|\b(?:globalThis|global|window|self))\s*[([]\s*(?!(?:String|Buffer|atob|btoa|decodeURIComponent|decodeURI|unescape|JSON|Object|Array|require|parseInt|Number)\b)[A-Za-z_$][\w$]*\s*\(\s*(?:['"`[]|\d)/;

export function mayCallDecoder(text: string): boolean {
  return SINK_OF_CALL.test(text);
}
