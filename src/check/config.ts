// tollgate.config.json: the repository's reviewed exceptions and gate policy. Parsed strictly:
// in a security gate a typo ("alow", a range instead of a version) must be an error, not a
// silently ignored line that lets the next malicious release through.
import path from 'node:path';
import semver from 'semver';
import { BoundedReadError, MAX_CONFIG_BYTES, readBoundedText } from '../io/read-bounded.js';

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

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export const EMPTY_CONFIG: TollgateConfig = { allow: [], ignoreDev: false, rulesOff: new Set() };

const TOP_KEYS = new Set(['$schema', 'allow', 'failOn', 'ignoreDev', 'rules']);
const ALLOW_KEYS = new Set(['package', 'rule', 'reason', 'expires']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Split `name@version` (scoped names keep their leading @). */
export function splitPackageId(id: string): { name: string; version: string } | undefined {
  const at = id.lastIndexOf('@');
  if (at <= 0) return undefined;
  return { name: id.slice(0, at), version: id.slice(at + 1) };
}

/**
 * Parse the config text. `knownRules` are rule ids the engine has; an unknown id is an error
 * because a misspelt rule would otherwise allow nothing and switch nothing off, silently.
 */
export function parseConfig(file: string, text: string, knownRules: ReadonlySet<string>): TollgateConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, `is not valid JSON (${(err as Error).message}); fix it or delete it`);
  }
  if (!isObject(raw)) throw new ConfigError(file, 'must hold a JSON object, e.g. {"allow": [], "failOn": "malicious"}');
  for (const k of Object.keys(raw)) {
    if (!TOP_KEYS.has(k)) throw new ConfigError(file, `unknown key "${k}" (known: ${[...TOP_KEYS].filter((x) => x !== '$schema').join(', ')})`);
  }
  const config: TollgateConfig = { file, allow: [], ignoreDev: false, rulesOff: new Set() };

  if (raw.failOn !== undefined) {
    if (!FAIL_ON_VALUES.includes(raw.failOn as FailOn)) throw new ConfigError(file, `"failOn" must be one of ${FAIL_ON_VALUES.join(', ')} (got ${JSON.stringify(raw.failOn)})`);
    config.failOn = raw.failOn as FailOn;
  }
  if (raw.ignoreDev !== undefined) {
    if (typeof raw.ignoreDev !== 'boolean') throw new ConfigError(file, `"ignoreDev" must be true or false (got ${JSON.stringify(raw.ignoreDev)})`);
    config.ignoreDev = raw.ignoreDev;
  }
  if (raw.rules !== undefined) {
    if (!isObject(raw.rules)) throw new ConfigError(file, '"rules" must be an object of rule id to "off" or "on", e.g. {"network": "off"}');
    for (const [id, setting] of Object.entries(raw.rules)) {
      if (!knownRules.has(id)) throw new ConfigError(file, `"rules": no rule "${id}" (see \`tollgate rules\`)`);
      if (setting === 'off') config.rulesOff.add(id);
      else if (setting !== 'on') throw new ConfigError(file, `"rules"."${id}" must be "off" or "on" (got ${JSON.stringify(setting)})`);
    }
  }
  if (raw.allow !== undefined) {
    if (!Array.isArray(raw.allow)) throw new ConfigError(file, '"allow" must be an array of {"package": "name@version", "reason": "..."}');
    raw.allow.forEach((entry, index) => config.allow.push(parseAllow(file, entry, index, knownRules)));
  }
  return config;
}

function parseAllow(file: string, entry: unknown, index: number, knownRules: ReadonlySet<string>): AllowEntry {
  const where = `"allow"[${index}]`;
  if (!isObject(entry)) throw new ConfigError(file, `${where} must be an object like {"package": "name@1.2.3", "reason": "reviewed by …"}`);
  for (const k of Object.keys(entry)) if (!ALLOW_KEYS.has(k)) throw new ConfigError(file, `${where}: unknown key "${k}" (known: ${[...ALLOW_KEYS].join(', ')})`);
  const pkg = entry.package;
  if (typeof pkg !== 'string') throw new ConfigError(file, `${where}: "package" is required, as "name@version"`);
  const id = splitPackageId(pkg);
  if (!id || !id.name) throw new ConfigError(file, `${where}: "package" must be "name@version" with an exact version (got "${pkg}")`);
  if (!semver.valid(id.version)) {
    throw new ConfigError(file, `${where}: "${pkg}" is not pinned to one exact version. Allows are per version so that the next release is judged again; write e.g. "${id.name}@1.2.3"`);
  }
  if (typeof entry.reason !== 'string' || !entry.reason.trim()) throw new ConfigError(file, `${where} (${pkg}): "reason" is required: say who reviewed what, for the next reader`);
  let rule: string | undefined;
  if (entry.rule !== undefined) {
    if (typeof entry.rule !== 'string' || !knownRules.has(entry.rule)) throw new ConfigError(file, `${where} (${pkg}): no rule ${JSON.stringify(entry.rule)} (see \`tollgate rules\`)`);
    rule = entry.rule;
  }
  let expires: string | undefined;
  if (entry.expires !== undefined) {
    if (typeof entry.expires !== 'string' || !isIsoDate(entry.expires)) throw new ConfigError(file, `${where} (${pkg}): "expires" must be a date as YYYY-MM-DD (got ${JSON.stringify(entry.expires)})`);
    expires = entry.expires;
  }
  return { name: id.name, version: semver.clean(id.version) ?? id.version, rule, reason: entry.reason.trim(), expires, index };
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
