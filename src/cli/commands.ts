// Every command's option table and help text, in one module that loads no command code: `tollgate
// --help`, `tollgate <command> --help` and option errors are answered without loading the engine or
// the feed. Each command's implementation parses its arguments with the same table (options.ts).
import { NPM_CHANGES_URL, NPM_REGISTRY_URL } from '../feed/follower.js';
import { locationsHelp } from '../agents/locations.js';
import { command, type OptionSpec } from './options.js';

// Options shared by scan, audit and check: one definition each.
const json = { type: 'boolean', default: false, description: 'machine-readable report on stdout (schema/report.schema.json)' } as const satisfies OptionSpec;
const failOn = {
  type: 'string',
  value: '<verdict>',
  default: 'malicious',
  description: 'exit 1 when a package is at least this bad: malicious, suspicious or never',
} as const satisfies OptionSpec;
// scan, audit and check apply tollgate.config.json alike (src/cli/policy.ts); only where it is read differs.
const failOnConfigured = {
  ...failOn,
  default: undefined,
  defaultText: "the config's failOn, else malicious",
  description: "malicious, suspicious or never; overrides the config's failOn",
} as const satisfies OptionSpec;
const localConfig = (from: string) =>
  ({ type: 'string', value: '<file>', defaultText: `the nearest tollgate.config.json from ${from} up to its repository root`, description: 'policy file: allow entries, failOn, rules' }) as const satisfies OptionSpec;
const policySection = (from: string, ...extra: string[]) => ({
  title: 'Policy',
  body: [
    'tollgate.config.json applies as in check (its format: `tollgate check --help`): the file',
    `--config names, else the nearest one from ${from} up to its repository root.`,
    'An allowed package version is listed with its reason and does not count for --fail-on;',
    '"failOn" is the default of --fail-on; "rules" switches rules off.',
    ...extra,
    'Every mistake in the file is reported at its line and column (exit 2).',
  ]
    .map((line) => `  ${line}`)
    .join('\n'),
});
const verbose = { type: 'boolean', short: 'v', default: false, description: 'show every finding, informational ones included' } as const satisfies OptionSpec;
const cache = { type: 'string', value: '<dir>', defaultText: "npm's cache, ~/.npm/_cacache", description: 'download cache folder' } as const satisfies OptionSpec;
const registry = { type: 'string', value: '<url>', description: 'override the registry from your npm config' } as const satisfies OptionSpec;
const noColor = { type: 'boolean', default: false, description: 'plain text (also when NO_COLOR is set or output is not a terminal;\nFORCE_COLOR=1 colors output that is not a terminal)' } as const satisfies OptionSpec;
const quiet = { type: 'boolean', short: 'q', default: false, description: 'no progress on stderr' } as const satisfies OptionSpec;
const disableRule = {
  type: 'string',
  value: '<id>',
  multiple: true,
  default: [],
  description: 'switch a rule off (repeat, or comma-separate); see `tollgate rules`',
} as const satisfies OptionSpec;
const html = { type: 'string', value: '<file>', description: 'also write a self-contained HTML report (loads nothing; readable on a phone)' } as const satisfies OptionSpec;
const concurrency = (n: number) => ({ type: 'string', value: '<n>', default: String(n), description: 'packages fetched and analyzed at once (1-64)' }) as const satisfies OptionSpec;

const SCAN_EXIT = [
  '0  every package scanned and none reached --fail-on',
  '1  at least one package reached --fail-on',
  '2  usage error, or some package could not be fetched or read (reported as "error", never as clean)',
  '130 interrupted (Ctrl-C); 143 stopped by SIGTERM',
];

