// The trust boundary of `tollgate check`: what decides the gate (tollgate.config.json) and where
// requests go with which credentials (the project .npmrc) is read from the base commit, never from
// the change under review. A pull request could otherwise allow its own malware, set failOn to
// never, or point the registry or a proxy at a host that collects the runner's tokens. A change to
// either file is reported with what it would do, and applies once it is merged (then it is the base).
import path from 'node:path';
import ini from 'ini';
import { BoundedReadError, MAX_CONFIG_BYTES, MAX_NPMRC_BYTES, readBoundedText } from '../io/read-bounded.js';
import { redactText } from '../io/redact.js';
import { loadNpmConfig, MAX_CAFILE_BYTES, projectNpmrcPath, splitCertificates, type LoadNpmConfigOptions } from '../fetch/npm-config.js';
import { CONFIG_FILE, ConfigError, EMPTY_CONFIG, parseConfig, problemText, type AllowEntry, type FailOn, type TollgateConfig } from './config.js';
import { fileAtRef, repoPath } from './diff.js';

/** A policy or npm settings file that the change under review edits: reported, not applied. */
export interface PolicyChange {
  /** Path in the repository. */
  file: string;
  /** What the change would do once merged, one line each (credentials masked). */
  lines: string[];
}

export interface TrustedPolicy {
  config: TollgateConfig;
  /** Set when the working tree's file differs from the base's. */
  change?: PolicyChange;
}

