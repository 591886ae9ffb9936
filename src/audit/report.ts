// Audit output: the scan report's contract (same JSON fields, same human layout per package) plus
// where each package sits in the project: the paths that pull it in, and prod vs dev.
import { renderHuman } from '../report/human.js';
import { safeLine, safeLine as t } from '../report/sanitize.js';
import { toJsonReport, type JsonReport } from '../report/json.js';
import type { LockEntry, Lockfile } from '../lockfile/types.js';
import { isGitResult, type AuditReport, type AuditedPackage } from './audit.js';
import { painter } from '../report/style.js';
import { isReviewFinding } from '../report/review.js';

export const pathText = (p: readonly string[]): string => p.join(' > ');

export type AuditJson = JsonReport & {
  audit: { lockfile: string; format: string; lockfileVersion: string; summary: AuditReport['summary']; notes: string[] };
  packages: Array<JsonReport['packages'][number] & { paths: string[]; dev: boolean; optional: boolean; kind: string; aliases: string[]; cached: boolean }>;
};

export function toAuditJson(r: AuditReport): AuditJson {
  const base = toJsonReport(r.packages);
  return {
    ...base,
    audit: { lockfile: r.lockfile.file, format: r.lockfile.format, lockfileVersion: r.lockfile.version, summary: r.summary, notes: r.lockfile.notes },
    packages: base.packages.map((p, i) => {
      const a = r.packages[i]!;
      return { ...p, paths: a.paths.map(pathText), dev: a.dev, optional: a.optional, kind: a.kind, aliases: a.aliases, cached: a.cached };
    }),
  };
}

export interface AuditHumanOptions {
  color: boolean;
  verbose: boolean;
  /** What the config did to a package; a package with a note is always listed. */
  notes?: (p: AuditedPackage) => readonly string[];
}

/**
 * Packages with something to say (not clean, or clean with findings when --verbose) in the scan
 * layout, each followed by the paths that pull it in; then one line for the clean rest.
 */
export function renderAuditHuman(r: AuditReport, opts: AuditHumanOptions): string {
  const c = painter(opts.color);
  const out: string[] = [];
  const lf = r.lockfile;
  out.push(c('bold', `Audit of ${t(lf.file)} (${lf.format} ${t(lf.version)}): ${r.summary.entries} lockfile entries, ${r.packages.length} distinct packages and folders`));
  for (const n of lf.notes) out.push(c('gray', `note: ${t(n)}`));
  out.push('');
  // A clean package with something a reviewer should read (an install script, a look-alike name, a
  // new capability since its last release) is listed too; the others are counted.
  const shown = r.packages.filter((p) => opts.verbose || p.verdict !== 'clean' || p.findings.some(isReviewFinding) || !!opts.notes?.(p).length);
  for (const p of shown) {
    // renderHuman ends with a summary line; keep only the package block.
    const notes = opts.notes;
    const block = renderHuman([p], { color: opts.color, verbose: opts.verbose, notes: notes && (() => notes(p)) }).split('\n');
    block.splice(block.length - 2, 2);
    // The scan layout shows only the error line for an error result; an audit's error results
    // carry the finding that explains them (integrity-mismatch, git-dependency).
    if (p.verdict === 'error') for (const f of p.findings) block.push(`    ${c('red', f.severity.padEnd(8))} ${t(f.rule).padEnd(17)} ${t(f.message)}`);
    const tag = [p.dev ? 'dev' : 'prod', ...(p.optional ? ['optional'] : []), ...(p.cached ? ['cached'] : [])].join(', ');
    block[0] = `${block[0]}  ${c('gray', `[${tag}]`)}`;
    out.push(...block);
    for (const path of p.paths) out.push(`    ${c('gray', 'via')} ${t(pathText(path))}`);
    if (p.aliases.length) out.push(`    ${c('gray', 'installed as')} ${t(p.aliases.join(', '))}`);
    out.push('');
  }
  const count = (f: (p: AuditedPackage) => boolean) => r.packages.filter(f).length;
  const clean = count((p) => p.verdict === 'clean');
  const unlisted = r.packages.length - shown.length;
  if (!opts.verbose && unlisted) out.push(c('gray', `${unlisted} clean package${unlisted === 1 ? '' : 's'} not listed (--verbose lists every package)`));
  const s = r.summary;
  const parts = [
    c('red', `${count((p) => p.verdict === 'malicious')} malicious`),
    c('yellow', `${count((p) => p.verdict === 'suspicious')} suspicious`),
    c('green', `${clean} clean`),
    ...(s.errors ? [c('magenta', `${s.errors} could not be scanned`)] : []),
    ...(s.notFetchedGit ? [c('magenta', `${s.notFetchedGit} git dependenc${s.notFetchedGit === 1 ? 'y' : 'ies'} not fetched`)] : []),
  ];
  out.push(`${r.packages.length} scanned (${s.cached} from cache, ${(s.bytes / 1e6).toFixed(1)} MB downloaded, ${(s.ms / 1000).toFixed(1)} s): ${parts.join(', ')}`);
  const skippedCount = s.skipped.reduce((n, x) => n + x.count, 0);
  if (skippedCount) {
    const why = new Map<string, number>();
    for (const x of s.skipped) why.set(x.reason, (why.get(x.reason) ?? 0) + x.count);
    out.push(c('gray', `not scanned on their own: ${[...why].map(([reason, n]) => `${n} ${reason}`).join('; ')}`));
  }
  if (s.skippedDev) out.push(c('gray', `${s.skippedDev} dev-only entries skipped (--prod)`));
  return out.join('\n');
}

/** `--list --json`: the normalized entries, nothing fetched. */
export function listJson(lf: Lockfile): unknown {
  return {
    lockfile: { file: lf.file, format: lf.format, lockfileVersion: lf.version, root: lf.rootName, notes: lf.notes },
    packages: lf.entries.map((e: LockEntry) => ({
      name: e.name,
      version: e.version,
      resolved: e.resolved ?? null,
      integrity: e.integrity ?? null,
      dev: e.dev,
      optional: e.optional,
      peer: e.peer,
      bundled: e.bundled,
      kind: e.kind,
      alias: e.alias ?? null,
      patch: e.patch ?? null,
      paths: e.paths.map(pathText),
    })),
  };
}

export function listHuman(lf: Lockfile): string {
  const rows = lf.entries.map((e) => {
    const flags = [e.dev ? 'dev' : 'prod', e.optional && 'optional', e.peer && 'peer', e.bundled && 'bundled', e.kind !== 'registry' && e.kind].filter(Boolean).join(',');
    return safeLine(`${e.alias ? `${e.alias} -> ` : ''}${e.name}${e.version ? '@' + e.version : ''}  [${flags}]  ${e.paths[0] ? pathText(e.paths[0]) : ''}`);
  });
  return [...rows, `${lf.entries.length} entries in ${safeLine(lf.file)} (${lf.format} ${safeLine(lf.version)})`].join('\n');
}

export { isGitResult };
