// Acceptance: every text lockfile in ../shared/lockfiles parses, and the set of distinct registry
// name@version Tollgate reports equals an independent count made here straight from the raw file
// (different code: text scanning for yarn, raw JSON/YAML walks for the others). INDEX.json's
// package_count counts lockfile *entries*, not distinct packages; RECONCILE below accounts for
// every difference between the two, per file.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadLockfile, LockfileError, type Lockfile } from '../src/lockfile/index.js';

const SHARED = path.resolve(import.meta.dirname, '../../shared/lockfiles');
const present = fs.existsSync(path.join(SHARED, 'INDEX.json'));
interface IndexEntry {
  file: string;
  format: string;
  package_count: number | null;
  counted_features: Record<string, unknown>;
}
const INDEX: IndexEntry[] = present ? JSON.parse(fs.readFileSync(path.join(SHARED, 'INDEX.json'), 'utf8')) : [];

type Obj = Record<string, any>;
const isGitish = (s: string) => /^(git\+|git:|github:|ssh:)|\.git(#|$)|codeload\.github\.com|#commit=/.test(s);
const REG_URL = /\/((?:@[^/]+\/)?[^/]+)\/-\/[^/]+-(\d[^/]*?)\.tgz(#.*)?$/;

/** Independent counts, straight from the raw text. */
function independent(file: string, format: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8');
  const out = new Set<string>();
  if (format === 'package-lock' || format === 'npm-shrinkwrap') {
    const j = JSON.parse(text);
    if (j.packages) {
      for (const [k, v] of Object.entries<Obj>(j.packages)) {
        if (!k.includes('node_modules/') || v.link) continue;
        if (v.resolved && (isGitish(v.resolved) || v.resolved.startsWith('file:'))) continue;
        out.add(`${v.name ?? k.split('node_modules/').pop()}@${v.version}`);
      }
    } else {
      const walk = (deps: Obj) => {
        for (const [k, v] of Object.entries<Obj>(deps)) {
          const ver: string = v.version;
          if (ver.startsWith('npm:')) out.add(ver.slice(4));
          else if (!isGitish(ver) && !ver.startsWith('file:') && !/^https?:/.test(ver)) out.add(`${k}@${ver}`);
          if (v.dependencies) walk(v.dependencies);
        }
      };
      walk(j.dependencies ?? {});
    }
  } else if (format === 'yarn-classic') {
    // Blocks separated by blank lines; the resolved URL names the real package.
    for (const block of text.split(/\n\s*\n/)) {
      const version = /^ {2}version "([^"]+)"/m.exec(block)?.[1];
      const resolved = /^ {2}resolved "([^"]+)"/m.exec(block)?.[1];
      if (!version || !resolved || isGitish(resolved)) continue;
      const m = REG_URL.exec(resolved);
      if (m) out.add(`${decodeURIComponent(m[1]!)}@${version}`);
    }
  } else if (format === 'yarn-berry') {
    for (const m of text.matchAll(/^ {2}resolution: "((?:@[^@/"]+\/)?[^@"]+)@(npm:|https:[^"]*)([^"]*)"/gm)) {
      if (m[2] === 'npm:') out.add(`${m[1]}@${m[3]}`);
      else {
        const u = REG_URL.exec(m[2]! + m[3]!);
        if (u && !isGitish(m[2]! + m[3]!)) out.add(`${u[1]}@${u[2]}`);
      }
    }
  } else if (format === 'pnpm') {
    for (const doc of parseAllDocuments(text) as any[]) {
      const j = doc.toJS();
      const v = parseFloat(j.lockfileVersion);
      for (const [k, p] of Object.entries<Obj>(j.packages ?? {})) {
        const r = p.resolution ?? {};
        if (!r.integrity || r.type || (r.tarball && !REG_URL.test(r.tarball))) continue;
        let name: string;
        let ver: string;
        if (v < 6) {
          const parts = k.slice(1).split('/');
          const n = parts[0]!.startsWith('@') ? 2 : 1;
          name = parts.slice(0, n).join('/');
          ver = parts[n]!.split('_')[0]!;
        } else {
          const key = k.replace(/^\//, '').replace(/\(.*$/, '');
          const at = key.lastIndexOf('@');
          name = key.slice(0, at);
          ver = key.slice(at + 1);
        }
        out.add(`${p.name ?? name}@${p.version ?? ver}`);
      }
    }
  } else if (format === 'bun') {
    const j = parseJsonc(text, [], { allowTrailingComma: true });
    for (const t of Object.values<any[]>(j.packages)) if (t.length === 4 && typeof t[3] === 'string') out.add(t[0]);
  }
  return out;
}

function mine(lf: Lockfile): Set<string> {
  return new Set(lf.entries.filter((e) => e.kind === 'registry').map((e) => `${e.name}@${e.version}`));
}

