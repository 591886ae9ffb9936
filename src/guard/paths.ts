// Which registry request a proxy path is, and the proxy path of a tarball. npm lays tarballs out as
// `<registry>/<name>/-/<basename>-<version>.tgz`; the proxy uses the same layout, so a lockfile URL
// whose host npm swaps for the proxy's (`replace-registry-host=always`) lands on a path the proxy reads.

// A package name as npm allows one to be published (URL-safe characters, an optional @scope), at
// most 214 characters. Anything else is not forwarded, so a crafted path cannot steer the upstream
// request (`..`, an encoded slash, a host).
const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9_][a-z0-9._~-]*$/i;
export function isPackageName(name: string): boolean {
  return name.length <= 214 && NAME.test(name) && !name.split('/').some((part) => part === '.' || part === '..');
}

export type ProxyRoute =
  | { kind: 'health' }
  | { kind: 'ping' }
  | { kind: 'packument'; name: string }
  | { kind: 'tarball'; name: string; version: string }
  | { kind: 'other'; path: string };

/** The proxy path of `name@version`'s tarball (scoped names keep their `/`, as npm's registry does). */
export function tarballPath(name: string, version: string): string {
  return `/${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${encodeURIComponent(version)}.tgz`;
}

/** Read a request path (already without query string). Unknown shapes are `other`. */
export function routeOf(rawPath: string): ProxyRoute {
  let p: string;
  try {
    p = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'other', path: rawPath };
  }
  if (p === '/-/tollgate/health') return { kind: 'health' };
  if (p === '/-/ping') return { kind: 'ping' };
  const tgz = /^\/((?:@[^/]+\/)?[^/@][^/]*)\/-\/([^/]+)\.tgz$/.exec(p);
  if (tgz) {
    const name = tgz[1]!;
    const base = name.slice(name.lastIndexOf('/') + 1);
    const file = tgz[2]!;
    if (!file.startsWith(`${base}-`) || !isPackageName(name)) return { kind: 'other', path: rawPath };
    const version = file.slice(base.length + 1);
    return version ? { kind: 'tarball', name, version } : { kind: 'other', path: rawPath };
  }
  const pack = /^\/((?:@[^/]+\/)?[^/@][^/]*)$/.exec(p);
  if (pack && isPackageName(pack[1]!)) return { kind: 'packument', name: pack[1]! };
  return { kind: 'other', path: rawPath };
}
