// Requests the proxy makes to the registries the user's npm config names. They go through
// npm-registry-fetch with the same flattened config as `tollgate scan`, so the registry a name goes
// to (`@scope:registry`, else `registry`), proxies and TLS agree with npm; and credentials are
// attached by npm-registry-fetch only to the registry URL they are keyed to (`//host/:_authToken`).
// Nothing the package manager sends (its headers, its auth) is passed on.
import os from 'node:os';
import path from 'node:path';
import npmFetch from 'npm-registry-fetch';
import { toFetchOptions } from '../fetch/npm-config.js';
import { registryFor } from '../audit/plan.js';
import { redactText } from '../io/redact.js';
import { withDeadline as withTotalDeadline } from '../io/deadline.js';

/**
 * Largest packument the proxy streams through (the largest real full ones are a few hundred MB).
 * Memory does not grow with it: the bound is on time and bandwidth spent for a hostile registry.
 */
export const MAX_PACKUMENT_BYTES = 1024 * 1024 * 1024;
/** Largest request body forwarded upstream (npm's audit POST). */
export const MAX_FORWARD_BODY_BYTES = 16 * 1024 * 1024;

export class UpstreamError extends Error {
  constructor(
    message: string,
    /** HTTP status the registry answered with, or 502 when it could not be reached. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamOptions {
  npmConfig: Record<string, unknown>;
  timeoutMs?: number;
  deadlineMs?: number;
  maxPackumentBytes?: number;
}

/** The upstream registry for a package name, with a trailing slash. */
export const upstreamRegistry = (name: string, npmConfig: Record<string, unknown>): string => registryFor(name, npmConfig);

function fetchOptions(o: UpstreamOptions): Record<string, unknown> {
  const opts: Record<string, unknown> = { fetchRetries: 2, ...toFetchOptions(o.npmConfig) };
  // Packuments are revalidated against npm's own HTTP cache (ETag), as npm does.
  opts.cache ??= path.join(os.homedir(), '.npm', '_cacache');
  if (o.timeoutMs !== undefined) opts.timeout = o.timeoutMs;
  return opts;
}

function withDeadline<T>(what: string, ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withTotalDeadline(ms, () => new UpstreamError(`${what} did not arrive within ${Math.round(ms / 1000)} s`, 504), run);
}

function describe(err: unknown, what: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = (err ?? {}) as { code?: string; statusCode?: number; message?: string };
  if (e.statusCode) return new UpstreamError(`${what}: the registry answered HTTP ${e.statusCode}`, e.statusCode);
  return new UpstreamError(`${what}: could not reach the registry (${e.code ?? 'EFETCH'}: ${redactText(e.message ?? String(err))}); check your network and the registry in your npm config`, 502);
}

/**
 * Open the packument of `name` at its upstream. `accept` is the package manager's (the
 * abbreviated `application/vnd.npm.install-v1+json` or full JSON). 404 and other HTTP errors are
 * UpstreamErrors carrying the status; the deadline covers the whole read, body included.
 */
export async function streamUpstreamPackument(name: string, accept: string | undefined, o: UpstreamOptions, onChunk: (chunk: Buffer, type: string | undefined) => void | Promise<void>): Promise<void> {
  const registry = upstreamRegistry(name, o.npmConfig);
  const url = `${registry}${name.replace('/', '%2f')}`;
  const what = `registry metadata for "${name}" from ${redactText(registry)}`;
  const max = o.maxPackumentBytes ?? MAX_PACKUMENT_BYTES;
  try {
    await withDeadline(what, o.deadlineMs ?? 5 * 60_000, async (signal) => {
      const res = await npmFetch(url, { ...fetchOptions(o), spec: name, headers: { accept: accept ?? 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' }, signal } as npmFetch.Options);
      const type = res.headers.get('content-type') ?? undefined;
      let size = 0;
      for await (const c of res.body as unknown as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > max) throw new UpstreamError(`${what} is larger than ${max} bytes; refused`, 502);
        await onChunk(c, type);
      }
    });
  } catch (err) {
    throw describe(err, what);
  }
}

/** Forward a registry API request (npm's audit POST, dist-tags, search) to the default registry; the answer streams back. */
export async function forwardUpstream(method: string, pathAndQuery: string, body: Buffer | undefined, headersIn: { contentType?: string; contentEncoding?: string }, o: UpstreamOptions): Promise<{ status: number; type?: string; body: NodeJS.ReadableStream }> {
  const registry = upstreamRegistry('', o.npmConfig);
  const url = registry + pathAndQuery.replace(/^\/+/, '');
  const headers: Record<string, string> = {};
  // npm gzips its audit POST; only the body's own description is passed on, never auth.
  if (headersIn.contentType) headers['content-type'] = headersIn.contentType;
  if (headersIn.contentEncoding) headers['content-encoding'] = headersIn.contentEncoding;
  const res = await npmFetch(url, { ...fetchOptions(o), method, body, headers, ignoreBody: false, cache: undefined } as unknown as npmFetch.Options).catch((err: { statusCode?: number; body?: unknown }) => {
    if (err?.statusCode) return undefined;
    throw describe(err, `${method} ${pathAndQuery}`);
  });
  if (!res) throw new UpstreamError(`${method} ${pathAndQuery}: refused by the registry`, 404);
  return { status: res.status, type: res.headers.get('content-type') ?? undefined, body: res.body as unknown as NodeJS.ReadableStream };
}