/** The working tree's copy of a file, or undefined when there is none (bounded, regular files only). */
function workingText(file: string, maxBytes: number, what: string): string | undefined {
  try {
    return readBoundedText(file, { maxBytes, what });
  } catch (err) {
    if (err instanceof BoundedReadError && err.code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * tollgate.config.json as of `ref` (the repository root's copy). The working tree's copy is
 * compared with it: a difference is reported as a PolicyChange and not applied.
 */
export function trustedPolicy(top: string, ref: string, knownRules: ReadonlySet<string>): TrustedPolicy {
  const baseText = fileAtRef(top, ref, CONFIG_FILE, MAX_CONFIG_BYTES);
  // git's rev:path form, so a problem reads `main:tollgate.config.json:3:5: …`.
  const label = `${ref}:${CONFIG_FILE}`;
  const config = baseText === undefined ? { ...EMPTY_CONFIG, rulesOff: new Set<string>() } : parseConfig(label, baseText.replace(/^\uFEFF/, ''), knownRules);
  let headText: string | undefined;
  try {
    headText = workingText(path.join(top, CONFIG_FILE), MAX_CONFIG_BYTES, 'the policy file');
  } catch (err) {
    return { config, change: { file: CONFIG_FILE, lines: [`the changed file cannot be used: ${(err as Error).message}`] } };
  }
  if (headText === baseText) return { config };
  let head: TollgateConfig;
  try {
    head = headText === undefined ? { ...EMPTY_CONFIG, rulesOff: new Set() } : parseConfig(CONFIG_FILE, headText.replace(/^\uFEFF/, ''), knownRules);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { config, change: { file: CONFIG_FILE, lines: err.problems.map((p) => `the changed file is not a valid policy: ${problemText(CONFIG_FILE, p)}`) } };
  }
  const lines = describePolicyChange(config, head);
  return { config, change: { file: CONFIG_FILE, lines: lines.length ? lines : ['reformatted; no change to what it allows'] } };
}

const STRICTNESS: Record<FailOn, number> = { suspicious: 2, malicious: 1, never: 0 };
const allowKey = (e: AllowEntry) => `${e.name}@${e.version}\0${e.rule ?? ''}`;
const allowText = (e: AllowEntry) =>
  `${e.name}@${e.version}${e.rule ? ` (rule ${e.rule} only)` : ' (the whole version)'}${e.expires ? ` until ${e.expires}` : ''}: "${e.reason}"`;

/** What `head` allows or loosens compared with `base`, loosening first. Pure. */
export function describePolicyChange(base: TollgateConfig, head: TollgateConfig): string[] {
  const loosen: string[] = [];
  const tighten: string[] = [];
  const before = new Map(base.allow.map((e) => [allowKey(e), e]));
  const after = new Map(head.allow.map((e) => [allowKey(e), e]));
  for (const [k, e] of after) {
    const old = before.get(k);
    if (!old) loosen.push(`would allow ${allowText(e)}`);
    else if ((old.expires ?? '') !== (e.expires ?? '')) {
      if (!e.expires || (old.expires && e.expires > old.expires)) loosen.push(`would extend the allow for ${allowText(e)} (was ${old.expires ?? 'no expiry'})`);
      else tighten.push(`shortens the allow for ${allowText(e)}`);
    }
  }
  for (const [k, e] of before) if (!after.has(k)) tighten.push(`removes the allow for ${allowText(e)}`);
  const fb = base.failOn ?? 'malicious';
  const fh = head.failOn ?? 'malicious';
  if (STRICTNESS[fh] < STRICTNESS[fb]) loosen.push(`would loosen failOn from "${fb}" to "${fh}"${fh === 'never' ? ': nothing would fail the gate' : ''}`);
  else if (STRICTNESS[fh] > STRICTNESS[fb]) tighten.push(`tightens failOn from "${fb}" to "${fh}"`);
  if (head.ignoreDev && !base.ignoreDev) loosen.push('would stop checking dev-only packages (ignoreDev: true)');
  if (!head.ignoreDev && base.ignoreDev) tighten.push('checks dev-only packages again (ignoreDev: false)');
  for (const r of head.rulesOff) if (!base.rulesOff.has(r)) loosen.push(`would switch rule ${r} off`);
  for (const r of base.rulesOff) if (!head.rulesOff.has(r)) tighten.push(`switches rule ${r} back on`);
  return [...loosen, ...tighten];
}

export interface TrustedNpmConfig {
  npmConfig: Record<string, unknown>;
  change?: PolicyChange;
}

/**
 * npm config for `check`: user, global and environment levels as npm reads them, and the project
 * `.npmrc` as of `ref` (not the working tree's). A project .npmrc outside the repository is not
 * part of the change and is read as npm would.
 */
export function trustedNpmConfig(top: string, ref: string, projectDir: string, opts: Omit<LoadNpmConfigOptions, 'cwd' | 'project'> = {}): TrustedNpmConfig {
  const file = projectNpmrcPath(projectDir);
  const rel = repoPath(top, file);
  if (rel === undefined) return { npmConfig: loadNpmConfig({ ...opts, cwd: projectDir }) };
  const baseText = fileAtRef(top, ref, rel, MAX_NPMRC_BYTES);
  const npmConfig = loadNpmConfig({ ...opts, cwd: projectDir, project: { text: baseText } });
  pinCafile(npmConfig, top, ref);
  let headText: string | undefined;
  try {
    headText = workingText(file, MAX_NPMRC_BYTES, 'npm config');
  } catch (err) {
    return { npmConfig, change: { file: rel, lines: [`the changed file cannot be used: ${(err as Error).message}`] } };
  }
  if (headText === baseText) return { npmConfig };
  const lines = describeNpmrcChange(baseText ?? '', headText ?? '');
  return { npmConfig, change: { file: rel, lines: lines.length ? lines : ['reformatted; no setting changed'] } };
}

/**
 * A `cafile` inside the repository is read as of `ref` too: otherwise the change could replace the
 * certificates a trusted setting points at. Outside the repository it is the user's file.
 */
function pinCafile(npmConfig: Record<string, unknown>, top: string, ref: string): void {
  const cafile = npmConfig.cafile;
  if (typeof cafile !== 'string' || !cafile || npmConfig.ca !== undefined) return;
  const rel = repoPath(top, path.resolve(cafile));
  if (rel === undefined) return;
  const text = fileAtRef(top, ref, rel, MAX_CAFILE_BYTES);
  delete npmConfig.cafile;
  // Absent at the base: no extra certificates, as if the setting were not there.
  if (text !== undefined) npmConfig.ca = splitCertificates(text);
}

/** Keys whose values are credentials: shown as set or changed, never by value. */
const SECRET_KEY = /(?:_authToken|_auth|_password|password|token|certfile|keyfile|^key$|^cert$|_keys?)$/i;
/** Keys that decide where requests go or what they carry: named first. */
const ROUTING_KEY = /^(?:registry|@[^:]+:registry|proxy|https-proxy|http-proxy|noproxy|no-proxy|cafile|ca|strict-ssl|replace-registry-host|local-address|userconfig|globalconfig)$|^\/\//;

/** Which settings `head` adds, changes or removes compared with `base` (values redacted). Pure. */
export function describeNpmrcChange(baseText: string, headText: string): string[] {
  const flat = (text: string): Map<string, string> => {
    const out = new Map<string, string>();
    let parsed: Record<string, unknown>;
    try {
      parsed = ini.parse(text) as Record<string, unknown>;
    } catch {
      return out;
    }
    for (const [k, v] of Object.entries(parsed)) out.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    return out;
  };
  const a = flat(baseText);
  const b = flat(headText);
  const show = (k: string, v: string) => (SECRET_KEY.test(k) ? '(a credential, not shown)' : JSON.stringify(redactText(v)));
  const lines: Array<{ routing: boolean; text: string }> = [];
  for (const [k, v] of b) {
    const routing = ROUTING_KEY.test(k) || SECRET_KEY.test(k);
    if (!a.has(k)) lines.push({ routing, text: `would set ${k} = ${show(k, v)}` });
    else if (a.get(k) !== v) lines.push({ routing, text: `would change ${k} to ${show(k, v)}` });
  }
  for (const k of a.keys()) if (!b.has(k)) lines.push({ routing: ROUTING_KEY.test(k) || SECRET_KEY.test(k), text: `would remove ${k}` });
  return lines.sort((x, y) => Number(y.routing) - Number(x.routing)).map((l) => `${l.text}${l.routing ? ' (decides where requests go or which credentials they carry)' : ''}`);
}