/**
 * INDEX package_count (entries as the file counts them) = Tollgate's entries + what Tollgate
 * does not list as an entry of its own - what it adds. Per file, the terms:
 *  rootWorkspace: yarn berry's `<root>@workspace:.` entry, which is the project itself (it is
 *    the root of every path, like npm's "" entry, and never scanned as a dependency).
 *  links: npm v2/v3 `node_modules/<ws>` link:true entries; Tollgate follows the link to the
 *    workspace folder entry instead of listing the link.
 *  workspaces: pnpm importers other than "." (listed by Tollgate as workspace entries, scanned as
 *    folders; INDEX counted only `packages`), and pnpm link: targets outside the importers.
 *  snapshotsOnly: none; pnpm 9 snapshots of one package merge into the package's entry.
 *  otherDocs: pnpm's first YAML document (packageManagerDependencies: pnpm itself and its
 *    platform binaries), which INDEX did not count and Tollgate audits (they run on every install).
 */
const RECONCILE: Record<string, { rootWorkspace?: number; links?: number; workspaces?: number; otherDocs?: number; why: string }> = {
  'package-lock/npm__cli__package-lock.v2.json': { links: 13, why: '13 workspace link entries followed to their folders' },
  'package-lock/npm__cli__package-lock.v3.json': { links: 16, why: '16 workspace link entries followed to their folders' },
  'package-lock/microsoft__teams.ts__package-lock.v3.json': { links: 22, why: '22 workspace link entries followed to their folders' },
  'yarn-berry/babel__babel__yarn.berry-v10.lock': { rootWorkspace: 1, why: 'root workspace babel@workspace:. is the project' },
  'yarn-berry/babel__babel__yarn.berry-v4.lock': { rootWorkspace: 1, why: 'root workspace babel@workspace:. is the project' },
  'yarn-berry/prettier__prettier__yarn.berry-v6.lock': { rootWorkspace: 1, why: 'root workspace prettier@workspace:. is the project' },
  'yarn-berry/MetaMask__core__yarn.berry-v10.lock': { rootWorkspace: 1, why: 'root workspace is the project' },
  'pnpm/vuejs__core__pnpm-lock.v5.3.yaml': { workspaces: 16, why: '16 importers besides "." listed as workspace entries' },
  'pnpm/vuejs__core__pnpm-lock.v5.4.yaml': { workspaces: 17, why: '17 importers besides "." listed as workspace entries' },
  'pnpm/vuejs__core__pnpm-lock.v6.0.yaml': { workspaces: 16, why: '16 importers besides "." listed as workspace entries' },
  'pnpm/vuejs__core__pnpm-lock.v9.0.yaml': { workspaces: 17, why: '17 importers besides "." listed as workspace entries' },
  'pnpm/vitejs__vite__pnpm-lock.v9.0.yaml': { workspaces: 278, why: '278 importers besides "." listed as workspace entries' },
  'pnpm/pnpm__pnpm__pnpm-lock.v9.0.multidoc.yaml': { workspaces: 214, otherDocs: 9, why: '214 importers besides "."; 9 packages of the first YAML document (pnpm itself)' },
};

describe.skipIf(!present)('every text lockfile in ../shared/lockfiles', () => {
  test('INDEX.json lists 29 lockfiles, one of them binary', () => {
    expect(INDEX).toHaveLength(29);
    expect(INDEX.filter((e) => e.package_count === null).map((e) => e.file)).toEqual(['bun/honojs__hono__bun.lockb']);
  });

  for (const item of INDEX) {
    const file = path.join(SHARED, item.file);
    if (item.package_count === null) {
      test(`${item.file}: binary bun.lockb is refused with instructions`, () => {
        expect(() => loadLockfile(file)).toThrow(LockfileError);
        expect(() => loadLockfile(file)).toThrow(/bun install --save-text-lockfile/);
      });
      continue;
    }
    test(`${item.file}: parses; distinct registry name@version match an independent count; entries reconcile with INDEX`, () => {
      const lf = loadLockfile(file);
      const ours = mine(lf);
      const theirs = independent(file, item.format);
      expect([...ours].filter((x) => !theirs.has(x)), 'reported but not in the independent count').toEqual([]);
      expect([...theirs].filter((x) => !ours.has(x)), 'in the independent count but not reported').toEqual([]);
      const r = RECONCILE[item.file] ?? { why: 'entries = package_count' };
      const expected = item.package_count! - (r.rootWorkspace ?? 0) - (r.links ?? 0) + (r.workspaces ?? 0) + (r.otherDocs ?? 0);
      expect(lf.entries.length, r.why).toBe(expected);
      // Every entry is accounted for: a registry package, or a kind that says why it is not one.
      for (const e of lf.entries) expect(['registry', 'tarball', 'git', 'directory', 'workspace', 'local-tarball', 'virtual', 'runtime']).toContain(e.kind);
      // Every entry the project reaches has at least one dependency path starting at a root.
      const unreached = lf.entries.filter((e) => e.paths.length === 0);
      expect(unreached.length, unreached.map((e) => e.key).join(', ')).toBeLessThanOrEqual(1);
    });
  }
});
