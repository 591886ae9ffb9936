// tollgate.config.json: the reviewed exceptions and policy that scan, audit and check all apply.
// Parsed strictly: in a security gate a typo ("alow", a range instead of a version) must be an
// error, not a silently ignored line that lets the next malicious release through. Every mistake
// is reported at once, each at its line and column, so one edit fixes them all.
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { parseTree, printParseErrorCode, getNodeValue, type Node, type ParseError } from 'jsonc-parser';
import { BoundedReadError, MAX_CONFIG_BYTES, readBoundedText } from '../io/read-bounded.js';
import { LineIndex } from '../lockfile/types.js';
import { closest } from '../cli/suggest.js';

export const CONFIG_FILE = 'tollgate.config.json';

export type FailOn = 'malicious' | 'suspicious' | 'never';
export const FAIL_ON_VALUES: readonly FailOn[] = ['malicious', 'suspicious', 'never'];

export interface AllowEntry {
  /** Exact package name. */
  name: string;
  /** Exact version: a new release of the same package is judged again. */
  version: string;
  /** Only this rule's findings are allowed; absent: the whole package version is allowed. */
  rule?: string;
  reason: string;
  /** YYYY-MM-DD, inclusive (the entry stops applying the day after). */
  expires?: string;
  /** Position in the file's `allow` array (0-based), for messages. */
  index: number;
}

export interface TollgateConfig {
  /** Absolute path of the file read, or undefined when there is none. */
  file?: string;
  allow: AllowEntry[];
  failOn?: FailOn;
  ignoreDev: boolean;
  /** Rules switched off by the config. */
  rulesOff: Set<string>;
}

/** One mistake in the file; line and column (1-based) when it is at a place in the text. */
export interface ConfigProblem {
  line?: number;
  column?: number;
  message: string;
}

/** `file:line:column: message`, the form editors and CI log matchers jump to. */
export function problemText(file: string, p: ConfigProblem): string {
  return `${file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.message}`;
}

/** Every problem of one file: the message holds one line per problem. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(
    readonly file: string,
    problems: string | readonly ConfigProblem[],
  ) {
    const list = typeof problems === 'string' ? [{ message: problems }] : problems;
    super(list.map((p) => problemText(file, p)).join('\n'));
    this.problems = list;
    this.name = 'ConfigError';
  }
}

export const EMPTY_CONFIG: TollgateConfig = { allow: [], ignoreDev: false, rulesOff: new Set() };

const TOP_KEYS = ['allow', 'failOn', 'ignoreDev', 'rules'];
const ALLOW_KEYS = ['package', 'rule', 'reason', 'expires'];
/** A policy needs three levels ({ allow: [ {…} ] }); far deeper nesting is refused before parsing (the parser recurses). */
const MAX_DEPTH = 16;
/** Problems listed at most; the rest are counted. */
const MAX_PROBLEMS = 40;
const EXAMPLE = '{"allow": [], "failOn": "malicious"}';

/** Split `name@version` (scoped names keep their leading @). */
export function splitPackageId(id: string): { name: string; version: string } | undefined {
  const at = id.lastIndexOf('@');
  if (at <= 0) return undefined;
  return { name: id.slice(0, at), version: id.slice(at + 1) };
}

const SYNTAX: Record<string, string> = {
  InvalidSymbol: 'keys and strings take double quotes, and true, false and null are lowercase',
  InvalidNumberFormat: 'not a JSON number',
  PropertyNameExpected: 'a key in double quotes is expected here (JSON allows no comma before "}")',
  ValueExpected: 'a value is expected here (JSON allows no comma before "]" or "}")',
  ColonExpected: 'a ":" is expected after the key',
  CommaExpected: 'a "," is missing before this',
  CloseBraceExpected: 'a "}" is missing: an object is not closed',
  CloseBracketExpected: 'a "]" is missing: an array is not closed',
  EndOfFileExpected: 'text after the end: the file holds one JSON object',
  InvalidCommentToken: 'JSON has no comments; say it in an allow entry\'s "reason"',
  UnexpectedEndOfComment: 'JSON has no comments; say it in an allow entry\'s "reason"',
  UnexpectedEndOfString: 'a string is not closed on its line (a closing " is missing)',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'a \\u escape needs four hex digits',
  InvalidEscapeCharacter: 'an escape JSON does not have; a backslash is written \\\\',
  InvalidCharacter: 'a control character inside a string; escape it (\\n, \\t)',
};

