// A throwaway npm registry on 127.0.0.1 for tests: real HTTP, real packuments and tarballs, so
// pacote / npm-registry-fetch run their normal code paths (integrity, caching, scoped names)
// without touching the network.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import semver from 'semver';
import { Header } from 'tar';

export interface FixturePackage {
  name: string;
  version: string;
  /** Files relative to the package root; package.json is generated from name/version if missing. */
  files: Record<string, string | Buffer>;
  /** Serve different bytes than the packument's dist.integrity promises (a tampered tarball). */
  corruptTarball?: boolean;
  /** Bytes served as the tarball, with an integrity that matches them (an unreadable package, not a tampered one). */
  rawTarball?: Buffer;
  // Registry metadata (full packument fields), for the registry-signal tests:
  /** Publish time (ISO) in the packument's `time`; default 2020-01-01. */
  time?: string;
  /** `_npmUser` of this version. */
  npmUser?: { name: string; email?: string };
  /** `maintainers` of this version (also the packument's, from the latest version). */
  maintainers?: { name: string; email?: string }[];
  /** Published with a provenance attestation (`dist.attestations`). */
  attestations?: boolean;
  /** `repository` of this version's manifest. */
  repository?: unknown;
  /** Fields merged over this version's registry manifest, so it can disagree with the tarball's package.json. */
  registryManifest?: Record<string, unknown>;
}

export interface TestRegistry {
  url: string;
  close(): Promise<void>;
  /** Every request path, in order (as sent, so scoped names show their encoding). */
  requests: string[];
  /** The Authorization header of each request (undefined when none), parallel to `requests`. */
  authorizations: (string | undefined)[];
  /** The HTTP status of each answer, parallel to `requests` (304 when a packument's ETag matched). */
  statuses: number[];
  /** The Accept header of each request, parallel to `requests`. */
  accepts: (string | undefined)[];
  tarballUrl(name: string, version: string): string;
  /** The `dist.integrity` the packument gives name@version (what a lockfile records for it). */
  integrityOf(name: string, version: string): string;
}

/** Build a gzipped npm-style tarball (every entry under `package/`) entirely in memory. */
export async function packTarball(files: Record<string, string | Buffer>): Promise<Buffer> {
  const blocks: Buffer[] = [];
  const mtime = new Date('1985-10-26T08:15:00.000Z'); // what npm pack uses
  for (const [rel, content] of Object.entries(files)) {
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    const header = new Header({ path: `package/${rel.replace(/\\/g, '/')}`, mode: 0o644, size: body.length, mtime, type: 'File', uid: 0, gid: 0 });
    header.encode();
    if (!header.block) throw new Error(`could not encode tar header for ${rel}`);
    blocks.push(header.block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024)); // end-of-archive marker: two zero blocks
  return zlib.gzipSync(Buffer.concat(blocks));
}

function withPackageJson(pkg: FixturePackage): Record<string, string | Buffer> {
  if (pkg.files['package.json'] !== undefined) return pkg.files;
  return { 'package.json': JSON.stringify({ name: pkg.name, version: pkg.version }, null, 2), ...pkg.files };
}

const basename = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

