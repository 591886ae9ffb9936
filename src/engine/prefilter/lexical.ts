import { SECRET_ENV_NAME } from '../indicators.js';
import { AI_KEY_HINT } from '../ai-indicators.js';
import { ENV_PATHS } from '../semantics/evaluate.js';
import { HOST_HINTS, PATH_HINTS } from '../../catalog/index.js';
import { calleeModules } from '../../catalog/callees.js';
import { foldSource, topLevelAlternatives } from '../../catalog/alternation.js';

/**
 * Tier 0: one regex pass over a file decides whether it is worth parsing. A file can only do harm
 * through a capability it names: a module it imports (child_process, fs, net, http, dns, os, vm,
 * an HTTP client), a global it reaches (the whole environment or a variable a rule reads, eval,
 * Function, fetch, sockets), or a way of reaching those without naming them (computed
 * require/import, computed access on the global object or on process, `constructor.constructor`,
 * escapes inside those). Words that merely appear in text ("http" in a URL, "Buffer",
 * "credentials", "got") are not triggers: they cost a parse of nearly every bundle and find nothing
 * the capability triggers miss.
 *
 * Saves (Node 24, 2026-12-02, scripts/measure-tiers.ts, CPU time): 35% of the analysis of the bench's
 * 60 typical packages, 45% on 12 bundle-heavy ones (off, TOLLGATE_LEXICAL=off: +53%, +83%).
 */

/**
 * The names of environment variables that matter to a rule or to path folding, as a pattern for
 * what follows `process.env.`: built from the very patterns those use (SECRET_ENV_NAME, AI_KEY_HINT,
 * ENV_PATHS), so a name they learn is a trigger too. Any variable that is assigned is one as well
 * (`process.env.NODE_OPTIONS = '--require …'`).
 */
const NAMED_ENV = [
  `[\\w$]*?(?:${caseless(SECRET_ENV_NAME.source.replace(/\(\?:_\|\$\)$/, ''))})(?:_|(?![\\w$]))`,
  `[\\w$]*?(?:${AI_KEY_HINT.source})`,
  `(?:${Object.keys(ENV_PATHS).join('|')})(?![\\w$])`,
  '[\\w$]+\\s*=(?!=)',
].join('|');

/** A pattern of letters, `|`, `?`, `_` and groups that matches either case (SECRET_ENV_NAME is /i). */
function caseless(source: string): string {
  if (/[\\[]/.test(source)) throw new Error(`caseless: unexpected class or escape in ${source}`);
  return source.replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

const MODULES = [
  // The modules of the catalog's process and network callees (src/catalog/callees.ts), then the
  // other capabilities: files, DNS, the OS, code loading, threads, debuggers, serializers.
  ...calleeModules(),
  'fs', 'fs/promises', 'fs-extra', 'graceful-fs', 'promise-fs', 'dns', 'dns/promises',
  'os', 'vm', 'module', 'worker_threads', 'cluster', 'inspector', 'v8', 'socket.io-client',
  'node-serialize', 'serialize-javascript', 'clipboardy', 'zx/globals', 'bun', 'dax-sh',
].map((m) => m.replace(/[./]/g, (c) => '\\' + c));

/**
 * Module names that are everyday words in code as well (`type: "module"`, `protocol === "https"`,
 * `kind: 'request'`): a trigger only where something loads them (`require("http")`,
 * `__webpack_require__("module")`, `from 'ws'`, `import('got')`) or with `node:`. A name kept in a
 * variable and loaded later is a computed require, a trigger of its own; a helper that returns it
 * (`function mod() { return 'https' }`) is never skipped by the lazy tier, so the evaluator still
 * folds `require(mod())`.
 */
const WORDLIKE = new Set(['module', 'request', 'http', 'https', 'ws', 'net', 'got', 'bent', 'ky', 'bun', 'cluster', 'inspector', 'needle', 'phin']);
/** A quoted module name: the alternative whose word-like matches matchCounts() filters. */
const MODULE_STRING = `['"\`](?:node:)?(?:${MODULES.join('|')})['"\`]`;
const WORD_STRING = new RegExp(`^['"\`](?:${[...WORDLIKE].join('|')})['"\`]$`);
const CALL_BEFORE = /(?:[\w$)\]]\s*\(|\b(?:from|import))\s*$/;

/**
 * Whether a match of TRIGGERS or BINDING_SOURCE at `at` counts: any match but a word-like module
 * name (WORDLIKE) that nothing loads there. Done here rather than with lookbehinds in the regex,
 * which made every quote of a file a place to look back from (tier 0 took twice as long).
 */
export function matchCounts(text: string, at: number, match: string): boolean {
  if (!WORD_STRING.test(match)) return true;
  const before = CALL_BEFORE.exec(text.slice(Math.max(0, at - 24), at));
  if (!before) return false;
  // `from 'ws'` needs nothing after it; a call's argument is followed by `)` or `,`.
  return /^\s*[,)]/.test(text.slice(at + match.length, at + match.length + 8)) || /^(?:from|import)/.test(before[0]);
}

