// `tollgate check`: gate new or changed dependencies in CI, or vet specs before installing them.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/run/analyze.js';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { RULES } from '../../heuristics/index.js';
import { LockfileError } from '../lockfile/index.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';
import { progressFor, type ProgressState } from '../audit/progress.js';
import { pathText } from '../audit/report.js';
import { renderHuman } from '../report/human.js';
import { toJsonReport } from '../report/json.js';
import { toSarif } from '../report/sarif.js';
import { annotations, escapeData, escapeProperty, stepSummary } from '../report/github.js';
import { forLog, inGithubActions, safeLine as t } from '../report/sanitize.js';
import { checkHtmlTarget, HtmlReportError, writeHtmlReport } from '../report/html.js';
import { isReviewFinding } from '../report/review.js';
import { checkLockfile, checkSpecs, type CheckReport, type CheckedPackage } from '../check/check.js';
import { ConfigError, loadConfig, splitPackageId } from '../check/config.js';
import { failsGate, policyJson, policyNotes } from '../check/policy.js';
import { defaultBase, gitToplevel, GitError } from '../check/diff.js';
import { trustedNpmConfig, trustedPolicy, type PolicyChange } from '../check/trust.js';
import { NpmConfigError } from '../fetch/npm-config.js';
import { UsageError, withErrorBoundary } from './errors.js';
import { policySettings } from './policy.js';
import { renderCommandHelp, type CommandArgs, wholeNumber } from './options.js';
import { CHECK } from './commands.js';
import { painter, useColor } from '../report/style.js';

export const CHECK_HELP = renderCommandHelp(CHECK);

export async function checkCommand(args: CommandArgs<typeof CHECK.options>): Promise<number> {
  return withErrorBoundary(() => check(args), { known: [LockfileError, ConfigError, GitError, HtmlReportError, NpmConfigError], help: 'tollgate check --help' });
}

