import { VISITOR_KEYS, type Node } from '@babel/types';
import { toBabelShape } from '../parse/estree-to-babel.js';
import { BindingTable, bindPattern, type BindingKind } from './bindings.js';

type WithParent = Node & { tgParent?: Node };

export function parentOf(node: Node): Node | undefined {
  return (node as WithParent).tgParent;
}

export interface WalkResult {
  bindings: BindingTable;
  /** Nodes whose type some listener asked for, in source (pre-)order. */
  interesting: Node[];
  nodeCount: number;
  /** True when the node budget stopped the walk early. */
  truncated: boolean;
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod', 'Program']);
const BLOCK_TYPES = new Set([...FUNCTION_TYPES, 'BlockStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'SwitchStatement', 'StaticBlock', 'CatchClause']);

/** The nearest ancestor of `node` (exclusive) that is a function (var) or a block (let/const). */
function scopeOf(node: Node | undefined, blockScoped: boolean): Node | undefined {
  const set = blockScoped ? BLOCK_TYPES : FUNCTION_TYPES;
  for (let p = node, i = 0; p && i < 10_000; p = (p as WithParent).tgParent, i++) if (set.has(p.type)) return p;
  return undefined;
}

const STORING_METHODS = new Set(['push', 'unshift', 'append', 'set', 'add']);

/** `a.b[k].c` -> { root: 'a', path: ['b', '*', 'c'] }; literal keys count as names. */
function memberPath(node: Node): { root: string; path: string[] } | undefined {
  const path: string[] = [];
  let n: Node = node;
  for (let i = 0; i < 20; i++) {
    if (n.type === 'Identifier') return { root: n.name, path: path.reverse() };
    if (n.type !== 'MemberExpression' && n.type !== 'OptionalMemberExpression') return undefined;
    const p = n.property;
    if (!n.computed && p.type === 'Identifier') path.push(p.name);
    else if (p.type === 'StringLiteral') path.push(p.value);
    else if (p.type === 'NumericLiteral') path.push(String(p.value));
    else path.push('*');
    n = n.object;
  }
  return undefined;
}

function recordDeclarations(node: Node, parent: Node | undefined, table: BindingTable): void {
  switch (node.type) {
    case 'VariableDeclarator': {
      const kind = parent && parent.type === 'VariableDeclaration' ? (parent.kind as BindingKind) : 'var';
      const k: BindingKind = kind === 'const' || kind === 'let' || kind === 'var' ? kind : 'opaque';
      const loop = parent ? (parent as WithParent).tgParent : undefined;
      if (!node.init && (loop?.type === 'ForOfStatement' || loop?.type === 'ForInStatement') && loop.left === parent && node.id.type === 'Identifier') {
        // The loop variable takes each element of the iterated value.
        table.add(node.id.name, { kind: k, init: loop.right, iterates: true, scope: k === 'var' ? scopeOf(parent, false) : loop });
        return;
      }
      bindPattern(table, node.id, { kind: k, init: node.init ?? undefined, scope: scopeOf(parent, k !== 'var') });
      return;
    }
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ObjectMethod':
    case 'ClassMethod': {
      if (node.type === 'FunctionDeclaration' && node.id) table.add(node.id.name, { kind: 'function', init: node, scope: scopeOf(parent, false) });
      node.params.forEach((p, index) => bindPattern(table, p, { kind: 'param', fn: node, index, scope: node }));
      return;
    }
    case 'ClassDeclaration':
      if (node.id) table.add(node.id.name, { kind: 'class', init: node, scope: scopeOf(parent, true) });
      return;
    case 'CatchClause':
      bindPattern(table, node.param, { kind: 'opaque', scope: node });
      return;
    case 'ImportDeclaration': {
      const source = node.source.value;
      const scope = scopeOf(parent, false);
      for (const s of node.specifiers) {
        if (s.type === 'ImportDefaultSpecifier') table.add(s.local.name, { kind: 'import', source, imported: 'default', scope });
        else if (s.type === 'ImportNamespaceSpecifier') table.add(s.local.name, { kind: 'import', source, imported: '*', scope });
        else {
          const imported = s.imported.type === 'Identifier' ? s.imported.name : s.imported.value;
          table.add(s.local.name, { kind: 'import', source, imported, scope });
        }
      }
      return;
    }
    case 'AssignmentExpression':
      if (node.left.type === 'MemberExpression') {
        const m = memberPath(node.left);
        if (m) table.addMemberWrite(m.root, { value: node.right, path: m.path, site: node });
      }
      if (node.left.type === 'Identifier') {
        if (node.operator === '=') table.add(node.left.name, { kind: 'var', init: node.right, site: node });
        else {
          table.taint(node.left.name);
          // `body += chunk`: the name now also carries what was appended (for flows; the evaluator
          // sees a tainted name and folds nothing).
          if (node.operator === '+=') table.addMemberWrite(node.left.name, { value: node.right, path: [], site: node });
        }
      } else if (node.left.type === 'ObjectPattern' || node.left.type === 'ArrayPattern') {
        bindPattern(table, node.left, { kind: 'var', init: node.right, site: node });
      }
      return;
    case 'UpdateExpression':
      if (node.argument.type === 'Identifier') table.taint(node.argument.name);
      return;
    case 'CallExpression':
    case 'NewExpression':
      if (node.callee.type === 'Identifier') table.addCall(node.callee.name, node);
      else if (node.callee.type === 'MemberExpression' && node.callee.property.type === 'Identifier') {
        const method = node.callee.property.name;
        // The stored value lands in some field (an element, an entry) of the object the method is on.
        if (STORING_METHODS.has(method)) {
          const m = memberPath(node.callee.object);
          if (m) for (const a of node.arguments) table.addMemberWrite(m.root, { value: a, path: [...m.path, '*'], site: node });
        } else if (method === 'assign' && node.callee.object.type === 'Identifier' && node.callee.object.name === 'Object' && node.arguments[0]) {
          const m = memberPath(node.arguments[0]);
          if (m) for (const a of node.arguments.slice(1)) table.addMemberWrite(m.root, { value: a, path: [...m.path, '*'], site: node });
        }
      }
      return;
    default:
      return;
  }
}

/**
 * One iterative pre-order walk (no recursion, so 200,000-deep expressions cannot overflow the
 * stack). It records parents, bindings and the nodes listeners want; listeners run afterwards,
 * when every binding in the file is known, so hoisted functions and later declarations resolve.
 */
export function walkFile(ast: Node, wanted: ReadonlySet<string>, maxNodes: number): WalkResult {
  const bindings = new BindingTable();
  const interesting: Node[] = [];
  const stack: Node[] = [ast];
  let nodeCount = 0;
  let truncated = false;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (++nodeCount > maxNodes) {
      truncated = true;
      break;
    }
    if (wanted.has(node.type)) interesting.push(node);
    const keys = VISITOR_KEYS[node.type];
    if (keys) {
      // Push children in reverse so they pop in source order. Each child takes Babel's shape first
      // (acorn's ESTree nodes), so the declarations below and every later reader see one kind of tree.
      const fields = node as unknown as Record<string, unknown>;
      for (let k = keys.length - 1; k >= 0; k--) {
        const key = keys[k]!;
        const child = fields[key];
        if (!child) continue;
        if (Array.isArray(child)) {
          for (let i = child.length - 1; i >= 0; i--) {
            let c = child[i] as WithParent | null;
            if (c && typeof c.type === 'string') {
              const shaped = toBabelShape(c as never) as unknown as WithParent;
              if (shaped !== c) child[i] = c = shaped;
              c.tgParent = node;
              stack.push(c);
            }
          }
        } else if (typeof (child as Node).type === 'string') {
          const c = toBabelShape(child as never) as unknown as WithParent;
          if (c !== child) fields[key] = c;
          c.tgParent = node;
          stack.push(c);
        }
      }
    }
    recordDeclarations(node, (node as WithParent).tgParent, bindings);
  }
  return { bindings, interesting, nodeCount, truncated };
}

/** The child nodes of a node, in source order. */
export function childNodes(n: Node): Node[] {
  const out: Node[] = [];
  for (const k of VISITOR_KEYS[n.type] ?? []) {
    const c = (n as unknown as Record<string, unknown>)[k];
    if (Array.isArray(c)) {
      for (const x of c) if (x && typeof (x as Node).type === 'string') out.push(x as Node);
    } else if (c && typeof (c as Node).type === 'string') out.push(c as Node);
  }
  return out;
}

/**
 * Nodes under `root` (itself included) in pre-order, at most `budget` of them, without recursion.
 * `skip(n)` true yields n but does not descend into it (nested functions, say).
 */
export function* descendants(root: Node, budget = 100_000, skip?: (n: Node) => boolean): Generator<Node> {
  const stack: Node[] = [root];
  while (stack.length && budget-- > 0) {
    const n = stack.pop()!;
    yield n;
    if (n !== root && skip?.(n)) continue;
    const c = childNodes(n);
    for (let i = c.length - 1; i >= 0; i--) stack.push(c[i]!);
  }
}
