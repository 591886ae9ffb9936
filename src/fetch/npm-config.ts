// Reads the parts of npm's configuration that decide *where* and *how* tarballs are fetched
// (registries, auth, TLS, proxies), so scanning `x` talks to the same registry `npm install x`
// would. We re-implement the small subset of @npmcli/config we need instead of depending on it:
// that package pulls in npm's whole definitions table and is not meant for library use.
//
// Nothing here logs values: `//host/:_authToken` and friends are secrets.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ini from 'ini';
import { BoundedReadError, MAX_NPMRC_BYTES, readBoundedText } from '../io/read-bounded.js';

export interface LoadNpmConfigOptions {
  /** Folder the command runs from; the project `.npmrc` is looked for from here. */
  cwd?: string;
  /** Environment to read `npm_config_*`, `${VAR}` expansions, HOME and PREFIX from. */
  env?: NodeJS.ProcessEnv;
  /** Explicit user config file (wins over `$NPM_CONFIG_USERCONFIG` and `~/.npmrc`). */
  userconfig?: string;
  /**
   * The project `.npmrc` to use instead of the file in the working tree: `tollgate check` passes
   * the file's text at the base commit (undefined: the base has none), so a pull request cannot
   * choose where requests go or which credentials they carry.
   */
  project?: { text: string | undefined };
}

/** An npmrc that is not a regular file, or too large: an error naming it (npm would hang or fail too). */
export class NpmConfigError extends Error {
  override name = 'NpmConfigError';
}

/**
 * npm's `${VAR}` / `${VAR?}` expansion (from @npmcli/config's env-replace): an unset `${VAR}` stays
 * literal, an unset `${VAR?}` becomes '', and backslashes escape the `$`.
 */
export function envReplace(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g, (orig, esc: string, name: string, modifier?: string) => {
    const fallback = modifier === '?' ? '' : `\${${name}}`;
    const val = env[name] !== undefined ? (env[name] as string) : fallback;
    if (esc.length % 2) return orig.slice((esc.length + 1) / 2); // odd backslashes: literal
    return esc.slice(esc.length / 2) + val;
  });
}

function expand(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return envReplace(value, env);
  if (Array.isArray(value)) return value.map((v) => expand(v, env));
  return value;
}

/**
 * Parse one npmrc file; a missing or unreadable file contributes nothing (as in npm). A device,
 * a pipe or an oversized file is an error: read, `/dev/zero` would take all memory.
 */
function readIni(file: string | undefined, env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (!file) return {};
  let text: string;
  try {
    text = readBoundedText(file, { maxBytes: MAX_NPMRC_BYTES, what: 'npm config' });
  } catch (err) {
    if (err instanceof BoundedReadError && (err.code === 'ENOTREG' || err.code === 'ETOOBIG')) throw new NpmConfigError(err.message);
    return {};
  }
  return parseIni(text, env);
}

/** npmrc text -> verbatim keys with `${VAR}` expanded in keys and values. */
export function parseIni(text: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(ini.parse(text))) {
    // npm expands env vars in keys too (e.g. `//${REGISTRY_HOST}/:_authToken=...`).
    out[envReplace(key, env)] = expand(value, env);
  }
  return out;
}

/**
 * `npm_config_foo_bar=x` -> `foo-bar: x`, case-insensitively; empty values are ignored and
 * nerf-darted keys (`npm_config_//host/:_authToken`) keep their spelling, exactly as npm does.
 */
function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [envKey, value] of Object.entries(env)) {
    if (!/^npm_config_/i.test(envKey) || value === undefined || value === '') continue;
    let key = envKey.slice('npm_config_'.length);
    if (!key.startsWith('//')) key = key.replace(/(?!^)_/g, '-').toLowerCase();
    out[key] = value;
  }
  return out;
}

/** The project `.npmrc` npm would read from `cwd` (it may not exist). */
export function projectNpmrcPath(cwd: string): string {
  return path.join(projectRoot(cwd), '.npmrc');
}

