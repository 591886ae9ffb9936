import { isIPv4, isIPv6 } from 'node:net';
import type { Hinted } from '../catalog/hints.js';

/**
 * Shared vocabulary of the rules added for issue 18 (tampering, anti-forensics, Windows execution
 * paths, covert channels, dead drops, package-shipped config). One place for each fact: a rule
 * imports what it tests, lexical hints are built from the same lists. Entries stay specific,
 * because a broad pattern here becomes a false positive everywhere.
 */

export interface PathIndicator {
  re: RegExp;
  label: string;
}

/** A dead drop's URL shape, with the text it needs (tier 0) and an example (catalog hints). */
export interface DeadDrop extends PathIndicator, Hinted {}

/**
 * Other software's code on the machine: where a package has no business writing. Paths are
 * normalized first (`/` separators, home as `~`, unknown parts as `*`).
 */
export const OTHER_SOFTWARE_PATHS: PathIndicator[] = [
  { re: /(?:^|\/)(?:usr\/(?:local\/)?lib|opt\/homebrew\/lib|\.npm-global\/lib|\.nvm\/versions\/node\/[^/]+\/lib|AppData\/Roaming\/npm)\/node_modules\/(?:@[^/]+\/)?[^/]+/i, label: 'a globally installed npm package' },
  { re: /(?:^|\/)app\.asar(?:\.unpacked)?(?:\/|$)|\.app\/Contents\/Resources\/app(?:\/|$)/i, label: 'an Electron application (app.asar)' },
  { re: /(?:^|\/)discord(?:ptb|canary)?\/(?:app-[^/]+\/modules\/|[\d.*]+\/modules\/)discord_desktop_core/i, label: 'the Discord desktop client' },
  { re: /(?:User Data|google-chrome|chromium|BraveSoftware\/Brave-Browser)\/[^/]+\/Extensions\/|Firefox\/Profiles\/[^/]+\/extensions\/|\.mozilla\/firefox\/[^/]+\/extensions\//i, label: 'a browser extension' },
  { re: /(?:^|\/)\.(?:vscode(?:-insiders|-server|-oss)?|cursor|windsurf|vscodium)\/extensions\//i, label: 'an editor extension' },
];

/**
 * npm's global bin folder, where `npm install -g` writes a launcher for each command a package
 * declares in its manifest `bin` (`%APPDATA%\npm\<name>`, `<name>.cmd`, `<name>.ps1` on Windows,
 * `<prefix>/bin/<name>` elsewhere), for the usual prefixes. Tested on normalized paths; group 1 is
 * the command the launcher starts.
 */
const NPM_GLOBAL_BIN = /^(?:~\/AppData\/Roaming\/npm|~\/\.npm-global\/bin|~\/\.npm-packages\/bin|~\/\.nvm\/versions\/node\/[^/]+\/bin|\/usr\/local\/bin|\/opt\/homebrew\/bin)\/([^/]+?)(?:\.cmd|\.ps1)?$/i;

/** The command whose npm launcher a path is (`~/AppData/Roaming/npm/npm.cmd` -> `npm`), when it is one. */
export function npmLauncherCommand(path: string): string | undefined {
  return NPM_GLOBAL_BIN.exec(path)?.[1];
}

/**
 * Commands other software owns: a package declaring one of these as its own bin does not make
 * rewriting that command's launcher its own business (npm itself refuses to overwrite another
 * package's launcher).
 */
export const WELL_KNOWN_COMMANDS = new Set([
  'npm', 'npx', 'node', 'nodejs', 'corepack', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'bun', 'bunx', 'deno', 'tsc', 'tsx',
  'git', 'gh', 'ssh', 'scp', 'sudo', 'su', 'curl', 'wget', 'sh', 'bash', 'zsh', 'fish', 'cmd', 'powershell', 'pwsh',
  'python', 'python3', 'pip', 'pip3', 'docker', 'kubectl', 'aws', 'gcloud', 'az',
  'code', 'code-insiders', 'cursor', 'windsurf', 'claude', 'codex', 'gemini', 'copilot', 'aider',
]);

/** One cheap test before OTHER_SOFTWARE_PATHS and the node_modules check. */
export const OTHER_SOFTWARE_HINT = /node_modules|app\.asar|Contents\/Resources\/app|discord_desktop_core|Extensions|extensions|\.\.\//;

/** A path into another package's folder: `node_modules/<name>/…` (any depth, scoped or not). */
const NODE_MODULES_PACKAGE = /(?:^|\/)node_modules\/((?:@[^/*]+\/)?[^/@*.][^/*]*)(?:\/|$)/g;

/** The packages a path reaches into through a `node_modules` folder (the last one wins, as Node resolves). */
export function nodeModulesPackage(path: string): string | undefined {
  let last: string | undefined;
  for (const m of path.matchAll(NODE_MODULES_PACKAGE)) last = m[1];
  return last;
}

/** Shell commands and paths that erase traces: shell history, system logs, event logs. */
export const TRACE_ERASERS: PathIndicator[] = [
  { re: /\bhistory\s+-c\b|\bunset\s+HISTFILE\b|\bHISTFILE=\/dev\/null|\bexport\s+HISTSIZE=0\b|\bset\s+\+o\s+history\b/, label: 'clears the shell history' },
  { re: /\b(?:rm|shred|truncate)\b[^;&|\n]{0,256}\.(?:bash|zsh|sh|python|node_repl|psql|mysql)_history\b|>\s{0,16}~?[\w/$.{}]{0,256}\.(?:bash|zsh)_history\b/, label: 'deletes the shell history' },
  { re: /\bwevtutil(?:\.exe)?\s+(?:cl|clear-log)\b|\bClear-EventLog\b|\bRemove-EventLog\b/i, label: 'clears Windows event logs' },
  { re: /ConsoleHost_history\.txt|Clear-History\b/i, label: 'clears the PowerShell history' },
  { re: /\b(?:rm|shred)\s+(?:-\w+\s+)*\/var\/log\b|>\s*\/var\/log\/|\bjournalctl\s+--vacuum|\bjournalctl\s+--rotate\b/, label: 'erases system logs' },
];

/** Files whose deletion or truncation erases traces (tested on normalized file paths). */
export const TRACE_FILES = /(?:^|\/)\.(?:bash|zsh|sh|python|node_repl)_history$|\/PSReadLine\/ConsoleHost_history\.txt$|^\/var\/log\//i;

/**
 * Windows programs that run other code (living-off-the-land binaries). `arg` captures the target
 * they are given where the syntax has one.
 */
export const WINDOWS_LAUNCHERS: { re: RegExp; label: string }[] = [
  { re: /\brundll32(?:\.exe)?\s+["']?([^\s,"']+)["']?\s*,/i, label: 'rundll32' },
  { re: /\bregsvr32(?:\.exe)?\s{1,16}(?:\/[sunie](?::\S{1,256})?\s{1,16}){0,8}["']?([^\s"']{1,512})/i, label: 'regsvr32' },
  { re: /\bmshta(?:\.exe)?\s{1,16}["']?([^\s"']{1,512})/i, label: 'mshta' },
  { re: /\b[wc]script(?:\.exe)?\s{1,16}(?:\/\/?\w{1,32}(?::\w{1,32})?\s{1,16}){0,8}["']?([^\s"']{1,512}\.(?:vbs|vbe|js|jse|wsf|wsh))/i, label: 'Windows Script Host' },
  { re: /\bpowershell(?:\.exe)?\b[^\n]{0,512}?\s-(?:e|ec|en|enc|encodedcommand)\s{1,16}([A-Za-z0-9+/=]{12,})/i, label: 'powershell -EncodedCommand' },
  { re: /\bpwsh(?:\.exe)?\b[^\n]{0,512}?\s-(?:e|ec|en|enc|encodedcommand)\s{1,16}([A-Za-z0-9+/=]{12,})/i, label: 'pwsh -EncodedCommand' },
  { re: /\bStart-Process\s{1,16}(?:-FilePath\s{1,16})?["']?([^\s"';]{1,256})[^\n]{0,256}?-WindowStyle\s{1,16}Hidden/i, label: 'Start-Process -WindowStyle Hidden' },
  { re: /\bschtasks(?:\.exe)?\s{1,16}\/create\b[^\n]{0,512}\/tr\s{1,16}["']?([^\s"']{1,512})/i, label: 'a scheduled task (schtasks)' },
  { re: /\\CurrentVersion\\+Run(?:Once)?\b[^\n]*\/d\s+["']?([^\s"']+)/i, label: 'a Run key' },
];

/** One cheap test before WINDOWS_LAUNCHERS (also the lazy tier's literal hint). */
export const WINDOWS_LAUNCHER_HINT = /rundll32|regsvr32|mshta|[wc]script|-e(?:nc|ncodedcommand|c)?\s|Start-Process|schtasks|CurrentVersion\\+Run/i;

/** A launcher whose target is fetched from the network (`mshta http://…`, `regsvr32 /i:http://… scrobj.dll`). */
export const REMOTE_LAUNCH = /\b(?:mshta(?:\.exe)?\s+["']?(?:https?|javascript|vbscript):|regsvr32(?:\.exe)?\s[^\n]*\/i:\s*["']?https?:|rundll32(?:\.exe)?\s[^\n]*javascript:)/i;

/**
 * Dead drops: public places an attacker edits to change where a payload comes from. Reading one is
 * ordinary for many libraries; using what it returns as a network target or as code is not.
 */
export const DEAD_DROP_URLS: DeadDrop[] = [
  { re: /\bgist\.githubusercontent\.com\/|\bapi\.github\.com\/gists\//i, hint: /gist\.githubusercontent|api\.github\.com\/gists/, label: 'a GitHub gist', example: 'https://gist.githubusercontent.com/u/1/raw/c.txt' },
  { re: /\bpastebin\.com\/raw\/|\bpaste\.ee\/r\/|\brentry\.(?:co|org)\/[^/]+\/raw|\bhastebin\.com\/raw\/|\bjustpaste\.it\//i, hint: /pastebin|paste\.ee|rentry\.|hastebin|justpaste/, label: 'a paste site', example: 'https://pastebin.com/raw/x1' },
  { re: /\bcalendar\.app\.google\/|\bgoogle\.com\/calendar\/ical\/|\bcalendar\.google\.com\/calendar\/(?:ical|embed)/i, hint: /calendar\.app\.google|google\.com\/calendar/, label: 'a calendar invite', example: 'https://calendar.app.google/x1' },
  { re: /\bdocs\.google\.com\/(?:document|spreadsheets)\/d\/[^/]+\/(?:export|pub)/i, hint: /docs\.google\.com\/(?:document|spreadsheets)\/d\/(?:['"`]|[\w-]+\/(?:export|pub))/, label: 'a public Google document', example: 'https://docs.google.com/document/d/x1/export?format=txt' },
  { re: /\bt\.me\/s\/|\bsteamcommunity\.com\/(?:id|profiles)\//i, hint: /t\.me\/s\/|steamcommunity\.com/, label: 'a public profile page', example: 'https://t.me/s/x1' },
];

/** JSON-RPC methods that read a smart contract's state: the blockchain dead drop (EtherHiding). */
export const CHAIN_READ_METHOD = /^(?:eth_call|eth_getStorageAt|eth_getTransactionByHash|eth_getLogs|getAccountInfo|getSignaturesForAddress|getTransaction)$/;

/**
 * An IP address in any of the forms a socket API or URL accepts: dotted, a single integer, hex,
 * octal-dotted, or IPv6. Returns the dotted form (or the IPv6 text) when the string is one.
 */
export function ipLiteral(s: string): string | undefined {
  const t = s.trim().replace(/^\[|\]$/g, '');
  if (isIPv4(t)) return t;
  if (/^(?:0x[0-9a-f]{1,8}|\d{8,10})$/i.test(t)) {
    const n = Number(t);
    if (Number.isInteger(n) && n >= 0x01000000 && n <= 0xffffffff) return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  if (/^(?:0x[0-9a-f]{1,2}|0[0-7]{1,3}|\d{1,3})(?:\.(?:0x[0-9a-f]{1,2}|0[0-7]{1,3}|\d{1,3})){3}$/i.test(t) && /0x|(?:^|\.)0\d/i.test(t)) {
    const parts = t.split('.').map((p) => (/^0x/i.test(p) ? parseInt(p, 16) : /^0\d/.test(p) ? parseInt(p, 8) : Number(p)));
    if (parts.every((p) => p <= 255)) return parts.join('.');
  }
  // IPv6 by the platform's parser (pure); the unspecified and loopback addresses are not remote.
  if (t.includes(':') && isIPv6(t) && !/^::1?$/.test(t)) return t;
  return undefined;
}

/** Settings in a package's own .npmrc that run code or redirect installs (npm reads a project's .npmrc). */
export const NPMRC_KEYS: { re: RegExp; label: string; runsCode: boolean }[] = [
  { re: /^git$/i, label: 'replaces the git program npm runs', runsCode: true },
  { re: /^script-shell$/i, label: 'replaces the shell npm runs scripts with', runsCode: true },
  { re: /^node-options$/i, label: 'sets NODE_OPTIONS for every script npm runs', runsCode: true },
  { re: /^(?:onload-script|init-module)$/i, label: 'names a script npm loads', runsCode: true },
  { re: /^(?:@[\w.-]+:)?registry$/i, label: 'points installs at another registry', runsCode: false },
  { re: /^(?:strict-ssl)$/i, label: 'switches TLS verification', runsCode: false },
  { re: /^ignore-scripts$/i, label: 'switches install scripts back on', runsCode: false },
];

/**
 * Names of values that are secrets in a library's hands (parameters, properties, variables): keys,
 * seed phrases, passwords, tokens. Exact words or camel/snake compounds, not every name that
 * contains "key" (`keyName`, `tokenizer`, `seedRandom` are not secrets).
 */
export const SECRET_VALUE_NAME = /^(?:[a-z]+_?)?(?:secret_?key|private_?key|priv_?key|secret|mnemonic|mnemonic_?phrase|seed_?phrase|seed|key_?pair|keypair|password|passwd|passphrase|access_?token|auth_?token|refresh_?token|bearer_?token|api_?token|token|wallet_?key|signing_?key)s?$/i;

/**
 * Hosts a package may call its own: those of its homepage, repository and bugs URLs (and their
 * parent domains), and hosts named like the package (`api.stripe.com` for `stripe`).
 */
export function ownHostsOf(manifest: { name?: string; homepage?: unknown; repository?: unknown; bugs?: unknown } | undefined): (host: string) => boolean {
  const domains = new Set<string>();
  const urlOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { url?: unknown }).url === 'string' ? (v as { url: string }).url : undefined);
  for (const v of [manifest?.homepage, manifest?.repository, manifest?.bugs]) {
    const u = urlOf(v);
    const m = u ? /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([a-z0-9.-]+\.[a-z]{2,})/i.exec(u) : null;
    if (m && !/^(?:github\.com|gitlab\.com|bitbucket\.org|www\.npmjs\.com|npmjs\.com)$/i.test(m[1]!)) domains.add(registrable(m[1]!));
  }
  const words = (manifest?.name ?? '').toLowerCase().replace(/^@/, '').split(/[/\-_.]+/).filter((w) => w.length >= 4 && !/^(?:node|js|sdk|client|api|lib|core|utils?|tools?)$/.test(w));
  return (host: string) => {
    const h = host.toLowerCase();
    if (domains.has(registrable(h))) return true;
    const label = registrable(h).split('.')[0] ?? '';
    return words.some((w) => label.includes(w) || (label.length >= 4 && w.includes(label)));
  };
}

/** The last two labels of a host (three for common second-level country domains). */
function registrable(host: string): string {
  const parts = host.toLowerCase().split('.');
  const n = /^(?:co|com|org|net|gov|ac)$/.test(parts[parts.length - 2] ?? '') && parts.length >= 3 ? 3 : 2;
  return parts.slice(-n).join('.');
}