/** The first match of a global regex from `from` that counts, or -1. */
function firstCounting(re: RegExp, text: string, from = 0): number {
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (matchCounts(text, m.index, m[0])) return m.index;
    re.lastIndex = m.index + 1;
  }
  return -1;
}

/**
 * The triggers, folded by common beginnings (catalog/alternation.ts): the same places match, with
 * one test per distinct beginning at each place instead of one per trigger.
 */
const TRIGGERS = new RegExp(
  foldSource([
    // Modules, however they are loaded; those whose names are also words, where they are loaded.
    MODULE_STRING,
    // Loading something whose name is computed or escaped.
    '\\brequire\\s*\\(\\s*[^\'"`\\s)]', '\\brequire\\s*\\(\\s*[\'"][^\'"\\n]*[\'"]\\s*[+,.[]', '\\brequire\\s*\\(\\s*`', '\\brequire\\s*\\(\\s*[\'"][^\'"\\n]*\\\\[ux]',
    '\\bimport\\s*\\(\\s*[^\'"\\s)]', 'createRequire', '_compile', 'mainModule', '\\bmodule\\s*\\.\\s*require\\b',
    // process: the whole environment, a computed or written variable, or one whose name the rules
    // and the evaluator read (secrets, AI keys, home folders); not `process.env.NODE_ENV` or
    // `process.env.__NEXT_RUNTIME`, which bundles test everywhere and nothing looks at.
    `process\\s*\\??\\.\\s*env\\s*(?:\\??\\.\\s*(?:${NAMED_ENV})|\\??\\.\\s*\\[|\\[|[;,)}\\]])`, 'process\\s*\\[', 'process\\s*\\.\\s*(?:binding|dlopen|kill|mainModule|_linkedBinding)', '(?:=|\\(|,|:)\\s*process\\s*[;,)}]',
    // Globals reached directly or by computed access.
    '\\beval\\b', '\\bFunction\\s*\\(', 'new\\s+Function\\b', '[=(,]\\s*Function\\s*[;,)\\]}]', 'constructor\\s*\\.\\s*constructor', '\\[\\s*[\'"]constructor[\'"]\\s*\\]', 'runIn\\w*Context',
    '(?:globalThis|global|window|self)\\s*\\[', 'globalThis\\s*\\??\\.\\s*(?:eval|Function|fetch|process|require)', '=\\s*(?:globalThis|global|window|self)\\s*[;,)]',
    '\\brequire\\s*[;,)}]', '=\\s*require\\b\\s*(?![\\s(])', '\\[\\s*[\'"][^\'"\\n]*[\'"]\\s*\\+', 'Reflect\\s*\\.\\s*(?:get|apply|construct)\\s*\\(\\s*(?:process|global\\w*|window|self|module|require|this)\\b',
    '\\bfetch\\s*\\(', 'XMLHttpRequest', 'WebSocket', 'sendBeacon', 'EventSource', '\\bBun\\s*\\.', '\\bDeno\\s*\\.',
    // Encoded or hidden strings that could name any of the above.
    '[\'"](?:base64|hex|base64url)[\'"]', '_0x[0-9a-f]{3}', '\\[\\s*[\'"][^\'"\\n]*\\\\[ux][0-9a-fA-F]', '\\\\u[0-9a-fA-F]{4}[\\w$]*\\s*\\(', '\\\\u\\{',
    // Credential and agent-config paths in strings (a target list may be read by another file),
    // from the catalog (src/catalog): each entry's hint.
    `['"\`][^'"\`\\n]*(?:${PATH_HINTS})`,
    // Endpoints (exfiltration, recon, dead drops) from the catalog, and shell payloads, that matter
    // even as plain strings.
    HOST_HINTS,
    'powershell', '\\bcurl\\s', '\\bwget\\s', '\\.exe\\b',
    // AI tooling and crypto: MCP servers (their tool descriptions), agent CLIs' bypass flags, wallet
    // providers and clipboards (clippers), mining pools.
    'modelcontextprotocol', 'fastmcp', '--dangerously-', 'stratum\\+', '\\bxmrig\\b', '\\.ethereum\\b', 'navigator\\s*\\.\\s*clipboard', 'toJSON\\(\\s*secrets',
    '\\.fetch\\s*=[^=]', '0x\\[[a-fA-F0-9-]+\\]\\{40\\}',
    // Loops that never end (sabotage), string timers.
    '<=?\\s*Infinity', 'while\\s*\\(\\s*(?:true|1|!0|!!\\[\\])\\s*\\)', 'while\\s*\\(\\s*[A-Z_][A-Z0-9_]*\\s*\\)', 'for\\s*\\(\\s*;\\s*;', '(?:setTimeout|setInterval)\\s*\\(\\s*[\'"`]',
  ].join('|')),
  'g',
);

