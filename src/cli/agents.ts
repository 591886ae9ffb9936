// `tollgate agents`: audit the MCP servers, hooks and instruction files of AI coding tools.
import fs from 'node:fs';
import { forLog, inGithubActions, safeLine } from '../report/sanitize.js';
import { htmlTargetUsable } from './html-target.js';
import os from 'node:os';
import path from 'node:path';
import { auditAgents, verdictsOf, type AgentsResult } from '../agents/audit.js';
import { PLATFORMS, type Platform } from '../agents/locations.js';
import { renderAgents, renderFixPins } from '../agents/render.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/run/analyze.js';
import { loadNpmConfig } from '../fetch/npm-config.js';
import { HtmlReportError, writeHtmlReport } from '../report/html.js';
import { toJsonReport, type JsonReport } from '../report/json.js';
import { useColor } from '../report/style.js';
import type { AGENTS } from './commands.js';
import { UsageError } from './errors.js';
import { FAIL_ON } from './exit-code.js';
import { wholeNumber, type CommandArgs } from './options.js';

export type AgentsJson = JsonReport & { agents: AgentsResult['agents'] };

export async function agentsCommand({ values, positionals }: CommandArgs<typeof AGENTS.options>): Promise<number> {
  if (positionals.length) throw new UsageError(`agents takes no targets (got "${positionals[0]}"); use --home and --project`);
  const failOn = values['fail-on'];
  if (!(failOn in FAIL_ON)) throw new UsageError(`--fail-on must be malicious, suspicious or never (got "${failOn}")`);
  const platform = (values.platform ?? process.platform) as Platform;
  if (!PLATFORMS.includes(platform)) {
    if (values.platform !== undefined) throw new UsageError(`--platform must be linux, darwin or win32 (got "${values.platform}")`);
  }
  const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64);
  if (!htmlTargetUsable(values.html)) return 2;
  const home = path.resolve(values.home ?? os.homedir());
  const project = path.resolve(values.project ?? process.cwd());
  for (const [flag, dir] of [['--home', home], ['--project', project]] as const) {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${flag} ${dir} is not a folder`);
  }
  const npmConfig = loadNpmConfig({ cwd: project });
  if (values.registry) npmConfig.registry = values.registry;
  const withRegistry = !values['no-registry-signals'];
  let cache: ResultCache | undefined;
  if (withRegistry) {
    try {
      cache = ResultCache.open(path.join(defaultCacheDir(), 'results.sqlite'), engineKey(new Set()));
    } catch (err) {
      if (!values.quiet) process.stderr.write(`tollgate: results cache unavailable (${(err as Error).message}); previous versions are analyzed without it\n`);
    }
  }
  let result: AgentsResult;
  try {
    result = await auditAgents({
      home,
      project,
      // An unknown process.platform (freebsd, say) reads the Linux paths.
      platform: PLATFORMS.includes(platform) ? platform : 'linux',
      concurrency,
      scan: {
        engine: DEFAULT_ENGINE_OPTIONS,
        fetch: { npmConfig, cache: values.cache, where: project },
        registry: withRegistry ? { cacheDir: defaultCacheDir(), results: cache } : undefined,
      },
    });
  } finally {
    cache?.close();
  }
  const json: AgentsJson = { ...toJsonReport(result.packages), agents: result.agents };
  if (values['fix-pins']) process.stdout.write(forLog(renderFixPins(result) + '\n', inGithubActions()));
  else if (values.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write(forLog(renderAgents(result, { color: useColor(process.stdout, values['no-color']), verbose: values.verbose }) + '\n', inGithubActions()));
  for (const c of result.agents.configs) if (c.error) process.stderr.write(forLog(`tollgate: ${safeLine(c.error)}\n`, inGithubActions()));
  if (values.html !== undefined) {
    // The HTML report shows the scanned packages; the agents' own findings go in as its notes.
    const notes = [
      ...result.agents.servers.filter((s) => s.verdict !== 'clean').map((s) => `${s.verdict}: ${s.tool} server "${s.name}" (${s.file} ${s.key}): ${s.reason ?? ''}`),
      ...result.agents.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity}: ${f.message} (${f.file} ${f.key ?? ''})`),
      ...result.agents.instructions.filter((i) => i.verdict !== 'clean').map((i) => `${i.verdict}: ${i.file}: ${i.findings[0]?.message ?? i.error ?? ''}`),
      ...result.agents.configs.filter((c) => c.error).map((c) => `error: ${c.error}`),
    ];
    try {
      const bytes = writeHtmlReport(values.html, { ...json, context: { command: 'tollgate agents', subtitle: `home ${home}, project ${project}`, notes } }, { title: 'Tollgate agents' });
      if (!values.quiet) process.stderr.write(`tollgate: HTML report written to ${values.html} (${(bytes / 1024).toFixed(0)} KB)\n`);
    } catch (err) {
      if (!(err instanceof HtmlReportError)) throw err;
      process.stderr.write(`tollgate: ${err.message}\n`);
      return 2;
    }
  }
  const failing = FAIL_ON[failOn] ?? ['malicious'];
  const verdicts = verdictsOf(result);
  if (verdicts.some((v) => failing.includes(v))) return 1;
  if (verdicts.includes('error')) return 2;
  return 0;
}
