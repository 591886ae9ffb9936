// A loopback npm changes feed + registry that replays a fixed set of versions, for
// `npm run bench:feed`. It serves what the watcher reads (see /work/shared/feed/FEED.md):
// `GET /registry/` (info doc with update_seq), `GET /registry/_changes?since=&limit=` (CouchDB
// normal feed, one row per package at its latest change), full packuments with `time` and `_rev`,
// and tarballs, all from memory. No faults: the tests' fake (test/helpers/feed.ts) injects those;
// this one only has to be fast and hold thousands of real tarballs.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import semver from 'semver';

export interface ReplayVersion {
  name: string;
  version: string;
  /** The .tgz bytes, served as they are (their sha512 becomes dist.integrity). */
  tarball: Buffer;
  /** Publish time (ISO) in the packument's `time`. */
  time: string;
  /**
   * The tarball's package.json, which the registry serves as the version's manifest (scripts,
   * dependencies, bin...). Without it every version with an install script would look like a
   * manifest-confusion attack (a script the registry manifest hides).
   */
  packageJson?: Record<string, unknown>;
}

export interface ReplayFeed {
  url: string;
  changesUrl: string;
  /** Versions served. */
  count: number;
  requests: { changes: number; packument: number; tarball: number };
  close(): Promise<void>;
}

const basename = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

export async function startReplayFeed(versions: readonly ReplayVersion[]): Promise<ReplayFeed> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tarballPath = (name: string, version: string): string => `/${name}/-/${basename(name)}-${version}.tgz`;

  // Everything is published up front, in the given order; each publish is one change. CouchDB
  // lists a document once, at its latest change, so the feed has one row per package.
  const tarballs = new Map<string, Buffer>();
  const byName = new Map<string, { versions: Map<string, { manifest: Record<string, unknown>; time: string }>; lastSeq: number }>();
  let seq = 0;
  for (const v of versions) {
    seq++;
    tarballs.set(tarballPath(v.name, v.version), v.tarball);
    if (!byName.has(v.name)) byName.set(v.name, { versions: new Map(), lastSeq: 0 });
    const doc = byName.get(v.name)!;
    doc.lastSeq = seq;
    doc.versions.set(v.version, {
      time: v.time,
      manifest: {
        ...v.packageJson,
        name: v.name,
        version: v.version,
        _id: `${v.name}@${v.version}`,
        dist: {
          tarball: url + tarballPath(v.name, v.version),
          integrity: `sha512-${createHash('sha512').update(v.tarball).digest('base64')}`,
          shasum: createHash('sha1').update(v.tarball).digest('hex'),
        },
      },
    });
  }
  const head = seq;
  const packuments = new Map<string, string>();
  for (const [name, doc] of byName) {
    const all = [...doc.versions.keys()].sort(semver.compare);
    const times = all.map((v) => doc.versions.get(v)!.time);
    const sorted = [...times].sort();
    const time: Record<string, string> = { created: sorted[0]!, modified: sorted[sorted.length - 1]! };
    all.forEach((v, i) => (time[v] = times[i]!));
    packuments.set(
      name,
      JSON.stringify({
        _id: name,
        _rev: `${all.length}-${createHash('md5').update(name + all.length).digest('hex')}`,
        name,
        'dist-tags': { latest: all[all.length - 1] },
        versions: Object.fromEntries(all.map((v) => [v, doc.versions.get(v)!.manifest])),
        time,
      }),
    );
  }
  const rows = [...byName.entries()]
    .map(([name, doc]) => ({ seq: doc.lastSeq, id: name, changes: [{ rev: JSON.parse(packuments.get(name)!)._rev as string }] }))
    .sort((a, b) => a.seq - b.seq);

  const requests = { changes: 0, packument: 0, tarball: 0 };
  server.on('request', (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const pathname = decodeURIComponent(u.pathname);
    const send = (status: number, body: string | Buffer, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (pathname === '/registry/' || pathname === '/registry') return send(200, JSON.stringify({ db_name: 'registry', update_seq: head }));
    if (pathname === '/registry/_changes') {
      requests.changes++;
      const since = Number(u.searchParams.get('since') ?? 0) || 0;
      const limit = Math.min(10_000, Math.max(1, Number(u.searchParams.get('limit') ?? 1000) || 1000));
      if (u.searchParams.get('descending') === 'true') return send(200, JSON.stringify({ results: rows.slice(-1).reverse(), last_seq: head }));
      const page = rows.filter((r) => r.seq > since).slice(0, limit);
      const last = page.length ? page[page.length - 1]!.seq : Math.max(since, 0);
      return send(200, JSON.stringify({ results: page.map((r) => ({ ...r, seq: r.seq })), last_seq: last }));
    }
    const tgz = tarballs.get(pathname);
    if (tgz) {
      requests.tarball++;
      return send(200, tgz, 'application/octet-stream');
    }
    const doc = packuments.get(pathname.slice(1));
    if (doc) {
      requests.packument++;
      return send(200, doc);
    }
    send(404, JSON.stringify({ error: 'not_found' }));
  });

  return {
    url,
    changesUrl: `${url}/registry/_changes`,
    count: versions.length,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