async function check({ values, positionals }: CommandArgs<typeof CHECK.options>): Promise<number> {
  const known = new Set(RULES.map((r) => r.meta.id));
  const projectDir = fs.existsSync(values.project!) && fs.statSync(values.project!).isDirectory() ? values.project! : path.dirname(values.project!);
  // The config lives at the repository root; outside git (spec mode), in this folder.
  let configDir = path.resolve(projectDir);
  try {
    configDir = gitToplevel(projectDir);
  } catch {
    if (!positionals.length) throw new GitError(`${path.resolve(projectDir)} is not inside a git repository; \`tollgate check\` compares the lockfile against a git ref. Use \`tollgate audit\` to scan every package, or \`tollgate check <spec>...\``);
  }
  if (positionals.length && values.base) throw new UsageError('--base compares lockfiles; it cannot be combined with package specs');
  // Lockfile mode gates a change: its policy and npm settings come from the base commit (or a
  // file the workflow pins with --config), never from the change itself (see src/check/trust.ts).
  const base = positionals.length ? undefined : values.base ? { ref: values.base, why: '--base' } : defaultBase(process.env);
  const policy = base ? trustedPolicy(configDir, base.ref, known) : undefined;
  const config = values.config || !policy ? loadConfig(configDir, known, values.config) : policy.config;

  const { failOn, disabled } = policySettings(config, { failOn: values['fail-on'], disableRule: values['disable-rule'] }, known);
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64);
  let only: { name: string; version: string } | undefined;
  if (values.explain) {
    only = splitPackageId(values.explain);
    if (!only) throw new UsageError(`--explain takes name@version (got "${values.explain}")`);
  }
  // Checked before scanning, so a long check does not end in a write error.
  if (values.html !== undefined) checkHtmlTarget(values.html);

  const trustedNpm = base ? trustedNpmConfig(configDir, base.ref, path.resolve(projectDir)) : undefined;
  const npmConfig = trustedNpm?.npmConfig ?? loadNpmConfig({ cwd: path.resolve(projectDir) });
  const policyChanges = [policy?.change, trustedNpm?.change].filter((c): c is PolicyChange => !!c);
  if (values.registry) npmConfig.registry = values.registry;
  let results: ResultCache | undefined;
  if (!values['no-cache']) {
    try {
      results = ResultCache.open(path.join(defaultCacheDir(), 'results.sqlite'), engineKey(disabled));
    } catch (err) {
      if (!values.quiet) process.stderr.write(`tollgate: results cache unavailable (${(err as Error).message}); checking without it\n`);
    }
  }
  // A bar on a terminal; off one (CI), a line every 10 s or 10% so a long check is not silent.
  const bar = positionals.length ? undefined : progressFor(process.stderr, !!values.quiet);
  const common = {
    config,
    failOn,
    prod: values.prod! || config.ignoreDev,
    npmConfig,
    downloadCache: values.cache,
    results,
    concurrency,
    engine: { ...DEFAULT_ENGINE_OPTIONS, disabledRules: disabled },
    now: new Date(),
    only,
    onProgress: bar ? (s: ProgressState) => bar.update(s) : undefined,
  };
  let report: CheckReport;
  try {
    report = positionals.length
      ? await checkSpecs({ ...common, specs: positionals, cwd: path.resolve(projectDir), registrySignals: { cacheDir: defaultCacheDir() } })
      : await checkLockfile({ ...common, target: values.project!, base: base!, policyChanges, requireIntegrity: values['require-integrity'] !== false && !values['no-require-integrity'] });
  } finally {
    bar?.clear();
    results?.close();
  }
  if (only) report = { ...report, packages: report.packages.filter((p) => p.name === only.name && p.version === only.version) };

  const github = inGithubActions(values.github);
  // Everything printed below holds package and lockfile strings: one line each (t), and in Actions no
  // line of it can be a workflow command (forLog).
  const out = (s: string) => process.stdout.write(forLog(s, github));
  const err = (s: string) => process.stderr.write(forLog(s, github));
  for (const w of report.warnings) err(`tollgate: warning: ${t(w)}\n`);
  if (values.sarif) writeOut(values.sarif, JSON.stringify(toSarif(report.packages.map((p) => ({ ...p, allowedBecause: p.policy.allowed?.reason })), RULES), null, 2) + '\n', values.quiet!);
  if (values.html) {
    writeHtmlReport(values.html, { ...toCheckJson(report), context: { command: 'check', subtitle: subtitle(report), notes: report.warnings } }, { title: 'Tollgate dependency check' });
    if (!values.quiet) process.stderr.write(`tollgate: wrote ${values.html}\n`);
  }
  if (github) {
    const marked = report.packages.map((p) => ({ ...p, allowed: !!p.policy.allowed, fails: failsGate(p, failOn) }));
    // Our own workflow commands (their data escaped). With --json they go to stderr, which the runner
    // reads too: stdout stays one JSON document.
    const annotate = values.json ? process.stderr : process.stdout;
    for (const c of report.policyChanges ?? []) {
      annotate.write(`::warning file=${escapeProperty(c.file)},line=1,title=${escapeProperty(`Tollgate: ${c.file} changed; not applied until merged`)}::${escapeData(c.lines.join('\n').slice(0, 4000))}\n`);
    }
    for (const line of annotations(marked)) annotate.write(line + '\n');
    const summaryFile = process.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) {
      try {
        fs.appendFileSync(summaryFile, stepSummary({ title: 'Tollgate dependency check', subtitle: subtitle(report), packages: marked, warnings: report.warnings, exitCode: report.exitCode }));
      } catch (err) {
        process.stderr.write(`tollgate: could not write the step summary to ${t(summaryFile)} (${t((err as Error).message)})\n`);
      }
    }
  }
  // JSON escapes every control character itself; a JSON line cannot start with "::".
  if (values.json) process.stdout.write(JSON.stringify(toCheckJson(report), null, 2) + '\n');
  else if (only) out(renderExplain(report, only, config.file) + '\n');
  else {
    out(renderCheckHuman(report, { color: useColor(process.stdout, values['no-color']), verbose: values.verbose }) + '\n');
  }
  for (const p of report.packages) if (p.error && p.kind !== 'git') err(`tollgate: ${t(p.error)}\n`);
  if (only && !report.packages.length) {
    err(`tollgate: ${t(only.name)}@${t(only.version)} is not in ${t(report.lockfile?.uri ?? 'the plan')}\n`);
    return 2;
  }
  return report.exitCode;
}

function writeOut(file: string, text: string, quiet: boolean): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`could not write ${file} (${(err as Error).message}); pick a writable path`);
  }
  if (!quiet) process.stderr.write(`tollgate: wrote ${file}\n`);
}

export function subtitle(r: CheckReport): string {
  if (r.mode === 'specs') {
    const p = r.plan!;
    return `install plan: ${p.planned} package${p.planned === 1 ? '' : 's'} would be added (${p.satisfied} dependencies already satisfied by the lockfile)${p.truncated ? ', cut at the plan limit' : ''}`;
  }
  const d = r.diff!;
  const scanned = r.summary ? `${r.summary.scanned} scanned, ${r.summary.cached} from cache` : '';
  return `${r.lockfile!.uri} compared with ${r.base!.ref} (${r.base!.why}${r.base!.hadLockfile ? '' : '; the lockfile is new there'}): ${d.changed.length} new or changed entr${d.changed.length === 1 ? 'y' : 'ies'} of ${d.headCount} packages${r.skippedDev ? `, ${r.skippedDev} dev-only skipped` : ''}; ${scanned}`;
}