export async function startRegistry(pkgs: FixturePackage[]): Promise<TestRegistry> {
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const statuses: number[] = [];
  const accepts: (string | undefined)[] = [];
  // name -> version -> { manifest, tarball bytes actually served, publish time }
  const byName = new Map<string, Map<string, { manifest: Record<string, unknown>; served: Buffer; time?: string }>>();
  let url = '';
  const tarballPath = (name: string, version: string): string => `/${name}/-/${basename(name)}-${version}.tgz`;
  const tarballUrl = (name: string, version: string): string => url + tarballPath(name, version);

  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    requests.push(raw);
    authorizations.push(req.headers.authorization);
    accepts.push(req.headers.accept);
    // Scoped names arrive as /@scope%2fname (npm) or /@scope/name; decode both to one form.
    const pathname = decodeURIComponent(new URL(raw, 'http://x').pathname);
    const send = (status: number, body: Buffer | string, type: string, headers: Record<string, string> = {}): void => {
      statuses.push(status);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const notFound = (): void => send(404, JSON.stringify({ error: 'Not found' }), 'application/json');

    const tgz = /^\/(.+)\/-\/[^/]+-([^/]+)\.tgz$/.exec(pathname);
    if (tgz) {
      const [, name, version] = tgz as unknown as [string, string, string];
      const entry = byName.get(name)?.get(version);
      return entry && tarballPath(name, version) === pathname ? send(200, entry.served, 'application/octet-stream') : notFound();
    }
    const name = pathname.slice(1);
    const versions = byName.get(name);
    if (!versions) return notFound();
    const all = [...versions.keys()].sort(semver.compare);
    const DEFAULT_TIME = '2020-01-01T00:00:00.000Z';
    const times = all.map((v) => versions.get(v)!.time ?? DEFAULT_TIME);
    const sortedTimes = [...times].sort();
    const time: Record<string, string> = { created: sortedTimes[0]!, modified: sortedTimes[sortedTimes.length - 1]! };
    all.forEach((v, i) => (time[v] = times[i]!));
    const latest = versions.get(all[all.length - 1]!)!.manifest;
    const packument = {
      _id: name,
      name,
      'dist-tags': { latest: all[all.length - 1] },
      versions: Object.fromEntries(all.map((v) => [v, versions.get(v)!.manifest])),
      time,
      ...(latest.maintainers ? { maintainers: latest.maintainers } : {}),
    };
    // ETag revalidation, as the public registry does: a matching If-None-Match gets a bodiless 304.
    const body = JSON.stringify(packument);
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) return send(304, '', 'application/json', { etag });
    return send(200, body, 'application/json', { etag });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (const pkg of pkgs) {
    const files = withPackageJson(pkg);
    const tarball = pkg.rawTarball ?? (await packTarball(files));
    // A tampered tarball: valid gzip/tar, different content, so only the checksum can catch it.
    const served = pkg.corruptTarball ? await packTarball({ ...files, 'tampered.js': 'require("child_process")' }) : tarball;
    const pj = JSON.parse(String(files['package.json'])) as Record<string, unknown>;
    const manifest = {
      ...pj,
      name: pkg.name,
      version: pkg.version,
      _id: `${pkg.name}@${pkg.version}`,
      ...(pkg.npmUser ? { _npmUser: pkg.npmUser } : {}),
      ...(pkg.maintainers ? { maintainers: pkg.maintainers } : {}),
      ...(pkg.repository !== undefined ? { repository: pkg.repository } : {}),
      ...pkg.registryManifest,
      dist: {
        tarball: tarballUrl(pkg.name, pkg.version),
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
        ...(pkg.attestations
          ? { attestations: { url: `${url}/-/npm/v1/attestations/${pkg.name}@${pkg.version}`, provenance: { predicateType: 'https://slsa.dev/provenance/v1' } } }
          : {}),
      },
    };
    if (!byName.has(pkg.name)) byName.set(pkg.name, new Map());
    byName.get(pkg.name)!.set(pkg.version, { manifest, served, time: pkg.time });
  }

  return {
    url,
    requests,
    authorizations,
    statuses,
    accepts,
    tarballUrl,
    integrityOf: (name, version) => {
      const dist = byName.get(name)?.get(version)?.manifest.dist as { integrity?: string } | undefined;
      if (!dist?.integrity) throw new Error(`the test registry has no ${name}@${version}`);
      return dist.integrity;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // keep-alive sockets from the fetch agent would hold close() open
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A fixture package from a folder (e.g. fixtures/packages/<name>/), name/version from its package.json. */
export function loadFixtureDir(dir: string): FixturePackage {
  const files: Record<string, Buffer> = {};
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) files[rel] = fs.readFileSync(path.join(dir, rel));
    }
  };
  walk('');
  if (!files['package.json']) throw new Error(`${dir} has no package.json`);
  const pj = JSON.parse(files['package.json'].toString('utf8')) as { name?: unknown; version?: unknown };
  if (typeof pj.name !== 'string' || typeof pj.version !== 'string') throw new Error(`${dir}/package.json needs a name and a version`);
  return { name: pj.name, version: pj.version, files };
}
