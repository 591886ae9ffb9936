// From lockfile entries to units of work: one per distinct tarball (name, version, integrity),
// one per local folder, one per git dependency; and the URL each tarball is fetched from.
import path from 'node:path';
import type { LockEntry } from '../lockfile/types.js';
import { PUBLIC_REGISTRIES } from '../lockfile/spec.js';

export type UnitAction = 'fetch' | 'folder' | 'local-tarball' | 'git' | 'skip';

export interface Unit {
  action: UnitAction;
  name: string;
  version: string;
  /** What is fetched: tarball URL, absolute folder or file path, git URL. */
  target: string;
  integrity?: string;
  /** Every lockfile entry this unit stands for (aliases, peer variants, duplicates in nested folders). */
  entries: LockEntry[];
  /** Why a `skip` unit is not scanned. */
  reason?: string;
}

const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

const slash = (u: string): string => (u.endsWith('/') ? u : u + '/');

/** The registry npm would use for a package: `@scope:registry`, else `registry`. */
export function registryFor(name: string, npmConfig: Record<string, unknown>): string {
  const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
  const scoped = scope ? npmConfig[`${scope}:registry`] : undefined;
  const reg = typeof scoped === 'string' && scoped ? scoped : typeof npmConfig.registry === 'string' && npmConfig.registry ? npmConfig.registry : DEFAULT_REGISTRY;
  return slash(reg);
}

/** Registry tarball URL, built the way npm names tarballs (`<registry><name>/-/<basename>-<version>.tgz`). */
export function tarballUrlFor(name: string, version: string, npmConfig: Record<string, unknown>): string {
  return `${registryFor(name, npmConfig)}${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${version}.tgz`;
}

/**
 * Where to fetch a registry/tarball entry. The lockfile's URL, except that the public registry
 * host is swapped for the configured registry (npm's `replace-registry-host`, default `npmjs`;
 * yarn's registry.yarnpkg.com is the same registry), since integrity pins the bytes anyway.
 */
export function fetchUrlFor(e: LockEntry, npmConfig: Record<string, unknown>): string {
  if (!e.resolved || !/^https?:\/\//.test(e.resolved)) return tarballUrlFor(e.name, e.version, npmConfig);
  const url = e.resolved.replace(/#[\s\S]*/, ''); // yarn classic appends #<sha1>
  const replace = String(npmConfig['replace-registry-host'] ?? 'npmjs');
  if (replace === 'never' || e.kind !== 'registry') return url;
  const configured = registryFor(e.name, npmConfig);
  for (const pub of PUBLIC_REGISTRIES) {
    if (url.startsWith(pub) && (replace === 'npmjs' || replace === 'always' || pub.includes(replace))) return configured + url.slice(pub.length);
  }
  if (replace === 'always') {
    const m = /^https?:\/\/[^/]+\//.exec(url);
    if (m) return configured + url.slice(m[0].length);
  }
  return url;
}

/** Group entries into units, keeping lockfile order (so a run is reproducible). */
export function planUnits(entries: readonly LockEntry[], root: string, npmConfig: Record<string, unknown>): Unit[] {
  const units = new Map<string, Unit>();
  const add = (key: string, make: () => Omit<Unit, 'entries'>, e: LockEntry) => {
    const u = units.get(key);
    if (u) u.entries.push(e);
    else units.set(key, { ...make(), entries: [e] });
  };
  for (const e of entries) {
    if (e.bundled && !e.resolved && !e.integrity) {
      // Shipped inside the parent's tarball: its files are analyzed with the parent's.
      add(`bundled:${e.name}@${e.version}`, () => ({ action: 'skip', name: e.name, version: e.version, target: '', reason: 'bundled inside its parent package, scanned with it' }), e);
      continue;
    }
    switch (e.kind) {
      case 'registry':
      case 'tarball': {
        const url = fetchUrlFor(e, npmConfig);
        add(`tgz:${e.name}@${e.version}#${e.integrity ?? url}`, () => ({ action: 'fetch', name: e.name, version: e.version, target: url, integrity: e.integrity }), e);
        break;
      }
      case 'directory':
      case 'workspace': {
        const dir = path.resolve(root, e.resolved ?? '.');
        add(`dir:${dir}`, () => ({ action: 'folder', name: e.name, version: e.version, target: dir }), e);
        break;
      }
      case 'local-tarball': {
        const file = path.resolve(root, (e.resolved ?? '').replace(/^file:/, ''));
        add(`file:${file}`, () => ({ action: 'local-tarball', name: e.name, version: e.version, target: file, integrity: e.integrity }), e);
        break;
      }
      case 'git':
        add(`git:${e.resolved ?? e.name}`, () => ({ action: 'git', name: e.name, version: e.version, target: e.resolved ?? '' }), e);
        break;
      case 'virtual':
        add(`virtual:${e.key}`, () => ({ action: 'skip', name: e.name, version: e.version, target: '', reason: 'virtual entry with no code of its own' }), e);
        break;
      case 'runtime':
        add(`runtime:${e.key}`, () => ({ action: 'skip', name: e.name, version: e.version, target: '', reason: 'runtime binary (not an npm package), not analyzed' }), e);
        break;
    }
  }
  return [...units.values()];
}
