import path from 'node:path';
import type { Node } from '@babel/types';
import { HOLE, type Evaluator } from './evaluate.js';
import { parentOf } from './walk.js';

/**
 * "Every element" folding for paths built from data: a value that is a callback parameter of
 * `LIST.forEach/map/filter/flatMap/some/every` or a `for…of` variable over `LIST`,
 * `Object.entries/values/keys(OBJ)`, takes each element of that constant list in turn. The
 * evaluator folds one value per binding; config-stealing and config-writing code iterates over a
 * table of targets (`[{ dir: '.cursor', file: 'mcp.json' }, …].forEach(({ dir, file }) => …)`).
 * Bounded: 16 elements, three levels of nesting, one list per name.
 */

type Element = Node | string | Element[];
type Env = Map<string, Element>;

const MAX_ELEMENTS = 16;
const ITERATORS = /^(?:forEach|map|flatMap|filter|some|every|find|reduce)$/;

/** Constant elements of a list expression, as AST nodes or strings (entries as [key, value] pairs). */
function elementsOf(node: Node | null | undefined, ev: Evaluator, depth: number): Element[] | undefined {
  if (!node || depth > 3) return undefined;
  if (node.type === 'Identifier') return elementsOf(ev.initOf(node), ev, depth + 1);
  if (node.type === 'ArrayExpression') {
    const out: Element[] = [];
    for (const e of node.elements.slice(0, MAX_ELEMENTS)) if (e && e.type !== 'SpreadElement') out.push(e);
    return out;
  }
  if (node.type === 'CallExpression') {
    const callee = node.callee;
    const canon = ev.canonical(callee);
    const arg = node.arguments[0] as Node | undefined;
    if (canon === 'Object.entries' || canon === 'Object.values' || canon === 'Object.keys') {
      const obj = arg?.type === 'Identifier' ? ev.initOf(arg) : arg;
      if (obj?.type !== 'ObjectExpression') return undefined;
      const out: Element[] = [];
      for (const p of obj.properties.slice(0, MAX_ELEMENTS)) {
        if (p.type !== 'ObjectProperty' || p.computed) continue;
        const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined;
        if (key === undefined) continue;
        out.push(canon === 'Object.keys' ? key : canon === 'Object.values' ? (p.value as Node) : [key, p.value as Node]);
      }
      return out;
    }
    // `LIST.map(fn)`: each element through fn's returned expression.
    if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier' && /^(?:map|filter)$/.test(callee.property.name)) {
      const inner = elementsOf(callee.object, ev, depth + 1);
      const fn = arg && (arg.type === 'ArrowFunctionExpression' || arg.type === 'FunctionExpression') ? arg : undefined;
      if (!inner || !fn) return undefined;
      if (callee.property.name === 'filter') return inner;
      const body = fn.body.type === 'BlockStatement' ? (fn.body.body.find((s) => s.type === 'ReturnStatement') as Extract<Node, { type: 'ReturnStatement' }> | undefined)?.argument : fn.body;
      if (!body) return undefined;
      return inner.map((el) => {
        const env: Env = new Map();
        bindPattern(fn.params[0] as Node | undefined, el, env);
        return foldWith(body, env, ev, depth + 1) ?? HOLE;
      });
    }
  }
  return undefined;
}

/** Bind a parameter or loop pattern to one element: `p`, `{ dir, file }`, `[name, p]`. */
function bindPattern(pattern: Node | undefined, el: Element, env: Env): void {
  if (!pattern) return;
  if (pattern.type === 'Identifier') env.set(pattern.name, el);
  else if (pattern.type === 'ArrayPattern' && Array.isArray(el)) pattern.elements.forEach((p, i) => p && el[i] !== undefined && bindPattern(p as Node, el[i]!, env));
  else if (pattern.type === 'ObjectPattern' && !Array.isArray(el) && typeof el !== 'string' && el.type === 'ObjectExpression') {
    for (const p of pattern.properties) {
      if (p.type !== 'ObjectProperty' || p.computed || p.key.type !== 'Identifier') continue;
      const name = p.key.name;
      const prop = el.properties.find((q) => q.type === 'ObjectProperty' && !q.computed && ((q.key.type === 'Identifier' && q.key.name === name) || (q.key.type === 'StringLiteral' && q.key.value === name)));
      if (prop && prop.type === 'ObjectProperty') bindPattern(p.value as Node, prop.value as Node, env);
    }
  }
}

