// A packument as the package manager gets it from the proxy: every version's dist.tarball pointed
// at the proxy, and what the proxy needs later to check each tarball (where upstream serves it and
// the integrity the registry promised). Pure: parsed JSON in, rewritten JSON and records out.
import { tarballPath } from './paths.js';

/** What the registry said about one version's tarball. */
export interface TarballRecord {
  name: string;
  version: string;
  /** Where the upstream registry serves it (never sent to the package manager). */
  upstreamUrl: string;
  /** SRI from dist.integrity, else sha1 from dist.shasum; undefined when the registry gave neither. */
  integrity?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `dist.shasum` (hex sha1, what old packages have instead of dist.integrity) as an SRI string. */
export function shasumToSri(hex: string): string | undefined {
  return /^[0-9a-f]{40}$/i.test(hex) ? `sha1-${Buffer.from(hex, 'hex').toString('base64')}` : undefined;
}

export function integrityOf(dist: Record<string, unknown>): string | undefined {
  if (typeof dist.integrity === 'string' && /^sha(?:256|384|512)-/.test(dist.integrity.trim())) return dist.integrity.trim();
  return typeof dist.shasum === 'string' ? shasumToSri(dist.shasum) : undefined;
}

/**
 * Rewrite `packument` in place (it was parsed for this answer only) and return the tarball records.
 * A version whose dist.tarball is missing or not http(s) is left as is and has no record: a tarball
 * request for it is refused as unknown. `proxyBase` has no trailing slash.
 */
export function rewritePackument(name: string, packument: unknown, proxyBase: string): TarballRecord[] {
  if (!isObject(packument) || !isObject(packument.versions)) return [];
  const records: TarballRecord[] = [];
  for (const [version, meta] of Object.entries(packument.versions)) {
    if (!isObject(meta) || !isObject(meta.dist)) continue;
    const upstream = meta.dist.tarball;
    if (typeof upstream !== 'string' || !/^https?:\/\//i.test(upstream)) continue;
    records.push({ name, version, upstreamUrl: upstream, integrity: integrityOf(meta.dist) });
    meta.dist.tarball = proxyBase + tarballPath(name, version);
  }
  return records;
}