export const SCAN = command({
  name: 'scan',
  usage: ['scan <target>... [options]'],
  summary: 'analyze packages without running them',
  description: `Fetches each target's tarball (registry packages through your npm config's registry and auth),
reads it in memory and analyzes its code, manifest and registry history. Nothing in a scanned package
is executed: no lifecycle scripts, no require/import, no eval.`,
  options: {
    json,
    html,
    'fail-on': failOnConfigured,
    config: localConfig('this folder'),
    verbose,
    cache,
    registry,
    concurrency: concurrency(4),
    'no-color': noColor,
    quiet,
    'disable-rule': disableRule,
    'no-registry-signals': {
      type: 'boolean',
      default: false,
      description: 'skip the registry checks of registry packages (packument: manifest confusion,\nrelease diff against the previous version, publisher, provenance, age)',
    },
    'no-cache': { type: 'boolean', default: false, description: 'do not read or write analyses of previous versions in the results cache' },
  },
  sections: [
    {
      title: 'Targets',
      body: `  express  express@^4  @scope/name@1.2.3   registry packages (your npm config's registry and auth)
  ./pkg.tgz                                a local tarball
  ./some/folder                            a local package folder (its prepare script is NOT run)`,
    },
    policySection('this folder'),
  ],
  examples: [
    'tollgate scan left-pad@1.3.0',
    'tollgate scan ./vendor/suspicious-1.0.0.tgz --json > report.json',
    "tollgate scan $(jq -r '.dependencies|keys[]' package.json) --fail-on suspicious",
  ],
  exitCodes: SCAN_EXIT,
});

export const AUDIT = command({
  name: 'audit',
  usage: ['audit [dir|lockfile] [options]'],
  summary: "audit every package in a project's lockfile, ranked by risk",
  description: `Reads a project folder's lockfile (or the lockfile given): package-lock.json, npm-shrinkwrap.json,
yarn.lock, pnpm-lock.yaml or bun.lock; default: this folder. Fetches and analyzes every package it
installs, one report ranked by risk. Git dependencies are reported (rule git-dependency) but never
fetched; they do not change the exit code.`,
  options: {
    json,
    html: { ...html, description: 'also write a self-contained HTML report: verdict chart, ranked packages, findings' },
    list: { type: 'boolean', default: false, description: "list the lockfile's packages without fetching (--json: normalized entries)" },
    prod: { type: 'boolean', default: false, description: 'skip dev-only packages (also config "ignoreDev": true)' },
    'fail-on': failOnConfigured,
    config: localConfig("the lockfile's folder"),
    verbose,
    cache,
    'no-cache': { type: 'boolean', default: false, description: 'neither read nor write the results cache (TOLLGATE_CACHE_DIR moves it)' },
    'require-integrity': {
      type: 'boolean',
      default: false,
      defaultText: 'off: scan what their URL serves now, once, by its sha512, with a no-integrity finding',
      description: 'refuse lockfile entries without an integrity',
    },
    registry,
    concurrency: concurrency(8),
    workers: {
      type: 'string',
      value: '<n>',
      defaultText: '0: on the main thread, one package at a time, the least memory',
      description: `analyze in n worker threads (0-16). With 2 or more, a package of 4 MB or more
(compressed) is unpacked once into shared memory and its files split across all workers.
About 20% faster on 2 cores, at about twice the memory. Each worker has its own heap
(TOLLGATE_WORKER_HEAP_MB, default 384); a package that exhausts it is an error and the
audit goes on`,
    },
    'no-color': noColor,
    quiet,
    'disable-rule': disableRule,
  },
  sections: [policySection("the lockfile's folder", '"ignoreDev": true skips dev-only packages.')],
  examples: ['tollgate audit', 'tollgate audit ./services/api/pnpm-lock.yaml --prod --html audit.html', 'tollgate audit --json --fail-on suspicious > audit.json'],
  exitCodes: SCAN_EXIT,
});

