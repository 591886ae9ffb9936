// `tollgate check`: the CI gate. Lockfile mode scans only the entries a change introduces (the
// lockfile in the working tree against the same file at a base ref); spec mode scans what
// installing some specs would add. Both end in the same policy step and the same report shape.
import path from 'node:path';
import fs from 'node:fs';
import type { EngineOptions } from '../engine/run/analyze.js';
import type { ResultCache } from '../cache/results.js';
import { isGitResult, runAudit, type AuditedPackage, type AuditSummary } from '../audit/audit.js';
import { findLockfile, loadLockfile, parseLockfileText, projectManifests, LockfileError, type LockEntry, type Lockfile } from '../lockfile/index.js';
import { scanTargets, errorResult, rankResults } from '../scan.js';
import type { ReportedPackage } from '../types.js';
import { applyPolicy, gateExitCode, type Gated } from './policy.js';
import type { FailOn, TollgateConfig } from './config.js';
import { diffLockfiles, gitToplevel, lockfileAtRef, type LockfileDiff } from './diff.js';
import { LockfileLocator } from './locate.js';
import { planInstall, type InstallPlan } from './resolve.js';
import type { PolicyChange } from './trust.js';
import type { ProgressState } from '../audit/progress.js';
import { MAX_LOCKFILE_BYTES, readBoundedText } from '../io/read-bounded.js';

export type CheckedPackage = Gated<ReportedPackage & Partial<Pick<AuditedPackage, 'paths' | 'dev' | 'optional' | 'kind' | 'cached'>>> & {
  /** Where the package is installed from, relative to the repository root, for SARIF and annotations. */
  location: { uri: string; line: number };
};

export interface CheckReport {
  mode: 'lockfile' | 'specs';
  /** Lockfile mode: the lockfile (absolute) and its path in the repository. */
  lockfile?: { file: string; uri: string; format: string; version: string };
  base?: { ref: string; why: string; hadLockfile: boolean };
  /** tollgate.config.json / .npmrc edits in the change under review: reported, not applied. */
  policyChanges?: PolicyChange[];
  diff?: LockfileDiff;
  plan?: Omit<InstallPlan, 'packages'> & { planned: number };
  /** Entries left out by ignoreDev/--prod. */
  skippedDev: number;
  packages: CheckedPackage[];
  summary?: AuditSummary;
  warnings: string[];
  failOn: FailOn;
  exitCode: number;
  ms: number;
}

export interface CheckCommon {
  config: TollgateConfig;
  failOn: FailOn;
  /** Skip dev-only entries (config ignoreDev or --prod). */
  prod: boolean;
  npmConfig: Record<string, unknown>;
  downloadCache?: string;
  results?: ResultCache;
  concurrency: number;
  engine: EngineOptions;
  now: Date;
  /** Only this package (name@version): `--explain`. */
  only?: { name: string; version: string };
  onProgress?: (s: ProgressState) => void;
}

export interface LockfileCheckOptions extends CheckCommon {
  /** Folder or lockfile to check. */
  target: string;
  base: { ref: string; why: string };
  policyChanges?: PolicyChange[];
  /** Refuse entries without an integrity (default true in `check`). */
  requireIntegrity?: boolean;
}

