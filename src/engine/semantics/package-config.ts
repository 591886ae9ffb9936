import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Manifest } from '../../types.js';
import type { LifecycleScripts } from './scripts.js';
import { isCodeFile } from '../parse/parse.js';
import { NPMRC_KEYS } from '../catalog.js';

/**
 * Package-manager configuration a package ships in its own root (.npmrc, .yarnrc, .yarnrc.yml,
 * bunfig.toml), read statically. npm, yarn and bun read these where they run: for a git or folder
 * dependency npm installs inside the package's own folder (its prepare script runs there), and a
 * cloned project runs them on every command. Settings that name a program, a shell, NODE_OPTIONS or
 * a yarn/bun file to load run code; registry settings redirect installs.
 */
export interface ConfigSetting {
  /** The config file (package-relative). */
  file: string;
  key: string;
  value: string;
  /** What the setting does. */
  label: string;
  runsCode: boolean;
  /** A file of the package the setting makes the package manager run or load, if any. */
  target?: string;
  /** The file is a package manager's own release (`.yarn/releases/yarn-4.1.0.cjs`, `@yarnpkg` plugins). */
  vendored?: boolean;
}

export const CONFIG_FILES = ['.npmrc', '.yarnrc', '.yarnrc.yml', '.yarnrc.yaml', 'bunfig.toml'] as const;
const MAX_CONFIG_BYTES = 64 * 1024;
const DEFAULT_REGISTRY = /^["']?https?:\/\/registry\.(?:npmjs\.org|yarnpkg\.com|npmjs\.com)\/?["']?$/i;
const VENDORED = /^\.yarn\/(?:releases\/yarn-[\w.-]+\.c?js|plugins\/@yarnpkg\/plugin-[\w-]+\.c?js)$/;

function shipped(files: ReadonlySet<string> | ReadonlyMap<string, unknown>, value: string): string | undefined {
  const v = value.trim().replace(/^["']|["']$/g, '').replace(/\\/g, '/');
  if (!v || /^(?:[a-z]+:)?\/\//i.test(v)) return undefined;
  const p = path.posix.normalize(v.replace(/^\.\//, ''));
  if (p.startsWith('..') || p.startsWith('/')) return undefined;
  return files.has(p) ? p : undefined;
}

/** `--require ./x.js`, `-r x`, `--import=./x.mjs`, `--loader x` inside NODE_OPTIONS. */
function nodeOptionFiles(value: string): string[] {
  const out: string[] = [];
  const words = value.replace(/^["']|["']$/g, '').split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = /^--(?:require|import|loader|experimental-loader)=(.+)$/.exec(w);
    if (eq) out.push(eq[1]!);
    else if (/^(?:-r|--require|--import|--loader|--experimental-loader)$/.test(w) && words[i + 1]) out.push(words[++i]!);
  }
  return out;
}

/** Every setting of the package's own config files that matters (bounded: 64 KiB per file). */
export function packageConfigSettings(files: ReadonlySet<string> | ReadonlyMap<string, unknown>, textOf: (file: string) => string | undefined): ConfigSetting[] {
  const out: ConfigSetting[] = [];
  const text = (f: string) => {
    const t = files.has(f) ? textOf(f) : undefined;
    return t === undefined ? undefined : t.slice(0, MAX_CONFIG_BYTES);
  };
  const npmrc = text('.npmrc');
  if (npmrc !== undefined) {
    for (const raw of npmrc.split(/\r?\n/).slice(0, 500)) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const m = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      const [, key, value] = m as unknown as [string, string, string];
      const k = NPMRC_KEYS.find((x) => x.re.test(key));
      if (!k) continue;
      if (/registry$/i.test(key) && DEFAULT_REGISTRY.test(value)) continue;
      if (/^strict-ssl$/i.test(key) && !/false/i.test(value)) continue;
      if (/^ignore-scripts$/i.test(key) && !/false/i.test(value)) continue;
      if (/^node-options$/i.test(key)) {
        const loads = nodeOptionFiles(value);
        if (loads.length === 0) continue;
        out.push({ file: '.npmrc', key, value, label: k.label, runsCode: true, target: loads.map((l) => shipped(files, l)).find((x) => x) });
        continue;
      }
      out.push({ file: '.npmrc', key, value, label: k.label, runsCode: k.runsCode, target: k.runsCode ? shipped(files, value.split(/\s+/)[0] ?? '') : undefined });
    }
  }
  const yarn1 = text('.yarnrc');
  if (yarn1 !== undefined) {
    for (const line of yarn1.split(/\r?\n/).slice(0, 500)) {
      const m = /^\s*(yarn-path|registry|"?strict-ssl"?)\s+(.+)$/.exec(line);
      if (!m) continue;
      const key = m[1]!.replace(/"/g, '');
      const value = m[2]!.trim();
      if (key === 'yarn-path') {
        const target = shipped(files, value);
        out.push({ file: '.yarnrc', key, value, label: 'makes yarn run a file of the package instead of itself', runsCode: true, target, vendored: !!target && VENDORED.test(target) });
      } else if (key === 'registry' && !DEFAULT_REGISTRY.test(value)) out.push({ file: '.yarnrc', key, value, label: 'points installs at another registry', runsCode: false });
      else if (key === 'strict-ssl' && /false/.test(value)) out.push({ file: '.yarnrc', key, value, label: 'switches TLS verification off', runsCode: false });
    }
  }
  for (const f of ['.yarnrc.yml', '.yarnrc.yaml']) {
    const t = text(f);
    if (t === undefined) continue;
    let doc: unknown;
    try {
      doc = parseYaml(t, { maxAliasCount: 50 });
    } catch {
      continue;
    }
    if (!doc || typeof doc !== 'object') continue;
    const d = doc as Record<string, unknown>;
    if (typeof d.yarnPath === 'string') {
      const target = shipped(files, d.yarnPath);
      out.push({ file: f, key: 'yarnPath', value: d.yarnPath, label: 'makes yarn run a file of the package instead of itself', runsCode: true, target, vendored: !!target && VENDORED.test(target) });
    }
    if (Array.isArray(d.plugins)) {
      for (const p of d.plugins.slice(0, 20)) {
        const spec = typeof p === 'string' ? p : p && typeof p === 'object' ? (p as Record<string, unknown>).path : undefined;
        if (typeof spec !== 'string') continue;
        const target = shipped(files, spec);
        out.push({ file: f, key: 'plugins', value: spec, label: 'loads a yarn plugin from the package', runsCode: true, target, vendored: !!target && VENDORED.test(target) });
      }
    }
    if (typeof d.npmRegistryServer === 'string' && !DEFAULT_REGISTRY.test(d.npmRegistryServer)) out.push({ file: f, key: 'npmRegistryServer', value: d.npmRegistryServer, label: 'points installs at another registry', runsCode: false });
    if (d.enableStrictSsl === false) out.push({ file: f, key: 'enableStrictSsl', value: 'false', label: 'switches TLS verification off', runsCode: false });
  }
  const bunfig = text('bunfig.toml');
  if (bunfig !== undefined) {
    // preload = ["./a.ts", "./b.ts"] or preload = "./a.ts", at the top level or under [test]/[run].
    for (const m of bunfig.matchAll(/^\s*preload\s*=\s*(\[[^\]]*\]|"[^"]*"|'[^']*')/gm)) {
      for (const s of m[1]!.matchAll(/["']([^"']+)["']/g)) {
        out.push({ file: 'bunfig.toml', key: 'preload', value: s[1]!, label: 'makes bun load a file before every script it runs', runsCode: true, target: shipped(files, s[1]!) });
      }
    }
    const reg = /^\s*registry\s*=\s*["']([^"']+)["']/m.exec(bunfig);
    if (reg && !DEFAULT_REGISTRY.test(reg[1]!)) out.push({ file: 'bunfig.toml', key: 'registry', value: reg[1]!, label: 'points installs at another registry', runsCode: false });
  }
  return out.slice(0, 50);
}

const NODE_SHEBANG = /^#!\s*\S*(?:\/env\s+(?:-S\s+)?)?\S*\b(?:node|nodejs|bun|deno|tsx|ts-node)\b/;

/**
 * Package files that run as JavaScript although their names do not say so: extension-less (or
 * oddly named) files that lifecycle scripts hand to node, bins with a node shebang, and files the
 * package's own config makes a package manager load. `install` lists those that run on install.
 */
export function hiddenCodeFiles(
  files: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  manifest: Manifest | undefined,
  scripts: LifecycleScripts,
  textOf: (file: string) => string | undefined,
  settings: readonly ConfigSetting[],
): { code: string[]; install: string[] } {
  const code = new Set<string>();
  const install = new Set<string>();
  const head = (f: string) => textOf(f)?.slice(0, 200) ?? '';
  const consider = (f: string | undefined, runsAsNode: boolean, atInstall: boolean) => {
    if (!f || !files.has(f) || isCodeFile(f)) return;
    if (!runsAsNode && !NODE_SHEBANG.test(head(f))) return;
    code.add(f);
    if (atInstall) install.add(f);
  };
  for (const s of [...scripts.install, ...scripts.uninstall, ...scripts.gitInstall]) {
    const atInstall = !scripts.gitInstall.includes(s);
    for (const f of s.nodeFiles) consider(path.posix.normalize(f), true, atInstall);
    for (const f of s.extensionless) consider(path.posix.normalize(f), false, atInstall);
  }
  const bin = manifest?.bin;
  for (const b of typeof bin === 'string' ? [bin] : bin && typeof bin === 'object' ? Object.values(bin) : []) {
    if (typeof b === 'string') consider(path.posix.normalize(b.replace(/^\.\//, '')), false, false);
  }
  for (const s of settings) {
    if (!s.runsCode || !s.target || s.vendored) continue;
    // git= and script-shell= name programs: a shell script is read by the package-config rule.
    const asNode = s.key === 'node-options' || s.key === 'yarnPath' || s.key === 'yarn-path' || s.key === 'plugins' || s.key === 'preload';
    if (isCodeFile(s.target)) install.add(s.target);
    else consider(s.target, asNode, true);
  }
  return { code: [...code].slice(0, 50), install: [...install].slice(0, 50) };
}