export const CHECK = command({
  name: 'check',
  usage: ['check [--base <git-ref>] [--project <dir|lockfile>]   gate a lockfile change', 'check <spec>...                                      vet packages before installing them'],
  summary: 'CI gate: scan only new or changed lockfile entries, or vet packages before installing them',
  description: `Lockfile mode reads the lockfile in the working tree and the same file at --base (\`git show\`), and
scans only entries that are new or changed: a new name, a new version, or a changed integrity or
source URL. Without --base: in a GitHub Actions pull request the pull request's base commit
(check out with fetch-depth: 0), elsewhere HEAD (your uncommitted lockfile changes).
Spec mode resolves each spec and the dependencies it would add that your lockfile does not
already satisfy, and scans that subtree (nothing is installed or run).`,
  options: {
    base: { type: 'string', value: '<ref>', description: 'git ref to compare with (branch, tag, commit)' },
    project: { type: 'string', value: '<dir|file>', default: '.', description: 'project folder or lockfile' },
    'fail-on': failOnConfigured,
    config: { type: 'string', value: '<file>', defaultText: 'tollgate.config.json at the repository root as of --base, never the changed copy', description: 'policy file to use, pinned by the workflow' },
    'require-integrity': { type: 'boolean', default: true, description: 'refuse lockfile entries that have no integrity (the default in check)' },
    'no-require-integrity': { type: 'boolean', default: false, description: 'scan lockfile entries that have no integrity, by the sha512 of what their URL serves now' },
    explain: { type: 'string', value: '<name@ver>', description: 'why this package got its verdict and what the config changed' },
    sarif: { type: 'string', value: '<file>', description: 'SARIF 2.1.0 for GitHub code scanning (results on the lockfile line)' },
    html: { ...html, description: 'a self-contained HTML report' },
    json,
    github: { type: 'boolean', defaultText: 'on when GITHUB_ACTIONS=true', description: 'GitHub annotations and step summary' },
    prod: { type: 'boolean', default: false, description: 'skip dev-only packages (also config "ignoreDev": true)' },
    'disable-rule': { ...disableRule, description: `switch a rule off for this run (the config's "rules" does it for good)` },
    cache,
    'no-cache': { type: 'boolean', default: false, description: 'neither read nor write the results cache' },
    registry,
    concurrency: concurrency(8),
    quiet,
    'no-color': noColor,
    verbose,
  },
  sections: [
    {
      title: 'Trust',
      body: `  In lockfile mode the policy (tollgate.config.json) and the project .npmrc are read as of
  --base; your user and global npm config and npm_config_* variables apply as for npm. A change to
  either file is reported, with what it would allow, and applies once it is merged.`,
    },
    {
      title: 'tollgate.config.json (at the repository root)',
      body: `  {
    "failOn": "malicious",
    "ignoreDev": false,
    "rules": { "network": "off" },
    "allow": [
      { "package": "some-pkg@1.4.2", "reason": "postinstall reviewed by @alice, see #123", "expires": "2027-01-31" },
      { "package": "other@2.0.0", "rule": "install-scripts", "reason": "builds its native addon" }
    ]
  }
  Allows are pinned to one exact version: the next release of the package is scanned and judged
  again. "rule" narrows an allow to that rule's findings. An expired allow no longer applies and
  is warned about. A package that could not be analyzed is never allowed through. Every mistake
  in the file is reported at once, at its line and column. scan and audit apply the same file.`,
    },
  ],
  examples: ['tollgate check --base origin/main --sarif tollgate.sarif', 'tollgate check left-pad@1.3.0 some-new-dep@^2', 'tollgate check --base main --explain some-pkg@1.4.2'],
  exitCodes: [
    '0  nothing new or changed reached --fail-on',
    '1  a package that is not allowed reached --fail-on',
    '2  usage or config error, a git error, or a package that could not be analyzed',
  ],
});

