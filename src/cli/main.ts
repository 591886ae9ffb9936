import path from 'node:path';
import { parseArgs } from 'node:util';
import { scanTargets } from '../scan.js';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/analyze.js';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { renderHuman } from '../report/human.js';
import { forLog, inGithubActions, safeLine } from '../report/sanitize.js';
import { toJsonReport } from '../report/json.js';
import { checkHtmlTarget, HtmlReportError, writeHtmlReport } from '../report/html.js';
import { RULES } from '../../heuristics/index.js';
import { TOOL } from '../version.js';
import { renderRulesMarkdown } from '../report/rules-doc.js';
import type { ReportedPackage, Verdict } from '../types.js';
import { auditCommand } from './audit.js';
import { workerCommand } from './worker.js';
import { resultsCommand, watchCommand } from './watch.js';
import { checkCommand } from './check.js';
import { UsageError } from './errors.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';

const HELP = `tollgate ${TOOL.version}: stop malicious npm packages before they run

Usage:
  tollgate scan <target>...     analyze packages without running them
  tollgate audit [dir|file]     audit every package in a project's lockfile, ranked by risk
  tollgate check [--base <ref>] CI gate: scan only new or changed lockfile entries (check --help)
  tollgate check <spec>...      vet packages and what they would add, before installing them
  tollgate watch [--once]       follow npm's feed and scan every new publish (watch --help)
  tollgate results [--since 24h] query what watch found (--verdict malicious, --json)
  tollgate worker --queue redis://... --store postgres://...
                                scan what watch --queue enqueues, on any number of machines (worker --help)
  tollgate rules [--markdown]   list the detection rules with examples
  tollgate help                 this text

Targets:
  express  express@^4  @scope/name@1.2.3   registry packages (your npm config's registry and auth)
  ./pkg.tgz                                a local tarball
  ./some/folder                            a local package folder (its prepare script is NOT run)

Options for scan:
  --json                  machine-readable report on stdout (schema/report.schema.json)
  --html <file>           also write a self-contained HTML report (loads nothing; readable on a phone)
  --fail-on <verdict>     exit 1 when a package is at least this bad:
                          malicious (default), suspicious, or never
  --verbose               show every finding, informational ones included
  --cache <dir>           download cache folder (default: npm's cache, ~/.npm/_cacache)
  --registry <url>        override the registry from your npm config
  --concurrency <n>       packages fetched and analyzed at once (default 4)
  --no-color              plain text (also when NO_COLOR is set or output is not a terminal)
  --quiet                 no progress on stderr
  --disable-rule <id>     switch a rule off (repeat, or comma-separate); see \`tollgate rules\`
  --no-registry-signals   skip the registry checks of registry packages (packument: manifest confusion,
                          release diff against the previous version, publisher, provenance, age)
  --no-cache              do not read or write analyses of previous versions in the results cache

Options for audit (and --json, --fail-on, --verbose, --cache, --registry, --concurrency, --no-color,
--quiet, --disable-rule as for scan):
  [dir|file]              a project folder (its lockfile is found) or a lockfile: package-lock.json,
                          npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock; default: this folder
  --prod                  skip dev-only packages
  --workers <n>           analyze in n worker threads (default 0: on the main thread, one package at a
                          time, the least memory). With 2 or more, a package of 4 MB or more (compressed)
                          is unpacked once into shared memory and its files split across all workers.
                          About 20% faster on 2 cores, at about twice the memory. Each worker has its own
                          heap (TOLLGATE_WORKER_HEAP_MB, default 384); a package that exhausts it is an
                          error and the audit goes on
  --html <file>           also write a self-contained HTML report: verdict chart, ranked packages, findings
  --list                  list the lockfile's packages without fetching (--json: normalized entries)
  --no-cache              neither read nor write the results cache (TOLLGATE_CACHE_DIR moves it)
  Git dependencies are reported (rule git-dependency) but never fetched; they do not change the exit code.

Exit codes:
  0  every package scanned and none reached --fail-on
  1  at least one package reached --fail-on
  2  usage error, or some package could not be fetched or read (reported as "error", never as clean)
  130 interrupted (Ctrl-C); 143 stopped by SIGTERM

Environment:
  NO_COLOR                plain text output
  TOLLGATE_CACHE_DIR      results and packument cache (default ~/.cache/tollgate)
  TOLLGATE_HEAP_MB        V8 heap limit the CLI runs with (default 1024 for scan, 384 for audit)
  TOLLGATE_WORKER_HEAP_MB heap limit of each audit analysis thread (default 384)
  TOLLGATE_PARSER=babel   parse everything with Babel instead of the fast acorn tier (to rule it out)

Nothing in a scanned package is executed: no lifecycle scripts, no require/import, no eval.
Examples:
  tollgate scan left-pad@1.3.0
  tollgate scan ./vendor/suspicious-1.0.0.tgz --json > report.json
  tollgate scan $(jq -r '.dependencies|keys[]' package.json) --fail-on suspicious
`;


