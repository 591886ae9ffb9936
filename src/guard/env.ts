// The environment a guarded command runs with: every package manager's registry setting pointed at
// the proxy, through environment variables only (no .npmrc, .yarnrc.yml or bunfig.toml is edited).
// One place for which variable each manager reads:
//   npm, npx            npm_config_registry, npm_config_@scope:registry, and
//                       npm_config_replace_registry_host=always so lockfile URLs on any host go to the proxy
//   pnpm, pnpm dlx      npm_config_registry (and the scoped ones); pnpm lockfiles hold no tarball URL
//                       for registry packages, only their integrity
//   yarn 1 (classic)    YARN_REGISTRY (and npm_config_registry); a yarn.lock's resolved URLs are fetched
//                       as written, past the proxy, so they are checked before yarn starts (preflight.ts)
//   yarn 2+ (berry)     YARN_NPM_REGISTRY_SERVER, YARN_UNSAFE_HTTP_WHITELIST for the loopback host
//   bun, bunx           BUN_CONFIG_REGISTRY (and npm_config_registry); a bun.lock's recorded tarball URLs
//                       are fetched as written, so they are checked before bun starts (preflight.ts)
//
// Credentials are not copied into the child: the proxy holds them and uses them upstream only.
//
// Each manager also gets download caches of the guard's own (`cacheRoot`): all of them look a
// tarball up in their cache by its integrity before asking the registry, so a package downloaded
// once without the guard would be installed from the user's cache without ever reaching the proxy.
// What is in the guard's caches came through the proxy, so was scanned.
import path from 'node:path';

/** Env keys the guard sets, compared case-insensitively (npm reads npm_config_* in any case). */
function withoutKeys(env: NodeJS.ProcessEnv, keys: readonly string[]): NodeJS.ProcessEnv {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return Object.fromEntries(Object.entries(env).filter(([k]) => !drop.has(k.toLowerCase())));
}

/** `@scope:registry` keys of the npm config: each scope must be routed through the proxy too. */
export function scopesOf(npmConfig: Record<string, unknown>): string[] {
  return Object.keys(npmConfig)
    .map((k) => /^(@[^/:]+):registry$/.exec(k)?.[1])
    .filter((s): s is string => !!s);
}

/**
 * The guard's own download caches, one per manager, under `cacheRoot`. pnpm's store is set only
 * for pnpm (npm warns about an env config it does not know).
 */
export function guardCaches(cacheRoot: string, command = ''): Record<string, string> {
  const pnpm = /^pnp[mx](?:\.c?js|\.cmd|\.exe)?$/i.test(path.basename(command));
  return {
    npm_config_cache: path.join(cacheRoot, 'npm'),
    ...(pnpm ? { npm_config_store_dir: path.join(cacheRoot, 'pnpm-store') } : {}),
    YARN_GLOBAL_FOLDER: path.join(cacheRoot, 'yarn-berry'),
    // yarn 1's cache, and berry's when a project turns the global cache off.
    YARN_CACHE_FOLDER: path.join(cacheRoot, 'yarn'),
    BUN_INSTALL_CACHE_DIR: path.join(cacheRoot, 'bun'),
  };
}

export function guardedEnv(proxyUrl: string, npmConfig: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, cacheRoot?: string, command?: string): NodeJS.ProcessEnv {
  const registry = proxyUrl.endsWith('/') ? proxyUrl : `${proxyUrl}/`;
  const host = new URL(registry).hostname;
  const set: Record<string, string> = {
    npm_config_registry: registry,
    npm_config_replace_registry_host: 'always',
    YARN_REGISTRY: registry,
    YARN_NPM_REGISTRY_SERVER: registry,
    YARN_UNSAFE_HTTP_WHITELIST: host,
    BUN_CONFIG_REGISTRY: registry,
  };
  for (const scope of scopesOf(npmConfig)) set[`npm_config_${scope}:registry`] = registry;
  if (cacheRoot) Object.assign(set, guardCaches(cacheRoot, command));
  return { ...withoutKeys(env, Object.keys(set)), ...set };
}