/** The triggers' pattern, for the lazy-body tier (lazy-bodies.ts). */
export const TRIGGER_SOURCE = TRIGGERS.source;

/**
 * The same alternatives as TRIGGERS (after folding, three dozen with distinct beginnings), dealt into
 * a few regexes by their first character. V8 tries every alternative at every position whose first
 * character it may start; in one regex that is nearly every position of a bundle, while each group
 * here starts at fewer. On the bench set's trigger-free files cut into 3 KB pieces (the size of a
 * body), three groups took 0.63x the CPU of the one regex on Node 20 and 0.61x on Node 24, and 0.78x
 * and 0.83x of six groups. Use them where a text is usually clean and read to its end (lazy bodies);
 * where a trigger is usually found early (tier 0 on a whole file), the one regex stops sooner.
 */
export const TRIGGER_GROUPS: readonly RegExp[] = groupByFirstChar(topLevelAlternatives(TRIGGER_SOURCE), 3).map((g) => new RegExp(g.join('|'), 'g'));

/** Offset of the first trigger in `text` (the earliest of every group's first match), or -1. */
export function firstTrigger(text: string): number {
  let first = -1;
  for (const re of TRIGGER_GROUPS) {
    const at = firstCounting(re, text);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** Alternatives sorted by the first character they can start with, cut into `count` runs. */
function groupByFirstChar(parts: string[], count: number): string[][] {
  const lead = (p: string) => p.replace(/^(?:\\b|\(\?:)+/, '');
  const sorted = [...parts].sort((a, b) => (lead(a) < lead(b) ? -1 : lead(a) > lead(b) ? 1 : 0));
  const groups: string[][] = Array.from({ length: count }, () => []);
  sorted.forEach((p, i) => groups[Math.floor((i * count) / sorted.length)]!.push(p));
  return groups.filter((g) => g.length > 0);
}
/**
 * The triggers that hand out a capability a name can be bound to: a module, `require` itself, the
 * process or global object, the environment as a whole (lazy-bodies.ts follows those names).
 */
export const BINDING_SOURCE = foldSource([
  MODULE_STRING,
  // `require` handed on, or called with a name built at run time (`require(['child', 'process'].join('_'))`).
  '\\brequire\\s*[;,)}]', '=\\s*require\\b\\s*(?![\\s(])', '\\brequire\\s*\\(\\s*[^\'"`\\s)]', '\\brequire\\s*\\(\\s*[\'"][^\'"\\n]*[\'"]\\s*[+,.[]', '\\bimport\\s*\\(\\s*[^\'"\\s)]',
  'createRequire', 'mainModule', 'process\\s*[;,)}]', 'process\\s*\\.\\s*env\\s*[;,)}\\]]', '(?:globalThis|global|window|self)\\s*[;,)]',
].join('|'));

export function worthParsing(text: string): boolean {
  // The single regex, not the groups: most files that name a capability do so near the top, where
  // it stops; the groups would each read on to their own first match (measured: 3% more work on
  // typescript's package, whose first trigger sits 85 KB into a 6 MB file).
  return triggerIndex(text) >= 0;
}

/** Offset of the first trigger in `text` by the single regex, or -1. */
export function triggerIndex(text: string): number {
  return firstCounting(TRIGGERS, text);
}