const FAIL_ON: Record<string, Verdict[]> = {
  malicious: ['malicious'],
  suspicious: ['malicious', 'suspicious'],
  never: [],
};

export function exitCodeFor(results: readonly ReportedPackage[], failOn: string): number {
  const failing = FAIL_ON[failOn] ?? ['malicious'];
  if (results.some((r) => failing.includes(r.verdict))) return 1;
  if (results.some((r) => r.verdict === 'error')) return 2;
  return 0;
}

async function scanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'fail-on': { type: 'string', default: 'malicious' },
      verbose: { type: 'boolean', short: 'v', default: false },
      cache: { type: 'string' },
      registry: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'no-color': { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      'disable-rule': { type: 'string', multiple: true, default: [] },
      'no-registry-signals': { type: 'boolean', default: false },
      'no-cache': { type: 'boolean', default: false },
      html: { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new UsageError('scan needs at least one target, e.g. `tollgate scan express@4` or `tollgate scan ./pkg.tgz`');
  const failOn = values['fail-on']!;
  if (!(failOn in FAIL_ON)) throw new UsageError(`--fail-on must be malicious, suspicious or never (got "${failOn}")`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64 (got "${values.concurrency}")`);

  const disabled = new Set(values['disable-rule']!.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean));
  const known = new Set(RULES.map((r) => r.meta.id));
  for (const id of disabled) if (!known.has(id)) throw new UsageError(`--disable-rule: no rule "${id}" (see \`tollgate rules\`)`);
  try {
    if (values.html !== undefined) checkHtmlTarget(values.html);
  } catch (err) {
    if (!(err instanceof HtmlReportError)) throw err;
    process.stderr.write(`tollgate: ${err.message}\n`);
    return 2;
  }
  const npmConfig = loadNpmConfig({ cwd: process.cwd() });
  if (values.registry) npmConfig.registry = values.registry;
  const progress = !values.quiet && process.stderr.isTTY && positionals.length > 1;
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
  let results: ReportedPackage[];
  try {
    results = await scanTargets(positionals, {
      concurrency,
      engine: { ...DEFAULT_ENGINE_OPTIONS, disabledRules: disabled },
      fetch: { npmConfig, cache: values.cache, where: process.cwd() },
      registry: withRegistry ? { cacheDir: defaultCacheDir(), results: cache } : undefined,
      onResult: progress
        ? (r, done, total) => process.stderr.write(`\r\u001b[K[${done}/${total}] ${safeLine(`${r.name}${r.version ? '@' + r.version : ''}`)}: ${r.verdict}`)
        : undefined,
    });
  } finally {
    cache?.close();
  }
  if (progress) process.stderr.write('\r\u001b[K');
  if (values.json) {
    process.stdout.write(JSON.stringify(toJsonReport(results), null, 2) + '\n');
  } else {
    const color = !values['no-color'] && !process.env.NO_COLOR && process.stdout.isTTY === true;
    process.stdout.write(forLog(renderHuman(results, { color, verbose: values.verbose! }) + '\n', inGithubActions()));
  }
  for (const r of results) if (r.error) process.stderr.write(forLog(`tollgate: ${safeLine(r.error)}\n`, inGithubActions()));
  if (values.html !== undefined) {
    try {
      const bytes = writeHtmlReport(values.html, { ...toJsonReport(results), context: { command: `tollgate scan ${positionals.join(' ')}` } }, { title: 'Tollgate scan' });
      if (!values.quiet) process.stderr.write(`tollgate: HTML report written to ${values.html} (${(bytes / 1024).toFixed(0)} KB)\n`);
    } catch (err) {
      if (!(err instanceof HtmlReportError)) throw err;
      process.stderr.write(`tollgate: ${err.message}\n`);
      return 2;
    }
  }
  return exitCodeFor(results, failOn);
}

function rulesCommand(argv: string[]): number {
  if (argv.includes('--markdown')) {
    process.stdout.write(renderRulesMarkdown(RULES));
    return 0;
  }
  for (const r of RULES) {
    const m = r.meta;
    process.stdout.write(`${m.id}  (${m.category}, default severity ${m.severity})\n  ${m.title}: ${m.description}\n  example:  ${m.docs.example}\n  suppress: ${m.docs.suppress}\n\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'scan':
        return await scanCommand(rest);
      case 'watch':
        return await watchCommand(rest);
      case 'results':
        return await resultsCommand(rest);
      case 'audit':
        return await auditCommand(rest);
      case 'worker':
        return await workerCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'rules':
        return rulesCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-V':
        process.stdout.write(`${TOOL.version}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tollgate: ${(err as Error).message}\nRun \`tollgate help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`tollgate: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
}

