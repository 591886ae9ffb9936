// Manifest confusion: the registry stores a version's manifest as the publisher's client sent it,
// separately from the package.json inside the tarball, and never checks that the two agree. npm
// resolves dependencies from the former but runs lifecycle scripts from the latter, so a tarball can
// carry an install script, a dependency or a bin that the registry (and every tool that only reads
// registry metadata) does not show. Pure comparison of the two, after npm's own publish-time
// normalization (bin strings become objects, `./` prefixes go, binding.gyp adds `node-gyp rebuild`).
import semver from 'semver';
import type { Finding, Manifest, Severity } from '../types.js';
import type { VersionMeta } from './packument.js';

const INSTALL = ['preinstall', 'install', 'postinstall'] as const;

function normBin(bin: unknown, name: unknown): Record<string, string> {
  const base = typeof name === 'string' ? name.replace(/^@[^/]+\//, '') : '';
  const raw: Record<string, unknown> = typeof bin === 'string' ? { [base]: bin } : bin && typeof bin === 'object' ? (bin as Record<string, unknown>) : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') continue;
    out[k.replace(/^.*[\\/]/, '')] = v.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  }
  return out;
}

function deps(m: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  // npm has at times copied optionalDependencies into dependencies at publish; compare their union.
  for (const src of [m.optionalDependencies, m.dependencies]) {
    if (src && typeof src === 'object') for (const [k, v] of Object.entries(src as Record<string, unknown>)) if (typeof v === 'string') out[k] = v.trim();
  }
  return out;
}

export interface ManifestConfusionInput {
  /** The version manifest from the packument. */
  registry: VersionMeta;
  /** package.json from the tarball. */
  tarball: Manifest;
  /** Whether the tarball has a binding.gyp (npm then publishes `install: node-gyp rebuild`). */
  hasBindingGyp: boolean;
}

export function manifestConfusion({ registry, tarball, hasBindingGyp }: ManifestConfusionInput): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Severity, message: string, evidence: string) =>
    out.push({ rule: 'manifest-confusion', severity, message, evidence, file: 'package.json', signals: severity === 'high' || severity === 'critical' ? ['registry:manifest-confusion'] : undefined });

  if (typeof registry.name === 'string' && registry.name !== tarball.name) {
    add('high', `the tarball's package.json names "${String(tarball.name)}", the registry says "${registry.name}"`, `name: ${JSON.stringify(tarball.name)} vs ${JSON.stringify(registry.name)}`);
  }
  if (typeof registry.version === 'string') {
    const a = typeof tarball.version === 'string' ? semver.clean(tarball.version) : null;
    if (a !== semver.clean(registry.version)) add('high', `the tarball's package.json says version "${String(tarball.version)}", the registry says "${registry.version}"`, `version: ${JSON.stringify(tarball.version)} vs ${JSON.stringify(registry.version)}`);
  }

  const ts = tarball.scripts ?? {};
  const rs = registry.scripts ?? {};
  for (const s of INSTALL) {
    const t = typeof ts[s] === 'string' ? ts[s]!.trim() : '';
    const r = typeof rs[s] === 'string' ? rs[s]!.trim() : '';
    if (t === r) continue;
    if (!t && s === 'install' && r === 'node-gyp rebuild' && hasBindingGyp) continue; // npm adds this at publish
    if (t && !r) add('high', `the tarball runs a ${s} script the registry metadata does not show: ${t.slice(0, 120)}`, `"${s}": ${JSON.stringify(t).slice(0, 200)}`);
    else if (!t) add('medium', `the registry metadata lists a ${s} script the tarball does not have: ${r.slice(0, 120)}`, `"${s}": ${JSON.stringify(r).slice(0, 200)}`);
    else add('high', `the ${s} script differs: the tarball runs ${JSON.stringify(t.slice(0, 100))}, the registry shows ${JSON.stringify(r.slice(0, 100))}`, `"${s}": ${JSON.stringify(t).slice(0, 200)}`);
  }

  const td = deps(tarball);
  const rd = deps(registry as Record<string, unknown>);
  const hidden = Object.keys(td).filter((d) => !(d in rd));
  const phantom = Object.keys(rd).filter((d) => !(d in td));
  const changed = Object.keys(td).filter((d) => d in rd && td[d] !== rd[d]);
  if (hidden.length) add('medium', `dependencies in the tarball that the registry metadata does not list: ${hidden.slice(0, 8).map((d) => `${d}@${td[d]}`).join(', ')}`, hidden.slice(0, 8).join(', '));
  if (phantom.length) add('medium', `dependencies in the registry metadata that the tarball does not list: ${phantom.slice(0, 8).map((d) => `${d}@${rd[d]}`).join(', ')}`, phantom.slice(0, 8).join(', '));
  if (changed.length) add('low', `dependency ranges differ between tarball and registry: ${changed.slice(0, 8).map((d) => `${d} ${td[d]} vs ${rd[d]}`).join(', ')}`, changed.slice(0, 8).join(', '));

  // `directories.bin` is expanded from the file list at publish; only compare explicit bins.
  if (!(tarball.bin === undefined && registry.directories?.bin)) {
    const tb = normBin(tarball.bin, tarball.name);
    const rb = normBin(registry.bin, registry.name ?? tarball.name);
    const diff = [...new Set([...Object.keys(tb), ...Object.keys(rb)])].filter((k) => tb[k] !== rb[k]);
    if (diff.length) add('medium', `bin entries differ between tarball and registry: ${diff.slice(0, 6).map((k) => `${k}: ${tb[k] ?? '(none)'} vs ${rb[k] ?? '(none)'}`).join(', ')}`, diff.slice(0, 6).join(', '));
  }
  return out;
}
