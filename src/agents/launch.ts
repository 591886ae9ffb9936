// What an MCP server entry would run, read from its command line as the launcher would read it,
// and the findings of the entry itself (not of the package it runs). Pure functions.
import npa from 'npm-package-arg';
import { SHELL_DOWNLOAD, SECRET_ENV_NAME, NON_SECRET_ENV_NAME } from '../engine/indicators.js';
import type { Severity, Verdict } from '../types.js';

/** A server entry as found in a config, normalized across tools. */
export interface ServerEntry {
  tool: string;
  file: string;
  /** Where in the file, e.g. `mcpServers.github` or `projects["/src/app"].mcpServers.db`. */
  key: string;
  name: string;
  command?: string;
  args: string[];
  env: Record<string, unknown>;
  headers: Record<string, unknown>;
  url?: string;
  /** Tool calls run without asking (Gemini `trust`, Cline `autoApprove`/`alwaysAllow`). */
  autoApprove?: string;
}

export type Launcher = 'npx' | 'bunx' | 'pnpm dlx' | 'yarn dlx' | 'npm exec' | 'node' | 'docker' | 'remote' | 'shell' | 'other';

export interface Launch {
  launcher: Launcher;
  /** The package spec as written (`foo`, `foo@latest`, `@s/foo@1.2.3`). */
  spec?: string;
  name?: string;
  /** What the launcher asks the registry for: `latest` for a bare name. */
  requested?: string;
  /** An exact version: the same code on every start. */
  pinned: boolean;
  /** What `tollgate scan` is given for it (registry packages). */
  scanSpec?: string;
  /** `node <path>`: the script it runs. */
  script?: string;
  image?: string;
  url?: string;
  /** A package spec that is not a registry one (git, tarball URL, local file). */
  nonRegistry?: string;
}

export interface AgentFinding {
  rule: string;
  severity: Severity;
  message: string;
  file: string;
  key?: string;
}

/** The rule ids of `tollgate agents`' own findings, one place. */
export const AGENT_RULES = {
  unpinned: 'agent-unpinned-launch',
  nonRegistry: 'agent-non-registry-package',
  localScript: 'agent-local-script',
  shellDownload: 'agent-shell-download',
  hiddenPath: 'agent-hidden-path',
  secret: 'agent-plaintext-secret',
  autoApprove: 'agent-auto-approval',
  hook: 'agent-hook',
  configError: 'agent-config-error',
} as const;

/** How bad an entry's own finding makes it: critical runs remote code on every start. */
const VERDICT_OF: Record<Severity, Verdict> = { critical: 'malicious', high: 'suspicious', medium: 'suspicious', low: 'clean', info: 'clean' };
const SCORE_OF: Record<Severity, number> = { critical: 90, high: 65, medium: 40, low: 10, info: 0 };
export const VERDICT_RANK: Record<Verdict, number> = { malicious: 3, suspicious: 2, error: 1, clean: 0 };
export const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function ownVerdict(findings: readonly AgentFinding[]): { verdict: Verdict; score: number } {
  let verdict: Verdict = 'clean';
  let score = 0;
  for (const f of findings) {
    if (VERDICT_RANK[VERDICT_OF[f.severity]] > VERDICT_RANK[verdict]) verdict = VERDICT_OF[f.severity];
    score = Math.max(score, SCORE_OF[f.severity]);
  }
  return { verdict, score };
}

export function worseVerdict(a: Verdict, b: Verdict): Verdict {
  return VERDICT_RANK[a] >= VERDICT_RANK[b] ? a : b;
}

const base = (cmd: string): string => cmd.split(/[\\/]/).pop()!.replace(/\.(?:cmd|exe|bat|ps1)$/i, '').toLowerCase();

/** Options of each launcher that take a value (so the value is not mistaken for the package). */
const VALUE_OPTIONS = new Set(['-p', '--package', '-c', '--call', '--registry', '--cache', '--userconfig', '--prefix', '-w', '--workspace', '--dir', '-C']);

/** The packages and the first positional after a launcher's options. */
function launcherArgs(args: readonly string[]): { packages: string[]; first?: string } {
  const packages: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return { packages, first: args[i + 1] };
    if (a.startsWith('--package=')) packages.push(a.slice('--package='.length));
    else if (a === '-p' || a === '--package') packages.push(args[++i] ?? '');
    else if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return { packages, first: a };
  }
  return { packages };
}

