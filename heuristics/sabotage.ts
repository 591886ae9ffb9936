import { VISITOR_KEYS, type Node } from '@babel/types';
import { defineRule, type FileContext } from '../src/engine/rule.js';
import { parentOf } from '../src/engine/walk.js';

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

/** Any way out of the loop body: break, return, throw, await/yield, process.exit (nested functions excluded). */
function hasExit(body: Node, ctx: FileContext): boolean {
  const stack: Node[] = [body];
  for (let budget = 20_000; stack.length && budget > 0; budget--) {
    const n = stack.pop()!;
    switch (n.type) {
      case 'BreakStatement':
      case 'ReturnStatement':
      case 'ThrowStatement':
      case 'AwaitExpression':
      case 'YieldExpression':
        return true;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassMethod':
      case 'ObjectMethod':
        continue;
      case 'CallExpression':
        if (ctx.evaluator.canonical(n.callee) === 'process.exit') return true;
        break;
      default:
        break;
    }
    for (const k of VISITOR_KEYS[n.type] ?? []) {
      const c = (n as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
    }
  }
  return budgetExceeded(stack);
}

/** A body too large to inspect is given the benefit of the doubt. */
function budgetExceeded(stack: Node[]): boolean {
  return stack.length > 0;
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
      if (!isTopLevel(node) || !neverEnds(test, ctx) || hasExit(body, ctx)) return;
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