function syntaxMessage(e: ParseError): string {
  const code = printParseErrorCode(e.error);
  return `not valid JSON: ${SYNTAX[code] ?? code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
}

/** Offset of the first bracket nested deeper than `max`, outside strings; one pass, no recursion. */
function tooDeepAt(text: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

const hint = (word: string, known: Iterable<string>): string => {
  const near = closest(word, known);
  return near ? `; did you mean "${near}"?` : '';
};
const shown = (n: Node): string => JSON.stringify(getNodeValue(n));

/**
 * Parse the config text. `knownRules` are rule ids the engine has; an unknown id is an error
 * because a misspelt rule would otherwise allow nothing and switch nothing off, silently.
 * Throws one ConfigError listing every problem, each with its line and column.
 */
export function parseConfig(file: string, text: string, knownRules: ReadonlySet<string>): TollgateConfig {
  const src = text.replace(/^\uFEFF/, '');
  const lines = new LineIndex(src);
  const problems: Array<ConfigProblem & { line: number; column: number }> = [];
  const at = (offset: number, message: string) => problems.push({ ...lines.positionAt(offset), message });
  const fail = (): never => {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    const listed: ConfigProblem[] = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) listed.push({ message: `… and ${problems.length - MAX_PROBLEMS} more problems` });
    throw new ConfigError(file, listed);
  };

  if (!src.trim()) throw new ConfigError(file, `is empty: it must hold one JSON object, e.g. ${EXAMPLE}; or delete it`);
  const deep = tooDeepAt(src, MAX_DEPTH);
  if (deep !== undefined) {
    at(deep, `nested more than ${MAX_DEPTH} levels deep; a policy is ${EXAMPLE} (see \`tollgate check --help\`)`);
    fail();
  }
  const errors: ParseError[] = [];
  const root = parseTree(src, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  // One syntax error per line: the parser's recovery reports follow-ups of the same mistake.
  const syntaxLines = new Set<number>();
  for (const e of errors) {
    const pos = lines.positionAt(Math.min(e.offset, src.length));
    if (syntaxLines.has(pos.line)) continue;
    syntaxLines.add(pos.line);
    problems.push({ ...pos, message: syntaxMessage(e) });
  }

  const config: TollgateConfig = { file, allow: [], ignoreDev: false, rulesOff: new Set() };
  if (root) {
    // The recovered tree is checked too, so a trailing comma and a version range show together;
    // what it says on a line that is not valid JSON is left out (it may be the parser's guess).
    const before = problems.length;
    checkTop(root, config, knownRules, at);
    const semantic = problems.splice(before).filter((p) => !syntaxLines.has(p.line));
    problems.push(...semantic);
  }
  if (problems.length) fail();
  return config;
}

type Report = (offset: number, message: string) => void;

/** Each key once: JSON.parse would keep the last and silently drop the rest. */
function properties(obj: Node, where: string, at: Report): Array<{ key: string; keyNode: Node; value: Node | undefined }> {
  const seen = new Set<string>();
  const out: Array<{ key: string; keyNode: Node; value: Node | undefined }> = [];
  for (const prop of obj.children ?? []) {
    const [keyNode, value] = prop.children ?? [];
    if (!keyNode || typeof keyNode.value !== 'string') continue;
    const key = keyNode.value;
    if (seen.has(key)) at(keyNode.offset, `${where}"${key}" appears twice; JSON keeps only the last one, so merge them`);
    seen.add(key);
    out.push({ key, keyNode, value });
  }
  return out;
}

