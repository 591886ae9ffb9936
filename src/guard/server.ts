// The guard's registry proxy: an HTTP server on loopback that the package manager uses as its
// registry. Packuments come from the upstream each name belongs to, their tarball URLs rewritten
// to the proxy; a tarball is served only after TarballScanner has scanned it and the policy lets
// it through. Everything that cannot be checked is refused (fail closed).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { safeLine } from '../report/sanitize.js';
import { redactUrl } from '../io/redact.js';
import { decide, decideOutcome, type Decision, type Policy } from './decision.js';
import { PackumentRecordReader, PackumentRewriter, PackumentSyntaxError, type TarballRecord } from './packument-rewrite.js';
import { routeOf } from './paths.js';
import { streamUpstreamPackument, forwardUpstream, MAX_FORWARD_BODY_BYTES, UpstreamError, type UpstreamOptions } from './upstream.js';
import type { TarballScanner } from './scanner.js';

/** Tarball records kept from the packuments seen (a few hundred bytes each). */
const MAX_RECORDS = 200_000;
/**
 * A packument read only for its records (a lockfile install asks for tarballs without it) is parsed
 * whole up to this size (PackumentRecordReader); a larger one streams. Nearly all abbreviated
 * packuments are below it: of the benchmark lockfile's 611, all but 3 (the largest is 21 MB).
 */
const PARSE_WHOLE_BYTES = 8 * 1024 * 1024;

export interface GuardStats {
  /** Tarball requests answered. */
  requested: number;
  /** Tarballs analyzed in this run. */
  scanned: number;
  /** Verdicts taken from the results cache. */
  fromCache: number;
  served: number;
  blocked: number;
}

/** One tarball decision, for the log line and for tests. */
export interface DecisionEvent {
  name: string;
  version: string;
  decision: Decision;
  ms: number;
}

export interface GuardServerOptions extends UpstreamOptions {
  host?: string;
  port?: number;
  policy: Policy;
  scanner: TarballScanner;
  onDecision?: (e: DecisionEvent) => void;
}

export interface GuardServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  stats: GuardStats;
  /** Tarball request paths seen, in order. */
  tarballRequests: string[];
  /** Where upstream serves a tarball, from the packuments seen (to take the proxy out of a lockfile). */
  upstreamOf(name: string, version: string): string | undefined;
  close(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
};

/** Run `read`; a packument that is not JSON becomes a 502 from the registry (the proxy cuts the answer off). */
function asUpstreamError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof PackumentSyntaxError ? new UpstreamError(err.message, 502) : err;
  }
}

async function readRequestBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_FORWARD_BODY_BYTES) throw new UpstreamError(`request body larger than ${MAX_FORWARD_BODY_BYTES} bytes`, 413);
    chunks.push(c);
  }
  return Buffer.concat(chunks, size);
}

