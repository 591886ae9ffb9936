import type { Node } from '@babel/types';
import type { Evaluator } from './evaluate.js';
import { networkPattern } from '../../catalog/callees.js';

/**
 * Network sinks by canonical callee (the catalog's callees that send their arguments out), shared
 * by the rules that report flows, so they agree on what "sends data out" means.
 */
export const NETWORK_CALLS = networkPattern((c) => c.sends);
/** Writes on objects those calls return: `https.request(…).write(data)`, `new WebSocket(u).send(d)`. */
export const STREAM_WRITE = /^(?:(?:https?|http2)\.(?:request|get)|net\.(?:connect|createConnection|Socket)|tls\.connect|dgram\.createSocket|WebSocket|XMLHttpRequest|ws)\(\)\.(?:write|end|send)$/;
export const DNS_CALLS = /^dns(?:\.promises)?\.(?:lookup|resolve\w*|reverse)$/;

/** `https.request().on().setTimeout().end` -> `https.request().end`: chained setters return the stream. */
export function normalizeChain(callee: string): string {
  return callee.replace(/\.(?:on|once|setTimeout|setHeader|setNoDelay|setEncoding|setKeepAlive|addListener|prependListener)\(\)/g, '');
}

/** Where a network call goes: its URL argument, or the host/url field of its options object. */
export function destinationOf(args: readonly Node[], ev: Evaluator): string | undefined {
  const first = args[0];
  if (!first || first.type === 'SpreadElement' || first.type === 'ArgumentPlaceholder') return undefined;
  const opts = first.type === 'ObjectExpression' ? first : first.type === 'Identifier' ? ev.initOf(first) : undefined;
  if (opts?.type === 'ObjectExpression') {
    let host: string | undefined;
    let path = '';
    for (const p of opts.properties) {
      if (p.type !== 'ObjectProperty' || p.computed || p.key.type !== 'Identifier') continue;
      if (/^(?:host|hostname|url|uri|baseURL)$/.test(p.key.name)) host = ev.foldLoose(p.value);
      else if (p.key.name === 'path') path = ev.foldLoose(p.value) ?? '';
    }
    return host === undefined ? undefined : host + (path.startsWith('/') ? path : '');
  }
  return ev.foldLoose(first);
}
