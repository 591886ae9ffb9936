// The environment a guarded command runs with: every package manager's registry setting pointed at
// the proxy, through environment variables only (no .npmrc, .yarnrc.yml or bunfig.toml is edited).
// One place for which variable each manager reads:
//   npm, npx            npm_config_registry, npm_config_@scope:registry, and
//                       npm_config_replace_registry_host=always so lockfile URLs on any host go to the proxy
//   pnpm, pnpm dlx      npm_config_registry (and the scoped ones); pnpm lockfiles hold no tarball URL
//                       for registry packages, only their integrity
//   yarn 1 (classic)    YARN_REGISTRY (and npm_config_registry)
//   yarn 2+ (berry)     YARN_NPM_REGISTRY_SERVER, YARN_UNSAFE_HTTP_WHITELIST for the loopback host
//   bun, bunx           BUN_CONFIG_REGISTRY (and npm_config_registry)
//
// Credentials are not copied into the child: the proxy holds them and uses them upstream only.

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

export function guardedEnv(proxyUrl: string, npmConfig: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
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
  return { ...withoutKeys(env, Object.keys(set)), ...set };
}
