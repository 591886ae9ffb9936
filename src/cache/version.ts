// The analysis engine's identity for the results cache. A cached verdict may be reused only by
// the engine that produced it: the tool version, every rule's id and meta, and the bytes of the
// engine's own modules (so an unreleased change to a rule or the scorer also invalidates results).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../heuristics/index.js';
import { TOOL } from '../version.js';

/** Folders (relative to the project root, compiled or not) whose code decides a verdict. */
const ENGINE_DIRS = ['src/engine', 'src/score', 'src/unpack', 'heuristics', 'src/registry'];
const ENGINE_FILES = ['src/scan'];

/** The files whose bytes make the engine's identity, relative to the project root, sorted per folder. */
export function engineSourceFiles(): { root: string; files: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url)); // <root>/src/cache or <root>/dist/src/cache
  const root = path.resolve(here, '..', '..');
  const ext = path.extname(fileURLToPath(import.meta.url)); // .js when compiled, .ts under vitest
  const files: string[] = [];
  for (const dir of ENGINE_DIRS) {
    try {
      // Recursive: the engine's stages live in subfolders (src/engine/parse, prefilter, semantics, run).
      const found = fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' });
      for (const f of found.sort()) if (f.endsWith(ext) && !f.includes('.test.')) files.push(path.join(dir, f));
    } catch {
      // missing folder: nothing to hash
    }
  }
  for (const f of ENGINE_FILES) files.push(f + ext);
  return { root, files };
}

function engineSourceHash(): string {
  const { root, files } = engineSourceFiles();
  const h = createHash('sha256');
  for (const f of files) {
    try {
      h.update(f).update('\0').update(fs.readFileSync(path.join(root, f))).update('\0');
    } catch {
      // unreadable: the version string and rule meta still separate engines
    }
  }
  return h.digest('hex').slice(0, 16);
}

function rulesHash(): string {
  const h = createHash('sha256');
  for (const r of RULES) h.update(JSON.stringify(r.meta)).update('\0');
  return h.digest('hex').slice(0, 12);
}

/** e.g. `0.1.0+r3f2a…+e9c1…`: changes whenever a rule, the scorer or the engine changes. */
export const ENGINE_VERSION = `${TOOL.version}+r${rulesHash()}+e${engineSourceHash()}`;

/** Options that change results are part of the key too (a disabled rule means a different verdict). */
export function engineKey(disabledRules?: ReadonlySet<string>): string {
  const off = disabledRules?.size ? `-off:${[...disabledRules].sort().join(',')}` : '';
  return ENGINE_VERSION + off;
}
