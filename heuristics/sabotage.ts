import type { Node } from '@babel/types';
import { defineRule, type FileContext, descendants, parentOf } from '../src/engine/api.js';

function isTopLevel(node: Node): boolean {
  for (let p = parentOf(node), i = 0; p && i < 200; p = parentOf(p), i++) {
    if (p.type === 'Program') return true;
    if (p.type.includes('Function') || p.type === 'ClassMethod' || p.type === 'ObjectMethod' || p.type === 'ClassPrivateMethod') return false;
  }
  return false;
}

/** The loop can never finish by its condition: `for(;;)`, `while (true)`, `i < Infinity`. */
function neverEnds(test: Node | null | undefined, ctx: FileContext): boolean {
  if (!test) return true;
  if (test.type === 'BinaryExpression' && (test.operator === '<' || test.operator === '<=') && test.right.type === 'Identifier' && test.right.name === 'Infinity') return true;
  return ctx.evaluator.fold(test) === true || ctx.evaluator.fold(test) === 1;
}

/** Names the loop condition reads (`list` in `list.length > 0`, `n` in `n < 10`). */
function namesRead(test: Node): Set<string> {
  const names = new Set<string>();
  for (const n of descendants(test, 2_000)) if (n.type === 'Identifier') names.add(n.name);
  if (test.type === 'Identifier') names.add(test.name);
  return names;
}

/** Array and object methods that change their receiver, so a condition over it can change. */
const MUTATORS = new Set(['shift', 'pop', 'push', 'unshift', 'splice', 'delete', 'clear', 'set', 'add', 'fill', 'sort', 'reverse', 'copyWithin', 'next']);

/**
 * Whether the body changes something the condition reads: an assignment or update to one of its
 * names or their fields, or a mutating method called on one (`list.shift()`). Folding sees a
 * `const` array's length as fixed; a loop that drains the array still ends.
 */
function changesCondition(test: Node, body: Node): boolean {
  const names = namesRead(test);
  if (!names.size) return false;
  const rootName = (n: Node): string | undefined => {
    let x: Node = n;
    while (x.type === 'MemberExpression' || x.type === 'OptionalMemberExpression') x = x.object;
    return x.type === 'Identifier' ? x.name : undefined;
  };
  for (const n of descendants(body, 20_000)) {
    if (n.type === 'AssignmentExpression' || n.type === 'UpdateExpression') {
      const target = n.type === 'AssignmentExpression' ? n.left : n.argument;
      const name = rootName(target);
      if (name && names.has(name)) return true;
    }
    if ((n.type === 'CallExpression' || n.type === 'OptionalCallExpression') && (n.callee.type === 'MemberExpression' || n.callee.type === 'OptionalMemberExpression')) {
      const prop = n.callee.property;
      const method = !n.callee.computed && prop.type === 'Identifier' ? prop.name : prop.type === 'StringLiteral' ? prop.value : undefined;
      const name = rootName(n.callee.object);
      if (method && MUTATORS.has(method) && name && names.has(name)) return true;
    }
  }
  return false;
}

const NESTED_FUNCTION = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod', 'ObjectMethod']);

/** Any way out of the loop body: break, return, throw, await/yield, process.exit (nested functions excluded). */
function hasExit(body: Node, ctx: FileContext): boolean {
  let seen = 0;
  for (const n of descendants(body, 20_000, (x) => NESTED_FUNCTION.has(x.type))) {
    seen++;
    if (NESTED_FUNCTION.has(n.type)) continue;
    if (n.type === 'BreakStatement' || n.type === 'ReturnStatement' || n.type === 'ThrowStatement' || n.type === 'AwaitExpression' || n.type === 'YieldExpression') return true;
    if (n.type === 'CallExpression' && ctx.evaluator.canonical(n.callee) === 'process.exit') return true;
  }
  // A body too large to inspect fully is given the benefit of the doubt.
  return seen >= 20_000;
}

export default defineRule({
  meta: {
    id: 'sabotage',
    title: 'Sabotage and protestware',
    description:
      'Reports module-level loops that can never end (a package that hangs every program importing it, as in the colors/faker protestware of 2022).',
    severity: 'high',
    category: 'sabotage',
    references: ['https://snyk.io/blog/open-source-npm-packages-colors-faker/'],
    docs: {
      example: "for (let i = 666; i < Infinity; i++) { console.log('...') }",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule sabotage`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const check = (node: Node, test: Node | null | undefined, body: Node, ctx: FileContext) => {
      if (!isTopLevel(node) || !neverEnds(test, ctx) || hasExit(body, ctx) || (test && changesCondition(test, body))) return;
      ctx.report({ node, message: 'a loop at module level never ends: importing this package hangs the program', signals: ['sabotage'] });
    };
    return {
      nodes: {
        ForStatement(node, ctx) {
          if (node.type === 'ForStatement') check(node, node.test, node.body, ctx);
        },
        WhileStatement(node, ctx) {
          if (node.type === 'WhileStatement') check(node, node.test, node.body, ctx);
        },
        DoWhileStatement(node, ctx) {
          if (node.type === 'DoWhileStatement') check(node, node.test, node.body, ctx);
        },
      },
    };
  },
});