export async function startGuardServer(o: GuardServerOptions): Promise<GuardServer> {
  const stats: GuardStats = { requested: 0, scanned: 0, fromCache: 0, served: 0, blocked: 0 };
  const tarballRequests: string[] = [];
  // What each packument said about each version's tarball: `name@version` -> record.
  const records = new Map<string, TarballRecord>();
  const packumentLoads = new Map<string, Promise<void>>();
  let base = '';

  const index = (list: TarballRecord[]): void => {
    // A long-running --serve sees many packuments: past the cap the index starts over (a record
    // missing later is read again from its packument, so this costs a request, never a check).
    if (records.size + list.length > MAX_RECORDS) records.clear();
    for (const r of list) records.set(`${r.name}@${r.version}`, r);
  };

  /**
   * Stream `name`'s packument from upstream through a rewriter: `send` gets the rewritten bytes
   * (the first call carries the upstream Content-Type), records are indexed as they complete.
   */
  const rewriteUpstream = async (name: string, accept: string | undefined, proxyBase: string, send: (bytes: Buffer, type: string | undefined) => void | Promise<void>): Promise<void> => {
    const found: TarballRecord[] = [];
    const rewriter = new PackumentRewriter(name, proxyBase, (r) => found.push(r));
    await streamUpstreamPackument(name, accept, o, async (chunk, type) => {
      const out = asUpstreamError(() => rewriter.push(chunk));
      if (found.length) index(found.splice(0));
      if (out.length) await send(out, type);
    });
    asUpstreamError(() => rewriter.end());
    index(found);
  };

  /** `name`'s records, for a tarball asked for without its packument first (a lockfile install). */
  const readRecords = async (name: string): Promise<void> => {
    const reader = new PackumentRecordReader(name, PARSE_WHOLE_BYTES);
    await streamUpstreamPackument(name, undefined, o, (chunk) => index(asUpstreamError(() => reader.push(chunk))));
    index(asUpstreamError(() => reader.end()));
  };

  const recordFor = async (name: string, version: string): Promise<TarballRecord | undefined> => {
    const known = records.get(`${name}@${version}`);
    if (known) return known;
    let load = packumentLoads.get(name);
    if (!load) {
      load = readRecords(name).finally(() => packumentLoads.delete(name));
      packumentLoads.set(name, load);
    }
    await load;
    return records.get(`${name}@${version}`);
  };

  const servePackument = async (name: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const accept = typeof req.headers.accept === 'string' ? req.headers.accept : undefined;
    // Tarball URLs name the address the client reached us at (a --serve on 0.0.0.0 is reached by its LAN name).
    const host = req.headers.host;
    const proxyBase = host && /^[a-z0-9.:[\]-]{1,300}$/i.test(host) ? `http://${host}` : base;
    await rewriteUpstream(name, accept, proxyBase, async (bytes, type) => {
      // Headers wait for the first byte, so an upstream that fails before answering still gets
      // its status through. No ETag or Last-Modified: the body names this proxy's address, which
      // changes between runs. No Content-Length: the rewritten length is known only at the end.
      if (!res.headersSent) res.writeHead(200, { 'content-type': type && /json/i.test(type) ? type : 'application/json', 'cache-control': 'no-store' });
      if (!res.write(bytes)) await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          res.off('drain', onDrain);
          res.off('close', onClose);
        };
        const onDrain = () => (cleanup(), resolve());
        const onClose = () => (cleanup(), reject(new UpstreamError('the package manager closed the connection', 499)));
        res.on('drain', onDrain);
        res.on('close', onClose);
      });
    });
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end();
  };

  const serveTarball = async (name: string, version: string, rawPath: string, res: http.ServerResponse): Promise<void> => {
    const t0 = performance.now();
    tarballRequests.push(rawPath);
    stats.requested++;
    let decision: Decision;
    let data: Buffer | undefined;
    let rec: TarballRecord | undefined;
    try {
      rec = await recordFor(name, version);
    } catch (err) {
      const e = err instanceof UpstreamError ? err : new UpstreamError((err as Error).message, 502);
      decision = { action: 'refuse', status: e.status === 404 ? 404 : 502, cached: false, message: `tollgate guard refused ${safeLine(name)}@${safeLine(version)}: ${safeLine(e.message)}. Nothing unchecked is served (fail closed)` };
    }
    // A cached verdict that refuses answers at once: nothing is downloaded.
    const early = rec && o.scanner.cachedResult(rec);
    const refusedEarly = early ? decide(name, version, early, true, o.policy) : undefined;
    if (refusedEarly?.action === 'refuse') {
      stats.fromCache++;
      decision = refusedEarly;
    } else if (rec) {
      const outcome = await o.scanner.scan(rec);
      if (outcome.cached) stats.fromCache++;
      else if (outcome.result.verdict !== 'error') stats.scanned++;
      data = outcome.data;
      decision = decideOutcome(name, version, outcome, o.policy);
    } else {
      decision ??= { action: 'refuse', status: 404, cached: false, message: `tollgate guard refused ${safeLine(name)}@${safeLine(version)}: the registry lists no such version, so there is no integrity to check it against` };
    }
    if (decision.action === 'serve' && data) {
      stats.served++;
      // Not cacheable: each install asks again and is decided by the engine of the day (from the
      // results cache when it has this engine's verdict), so a rule added later reaches cached packages.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length, 'cache-control': 'no-store' });
      res.end(data);
    } else {
      stats.blocked++;
      const d = decision as Extract<Decision, { action: 'refuse' }>;
      json(res, d.status, { error: d.message, package: `${name}@${version}`, verdict: d.result?.verdict ?? 'error', reasons: d.result?.reasons ?? [] });
    }
    o.onDecision?.({ name, version, decision, ms: Math.round(performance.now() - t0) });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const route = routeOf(url.pathname);
    const method = req.method ?? 'GET';
    if (route.kind === 'health') return json(res, 200, { ok: true, upstream: redactUrl(String(o.npmConfig.registry ?? 'https://registry.npmjs.org/')), failOn: o.policy.failOn, failOpen: o.policy.failOpen, stats });
    if (route.kind === 'ping') return json(res, 200, {});
    if ((route.kind === 'packument' || route.kind === 'tarball') && method !== 'GET' && method !== 'HEAD') return json(res, 405, { error: 'tollgate guard only reads from the registry (publish directly, not through the guard)' });
    if (route.kind === 'packument') return servePackument(route.name, req, res);
    if (route.kind === 'tarball') return serveTarball(route.name, route.version, url.pathname, res);
    // Registry API calls npm makes around an install (the audit POST, dist-tags): passed to the default registry.
    if (url.pathname.startsWith('/-/') && (method === 'GET' || method === 'POST')) {
      const body = method === 'POST' ? await readRequestBody(req) : undefined;
      const up = await forwardUpstream(method, url.pathname + url.search, body, { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'] }, o);
      res.writeHead(up.status, { 'content-type': up.type ?? 'application/octet-stream', 'cache-control': 'no-store' });
      up.body.pipe(res);
      return;
    }
    json(res, 404, { error: `tollgate guard: ${safeLine(url.pathname)} is not a registry request it knows` });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof UpstreamError ? err : new UpstreamError(`tollgate guard: ${(err as Error).message}`, 502);
      if (!res.headersSent) json(res, e.status, { error: safeLine(e.message) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  base = `http://${host}:${addr.port}`;
  return {
    url: base,
    stats,
    tarballRequests,
    upstreamOf: (name, version) => records.get(`${name}@${version}`)?.upstreamUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
