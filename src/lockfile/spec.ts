// Reading what a lockfile says about where code comes from, the same way for every format.
import semver from 'semver';
import type { EntryKind } from './types.js';

/** git transports and hosted shorthands; a git dependency is never fetched (fetching runs `prepare`). */
const GIT = /^(?:git\+|git:\/\/|github:|gitlab:|bitbucket:|gist:|ssh:\/\/)|^[\w.-]+@[\w.-]+:|\.git(?:#|$)|#commit=|^https?:\/\/codeload\.github\.com\//;

export function isGit(spec: string): boolean {
  return GIT.test(spec);
}

/** `https://host/path/name/-/base-1.2.3.tgz`: the registry's own naming for a package tarball. */
export function isRegistryTarballUrl(url: string, name?: string, version?: string): boolean {
  if (!/^https?:\/\//.test(url)) return false;
  const m = /\/((?:@[^/]+(?:\/|%2f))?[^/]+)\/-\/([^/]+)-([^/]+?)\.tgz(?:[?#].*)?$/i.exec(url);
  if (!m) return false;
  if (name === undefined) return true;
  const decoded = decodeURIComponent(m[1]!);
  return decoded === name && (version === undefined || m[3] === version);
}

/** Classify a resolved string/URL as the kind of source it names. */
export function kindOfResolved(resolved: string): EntryKind {
  if (isGit(resolved)) return 'git';
  if (resolved.startsWith('file:')) return /\.(?:tgz|tar\.gz|tar)$/i.test(resolved) ? 'local-tarball' : 'directory';
  if (/^(?:link|portal|workspace):/.test(resolved)) return 'directory';
  if (/^https?:\/\//.test(resolved)) return isRegistryTarballUrl(resolved) ? 'registry' : 'tarball';
  return 'directory';
}

/** `npm:real@range` alias spec -> { name, spec }; undefined when not an alias. */
export function parseAlias(spec: string): { name: string; spec: string } | undefined {
  if (!spec.startsWith('npm:')) return undefined;
  const rest = spec.slice(4);
  // yarn berry writes plain ranges as `npm:^1.2.0`: a range, not an alias.
  if (rest === '' || semver.validRange(rest, { loose: true }) !== null || !/^(?:@[^/@]+\/)?[^/@\s]+(?:@|$)/.test(rest)) return undefined;
  const at = rest.indexOf('@', 1);
  return at === -1 ? { name: rest, spec: '' } : { name: rest.slice(0, at), spec: rest.slice(at + 1) };
}

/** The public registry hosts npm and yarn write into lockfiles; both serve the same tarballs. */
export const PUBLIC_REGISTRIES = ['https://registry.npmjs.org/', 'https://registry.yarnpkg.com/'];

/** Package name from a `name@range` descriptor (scoped names keep their leading `@`). */
export function splitDescriptor(desc: string): { name: string; range: string } {
  const at = desc.indexOf('@', desc.startsWith('@') ? 1 : 0);
  return at === -1 ? { name: desc, range: '' } : { name: desc.slice(0, at), range: desc.slice(at + 1) };
}

/** Tiny glob for workspace patterns (`packages/*`, `apps/**`): enough for the globs package managers accept. */
export function globToRegExp(glob: string): RegExp {
  const g = glob.replace(/^\.\//, '').replace(/\/$/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*' && g[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** sha1 hex (yarn classic `#<sha1>` URL fragment) -> SRI. */
export function sha1HexToSri(hex: string): string | undefined {
  return /^[0-9a-f]{40}$/i.test(hex) ? `sha1-${Buffer.from(hex, 'hex').toString('base64')}` : undefined;
}
