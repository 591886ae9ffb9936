// `tollgate scan <target>...`: analyze packages without running them.
import path from 'node:path';
import { htmlTargetUsable } from './html-target.js';
import { forLog, inGithubActions, safeLine } from '../report/sanitize.js';
import { scanTargets } from '../scan.js';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/run/analyze.js';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { renderHuman } from '../report/human.js';
import { toJsonReport } from '../report/json.js';
import { HtmlReportError, writeHtmlReport } from '../report/html.js';
import { StatusLine, useColor } from '../report/style.js';
import { FileStatus, ProgressLog } from '../audit/progress.js';
import { RULES } from '../../heuristics/index.js';
import type { ReportedPackage } from '../types.js';
import { UsageError, withErrorBoundary } from './errors.js';
import { applyLocalPolicy, notesOf, policySettings, policySummary, withPolicyJson } from './policy.js';
import { ConfigError, loadNearestConfig } from '../check/config.js';
import { gateExitCode } from '../check/policy.js';
import { wholeNumber, type CommandArgs } from './options.js';
import type { SCAN } from './commands.js';
import { popularNameNear, registryName } from './suggest-package.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';

export async function scanCommand(args: CommandArgs<typeof SCAN.options>): Promise<number> {
  return withErrorBoundary(() => scan(args), { known: [ConfigError], help: 'tollgate scan --help' });
}

async function scan({ values, positionals }: CommandArgs<typeof SCAN.options>): Promise<number> {
  if (positionals.length === 0) throw new UsageError('scan needs at least one target, e.g. `tollgate scan express@4` or `tollgate scan ./pkg.tgz`');
  const known = new Set(RULES.map((r) => r.meta.id));
  // The user's own policy: the nearest tollgate.config.json from here (or --config).
  const config = loadNearestConfig(process.cwd(), known, values.config);
  const { failOn, disabled } = policySettings(config, { failOn: values['fail-on'], disableRule: values['disable-rule'] }, known);
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64);
  if (!htmlTargetUsable(values.html)) return 2;
  const policyLine = policySummary(config);
  if (policyLine && !values.quiet) process.stderr.write(`tollgate: ${safeLine(policyLine)}\n`);
  // A name one keystroke from a popular one is most often a typo; it is still scanned (the user may
  // mean it, and the typosquat rule reports on it), the hint only says what was probably meant.
  for (const spec of positionals) {
    const name = registryName(spec);
    const near = name && popularNameNear(name);
    if (near) process.stderr.write(`tollgate: note: "${name}" is one edit away from the popular package "${near}"; did you mean ${near}? Scanning ${name} as given.\n`);
  }
  const npmConfig = loadNpmConfig({ cwd: process.cwd() });
  if (values.registry) npmConfig.registry = values.registry;
  // On a terminal, one status line: targets done and, while a large package is analyzed, its files.
  // Off one, a line per 10 s or 10% of the targets when there are many (CI logs stay short).
  const status = !values.quiet && process.stderr.isTTY ? new StatusLine(process.stderr) : undefined;
  const log = !values.quiet && !process.stderr.isTTY && positionals.length > 1 ? new ProgressLog(process.stderr) : undefined;
  const fileStatus = status ? new FileStatus(status) : undefined;
  // Registry signals (on by default): packuments are cached with their ETag under the cache dir,
  // analyses of previous versions in the results cache shared with `tollgate audit`.
  const withRegistry = !values['no-registry-signals'];
  let cache: ResultCache | undefined;
  if (withRegistry && !values['no-cache']) {
    try {
      cache = ResultCache.open(path.join(defaultCacheDir(), 'results.sqlite'), engineKey(disabled));
    } catch (err) {
      if (!values.quiet) process.stderr.write(`tollgate: results cache unavailable (${(err as Error).message}); previous versions are analyzed without it\n`);
    }
  }
  let scanned: ReportedPackage[];
  try {
    scanned = await scanTargets(positionals, {
      concurrency,
      engine: { ...DEFAULT_ENGINE_OPTIONS, disabledRules: disabled },
      fetch: { npmConfig, cache: values.cache, where: process.cwd() },
      registry: withRegistry ? { cacheDir: defaultCacheDir(), results: cache } : undefined,
      onResult: (r, done, total) => {
        if (status && total > 1) status.show(`[${done}/${total}] ${safeLine(`${r.name}${r.version ? '@' + r.version : ''}`)}: ${r.verdict}`);
        log?.update({ done, total, bytes: 0, cached: 0 });
      },
      onFiles: fileStatus ? (name, p) => fileStatus.show(name, p) : undefined,
    });
  } finally {
    cache?.close();
  }
  status?.clear();
  const results = applyLocalPolicy(scanned, config);
  const json = withPolicyJson(toJsonReport(results), results);
  if (values.json) {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  } else {
    process.stdout.write(forLog(renderHuman(results, { color: useColor(process.stdout, values['no-color']), verbose: values.verbose, notes: notesOf }) + '\n', inGithubActions()));
  }
  for (const r of results) if (r.error) process.stderr.write(forLog(`tollgate: ${safeLine(r.error)}\n`, inGithubActions()));
  if (values.html !== undefined) {
    try {
      const bytes = writeHtmlReport(values.html, { ...json, context: { command: `tollgate scan ${positionals.join(' ')}` } }, { title: 'Tollgate scan' });
      if (!values.quiet) process.stderr.write(`tollgate: HTML report written to ${values.html} (${(bytes / 1024).toFixed(0)} KB)\n`);
    } catch (err) {
      if (!(err instanceof HtmlReportError)) throw err;
      process.stderr.write(`tollgate: ${err.message}\n`);
      return 2;
    }
  }
  return gateExitCode(results, failOn);
}
