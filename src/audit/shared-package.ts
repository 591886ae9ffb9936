// An unpacked package laid out in one SharedArrayBuffer, so the shards of a large package read the
// same file bytes from every worker thread instead of each unpacking (and holding) a copy: for
// next@16 that is 109 MB of files once instead of once per worker.
import type { PackageFile, UnpackedPackage } from '../types.js';

export interface SharedPackage {
  bytes: SharedArrayBuffer;
  files: Array<Omit<PackageFile, 'data'> & { offset?: number; length?: number }>;
  manifest: UnpackedPackage['manifest'];
  manifestError: UnpackedPackage['manifestError'];
  findings: UnpackedPackage['findings'];
  stats: UnpackedPackage['stats'];
}

export function toShared(pkg: UnpackedPackage): SharedPackage {
  let total = 0;
  for (const f of pkg.files.values()) total += f.data?.length ?? 0;
  const bytes = new SharedArrayBuffer(total);
  const view = new Uint8Array(bytes);
  let at = 0;
  const files: SharedPackage['files'] = [];
  for (const f of pkg.files.values()) {
    const { data, ...meta } = f;
    if (!data) {
      files.push(meta);
      continue;
    }
    view.set(data, at);
    files.push({ ...meta, offset: at, length: data.length });
    at += data.length;
  }
  return { bytes, files, manifest: pkg.manifest, manifestError: pkg.manifestError, findings: pkg.findings, stats: pkg.stats };
}

/** The package again, its files' data as views into the shared bytes (nothing copied). */
export function fromShared(shared: SharedPackage): UnpackedPackage {
  const files = new Map<string, PackageFile>();
  for (const { offset, length, ...meta } of shared.files) {
    const file: PackageFile = { ...meta };
    if (offset !== undefined && length !== undefined) file.data = Buffer.from(shared.bytes, offset, length);
    files.set(file.path, file);
  }
  return { files, manifest: shared.manifest, manifestError: shared.manifestError, findings: [...shared.findings], stats: shared.stats };
}
