// Dependency confusion: a public, unscoped package that impersonates a company's internal one, so a
// build that looks for `acme-internal-auth` on the public registry first gets the attacker's copy.
// The attacker's tells are an internal-looking name, an absurd version (99.10.9, 9999.0.0) that wins
// every semver range, and code that runs at install. Pure functions: the rule and the registry step
// both call them (the registry step also knows the user's private scopes from npm config).
import semver from 'semver';
import type { Severity } from '../types.js';
import { trimTrailingSlashes } from '../text.js';

/** Name segments that say "not meant to be public". */
const INTERNAL_TOKENS = new Set(['internal', 'private', 'priv', 'intranet', 'corp', 'corporate', 'inhouse', 'confidential', 'proprietary', 'backoffice', 'onprem', 'staging']);
/** Last segments typical of an organisation's own packages (`acme-sdk`, `acme-common`). */
const ORG_SUFFIXES = new Set(['sdk', 'libs', 'common', 'shared', 'infra', 'platform', 'services', 'tools', 'tooling', 'config', 'configs', 'utils']);
/** First segments that are ecosystems, not organisations. */
const ECOSYSTEM_WORDS = new Set([
  'react', 'vue', 'angular', 'svelte', 'node', 'npm', 'js', 'ts', 'eslint', 'babel', 'webpack', 'rollup', 'vite', 'jest', 'mocha', 'gatsby', 'next', 'nuxt',
  'express', 'koa', 'aws', 'azure', 'google', 'firebase', 'graphql', 'apollo', 'redux', 'lodash', 'postcss', 'tailwind', 'electron', 'expo', 'ember', 'stylelint',
  'prettier', 'typescript', 'grunt', 'gulp', 'karma', 'cypress', 'storybook', 'nest', 'fastify', 'hapi', 'socket', 'mongo', 'mongoose', 'redis', 'mysql', 'pg',
  'stripe', 'twilio', 'slack', 'discord', 'telegram', 'openai', 'ai', 'web', 'http', 'api', 'core', 'is', 'get', 'to', 'create', 'use', 'simple', 'easy', 'my',
]);

export interface ConfusionInput {
  name: string;
  version?: string;
  /** Whether npm runs code on install (preinstall / install / postinstall). */
  hasInstallScript: boolean;
  /** Scopes the user's npm config sends to a private registry (`@acme:registry=...`), without `@`. */
  privateScopes?: readonly string[];
}

export interface ConfusionFinding {
  severity: Severity;
  message: string;
  evidence: string;
  /** Worth the scorer's `registry:dependency-confusion` signal (medium and above). */
  strong: boolean;
}

/** A version number that reads as a date: 2024, 202411, 20241117 (calendar versioning, build stamps). */
const isDateStamp = (n: number): boolean => /^(?:19|20)\d{2}(?:(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])?)?$/.test(String(n));

/** 99, 999, 100, 1000: numbers a person picks to outrank every real release, not ones a project counts up to. */
const isHandPicked = (n: number): boolean => n >= 99 && /^(?:9+|10+)$/.test(String(n));

/**
 * 99.x, 9999.0.0, 1.999.0, 100.0.0: versions chosen to outrank any real internal release. Large
 * numbers alone are not the tell: calendar versions (workerd's 1.20241117.1), release counters
 * (aws-sdk's 2.1692.0) and browser-tracking majors (chromedriver's 131) count up to them honestly.
 * What a dependency-confusion author types is all nines or a round power of ten, or a major in the
 * thousands that is not a year.
 */
export function isAbsurdVersion(version: string | undefined): boolean {
  const v = version ? semver.parse(version) : null;
  if (!v) return false;
  if (!isDateStamp(v.major) && (isHandPicked(v.major) || v.major >= 1000)) return true;
  return !isDateStamp(v.minor) && isHandPicked(v.minor);
}

const tokens = (name: string): string[] => name.toLowerCase().split(/[-_.]/).filter(Boolean);

/** Why an unscoped name looks like an organisation's internal package, if it does. */
export function internalMarker(name: string): { token: string; strong: boolean } | undefined {
  if (name.startsWith('@')) return undefined;
  const t = tokens(name);
  const strong = t.find((x) => INTERNAL_TOKENS.has(x));
  if (strong) return { token: strong, strong: true };
  if (t.length >= 2 && ORG_SUFFIXES.has(t[t.length - 1]!) && !ECOSYSTEM_WORDS.has(t[0]!) && t[0]!.length >= 3) return { token: t[t.length - 1]!, strong: false };
  return undefined;
}

/** The configured private scope an unscoped name copies (`acme-auth` or `acme` for `@acme`). */
export function privateScopeCopy(name: string, privateScopes: readonly string[]): string | undefined {
  if (name.startsWith('@')) return undefined;
  const lower = name.toLowerCase();
  return privateScopes.find((s) => {
    const scope = s.replace(/^@/, '').toLowerCase();
    return scope.length >= 2 && (lower === scope || (lower.startsWith(scope) && /^[-_.]/.test(lower.slice(scope.length))));
  });
}

/** Scopes an npm config sends to a registry other than the default one. */
export function privateScopesOf(npmConfig: Record<string, unknown>): string[] {
  const publicRegistry = /^https?:\/\/registry\.(npmjs\.org|yarnpkg\.com|npmmirror\.com)\/?$/;
  const main = String(npmConfig.registry ?? 'https://registry.npmjs.org/');
  const out: string[] = [];
  for (const [key, value] of Object.entries(npmConfig)) {
    const m = /^@([^/:]+):registry$/.exec(key);
    if (!m || typeof value !== 'string') continue;
    if (publicRegistry.test(value.trim()) || trimTrailingSlashes(value) === trimTrailingSlashes(main)) continue;
    out.push(m[1]!);
  }
  return out;
}

export function assessDependencyConfusion(input: ConfusionInput): ConfusionFinding | undefined {
  const { name, version, hasInstallScript } = input;
  if (name.startsWith('@')) return undefined;
  const absurd = isAbsurdVersion(version);
  const marker = internalMarker(name);
  const scope = privateScopeCopy(name, input.privateScopes ?? []);
  const at = `${name}@${version ?? '?'}`;
  const install = hasInstallScript ? ' and runs code on install' : '';
  if (scope) {
    return {
      severity: absurd || hasInstallScript ? 'high' : 'medium',
      message: `unscoped public package "${name}" copies @${scope}, a scope your npm config sends to a private registry${absurd ? `; version ${version} is far above any normal release` : ''}${install}`,
      evidence: `${at}; @${scope}:registry is private`,
      strong: true,
    };
  }
  if (absurd && hasInstallScript) {
    const why = marker ? `; the name looks internal ("${marker.token}")` : '';
    return {
      severity: marker ? 'high' : 'medium',
      message: `version ${version} is far above any normal release and the package runs code on install${why}: the shape of a dependency-confusion package`,
      evidence: at,
      strong: true,
    };
  }
  if (absurd && marker?.strong) {
    return { severity: 'low', message: `internal-looking name ("${marker.token}") published with version ${version}, far above any normal release`, evidence: at, strong: false };
  }
  return undefined;
}
