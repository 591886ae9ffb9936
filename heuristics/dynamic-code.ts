import type { Node } from '@babel/types';
import { defineRule, type FileContext } from '../src/engine/rule.js';
import { UNKNOWN } from '../src/engine/evaluate.js';

const EVALUATORS = new Set([
  'eval', 'Function', 'vm.runInThisContext', 'vm.runInNewContext', 'vm.runInContext', 'vm.compileFunction', 'vm.Script',
  'vm.SourceTextModule', 'module._compile', 'module.Module._compile', 'module.prototype._compile', 'Module._compile',
  'node-serialize.unserialize', 'serialize-javascript.deserialize',
]);
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);

/** Harmless idioms: `Function('return this')()` finds the global object. */
const BENIGN_CODE = /^\s*(?:return\s+this;?|"use strict";?\s*return\s+this;?|return\s+globalThis;?)\s*$/;

function codeArg(node: Node): Node | undefined {
  if (node.type !== 'CallExpression' && node.type !== 'NewExpression' && node.type !== 'OptionalCallExpression') return undefined;
  const args = node.arguments;
  const last = args[args.length - 1];
  return last && last.type !== 'SpreadElement' && last.type !== 'ArgumentPlaceholder' ? last : undefined;
}

function isDecoding(node: Node, ctx: FileContext): boolean {
  const src = node.start != null && node.end != null ? ctx.text.slice(node.start, Math.min(node.end, node.start + 4000)) : '';
  return /\b(?:atob|fromCharCode|fromCodePoint|base64|hex|unescape|decodeURIComponent)\b|\\x[0-9a-f]{2}/i.test(src);
}

export default defineRule({
  meta: {
    id: 'dynamic-code',
    title: 'Dynamic code execution',
    description:
      'Reports code built at run time and executed: eval (direct, indirect `(0, eval)`, `globalThis["ev"+"al"]`), Function and `new Function`, the vm module, Module._compile, string timers, node-serialize, and require() of a computed name. Code decoded from base64, hex or char codes right before it runs is raised highest.',
    severity: 'medium',
    category: 'dynamic-code',
    references: ['https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/eval', 'https://nodejs.org/api/vm.html'],
    docs: {
      example: "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString())",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule dynamic-code`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    return {
      call(call, ctx) {
        const callee = call.callee;
        if (!callee) return;
        if (EVALUATORS.has(callee)) {
          const arg = codeArg(call.node);
          const folded = arg ? ctx.evaluator.fold(arg) : UNKNOWN;
          if (typeof folded === 'string' && BENIGN_CODE.test(folded)) return;
          if (arg && isDecoding(arg, ctx)) {
            ctx.report({ node: call.node, message: `executes decoded code with ${callee}`, severity: 'high', signals: ['dynamic-code', 'dynamic-code:decoded'] });
          } else if (typeof folded === 'string') {
            ctx.report({ node: call.node, message: `executes constant code with ${callee}`, severity: 'low', signals: ['dynamic-code'] });
          } else {
            ctx.report({ node: call.node, message: `executes code built at run time with ${callee}`, severity: callee.includes('serial') ? 'high' : 'medium', signals: ['dynamic-code'] });
          }
          return;
        }
        if (TIMERS.has(callee)) {
          const first = call.node.arguments[0];
          if (first && (first.type === 'StringLiteral' || first.type === 'TemplateLiteral' || first.type === 'BinaryExpression')) {
            ctx.report({ node: call.node, message: `${callee} with a string argument evaluates it as code`, severity: 'medium', signals: ['dynamic-code'] });
          }
          return;
        }
        if (callee === 'require' || callee === 'module.require' || callee === 'import') {
          const arg = call.node.arguments[0];
          if (!arg || arg.type === 'StringLiteral' || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
          const v = ctx.evaluator.fold(arg);
          if (typeof v === 'string') {
            if (arg.type !== 'TemplateLiteral' && isDecoding(arg, ctx)) {
              ctx.report({ node: call.node, message: `require() of a hidden module name: "${v.slice(0, 80)}"`, severity: 'medium', signals: ['dynamic-require', 'obfuscation'] });
            }
            return;
          }
          ctx.report({ node: call.node, message: 'require() of a name computed at run time', severity: 'info', signals: ['dynamic-require'] });
        }
      },
      nodes: {
        ImportExpression(node, ctx) {
          if (node.type !== 'ImportExpression' || node.source.type === 'StringLiteral') return;
          if (typeof ctx.evaluator.fold(node.source) === 'string') return;
          ctx.report({ node, message: 'import() of a name computed at run time', severity: 'info', signals: ['dynamic-require'] });
        },
      },
    };
  },
});