/** Fold a path expression with some names bound to elements; unknown parts are HOLE. */
function foldWith(node: Node, env: Env, ev: Evaluator, depth: number): string | undefined {
  if (depth > 6) return undefined;
  const rec = (n: Node) => foldWith(n, env, ev, depth + 1);
  switch (node.type) {
    case 'StringLiteral':
      return node.value;
    case 'Identifier': {
      const el = env.get(node.name);
      if (el === undefined) return ev.foldLoose(node);
      if (typeof el === 'string') return el;
      if (Array.isArray(el)) return undefined;
      return foldWith(el, new Map(), ev, depth + 1);
    }
    case 'MemberExpression': {
      if (node.object.type === 'Identifier' && !node.computed && node.property.type === 'Identifier') {
        const el = env.get(node.object.name);
        if (el && typeof el !== 'string' && !Array.isArray(el) && el.type === 'ObjectExpression') {
          const name = node.property.name;
          const prop = el.properties.find((q) => q.type === 'ObjectProperty' && !q.computed && ((q.key.type === 'Identifier' && q.key.name === name) || (q.key.type === 'StringLiteral' && q.key.value === name)));
          return prop && prop.type === 'ObjectProperty' ? foldWith(prop.value as Node, new Map(), ev, depth + 1) : undefined;
        }
      }
      return ev.foldLoose(node);
    }
    case 'TemplateLiteral':
      return node.quasis.map((q, i) => (q.value.cooked ?? q.value.raw) + (i < node.expressions.length ? rec(node.expressions[i] as Node) ?? HOLE : '')).join('');
    case 'BinaryExpression':
      if (node.operator !== '+' || node.left.type === 'PrivateName') return ev.foldLoose(node);
      return (rec(node.left) ?? HOLE) + (rec(node.right) ?? HOLE);
    case 'CallExpression': {
      const canon = ev.canonical(node.callee);
      if (canon && /^path(?:\.posix|\.win32)?\.(?:join|resolve)$/.test(canon)) {
        const parts = node.arguments.map((a) => (a.type === 'SpreadElement' || a.type === 'ArgumentPlaceholder' ? HOLE : rec(a as Node) ?? HOLE).replace(/\\/g, '/'));
        return parts.length ? path.posix.join(...parts) : undefined;
      }
      return ev.foldLoose(node);
    }
    default:
      return ev.foldLoose(node);
  }
}

/** The list a name iterates over at `site`, and the pattern that binds it, if any. */
function iterationOf(name: string, site: Node): { list: Node; pattern: Node } | undefined {
  for (let p = parentOf(site), i = 0; p && i < 200; p = parentOf(p), i++) {
    if ((p.type === 'ArrowFunctionExpression' || p.type === 'FunctionExpression') && p.params[0] && binds(p.params[0] as Node, name)) {
      const call = parentOf(p);
      if (call?.type === 'CallExpression' && call.arguments[0] === p && call.callee.type === 'MemberExpression' && !call.callee.computed && call.callee.property.type === 'Identifier' && ITERATORS.test(call.callee.property.name)) {
        return { list: call.callee.object, pattern: p.params[0] as Node };
      }
      return undefined;
    }
    if (p.type === 'ForOfStatement' && p.left.type === 'VariableDeclaration') {
      const id = p.left.declarations[0]?.id as Node | undefined;
      if (id && binds(id, name)) return { list: p.right, pattern: id };
    }
  }
  return undefined;
}

function binds(pattern: Node, name: string): boolean {
  if (pattern.type === 'Identifier') return pattern.name === name;
  if (pattern.type === 'ArrayPattern') return pattern.elements.some((e) => !!e && binds(e as Node, name));
  if (pattern.type === 'ObjectPattern') return pattern.properties.some((p) => (p.type === 'ObjectProperty' ? binds(p.value as Node, name) : p.type === 'RestElement' && binds(p.argument, name)));
  if (pattern.type === 'AssignmentPattern') return binds(pattern.left, name);
  return false;
}

/** Names used in an expression (bounded). */
function namesIn(node: Node): Extract<Node, { type: 'Identifier' }>[] {
  const out: Extract<Node, { type: 'Identifier' }>[] = [];
  const stack: Node[] = [node];
  for (let budget = 200; stack.length && budget > 0 && out.length < 8; budget--) {
    const n = stack.pop()!;
    if (n.type === 'Identifier') {
      out.push(n);
      continue;
    }
    for (const k of ['left', 'right', 'expressions', 'arguments', 'object', 'elements', 'argument'] as const) {
      const c = (n as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
    }
  }
  return out;
}

/**
 * Every value a path expression takes when a name in it iterates over a constant list (one list:
 * the first name that does). Empty when no name iterates.
 */
export function foldEachElement(node: Node, ev: Evaluator): string[] {
  for (const id of namesIn(node)) {
    const it = iterationOf(id.name, id);
    if (!it) continue;
    const els = elementsOf(it.list, ev, 0);
    if (!els || els.length === 0) continue;
    const out = new Set<string>();
    for (const el of els.slice(0, MAX_ELEMENTS)) {
      const env: Env = new Map();
      bindPattern(it.pattern, el, env);
      const v = foldWith(node, env, ev, 0);
      if (v !== undefined) out.add(v);
    }
    return [...out];
  }
  return [];
}