export const WATCH = command({
  name: 'watch',
  usage: ['watch [options]'],
  summary: "follow npm's feed and scan every new publish",
  description: `Polls npm's changes feed (GET <changes-url>?since=<seq>&limit=1000; it lists only package names
and opaque sequence numbers), fetches each changed package's packument from --registry, finds the
versions published since it started watching, and scans each one like \`tollgate scan name@version\`
(tarball pinned to the packument's integrity, registry signals and the release diff against the
previous version included). Nothing from a package is ever run. Each version is reported once.
The feed can show changes late, behind positions already read: recent stretches are re-read and
changes already handled are skipped. A packument that lags behind the feed is checked again later.
\`tollgate results\` queries what it found.`,
  options: {
    store: { type: 'string', value: '<path>', defaultText: 'see "Where state lives"', description: 'the state file' },
    since: {
      type: 'string',
      value: '<seq|now>',
      defaultText: 'the stored cursor, else now',
      description: 'where to start reading the feed: a sequence value exactly as the feed gave it,\nor now (its current head). Given explicitly, it replaces the stored cursor.',
    },
    once: { type: 'boolean', default: false, description: 'read the feed up to its head, scan everything found, report, exit' },
    concurrency: { type: 'string', value: '<n>', default: '4', description: 'versions scanned at once (1-64)' },
    json: {
      type: 'boolean',
      default: false,
      description: 'one JSON line per scanned version on stdout:\n{"name","version","integrity","score","verdict","findings":[...],"scannedAt",...}\n(otherwise one human line per version). Progress goes to stderr.',
    },
    webhook: {
      type: 'string',
      value: '<url>',
      description: 'POST malicious and suspicious versions to URL (Slack-compatible {"text","blocks"});\nretried with backoff, then given up and logged; scanning never waits for it',
    },
    'osv-dir': {
      type: 'string',
      value: '<dir>',
      description: 'write an OSV record per malicious version, laid out like the OpenSSF\nmalicious-packages repository: DIR/osv/malicious/npm/<name>/MAL-0000-tollgate-*.json',
    },
    'changes-url': { type: 'string', value: '<url>', default: NPM_CHANGES_URL, description: 'the changes feed' },
    registry: {
      type: 'string',
      value: '<url>',
      default: NPM_REGISTRY_URL,
      description: "packuments and tarballs (your npm config's proxy and TLS settings apply to tarballs,\nscoped registries do not)",
    },
    'poll-interval': { type: 'string', value: '<secs>', default: '30', description: 'wait between polls once caught up' },
    batch: { type: 'string', value: '<n>', default: '1000', description: 'changes read per poll (at most 10000); each batch is committed with the\ncursor in one transaction' },
    lookback: {
      type: 'string',
      value: '<duration>',
      default: '24h',
      description: 'first run only: versions published this long before the start count as new\n(e.g. 30m, 6h, 2d)',
    },
    queue: {
      type: 'string',
      value: '<redis://...>',
      description: `distributed mode: put the versions found in this BullMQ queue (Redis) for
\`tollgate worker\` processes to scan, store (PostgreSQL) and report; nothing is
scanned here. --store then holds only the feed cursor: the SQLite file, or
the workers' postgres:// URL. See \`tollgate worker --help\`.`,
    },
    quiet: { ...quiet, description: 'no progress on stderr' },
  },
  sections: [
    {
      title: 'Where state lives',
      body: `  One SQLite file (--store, default $XDG_DATA_HOME/tollgate/watch.sqlite, else
  ~/.local/share/tollgate/watch.sqlite; TOLLGATE_DATA_DIR moves the folder) holds the feed cursor,
  the queue of versions to scan, the results and which results were already reported.
  Stop it any time (Ctrl-C, SIGTERM, even SIGKILL or a power cut): run the same command again and it
  resumes from the stored cursor; unfinished scans are redone, nothing is lost or stored twice, and
  only results not yet reported are reported. (A kill in the instant between printing or posting a
  result and recording that it was sent makes the next run send that one again.)
  One watcher per store: a second one on the same file is refused.`,
    },
    {
      title: 'Environment',
      body: `  TOLLGATE_DATA_DIR           folder of the default store
  TOLLGATE_WATCH_BACKOFF_MS   first retry wait for feed, registry, rechecks and failed scans (default 1000;
                              failed scans wait 30x this); each retry doubles it, with jitter
  TOLLGATE_WATCH_TIMEOUT_MS   per-request timeout for the feed and registry (default 30000)`,
    },
  ],
  examples: [
    'tollgate watch --json > versions.jsonl                      follow npm from now on',
    'tollgate watch --webhook https://hooks.slack.com/services/T/B/X --osv-dir ~/malicious-packages',
    'tollgate watch --once --store /srv/tollgate/watch.sqlite   catch up since the last run (cron), then exit',
  ],
  exitCodes: ['0  --once finished, or stopped by a signal', '2  usage error, the store is in use or unusable, or the feed could not be read'],
});

