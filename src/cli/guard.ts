// `tollgate guard -- <command>` and `tollgate guard --serve`: the scanning registry proxy (src/guard/).
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/run/analyze.js';
import { loadNpmConfig, NpmConfigError } from '../fetch/npm-config.js';
import { RULES } from '../../heuristics/index.js';
import { ConfigError, loadConfig, type FailOn } from '../check/config.js';
import { ResultCache, defaultCacheDir } from '../cache/results.js';
import { engineKey } from '../cache/version.js';
import { forLog, inGithubActions, safeLine } from '../report/sanitize.js';
import { TarballScanner } from '../guard/scanner.js';
import { startGuardServer, type DecisionEvent, type GuardStats } from '../guard/server.js';
import { guardedEnv } from '../guard/env.js';
import { lockfileFetchedDirectly } from '../guard/coverage.js';
import { restoreLockfilesIn } from '../guard/lockfile-urls.js';
import { preflightLockfile } from '../guard/preflight.js';
import { LockfileError } from '../lockfile/types.js';
import { UsageError, withErrorBoundary } from './errors.js';
import { FAIL_ON } from './exit-code.js';
import { wholeNumber, type CommandArgs } from './options.js';
import type { GUARD } from './commands.js';

export async function guardCommand(args: CommandArgs<typeof GUARD.options>): Promise<number> {
  return withErrorBoundary(() => guard(args), { known: [ConfigError, NpmConfigError, LockfileError], help: 'tollgate guard --help' });
}

const say = (line: string): void => {
  process.stderr.write(forLog(`tollgate guard: ${line}\n`, inGithubActions()));
};

/** The one line a decision gets: always for a refusal, for every tarball under --serve. */
function decisionLine(e: DecisionEvent): string {
  const d = e.decision;
  if (d.action === 'refuse') return d.message;
  const r = d.result;
  return `served ${safeLine(e.name)}@${safeLine(e.version)}: ${r?.verdict ?? 'unscanned'}${r ? ` (score ${r.score})` : ''}${d.cached ? ', from cache' : ''}${d.note ? `; ${d.note}` : ''} in ${e.ms} ms`;
}

export function summaryLine(s: GuardStats): string {
  return `${s.requested} tarball${s.requested === 1 ? '' : 's'}: ${s.scanned} scanned, ${s.fromCache} from cache; ${s.served} served, ${s.blocked} blocked`;
}

async function guard({ values, positionals }: CommandArgs<typeof GUARD.options>): Promise<number> {
  const failOn = values['fail-on'];
  if (!(failOn in FAIL_ON)) throw new UsageError(`--fail-on must be malicious, suspicious or never (got "${failOn}")`);
  if (values.serve && positionals.length) throw new UsageError('--serve runs the proxy on its own; give either --serve or -- <command>');
  if (!values.serve && !positionals.length) throw new UsageError('guard needs a command to run, e.g. `tollgate guard -- npm install`, or --serve');
  if (!values.serve && values.port !== undefined) throw new UsageError('--port applies to --serve (a guarded command gets a free port)');
  const port = values.port === undefined ? 0 : wholeNumber('--port', values.port, 0, 65535);
  const downloads = wholeNumber('--concurrency', values.concurrency, 1, 64);

  const cwd = process.cwd();
  const npmConfig = loadNpmConfig({ cwd });
  if (values.registry) npmConfig.registry = values.registry;
  const config = loadConfig(cwd, new Set(RULES.map((r) => r.meta.id)), values.config);
  let results: ResultCache | undefined;
  if (!values['no-cache']) {
    try {
      results = ResultCache.open(path.join(defaultCacheDir(), 'results.sqlite'), engineKey(config.rulesOff));
    } catch (err) {
      if (!values.quiet) say(`results cache unavailable (${(err as Error).message}); every tarball is scanned`);
    }
  }
  const scanner = new TarballScanner({
    npmConfig,
    downloadCache: values.cache,
    results,
    engine: { ...DEFAULT_ENGINE_OPTIONS, disabledRules: config.rulesOff },
    registrySignals: !values['no-registry-signals'],
    cacheDir: defaultCacheDir(),
    downloads,
  });
  const policy = { failOn: failOn as FailOn, failOpen: values['fail-open'], config };
  const onDecision = (e: DecisionEvent): void => {
    if (values.serve || e.decision.action === 'refuse' || e.decision.note) say(decisionLine(e));
  };
  const server = await startGuardServer({ npmConfig, host: values.host, port, policy, scanner, onDecision });
  try {
    if (values.serve) return await serveUntilStopped(server.url, values.quiet);
    const direct = lockfileFetchedDirectly(positionals, cwd);
    if (direct) {
      // yarn 1 and bun download the tarball URLs their lockfile records themselves, past the proxy: check them first.
      const lockName = path.basename(direct.file);
      if (!values.quiet) say(`${direct.manager} downloads the tarball URLs ${lockName} records past the proxy: checking each one before it starts`);
      const pre = await preflightLockfile(direct.file, { npmConfig, scanner, policy, stats: server.stats, onDecision });
      for (const u of pre.unchecked) say(`warning: ${safeLine(u)} is not from a registry; ${direct.manager} installs it unscanned`);
      if (pre.decisions.some((d) => d.decision.action === 'refuse')) {
        say(`${safeLine(positionals.join(' '))} was not started: ${lockName} pins what the guard refused (above). Remove it from the lockfile, or allow it after a review`);
        say(summaryLine(server.stats));
        return 1;
      }
    }
    // TOLLGATE_CHILD marks bin.js's own re-executed process: a guarded `tollgate ...` must start afresh.
    const { TOLLGATE_CHILD: _child, ...parentEnv } = process.env;
    const code = await runGuarded(positionals, guardedEnv(server.url, npmConfig, parentEnv, path.join(defaultCacheDir(), 'guard'), positionals[0]));
    // yarn 1 and bun write the URL they downloaded from into their lockfile: put the registry's back.
    for (const line of restoreLockfilesIn(cwd, server.url, server.upstreamOf)) say(line);
    if (!values.quiet || server.stats.blocked) say(summaryLine(server.stats));
    return code;
  } finally {
    await server.close();
    results?.close();
  }
}

async function serveUntilStopped(url: string, quiet: boolean): Promise<number> {
  if (!quiet) {
    say(`listening on ${url}/ (health: ${url}/-/tollgate/health)`);
    say(`use it with: npm_config_registry=${url}/ npm_config_replace_registry_host=always npm install, or registry=${url}/ in .npmrc`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/** Run the command with the guarded environment; its exit code (128 + n for a signal), 127 when it cannot start. */
function runGuarded(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd, ...rest] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    // npm, pnpm and yarn are .cmd files on Windows, which only a shell starts.
    const child = spawn(cmd, rest, { stdio: 'inherit', env, shell: process.platform === 'win32' });
    // Ctrl-C reaches the child from the terminal too; forwarding covers a SIGTERM sent to us alone.
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (code: number) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    child.on('error', (err) => {
      say(`could not start "${safeLine(cmd)}": ${(err as Error).message}`);
      done(127);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)));
  });
}