/** The launcher and the command's arguments after it: `pnpm dlx x` and `npm exec x` are two words. */
function launcherOf(command: string, args: readonly string[]): { launcher: Launcher; rest: readonly string[] } {
  const cmd = base(command);
  if (cmd === 'npx') return { launcher: 'npx', rest: args };
  if (cmd === 'bunx' || (cmd === 'bun' && args[0] === 'x')) return { launcher: 'bunx', rest: cmd === 'bun' ? args.slice(1) : args };
  if (cmd === 'pnpx' || (cmd === 'pnpm' && args[0] === 'dlx')) return { launcher: 'pnpm dlx', rest: cmd === 'pnpm' ? args.slice(1) : args };
  if (cmd === 'yarn' && args[0] === 'dlx') return { launcher: 'yarn dlx', rest: args.slice(1) };
  if (cmd === 'npm' && (args[0] === 'exec' || args[0] === 'x')) return { launcher: 'npm exec', rest: args.slice(1) };
  if (cmd === 'node' || cmd === 'nodejs' || cmd === 'bun' || cmd === 'deno') return { launcher: 'node', rest: args };
  if (cmd === 'docker' || cmd === 'podman') return { launcher: 'docker', rest: args };
  if (['sh', 'bash', 'zsh', 'dash', 'cmd', 'powershell', 'pwsh'].includes(cmd)) return { launcher: 'shell', rest: args };
  return { launcher: 'other', rest: args };
}

/** A registry spec resolved as the launcher resolves it: a bare name or `@latest` is today's latest. */
export function registrySpec(spec: string): Pick<Launch, 'name' | 'requested' | 'pinned' | 'scanSpec' | 'nonRegistry'> {
  let parsed: npa.Result;
  try {
    parsed = npa(spec);
  } catch {
    return { pinned: false, nonRegistry: spec };
  }
  const target = parsed.type === 'alias' ? (parsed as npa.AliasResult).subSpec : parsed;
  if (!target.registry || !target.name) return { pinned: false, nonRegistry: spec };
  const raw = target.rawSpec === '' || target.rawSpec === '*' ? 'latest' : target.rawSpec;
  return { name: target.name, requested: raw, pinned: target.type === 'version', scanSpec: `${target.name}@${raw}` };
}

/** The command line as words; a command written as one string (`npx -y foo`) is split on spaces. */
export function commandWords(entry: Pick<ServerEntry, 'command' | 'args'>): string[] {
  const command = entry.command ?? '';
  if (entry.args.length === 0 && /\s/.test(command.trim())) return command.trim().split(/\s+/);
  return [command, ...entry.args];
}

