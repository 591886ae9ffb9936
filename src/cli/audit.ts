// `tollgate audit [dir|file]`: every package a lockfile installs, ranked by risk.
import path from 'node:path';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/run/analyze.js';
import { loadNpmConfig, NpmConfigError } from '../fetch/npm-config.js';
import { RULES } from '../../heuristics/index.js';
import { findLockfile, loadLockfile, LockfileError } from '../lockfile/index.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';
import { isGitResult, runAudit } from '../audit/audit.js';
import { progressFor } from '../audit/progress.js';
import { listHuman, listJson, renderAuditHuman, toAuditJson } from '../audit/report.js';
import { checkHtmlTarget, HtmlReportError, writeHtmlReport } from '../report/html.js';
import { useColor } from '../report/style.js';
import { forLog, inGithubActions, safeLine } from '../report/sanitize.js';
import { UsageError, withErrorBoundary } from './errors.js';
import { applyLocalPolicy, notesOf, policySettings, policySummary, withPolicyJson } from './policy.js';
import { ConfigError, loadNearestConfig } from '../check/config.js';
import { gateExitCode } from '../check/policy.js';
import { wholeNumber, type CommandArgs } from './options.js';
import type { AUDIT } from './commands.js';

export async function auditCommand(args: CommandArgs<typeof AUDIT.options>): Promise<number> {
  return withErrorBoundary(() => audit(args), { known: [LockfileError, ConfigError, HtmlReportError, NpmConfigError], help: 'tollgate audit --help' });
}

async function audit({ values, positionals }: CommandArgs<typeof AUDIT.options>): Promise<number> {
  if (positionals.length > 1) throw new UsageError(`audit takes one folder or lockfile (got ${positionals.length})`);
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 16)) throw new UsageError(`--workers must be a whole number from 0 to 16 (got "${values.workers}")`);
  if (values.html !== undefined) {
    if (values.list) throw new UsageError('--html does not apply to --list (nothing is scanned)');
    checkHtmlTarget(values.html);
  }

  const target = positionals[0] ?? '.';
  const { file, others } = findLockfile(target);
  const lockfile = loadLockfile(file, { manifests: true });
  if (others.length && !values.quiet) process.stderr.write(`tollgate: auditing ${file}; also found ${others.map((o) => path.basename(o)).join(', ')}\n`);
  const root = path.dirname(path.resolve(file));
  // The user's own policy: the nearest tollgate.config.json from the lockfile's folder (or --config).
  const known = new Set(RULES.map((r) => r.meta.id));
  const config = loadNearestConfig(root, known, values.config);
  const { failOn, disabled } = policySettings(config, { failOn: values['fail-on'], disableRule: values['disable-rule'] }, known);
  const prod = values.prod || config.ignoreDev;
  const policyLine = policySummary(config);
  if (policyLine && !values.quiet) process.stderr.write(`tollgate: ${safeLine(policyLine)}\n`);

  if (values.list) {
    const entries = prod ? { ...lockfile, entries: lockfile.entries.filter((e) => !e.dev) } : lockfile;
    process.stdout.write(values.json ? JSON.stringify(listJson(entries), null, 2) + '\n' : forLog(listHuman(entries) + '\n', inGithubActions()));
    return 0;
  }

  const npmConfig = loadNpmConfig({ cwd: root });
  if (values.registry) npmConfig.registry = values.registry;
  let results: ResultCache | undefined;
  if (!values['no-cache']) {
    const dbFile = path.join(defaultCacheDir(), 'results.sqlite');
    try {
      results = ResultCache.open(dbFile, engineKey(disabled));
    } catch (err) {
      if (!values.quiet) process.stderr.write(`tollgate: results cache unavailable (${(err as Error).message}); auditing without it\n`);
    }
  }
  // A bar on a terminal; off one (CI), a line every 10 s or 10% so a long audit is not silent.
  const bar = progressFor(process.stderr, !!values.quiet);
  try {
    const audited = await runAudit(lockfile, {
      root,
      npmConfig,
      downloadCache: values.cache,
      results,
      concurrency,
      engine: { ...DEFAULT_ENGINE_OPTIONS, disabledRules: disabled },
      prod,
      requireIntegrity: values['require-integrity'],
      workers,
      onProgress: bar ? (s) => bar.update(s) : undefined,
    });
    bar?.clear();
    const report = { ...audited, packages: applyLocalPolicy(audited.packages, config) };
    const json = withPolicyJson(toAuditJson(report), report.packages);
    if (values.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    else {
      process.stdout.write(forLog(renderAuditHuman(report, { color: useColor(process.stdout, values['no-color']), verbose: values.verbose, notes: notesOf }) + '\n', inGithubActions()));
    }
    for (const p of report.packages) if (p.error && !isGitResult(p)) process.stderr.write(forLog(`tollgate: ${safeLine(p.error)}\n`, inGithubActions()));
    if (values.html !== undefined) {
      const bytes = writeHtmlReport(values.html, json, { title: `Tollgate audit of ${path.basename(file)}` });
      if (!values.quiet) process.stderr.write(`tollgate: HTML report written to ${values.html} (${(bytes / 1024).toFixed(0)} KB)\n`);
    }
    // Git dependencies are listed (never clean) but are a known, reported gap: not an exit-2 failure.
    return gateExitCode(report.packages.filter((p) => !isGitResult(p)), failOn);
  } finally {
    results?.close();
  }
}