export const RESULTS = command({
  name: 'results',
  usage: ['results [--store <path|url>] [--since 24h|7d|ISO-date] [--verdict <v>] [--json] [--limit <n>]'],
  summary: 'query what watch (or the workers) found',
  description: 'Lists the versions `tollgate watch` (or `tollgate worker`) scanned and stored, newest first.\nOpens the store read-only: it can run while the watcher does.',
  options: {
    store: { type: 'string', value: '<path|url>', defaultText: "watch's default store", description: "as for watch, or the postgres:// URL the workers store results in" },
    since: { type: 'string', value: '<when>', description: 'only versions scanned since then: a duration back from now (24h, 7d) or an ISO date' },
    verdict: { type: 'string', value: '<verdict>', description: 'only malicious, suspicious, clean or error' },
    json: { type: 'boolean', default: false, description: '{"results":[...]} on stdout' },
    limit: { type: 'string', value: '<n>', default: '1000', description: 'at most n results' },
  },
  examples: ['tollgate results --since 24h --verdict malicious', 'tollgate results --store postgres://tollgate@10.0.0.6/tollgate --json'],
  exitCodes: ['0  the query ran (even with no matching results)', '2  usage error, or the store cannot be opened'],
});

export const WORKER = command({
  name: 'worker',
  usage: ['worker --queue redis://HOST:6379 --store postgres://USER@HOST/DB [options]'],
  summary: 'scan what watch --queue enqueues, on any number of machines',
  description: `Takes versions from the BullMQ queue in Redis, scans each (never running its code), stores the
result in PostgreSQL and reports it: one line per version on stdout, alerts for malicious and
suspicious ones. Start as many workers as you like, on as many machines: each version is scanned
by one worker at a time and reported once, even when a worker dies mid-scan (its job goes back to
the queue after the lock timeout) or a job is retried. Stop with Ctrl-C / SIGTERM: running scans
finish first (a second signal abandons them; they are redone by another worker).`,
  options: {
    queue: { type: 'string', value: '<url>', description: 'Redis the watcher enqueues into (redis:// or rediss://); required' },
    store: { type: 'string', value: '<url>', description: 'PostgreSQL for results (postgres://), shared by all workers; required' },
    concurrency: { type: 'string', value: '<n>', default: '2', description: 'scans at once in this process (run more processes to use more cores)' },
    registry: { type: 'string', value: '<url>', defaultText: "your npm config's, else npm's", description: 'where tarballs and packuments come from' },
    json: { type: 'boolean', default: false, description: 'one JSON line per scanned version on stdout' },
    webhook: { type: 'string', value: '<url>', description: 'POST malicious and suspicious versions there (Slack-compatible body)' },
    'osv-dir': { type: 'string', value: '<dir>', description: 'write an OSV record (OpenSSF malicious-packages format) per malicious version' },
    quiet: { ...quiet, description: 'no diagnostics on stderr' },
  },
  sections: [
    {
      title: 'Environment',
      body: `  TOLLGATE_WORKER_LOCK_MS  how long a job stays claimed without a renewal before it is taken
                           over (default 60000); lower it only if scans never block that long
  TOLLGATE_CACHE_DIR       results cache for previous versions (release diff), shared with scan`,
    },
  ],
  examples: [
    'tollgate watch  --queue redis://10.0.0.5:6379 --store postgres://tollgate@10.0.0.6/tollgate',
    'tollgate worker --queue redis://10.0.0.5:6379 --store postgres://tollgate@10.0.0.6/tollgate --webhook https://hooks.slack.com/...',
    'tollgate results --store postgres://tollgate@10.0.0.6/tollgate --since 24h --verdict malicious',
  ],
  exitCodes: ['0  stopped by a signal', '2  usage error, or Redis or PostgreSQL unreachable at start'],
});

