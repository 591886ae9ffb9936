// The proxy's address taken back out of a lockfile. yarn 1 and bun record the tarball URL they
// downloaded from, so a lockfile written by a guarded command would name this run's proxy
// (http://127.0.0.1:<random port>/...): the next install, guarded or not, would fail to reach it.
// After the command, each such URL is put back to what the manager would have written without the
// guard: the upstream URL the registry's packument gave for that tarball (and, for bun, "" when
// that is npm's default registry, as bun writes it). Only URLs on this run's proxy are touched.
import fs from 'node:fs';
import path from 'node:path';
import { readBoundedText } from '../io/read-bounded.js';
import { LOCKFILE_NAMES } from '../lockfile/index.js';
import { safeLine } from '../report/sanitize.js';
import { routeOf } from './paths.js';

/** bun writes "" for a package from npm's default registry. */
const BUN_DEFAULT_REGISTRY = 'https://registry.npmjs.org/';
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Restored {
  text: string;
  /** URLs put back. */
  restored: number;
  /** Proxy URLs left as they were: the proxy has no record of where upstream serves them. */
  unknown: string[];
}

/**
 * Replace the URLs on `proxyBase` (no trailing slash) in a lockfile's text. `upstreamOf` answers
 * where upstream serves a tarball; `bun` selects bun's "" for the default registry.
 */
export function restoreUpstreamUrls(text: string, proxyBase: string, upstreamOf: (name: string, version: string) => string | undefined, bun = false): Restored {
  let restored = 0;
  const unknown: string[] = [];
  const re = new RegExp(`(")?${escapeRe(proxyBase)}(/[^"'\\s#,]*)(")?`, 'g');
  const out = text.replace(re, (whole, open: string | undefined, rawPath: string, close: string | undefined) => {
    const route = routeOf(rawPath);
    const upstream = route.kind === 'tarball' ? upstreamOf(route.name, route.version) : undefined;
    if (!upstream) {
      unknown.push(proxyBase + rawPath);
      return whole;
    }
    restored++;
    if (bun && open && close && upstream.startsWith(BUN_DEFAULT_REGISTRY)) return '""';
    return `${open ?? ''}${upstream}${close ?? ''}`;
  });
  return { text: out, restored, unknown };
}

/**
 * Restore every lockfile in `dir` that names `proxyBase`. Written in place through a temporary
 * file and a rename, keeping the file's mode; a lockfile that cannot be read or written is
 * reported, not thrown. Returns one line per lockfile changed or left with the proxy's address.
 */
export function restoreLockfilesIn(dir: string, proxyBase: string, upstreamOf: (name: string, version: string) => string | undefined): string[] {
  const lines: string[] = [];
  for (const name of LOCKFILE_NAMES) {
    if (name === 'bun.lockb') continue; // binary: bun rewrites it from bun.lock, and it is not text to edit
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readBoundedText(file, { maxBytes: MAX_LOCKFILE_BYTES, what: 'lockfile' });
    } catch {
      continue;
    }
    if (!text.includes(proxyBase)) continue;
    const r = restoreUpstreamUrls(text, proxyBase, upstreamOf, name === 'bun.lock');
    if (r.restored) {
      try {
        const tmp = `${file}.tollgate-${process.pid}.tmp`;
        fs.writeFileSync(tmp, r.text, { mode: fs.statSync(file).mode });
        fs.renameSync(tmp, file);
        lines.push(`${name}: put back the registry URL of ${r.restored} tarball${r.restored === 1 ? '' : 's'} (the package manager had written the proxy's address)`);
      } catch (err) {
        lines.push(`${name} names this run's proxy ${r.restored} times and could not be rewritten (${safeLine((err as Error).message)}); replace ${proxyBase}/ with your registry's URL by hand`);
        continue;
      }
    }
    if (r.unknown.length) lines.push(`${name} still names this run's proxy (${r.unknown.length}×, e.g. ${safeLine(r.unknown[0]!)}): replace ${proxyBase}/ with your registry's URL`);
  }
  return lines;
}