function checkTop(root: Node, config: TollgateConfig, knownRules: ReadonlySet<string>, at: Report): void {
  if (root.type !== 'object') {
    at(root.offset, `the file must hold a JSON object, e.g. ${EXAMPLE}`);
    return;
  }
  for (const { key, keyNode, value } of properties(root, '', at)) {
    if (key === '$schema') continue;
    if (!TOP_KEYS.includes(key)) {
      at(keyNode.offset, `unknown key "${key}"${hint(key, TOP_KEYS)} (the keys are ${TOP_KEYS.join(', ')})`);
      continue;
    }
    if (!value) continue; // a missing value is a syntax error, reported already
    if (key === 'failOn') {
      if (FAIL_ON_VALUES.includes(value.value as FailOn) && value.type === 'string') config.failOn = value.value as FailOn;
      else at(value.offset, `"failOn" must be one of "malicious", "suspicious", "never" (got ${shown(value)})`);
    } else if (key === 'ignoreDev') {
      if (value.type === 'boolean') config.ignoreDev = value.value as boolean;
      else at(value.offset, `"ignoreDev" must be true or false (got ${shown(value)})`);
    } else if (key === 'rules') {
      checkRules(value, config, knownRules, at);
    } else if (value.type !== 'array') {
      at(value.offset, '"allow" must be an array of {"package": "name@1.2.3", "reason": "..."}');
    } else {
      (value.children ?? []).forEach((entry, index) => {
        const parsed = checkAllow(entry, index, knownRules, at);
        if (parsed) config.allow.push(parsed);
      });
    }
  }
}

function checkRules(value: Node, config: TollgateConfig, knownRules: ReadonlySet<string>, at: Report): void {
  if (value.type !== 'object') {
    at(value.offset, '"rules" must be an object of rule id to "off" or "on", e.g. {"network": "off"}');
    return;
  }
  for (const { key: id, keyNode, value: setting } of properties(value, '"rules": ', at)) {
    if (!knownRules.has(id)) at(keyNode.offset, `"rules": no rule "${id}"${hint(id, knownRules)} (\`tollgate rules\` lists them)`);
    else if (setting?.value === 'off' && setting.type === 'string') config.rulesOff.add(id);
    else if (setting && !(setting.value === 'on' && setting.type === 'string')) at(setting.offset, `"rules"."${id}" must be "off" or "on" (got ${shown(setting)})`);
  }
}

function checkAllow(entry: Node, index: number, knownRules: ReadonlySet<string>, at: Report): AllowEntry | undefined {
  const where = `allow[${index}]`;
  if (entry.type !== 'object') {
    at(entry.offset, `${where} must be an object like {"package": "name@1.2.3", "reason": "reviewed by …"}`);
    return undefined;
  }
  let ok = true;
  const bad = (offset: number, message: string) => {
    ok = false;
    at(offset, message);
  };
  const fields = new Map<string, Node>();
  for (const { key, keyNode, value } of properties(entry, `${where}: `, at)) {
    if (!ALLOW_KEYS.includes(key)) bad(keyNode.offset, `${where}: unknown key "${key}"${hint(key, ALLOW_KEYS)} (the keys are ${ALLOW_KEYS.join(', ')})`);
    else if (value) fields.set(key, value);
    else ok = false;
  }
  const pkgNode = fields.get('package');
  let id: { name: string; version: string } | undefined;
  let pkg = '';
  if (!pkgNode) bad(entry.offset, `${where}: "package" is required, as "name@1.2.3" (the exact version that was reviewed)`);
  else if (pkgNode.type !== 'string') bad(pkgNode.offset, `${where}: "package" must be a string "name@1.2.3" (got ${shown(pkgNode)})`);
  else {
    pkg = pkgNode.value as string;
    id = splitPackageId(pkg);
    if (!id || !id.name) bad(pkgNode.offset, `${where}: "package": "${pkg}" needs the exact version that was reviewed, as name@1.2.3, e.g. "${pkg || 'name'}@1.2.3"`);
    else if (!semver.valid(id.version)) {
      bad(pkgNode.offset, `${where}: "package": "${pkg}" is not pinned to one exact version: write name@1.2.3, e.g. "${id.name}@1.2.3"; allows are per version, so the next release is judged again`);
    }
  }
  const reasonNode = fields.get('reason');
  const of = pkg ? ` (${pkg})` : '';
  if (!reasonNode) bad(entry.offset, `${where}${of}: "reason" is required: say who reviewed what, for the next reader`);
  else if (reasonNode.type !== 'string' || !(reasonNode.value as string).trim()) bad(reasonNode.offset, `${where}${of}: "reason" is required: say who reviewed what, for the next reader (got ${shown(reasonNode)})`);
  const ruleNode = fields.get('rule');
  if (ruleNode && (ruleNode.type !== 'string' || !knownRules.has(ruleNode.value as string))) {
    bad(ruleNode.offset, `${where}: "rule": no rule ${shown(ruleNode)}${ruleNode.type === 'string' ? hint(ruleNode.value as string, knownRules) : ''} (\`tollgate rules\` lists them)`);
  }
  const expiresNode = fields.get('expires');
  if (expiresNode && (expiresNode.type !== 'string' || !isIsoDate(expiresNode.value as string))) bad(expiresNode.offset, `${where}: "expires" must be a date as YYYY-MM-DD (got ${shown(expiresNode)})`);
  if (!ok || !id) return undefined;
  return {
    name: id.name,
    version: semver.clean(id.version) ?? id.version,
    rule: ruleNode?.value as string | undefined,
    reason: (reasonNode!.value as string).trim(),
    expires: expiresNode?.value as string | undefined,
    index,
  };
}