export async function checkLockfile(o: LockfileCheckOptions): Promise<CheckReport> {
  const started = performance.now();
  const { file } = findLockfile(o.target);
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const head = loadLockfile(abs, { manifests: true });
  const top = gitToplevel(dir);
  const uri = path.relative(fs.realpathSync(top), fs.realpathSync(abs)).split(path.sep).join('/');
  const warnings: string[] = [];

  const baseText = lockfileAtRef(abs, o.base.ref);
  let base: Lockfile | undefined;
  if (baseText !== undefined) {
    try {
      base = parseLockfileText(abs, baseText, projectManifests(dir));
    } catch (err) {
      if (!(err instanceof LockfileError)) throw err;
      // A base we cannot read must not shrink the check: everything counts as new.
      warnings.push(`the lockfile at ${o.base.ref} could not be read (${err.detail}); every package is treated as new`);
    }
  }
  const diff = diffLockfiles(base, head);
  let wanted = diff.changed;
  if (o.only) wanted = head.entries.filter((e) => e.name === o.only!.name && e.version === o.only!.version);
  const prodOnly = o.prod ? wanted.filter((e) => !e.dev) : wanted;
  const skippedDev = wanted.length - prodOnly.length;

  const audit = await runAudit(
    { ...head, entries: prodOnly },
    { root: dir, npmConfig: o.npmConfig, downloadCache: o.downloadCache, results: o.results, concurrency: o.concurrency, engine: o.engine, onProgress: o.onProgress, requireIntegrity: o.requireIntegrity ?? true },
  );
  const locator = new LockfileLocator(readBoundedText(abs, { maxBytes: MAX_LOCKFILE_BYTES, what: 'lockfile' }));
  const entryOf = new Map<string, LockEntry>();
  for (const e of prodOnly) if (!entryOf.has(`${e.name}@${e.version}`)) entryOf.set(`${e.name}@${e.version}`, e);
  const located = audit.packages.map((p) => {
    const e = entryOf.get(`${p.name}@${p.version}`);
    return { ...p, location: { uri, line: e ? locator.lineOf(e) : 1 } };
  });
  const { packages, warnings: policyWarnings } = applyPolicy(located, o.config, o.now);
  warnings.push(...policyWarnings);
  for (const c of o.policyChanges ?? []) warnings.push(`${c.file} is changed here and is not applied until merged; it would: ${c.lines.join('; ')}`);
  const ranked = rankResults(packages) as CheckedPackage[];
  return {
    mode: 'lockfile',
    policyChanges: o.policyChanges ?? [],
    lockfile: { file: abs, uri, format: head.format, version: head.version },
    base: { ...o.base, hadLockfile: baseText !== undefined },
    diff,
    skippedDev,
    packages: ranked,
    summary: audit.summary,
    warnings,
    failOn: o.failOn,
    // Git dependencies are reported but, as in `audit`, are a known gap rather than an exit-2 error.
    exitCode: gateExitCode(ranked.filter((p) => !isGitResult(p)), o.failOn),
    ms: Math.round(performance.now() - started),
  };
}

export interface SpecCheckOptions extends CheckCommon {
  specs: string[];
  /** Project folder whose lockfile (if any) tells what is already installed. */
  cwd: string;
  registrySignals?: { cacheDir: string };
}

export async function checkSpecs(o: SpecCheckOptions): Promise<CheckReport> {
  const started = performance.now();
  let installed: LockEntry[] = [];
  let uri = 'package.json';
  try {
    const { file } = findLockfile(o.cwd);
    installed = loadLockfile(file).entries;
    uri = path.relative(o.cwd, file).split(path.sep).join('/');
  } catch {
    // No lockfile: nothing is installed yet, so the whole tree is new.
  }
  const fetch = { npmConfig: o.npmConfig, cache: o.downloadCache, where: o.cwd };
  const plan = await planInstall(o.specs, installed, fetch);
  const warnings: string[] = [];
  if (plan.truncated) warnings.push(`the install plan was cut at ${plan.packages.length} packages; the rest of the subtree was not scanned`);
  const scanned = await scanTargets(
    plan.packages.map((p) => `${p.name}@${p.version}`),
    { concurrency: o.concurrency, engine: o.engine, fetch, registry: o.registrySignals ? { ...o.registrySignals, results: o.results } : undefined },
  );
  const failed: ReportedPackage[] = plan.failures.map((f) => ({ ...errorResult(f.spec, new Error(`${f.error} (needed by ${f.path.join(' > ')})`)) }));
  const pathOf = new Map(plan.packages.map((p) => [`${p.name}@${p.version}`, p.path]));
  const located = [...scanned, ...failed].map((p) => ({ ...p, paths: [pathOf.get(`${p.name}@${p.version}`) ?? [p.name]], location: { uri, line: 1 } }));
  const { packages, warnings: policyWarnings } = applyPolicy(located, o.config, o.now);
  warnings.push(...policyWarnings);
  const ranked = rankResults(packages) as CheckedPackage[];
  return {
    mode: 'specs',
    plan: { failures: plan.failures, satisfied: plan.satisfied, truncated: plan.truncated, planned: plan.packages.length },
    skippedDev: 0,
    packages: ranked,
    warnings,
    failOn: o.failOn,
    exitCode: plan.truncated && gateExitCode(ranked, o.failOn) === 0 ? 2 : gateExitCode(ranked, o.failOn),
    ms: Math.round(performance.now() - started),
  };
}
