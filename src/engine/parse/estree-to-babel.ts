/**
 * ESTree (acorn) nodes turned into the Babel shapes the engine and the rules are written against,
 * in place, one node at a time as the walk reaches it: no second tree is built. Babel-parsed nodes
 * pass through untouched (none of the types below occur in Babel's output with our options).
 *
 * The differences handled are the ones in Babel's own "estree" plugin notes: Literal splits by
 * value, Property becomes ObjectProperty or ObjectMethod, MethodDefinition and PropertyDefinition
 * become class members with their function hoisted, PrivateIdentifier becomes PrivateName, a
 * ChainExpression dissolves into Optional* nodes, and import() is a call of `Import`.
 *
 * Cost (Node 24, 2026-12-02, scripts/measure-tiers.ts, CPU time): 5-8% of an acorn parse of the same
 * files, for an acorn tier that saves over half the analysis (see fast-parse.ts).
 */
import { FastNode } from './fast-parse.js';

type Loose = Record<string, any> & { type: string; start: number; end: number };

const CHAIN_LINKS = new Set(['MemberExpression', 'CallExpression']);

/** Normalize `node` and return what belongs in its parent's slot (a ChainExpression gives way to its contents). */
export function toBabelShape(node: Loose): Loose {
  switch (node.type) {
    case 'Literal':
      literal(node);
      return node;
    case 'Property':
      if (node.kind === 'init' && !node.method) node.type = 'ObjectProperty';
      else hoistFunction(node, 'ObjectMethod', node.kind === 'init' ? 'method' : node.kind);
      return node;
    case 'MethodDefinition':
      hoistFunction(node, node.key?.type === 'PrivateIdentifier' ? 'ClassPrivateMethod' : 'ClassMethod', node.kind);
      return node;
    case 'PropertyDefinition':
      node.type = node.key?.type === 'PrivateIdentifier' ? 'ClassPrivateProperty' : 'ClassProperty';
      return node;
    case 'AccessorProperty':
      node.type = 'ClassAccessorProperty';
      return node;
    case 'PrivateIdentifier':
      node.type = 'PrivateName';
      node.id = synthetic(node, 'Identifier', node.start + 1, node.end);
      node.id.name = node.name;
      return node;
    case 'ImportExpression': {
      const args = [node.source, ...(node.options ? [node.options] : [])];
      node.type = 'CallExpression';
      node.callee = synthetic(node, 'Import', node.start, node.start + 6);
      node.arguments = args;
      node.optional = false;
      // Assigned, not deleted: a delete turns the node into a slow dictionary-mode object.
      node.source = undefined;
      node.options = undefined;
      return node;
    }
    case 'ChainExpression':
      return dissolveChain(node);
    case 'Program':
    case 'BlockStatement':
      if (node.body?.[0]?.directive !== undefined && node.directives === undefined) directives(node);
      return node;
    default:
      return node;
  }
}

/** A node Babel has and ESTree lacks, made like the parser's own so `loc` works on it. */
function synthetic(parent: Loose, type: string, start: number, end: number): Loose {
  const n = (parent instanceof FastNode ? new FastNode(start, parent.tgSource) : { type, start, end }) as unknown as Loose;
  n.type = type;
  n.end = end;
  return n;
}

/** Babel keeps a body's prologue ('use strict') apart, as Directive nodes, not as statements. */
function directives(block: Loose): void {
  let n = 0;
  while (n < block.body.length && typeof block.body[n].directive === 'string') n++;
  block.directives = block.body.slice(0, n).map((stmt: Loose) => {
    const directive = synthetic(stmt, 'Directive', stmt.start, stmt.end);
    directive.value = synthetic(stmt.expression, 'DirectiveLiteral', stmt.expression.start, stmt.expression.end);
    directive.value.value = stmt.directive;
    return directive;
  });
  block.body = block.body.slice(n);
}

function literal(node: Loose): void {
  const value = node.value;
  if (node.regex) {
    node.type = 'RegExpLiteral';
    node.pattern = node.regex.pattern;
    node.flags = node.regex.flags;
    node.value = undefined; // Babel's RegExpLiteral has no value (acorn's is a live RegExp)
  } else if (node.bigint !== undefined) {
    node.type = 'BigIntLiteral';
    node.value = node.bigint;
  } else if (typeof value === 'string') node.type = 'StringLiteral';
  else if (typeof value === 'number') node.type = 'NumericLiteral';
  else if (typeof value === 'boolean') node.type = 'BooleanLiteral';
  else node.type = 'NullLiteral';
}

/** Babel's methods carry params and body themselves; ESTree keeps them on a FunctionExpression value. */
function hoistFunction(node: Loose, type: string, kind: string): void {
  const fn = node.value;
  node.type = type;
  node.kind = kind;
  node.params = fn?.params ?? [];
  node.body = fn?.body;
  node.generator = !!fn?.generator;
  node.async = !!fn?.async;
  node.id = null;
  node.value = undefined;
}

/**
 * `a?.b.c()` is ChainExpression(Call(Member(Member(a, b, optional), c))) in ESTree and
 * OptionalCall(OptionalMember(OptionalMember(a, b, optional: true), c)) in Babel: every link from
 * the top down to the deepest `?.` is optional-typed, links below it stay plain.
 */
function dissolveChain(chain: Loose): Loose {
  const spine: Loose[] = [];
  for (let n: Loose | undefined = chain.expression; n && CHAIN_LINKS.has(n.type); n = n.type === 'MemberExpression' ? n.object : n.callee) spine.push(n);
  let deepest = -1;
  spine.forEach((n, i) => {
    if (n.optional) deepest = i;
  });
  for (let i = 0; i <= deepest; i++) {
    const n = spine[i]!;
    n.type = n.type === 'MemberExpression' ? 'OptionalMemberExpression' : 'OptionalCallExpression';
    n.optional = !!n.optional;
  }
  return chain.expression;
}