export const AGENTS = command({
  name: 'agents',
  usage: ['agents [--home <dir>] [--project <dir>] [options]'],
  summary: 'audit the MCP servers, hooks and instruction files of AI coding tools',
  description: `Finds the configs of AI coding tools (Claude Desktop and Code, Cursor, VS Code, Windsurf, Gemini CLI,
Codex, Zed, Cline, Continue) in the home folder and the project, reads what each MCP server would
launch (npx, bunx, pnpm dlx, yarn dlx, npm exec, node <path>, docker, a remote URL), and scans each
npm package like \`tollgate scan\`, resolved as the launcher resolves it (a bare name or @latest is
today's latest). Also reports unpinned launches, local scripts outside any package, downloads piped
to a shell, entries and hooks in hidden or temporary folders, plaintext secrets in env (by key; the
value is never printed), tool auto-approval settings, Claude Code hooks, and prompt injection in the
project's agent instruction files. Reads only: no server is started, no hook run, no config written.
A config that cannot be read or parsed is an error for that file; the others are still read.`,
  options: {
    home: { type: 'string', value: '<dir>', defaultText: 'your home folder', description: 'the home folder whose user configs are read' },
    project: { type: 'string', value: '<dir>', defaultText: 'the current folder', description: 'the project whose configs and instruction files are read' },
    platform: { type: 'string', value: '<os>', defaultText: 'this machine\'s', description: 'read the paths of linux, darwin or win32' },
    json,
    html: { ...html, description: 'also write a self-contained HTML report of the scanned packages and the agent findings' },
    'fail-on': failOn,
    'fix-pins': { type: 'boolean', default: false, description: 'print the pinned command line of each unpinned npm launch (never writes a config)' },
    registry,
    cache,
    concurrency: concurrency(4),
    'no-registry-signals': { type: 'boolean', default: false, description: 'skip the registry checks of the scanned packages' },
    verbose,
    'no-color': noColor,
    quiet,
  },
  sections: [{ title: 'Files read', body: locationsHelp() }],
  examples: ['tollgate agents', 'tollgate agents --project ~/src/app --fail-on suspicious', 'tollgate agents --json > agents.json', 'tollgate agents --fix-pins'],
  exitCodes: SCAN_EXIT,
});

export const GUARD = command({
  name: 'guard',
  usage: ['guard [options] -- <command> [args...]', 'guard --serve [--port <n>] [--host <addr>] [options]'],
  summary: 'scan every tarball a package manager downloads, before it gets it',
  description: `Starts a registry proxy on 127.0.0.1 and points the package manager at it through environment
variables only (no .npmrc, .yarnrc.yml or bunfig.toml is edited). Packuments come from the registry your
npm config names for each package (scoped registries and their credentials stay with their registry; the
proxy never passes credentials anywhere else), with their tarball URLs rewritten to the proxy. Each
tarball is fetched, checked against the registry's integrity, scanned as by \`tollgate scan\` (results
cache shared with audit and scan) and served only when its verdict is below --fail-on; otherwise the
package manager gets HTTP 403 naming the package, the verdict and the reason, and the install fails.
Anything that cannot be checked (registry unreachable, integrity mismatch, scan error) is refused.
With -- <command>, the proxy lives as long as the command; its exit code is passed through.`,
  options: {
    serve: { type: 'boolean', default: false, description: 'run the proxy as a service (one log line per decision) until Ctrl-C / SIGTERM' },
    port: { type: 'string', value: '<n>', defaultText: 'a free port', description: 'port to listen on' },
    host: { type: 'string', value: '<addr>', default: '127.0.0.1', description: 'address to listen on (anything but loopback lets other machines install through it)' },
    'fail-on': { ...failOn, description: 'refuse a tarball at least this bad: malicious, suspicious or never' },
    'fail-open': { type: 'boolean', default: false, description: 'serve tarballs that could not be scanned (an analysis error), with a warning;\nintegrity mismatches and unreachable registries are refused anyway' },
    config: { type: 'string', value: '<file>', defaultText: './tollgate.config.json', description: 'policy file whose version-pinned "allow" entries are served despite their verdict' },
    registry,
    cache,
    'no-cache': { type: 'boolean', default: false, description: 'neither read nor write the results cache (TOLLGATE_CACHE_DIR moves it)' },
    'no-registry-signals': { type: 'boolean', default: false, description: 'judge by the code only (skip the packument checks: manifest confusion, metadata)' },
    concurrency: { type: 'string', value: '<n>', default: '16', description: 'tarballs downloaded at once (1-64); analyses run one at a time' },
    quiet,
  },
  sections: [
    {
      title: 'One-line setups',
      body: `  alias npm='tollgate guard -- npm'            every npm command of this shell, guarded
  tollgate guard -- npx -y some-mcp-server      also npx, pnpm, pnpm dlx, yarn, bun, bunx
  tollgate guard --serve --port 4873 &          a shared proxy; then in .npmrc: registry=http://127.0.0.1:4873/
                                                (plus replace-registry-host=always for lockfile URLs)
  - run: npx tollgate guard -- npm ci           a CI step (the package manager's exit code is kept)`,
    },
    {
      title: 'What is not covered',
      body: `  Git dependencies and tarball URLs outside the registry are fetched by the package manager
  itself and never reach the proxy: they are not scanned here (\`tollgate audit\` reports them).
  Packages already in node_modules or a package manager's offline store are not downloaded again,
  so not scanned again; run \`tollgate audit\` once for those. yarn 1 and bun download the
  tarball URLs their lockfile records as written, past the proxy: the guard checks every one
  (against the lockfile's integrity) before the command starts, and does not start it if one is
  refused. The proxy's address they write into their lockfile is replaced by the registry's after.`,
    },
  ],
  examples: [
    'tollgate guard -- npm install some-package',
    'tollgate guard -- npm ci',
    'tollgate guard --fail-on suspicious -- pnpm install',
    'tollgate guard -- yarn install',
    'tollgate guard --serve --port 4873',
  ],
  exitCodes: [
    "with -- <command>: the command's exit code (a refused tarball makes the install fail: usually 1)",
    '1  yarn 1 or bun over a lockfile that pins a refused tarball by URL: the command is not started',
    '2  usage error, config error, or the proxy could not start',
    '0  --serve stopped by Ctrl-C / SIGTERM',
  ],
});