export function toCheckJson(r: CheckReport) {
  const base = toJsonReport(r.packages);
  return {
    ...base,
    check: {
      mode: r.mode,
      lockfile: r.lockfile ? { path: r.lockfile.uri, format: r.lockfile.format, version: r.lockfile.version } : null,
      base: r.base ?? null,
      changed: r.diff?.changed.length ?? null,
      newNames: r.diff?.newNames ?? null,
      planned: r.plan?.planned ?? null,
      scanned: r.summary?.scanned ?? r.packages.length,
      cached: r.summary?.cached ?? 0,
      skippedDev: r.skippedDev,
      failOn: r.failOn,
      exitCode: r.exitCode,
      warnings: r.warnings,
      policyChanges: r.policyChanges ?? [],
      ms: r.ms,
    },
    packages: base.packages.map((p, i) => {
      const c = r.packages[i]!;
      return {
        ...p,
        paths: (c.paths ?? []).map(pathText),
        dev: c.dev ?? false,
        location: c.location,
        policy: policyJson(c.policy),
      };
    }),
  };
}

function renderCheckHuman(r: CheckReport, opts: { color: boolean; verbose: boolean }): string {
  const c = painter(opts.color);
  const out = [c('bold', `Tollgate check: ${t(subtitle(r))}`), ''];
  for (const ch of r.policyChanges ?? []) {
    out.push(c('yellow', `${t(ch.file)} is changed here: not applied (the gate used the file at ${t(r.base?.ref ?? 'the base')}; the change applies once merged). It would:`));
    for (const l of ch.lines) out.push(`    - ${t(l)}`);
    out.push('');
  }
  // Clean packages with something a reviewer should read (install scripts, look-alike names, new
  // capabilities since the last release) are listed too: a gate that passes should still say so.
  const listed = r.packages.filter((x) => opts.verbose || x.verdict !== 'clean' || x.policy.allowed || x.policy.suppressed.length || x.findings.some(isReviewFinding));
  for (const p of listed) {
    const block = renderHuman([p], { color: opts.color, verbose: opts.verbose }).split('\n');
    block.splice(block.length - 2, 2);
    if (p.verdict === 'error') for (const f of p.findings) block.push(`    ${f.severity.padEnd(8)} ${t(f.rule).padEnd(17)} ${t(f.message)}`);
    out.push(...block);
    out.push(`    ${c('gray', 'at')} ${t(p.location.uri)}:${p.location.line}`);
    for (const path of p.paths ?? []) out.push(`    ${c('gray', 'via')} ${t(pathText(path))}`);
    out.push(...policyNotes(p.policy).map((l) => `    ${c('cyan', t(l))}`));
    out.push('');
  }
  const clean = r.packages.length - listed.length;
  if (!opts.verbose && clean) out.push(c('gray', `${clean} clean package${clean === 1 ? '' : 's'} not listed (--verbose lists every package)`));
  const gate = r.exitCode === 1 ? c('red', `FAIL: a package reached --fail-on ${r.failOn}`) : r.exitCode === 2 ? c('magenta', 'ERROR: some packages could not be analyzed; they are not known to be safe') : c('green', 'PASS');
  out.push(gate);
  return out.join('\n');
}

function renderExplain(r: CheckReport, only: { name: string; version: string }, configFile: string | undefined): string {
  const p = r.packages[0];
  if (!p) return `${t(only.name)}@${t(only.version)}: not found in ${t(r.lockfile?.uri ?? 'the install plan')}`;
  const out = [t(`${p.name}@${p.version}`), ''];
  out.push(`engine verdict: ${p.policy.before.verdict} (score ${p.policy.before.score})`);
  out.push(`after config:   ${p.verdict} (score ${p.score})${p.policy.allowed ? ', allowed' : ''}`);
  out.push(`gate (--fail-on ${r.failOn}): ${failsGate(p, r.failOn) ? 'FAILS' : p.verdict === 'error' ? 'ERROR (not known to be safe)' : 'passes'}`);
  out.push('', 'why:');
  for (const reason of p.reasons) out.push(`  - ${t(reason)}`);
  if (!p.reasons.length) out.push('  - nothing worth a point: no finding reached the score');
  out.push('', `findings (${p.findings.length}):`);
  for (const f of p.findings) out.push(`  ${f.severity.padEnd(8)} ${t(f.rule).padEnd(20)} ${t(f.message)}${f.file ? ` (${t(f.file)}${f.line ? `:${f.line}` : ''})` : ''}`);
  out.push('', `config (${configFile ?? 'no tollgate.config.json'}):`);
  const lines = policyNotes(p.policy);
  out.push(...(lines.length ? lines.map((l) => `  ${t(l)}`) : ['  nothing in the config applies to this version']));
  out.push(`  installed from ${t(p.location.uri)}:${p.location.line}`);
  return out.join('\n');
}