/** npm's localPrefix: nearest ancestor holding package.json or node_modules, else cwd itself. */
function projectRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; ) {
    if (fs.existsSync(path.join(dir, 'package.json')) || fs.existsSync(path.join(dir, 'node_modules'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(cwd);
    dir = parent;
  }
}

/**
 * Merge npm's config layers, highest precedence first: env > project > user > global.
 * Keys are returned verbatim (kebab-case, `@scope:registry`, `//host/path/:_authToken`);
 * see `toFetchOptions` for the camelCase form npm-registry-fetch actually reads.
 */
export function loadNpmConfig(opts: LoadNpmConfigOptions = {}): Record<string, unknown> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const envConf = readEnv(env);
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();

  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  // npm's global prefix defaults to the folder above node's bin/ on POSIX, beside node.exe on Windows.
  const prefix =
    str(envConf.prefix) ??
    str(env.PREFIX) ??
    (process.platform === 'win32' ? path.dirname(process.execPath) : path.dirname(path.dirname(process.execPath)));
  const globalFile = str(envConf.globalconfig) ?? path.join(prefix, 'etc', 'npmrc');
  const userFile = opts.userconfig ?? str(envConf.userconfig) ?? path.join(home, '.npmrc');
  const projectFile = path.join(projectRoot(cwd), '.npmrc');

  const globalConf = readIni(globalFile, env);
  const userConf = readIni(userFile, env);
  // npm skips the project file when it *is* the user file (running from $HOME).
  const projectConf = opts.project
    ? opts.project.text === undefined
      ? {}
      : parseIni(opts.project.text, env)
    : path.resolve(projectFile) === path.resolve(userFile)
      ? {}
      : readIni(projectFile, env);

  return { ...globalConf, ...userConf, ...projectConf, ...envConf };
}

const bool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined;
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const MAX_CAFILE_BYTES = 16 * 1024 * 1024;

/** npm splits a `cafile` into one string per certificate. */
function readCaFile(file: string): string[] {
  return splitCertificates(readBoundedText(file, { maxBytes: MAX_CAFILE_BYTES, what: 'cafile' }));
}

export function splitCertificates(raw: string): string[] {
  const delim = '-----END CERTIFICATE-----';
  return raw
    .replace(/\r\n/g, '\n')
    .split(delim)
    .filter((s) => s.trim())
    .map((s) => s.trimStart() + delim);
}

/**
 * Turn npm config (as from `loadNpmConfig`) into pacote / npm-registry-fetch options.
 *
 * Why not spread the config as-is: npm itself "flattens" kebab keys into camelCase before
 * calling pacote (`strict-ssl` -> `strictSSL`, `https-proxy` -> `httpsProxy`, `cache` ->
 * `<cache>/_cacache`), and a few one-word keys collide with pacote options of a different type
 * (`before` must be a Date, `cache` is the cacache folder). So we copy only what fetching needs:
 * registry and auth keys verbatim, and the network settings flattened.
 */
export function toFetchOptions(config: Record<string, unknown>): Record<string, unknown> {
  // Once per config object: an audit asks for every tarball, and reading and splitting a 200 KB
  // cafile each time was 0.6 s of a cold audit's main thread.
  let out = flattened.get(config);
  if (!out) flattened.set(config, (out = Object.freeze(flatten(config))));
  return out;
}

const flattened = new WeakMap<Record<string, unknown>, Readonly<Record<string, unknown>>>();

/** npm's `user-agent` default, filled the way npm fills it (see its config definitions). */
export const NPM_USER_AGENT_TEMPLATE = 'npm/{npm-version} node/{node-version} {platform} {arch} workspaces/{workspaces} {ci}';
/** Used when no npm is installed beside node: a current npm release. */
const FALLBACK_NPM_VERSION = '10.9.2';

let npmVersionMemo: string | undefined;
/** The version of the npm installed with this node, which is the npm a user of this machine runs. */
function installedNpmVersion(): string {
  if (npmVersionMemo) return npmVersionMemo;
  const nodeDir = path.dirname(process.execPath);
  const candidates = process.platform === 'win32' ? [path.join(nodeDir, 'node_modules', 'npm', 'package.json')] : [path.join(path.dirname(nodeDir), 'lib', 'node_modules', 'npm', 'package.json')];
  for (const file of candidates) {
    try {
      const v = (JSON.parse(readBoundedText(file, { maxBytes: 1 << 20, what: 'npm package.json' })) as { version?: unknown }).version;
      if (typeof v === 'string' && /^\d+\.\d+\.\d+/.test(v)) return (npmVersionMemo = v);
    } catch {
      // not there: the fallback below
    }
  }
  return (npmVersionMemo = FALLBACK_NPM_VERSION);
}

/**
 * The User-Agent npm itself sends (`npm/<v> node/<v> <platform> <arch> workspaces/false [ci/<name>]`),
 * so a registry or a tarball host cannot serve Tollgate one file and `npm install` another by
 * looking at the User-Agent (pacote's own default names pacote). A `user-agent` set in npm config
 * is used as npm would use it.
 */
export function npmUserAgent(config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string {
  const template = typeof config['user-agent'] === 'string' && config['user-agent'] ? config['user-agent'] : NPM_USER_AGENT_TEMPLATE;
  const ciName = typeof config['ci-name'] === 'string' ? config['ci-name'] : env.GITHUB_ACTIONS === 'true' ? 'github-actions' : env.GITLAB_CI ? 'gitlab-ci' : '';
  return template
    .replace(/\{node-version\}/gi, process.version)
    .replace(/\{npm-version\}/gi, installedNpmVersion())
    .replace(/\{platform\}/gi, process.platform)
    .replace(/\{arch\}/gi, process.arch)
    .replace(/\{workspaces\}/gi, 'false')
    .replace(/\{ci\}/gi, ciName ? `ci/${ciName}` : '')
    .trim();
}

function flatten(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { userAgent: npmUserAgent(config) };
  for (const [key, value] of Object.entries(config)) {
    // registry, @scope:registry and every nerf-darted credential/TLS key (//host/path/:_authToken, :_auth,
    // :username, :_password, :certfile, :keyfile, :_keys) are read verbatim by npm-registry-fetch/pacote.
    if (key === 'registry' || /^@[^/:]+:registry$/.test(key) || key.startsWith('//')) out[key] = value;
  }
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) out[key] = value;
  };
  set('strictSSL', bool(config['strict-ssl']));
  set('proxy', text(config.proxy));
  set('httpsProxy', text(config['https-proxy']));
  const noProxy = config.noproxy ?? config['no-proxy'];
  set('noProxy', Array.isArray(noProxy) ? noProxy.join(',') : text(noProxy));
  set('localAddress', text(config['local-address']));
  set('maxSockets', num(config.maxsockets ?? config['max-sockets']));
  set('fetchRetries', num(config['fetch-retries']));
  set('fetchRetryFactor', num(config['fetch-retry-factor']));
  set('fetchRetryMintimeout', num(config['fetch-retry-mintimeout']));
  set('fetchRetryMaxtimeout', num(config['fetch-retry-maxtimeout']));
  set('timeout', num(config['fetch-timeout']));
  set('offline', bool(config.offline));
  set('preferOffline', bool(config['prefer-offline']));
  set('preferOnline', bool(config['prefer-online']));
  set('replaceRegistryHost', text(config['replace-registry-host']));
  set('defaultTag', text(config.tag));
  set('cert', text(config.cert));
  set('key', text(config.key));
  const ca = config.ca;
  if (typeof ca === 'string' || Array.isArray(ca)) out.ca = ca;
  else if (text(config.cafile)) out.ca = readCaFile(path.resolve(config.cafile as string));
  if (text(config.cache)) out.cache = path.join(path.resolve(config.cache as string), '_cacache');
  return out;
}
