// How a manifest's dependency specs would be fetched: from the registry, or from somewhere its
// integrity and malware checks never see (git, an arbitrary URL, the publisher's disk).
// Declared at pacote's version, so it is pacote's own copy (test/dependencies.test.ts holds that):
// specs read the way npm reads them.
import npa from 'npm-package-arg';

export type SpecKind = 'registry' | 'git' | 'remote' | 'local' | 'invalid';

export function specKind(name: string, spec: string): SpecKind {
  try {
    const r = npa.resolve(name, spec, '/');
    const t = r.type === 'alias' ? ((r as npa.Result & { subSpec?: npa.Result }).subSpec?.type ?? 'range') : r.type;
    if (t === 'git') return 'git';
    if (t === 'remote') return 'remote';
    if (t === 'file' || t === 'directory') return 'local';
    return 'registry';
  } catch {
    return 'invalid';
  }
}

export interface OffRegistryDependency {
  field: string;
  name: string;
  spec: string;
  kind: Exclude<SpecKind, 'registry'>;
}

/** Dependencies a consumer's install would fetch outside the registry (devDependencies are never installed for consumers). */
export function offRegistryDependencies(manifest: Record<string, unknown> | undefined): OffRegistryDependency[] {
  const out: OffRegistryDependency[] = [];
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = manifest?.[field];
    if (!deps || typeof deps !== 'object') continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof spec !== 'string') continue;
      const kind = specKind(name, spec);
      if (kind !== 'registry') out.push({ field, name, spec, kind });
    }
  }
  return out;
}