function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

/** An entry applies through the whole of its `expires` day (UTC). */
export function isExpired(entry: Pick<AllowEntry, 'expires'>, now: Date): boolean {
  if (!entry.expires) return false;
  return now.toISOString().slice(0, 10) > entry.expires;
}

/** Read `tollgate.config.json` from a folder; none there is an empty config, a broken one an error. */
export function loadConfig(dir: string, knownRules: ReadonlySet<string>, explicit?: string): TollgateConfig {
  const file = explicit ? path.resolve(explicit) : path.join(dir, CONFIG_FILE);
  let text: string;
  try {
    // Only a regular file, capped before reading: a config committed as a link to /dev/zero is an error.
    text = readBoundedText(file, { maxBytes: MAX_CONFIG_BYTES, what: 'the policy file' });
  } catch (err) {
    if (err instanceof BoundedReadError && err.code === 'ENOENT' && !explicit) return { ...EMPTY_CONFIG, rulesOff: new Set() };
    const detail = err instanceof BoundedReadError && (err.code === 'ENOTREG' || err.code === 'ETOOBIG') ? err.message.replace(`the policy file ${file} `, '') : `cannot be read (${(err as Error).message})`;
    throw new ConfigError(file, detail);
  }
  return parseConfig(file, text, knownRules);
}

const present = (file: string): boolean => {
  try {
    fs.lstatSync(file);
    return true;
  } catch (err) {
    // Anything but "not there" (a permission error, say) is the file: reading it reports the problem.
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
};

/**
 * The nearest tollgate.config.json from `from` up to its repository root (the first folder with a
 * .git), as `check` reads it from the root; outside a repository, only `from` itself is looked at,
 * so a stray file in a parent folder (a home or temp folder) never becomes the policy.
 */
export function findConfigFile(from: string): string | undefined {
  const start = path.resolve(from);
  const chain: string[] = [];
  for (let dir = start; ; dir = path.dirname(dir)) {
    chain.push(dir);
    if (present(path.join(dir, '.git'))) break;
    if (path.dirname(dir) === dir) {
      chain.length = 1;
      break;
    }
  }
  return chain.map((dir) => path.join(dir, CONFIG_FILE)).find(present);
}

/** `scan` and `audit`: the file given (--config), else the nearest one from `from` (findConfigFile). */
export function loadNearestConfig(from: string, knownRules: ReadonlySet<string>, explicit?: string): TollgateConfig {
  if (explicit) return loadConfig(from, knownRules, explicit);
  const file = findConfigFile(from);
  return file ? loadConfig(path.dirname(file), knownRules) : { ...EMPTY_CONFIG, rulesOff: new Set() };
}