/** Read what a server entry launches. A command written as one string (`npx -y foo`) is split on spaces. */
export function parseLaunch(entry: Pick<ServerEntry, 'command' | 'args'> & { url?: string }, depth = 0): Launch {
  if (!entry.command) return entry.url ? { launcher: 'remote', pinned: false, url: entry.url } : { launcher: 'other', pinned: false };
  const [command, ...args] = commandWords(entry);
  const { launcher, rest } = launcherOf(command!, args);
  // `cmd /c npx -y foo` (how Windows configs start npx) and `sh -c "npx -y foo"`: what the shell runs.
  if (launcher === 'shell' && depth < 2) {
    if (/^\/[ck]$/i.test(rest[0] ?? '') && rest.length > 1) return parseLaunch({ command: rest[1], args: rest.slice(2) }, depth + 1);
    if (rest[0] === '-c' && rest.length === 2 && !/[|;&$`<>()]/.test(rest[1]!)) return parseLaunch({ command: rest[1], args: [] }, depth + 1);
  }
  if (launcher === 'npx' || launcher === 'bunx' || launcher === 'pnpm dlx' || launcher === 'yarn dlx' || launcher === 'npm exec') {
    const { packages, first } = launcherArgs(rest);
    const spec = packages[0] ?? first;
    if (!spec) return { launcher, pinned: false };
    return { launcher, spec, ...registrySpec(spec) };
  }
  if (launcher === 'node') {
    const script = rest.find((a) => !a.startsWith('-'));
    return { launcher, pinned: false, script };
  }
  if (launcher === 'docker') {
    const i = rest.indexOf('run');
    const image = i === -1 ? undefined : rest.slice(i + 1).find((a, j, all) => !a.startsWith('-') && !/^-(?:e|v|p|-env|-volume|-name|-network)$/.test(all[j - 1] ?? ''));
    return { launcher, pinned: image ? /@sha256:/.test(image) : false, image };
  }
  return { launcher, pinned: false };
}

/** Temporary folders: where a dropper writes what it runs next. */
const TEMP = /(?:^|[\\/])(?:tmp|temp|dev[\\/]shm)[\\/]|%TEMP%|%TMP%|\$\{?TMPDIR\b/i;
/** A dot-folder segment: `~/.cache/x/run.js`. */
const DOT_FOLDER = /(?:^|[\\/])\.([^\\/\s.][^\\/\s]*)[\\/]/g;
/**
 * Dot-folders where version managers, package managers and the agent tools themselves install
 * executables (GUI apps get no PATH, so configs name `~/.nvm/.../bin/npx` in full; Claude Code
 * hooks live in `~/.claude/hooks`). A script there is not hidden; one in `~/.cache/x` is.
 */
const TOOLCHAIN_DOT = /^(?:nvm|volta|fnm|asdf|n|nodenv|nodebrew|bun|deno|cargo|local|npm|npm-global|npm-packages|yarn|pnpm|pyenv|rbenv|venv|virtualenvs|sdkman|linuxbrew|claude|cursor|codex|gemini|continue|codeium|windsurf|vscode|zed|cline)$/i;
/** What runs code: a script file, not a data folder a server is given as an argument. */
const SCRIPT = /\.(?:[cm]?js|[cm]?ts|sh|bash|zsh|py|rb|pl|ps1|bat|cmd|exe|vbs|jar)$/i;

/**
 * The first path in a command line that runs from a temporary folder, or from a hidden folder
 * that is not a toolchain's. Arguments count only when they name a script; the command itself
 * always does.
 */
export function hiddenOrTempPath(text: string): { path: string; temp: boolean } | undefined {
  const tokens = text.split(/\s+|["']/).filter(Boolean);
  for (const [i, token] of tokens.entries()) {
    if (!/[\\/]/.test(token) || (i > 0 && !SCRIPT.test(token))) continue;
    if (TEMP.test(token)) return { path: token, temp: true };
    // node_modules/.bin is where installed packages put their commands, not a hiding place.
    const plain = token.replace(/node_modules[\\/]\.bin[\\/]/g, 'node_modules/bin/');
    for (const m of plain.matchAll(DOT_FOLDER)) if (!TOOLCHAIN_DOT.test(m[1]!)) return { path: token, temp: false };
  }
  return undefined;
}

/** `${VAR}`, `${env:VAR}`, `$VAR`, `${input:x}`: a reference, not the secret itself. */
const REFERENCE = /^\s*(?:\$\{[^}]+\}|\$[A-Z_][A-Z0-9_]*|%[A-Z_][A-Z0-9_]*%)\s*$/i;

function secretKeys(map: Record<string, unknown>, secretName: (k: string) => boolean): string[] {
  return Object.entries(map)
    .filter(([k, v]) => typeof v === 'string' && v.trim() !== '' && !REFERENCE.test(v) && secretName(k))
    .map(([k]) => k);
}

/** `--api-key`, `--token`, `--client-secret`...: a flag whose value is a credential. */
const SECRET_FLAG = /^--?[\w-]*(?:key|token|secret|passw(?:or)?d|auth|credential)[\w-]*$/i;

/** The flag whose written-out value (not `${VAR}`) word i is, or holds (`--token=x`). */
function secretFlagAt(words: readonly string[], i: number): string | undefined {
  const w = words[i]!;
  const eq = w.indexOf('=');
  if (eq > 0 && w.startsWith('-')) return SECRET_FLAG.test(w.slice(0, eq)) && !REFERENCE.test(w.slice(eq + 1)) ? w.slice(0, eq) : undefined;
  const prev = words[i - 1];
  return i > 0 && prev && SECRET_FLAG.test(prev) && !w.startsWith('-') && !REFERENCE.test(w) ? prev : undefined;
}

/** The credential-looking flags of a command line whose value is written out. */
export function secretArgs(words: readonly string[]): string[] {
  return [...new Set(words.flatMap((_, i) => secretFlagAt(words, i) ?? []))];
}

/** The same words with those values replaced by `***`: what is printed, never the value. */
export function maskSecretArgs(words: readonly string[]): string[] {
  return words.map((w, i) => {
    const flag = secretFlagAt(words, i);
    return flag === undefined ? w : w.includes('=') && w.startsWith(flag) ? `${flag}=***` : '***';
  });
}

export const isSecretEnvName = (k: string): boolean => SECRET_ENV_NAME.test(k) && !NON_SECRET_ENV_NAME.test(k);

/** The entry's own findings: how it launches, where it points, what it holds. Values are never quoted. */
export function serverFindings(entry: ServerEntry, launch: Launch): AgentFinding[] {
  const out: AgentFinding[] = [];
  const at = { file: entry.file, key: entry.key };
  const line = [entry.command ?? '', ...entry.args].join(' ');
  if (SHELL_DOWNLOAD.test(line)) out.push({ rule: AGENT_RULES.shellDownload, severity: 'critical', message: 'downloads a script from the network and runs it on every start', ...at });
  const hidden = hiddenOrTempPath(commandWords(entry).join(' '));
  if (hidden) out.push({ rule: AGENT_RULES.hiddenPath, severity: hidden.temp ? 'high' : 'medium', message: `runs from a ${hidden.temp ? 'temporary' : 'hidden'} folder (${hidden.path.slice(0, 120)})`, ...at });
  if (launch.scanSpec && !launch.pinned) {
    out.push({ rule: AGENT_RULES.unpinned, severity: 'low', message: `${launch.launcher} runs ${launch.name}@${launch.requested}: whatever version is published next runs with this server's environment`, ...at });
  }
  if (launch.nonRegistry) out.push({ rule: AGENT_RULES.nonRegistry, severity: 'medium', message: `${launch.launcher} runs ${launch.nonRegistry}, which is not a registry package (not scanned)`, ...at });
  if (launch.launcher === 'docker' && launch.image && !launch.pinned) out.push({ rule: AGENT_RULES.unpinned, severity: 'low', message: `docker image ${launch.image} is not pinned by digest (not scanned)`, ...at });
  const envSecrets = secretKeys(entry.env, isSecretEnvName);
  if (envSecrets.length) out.push({ rule: AGENT_RULES.secret, severity: 'low', message: `plaintext secret in env: ${envSecrets.join(', ')} (value not shown; reference an environment variable instead)`, ...at });
  const argSecrets = secretArgs(commandWords(entry));
  if (argSecrets.length) out.push({ rule: AGENT_RULES.secret, severity: 'low', message: `plaintext secret in args: ${argSecrets.join(', ')} (value not shown; pass it through env from a variable instead)`, ...at });
  const headerSecrets = secretKeys(entry.headers, (k) => /^(?:authorization|x-api-key|api-key|.*token.*)$/i.test(k));
  if (headerSecrets.length) out.push({ rule: AGENT_RULES.secret, severity: 'low', message: `plaintext secret in headers: ${headerSecrets.join(', ')} (value not shown)`, ...at });
  if (entry.autoApprove) out.push({ rule: AGENT_RULES.autoApprove, severity: entry.autoApprove.startsWith('every') ? 'medium' : 'low', message: `tool calls run without asking: ${entry.autoApprove}`, ...at });
  return out;
}

/** What a user could paste to pin the launch to the version scanned. */
export function pinnedCommand(entry: Pick<ServerEntry, 'command' | 'args'>, launch: Launch, version: string): string | undefined {
  if (!launch.spec || !launch.name || launch.pinned) return undefined;
  const pinned = `${launch.name}@${version}`;
  const words = commandWords(entry);
  const i = words.indexOf(launch.spec);
  if (i !== -1) words[i] = pinned;
  else {
    const j = words.findIndex((w) => w === `--package=${launch.spec}`);
    if (j === -1) return undefined;
    words[j] = `--package=${pinned}`;
  }
  // Credentials stay out of the output: the user keeps their own value where *** stands.
  return maskSecretArgs(words).map((w) => (/^[\w@./:=+*-]+$/.test(w) ? w : JSON.stringify(w))).join(' ');
}