export const RULES_COMMAND = command({
  name: 'rules',
  usage: ['rules [--markdown]'],
  summary: 'list the detection rules with examples',
  description: 'Lists every detection rule: its id (for --disable-rule and the config\'s "rules"), category,\ndefault severity, what it looks for, an example and how to suppress it.',
  options: {
    markdown: { type: 'boolean', default: false, description: 'the list as Markdown (docs/rules.md is generated from it)' },
  },
  examples: ['tollgate rules', 'tollgate rules --markdown > rules.md'],
  exitCodes: ['0  always'],
});

export const HELP_COMMAND = command({
  name: 'help',
  usage: ['help [command]'],
  summary: 'this overview, or a command\'s help',
  description: 'Without a command: what each command does. With one: its usage, options and examples\n(the same as `tollgate <command> --help`).',
  options: {},
  examples: ['tollgate help', 'tollgate help audit'],
  exitCodes: ['0  help printed', '2  no such command'],
});

export const COMMANDS = [SCAN, AUDIT, CHECK, AGENTS, GUARD, WATCH, RESULTS, WORKER, RULES_COMMAND, HELP_COMMAND] as const;

export function overviewHelp(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `tollgate ${version}: stop malicious npm packages before they run

Usage:
  tollgate <command> [options]
  tollgate <command> --help      a command's options, defaults, examples and exit codes

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

  tollgate scan <target>...       express  express@^4  @scope/name@1.2.3  ./pkg.tgz  ./some/folder
  tollgate audit [dir|lockfile]   package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock
  tollgate check --base <ref>     only what a change adds (--fail-on, --sarif, tollgate.config.json)
  tollgate agents                 MCP servers, hooks and instruction files of AI coding tools
  tollgate guard -- npm install   every tarball scanned before the package manager gets it (npm, pnpm, yarn, bun)

Exit codes (scan, audit, check, agents):
${SCAN_EXIT.map((e) => `  ${e}`).join('\n')}

Environment:
  NO_COLOR / FORCE_COLOR  plain text / colors even when output is not a terminal
  TOLLGATE_CACHE_DIR      results and packument cache (default ~/.cache/tollgate)
  TOLLGATE_HEAP_MB        V8 heap limit the CLI runs with (default 1024 for scan, 384 for audit)
  TOLLGATE_WORKER_HEAP_MB heap limit of each audit analysis thread (default 384)
  TOLLGATE_PARSER=babel   parse everything with Babel instead of the fast acorn tier (to rule it out)

Nothing in a scanned package is executed: no lifecycle scripts, no require/import, no eval.
Examples:
  tollgate scan left-pad@1.3.0
  tollgate audit --fail-on suspicious
  tollgate scan $(jq -r '.dependencies|keys[]' package.json) --fail-on suspicious
`;
}
