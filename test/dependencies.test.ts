// package.json says what the code imports: every package imported is declared (in dependencies
// when shipped code imports it), nothing declared goes unused, and the heavy clients of the feed
// are never loaded by the everyday commands.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { importsOf, packageOf, staticGraph, tsFiles } from './helpers/imports.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const deps = new Set(Object.keys(pkg.dependencies));
const devDeps = new Set(Object.keys(pkg.devDependencies));

/** Shipped code: what `npm install tollgate` must bring. Tests (also those beside the rules) and scripts may use dev dependencies. */
const shipped = (file: string): boolean => /^(src|heuristics)\//.test(file) && !file.endsWith('.test.ts');
const files = ['src', 'heuristics', 'scripts', 'test'].flatMap((d) => tsFiles(path.join(ROOT, d))).concat(path.join(ROOT, 'vitest.config.ts'));

/** Packages a declared one installs for this platform, whose files a test reads (never imported). */
const INSTALLED_BY: Record<string, string> = { '@microsoft/sarif-multitool-linux': '@microsoft/sarif-multitool' };
/** Declared for their command, not imported: `tsc` builds, `vitest` runs the tests (and is imported by them). */
const RUN_AS_TOOLS = new Set(['typescript']);

function usage(): Map<string, { file: string; typeOnly: boolean; resolveOnly: boolean }[]> {
  const used = new Map<string, { file: string; typeOnly: boolean; resolveOnly: boolean }[]>();
  for (const file of files) {
    const rel = path.relative(ROOT, file);
    for (const ref of importsOf(file)) {
      const name = packageOf(ref.specifier);
      if (!name) continue;
      const list = used.get(name) ?? [];
      list.push({ file: rel, typeOnly: ref.typeOnly, resolveOnly: ref.resolveOnly });
      used.set(name, list);
    }
  }
  return used;
}

describe('declared dependencies match imports', () => {
  const used = usage();

  test('the scan finds the imports it should (static, type-only, dynamic, createRequire)', () => {
    expect(used.get('pacote')?.some((u) => u.file === 'src/fetch/fetch.ts')).toBe(true);
    expect(used.get('better-sqlite3')?.some((u) => u.file === 'src/cache/results.ts' && !u.typeOnly)).toBe(true);
    expect(used.get('pg')?.some((u) => u.file === 'src/feed/pg-store.ts')).toBe(true);
    // Code inside a string is not an import: rule tests are full of `require('...')` in fixtures.
    expect(used.has('child_process')).toBe(false);
  });

  test('every imported package is declared; shipped code imports only dependencies', () => {
    const problems: string[] = [];
    for (const [name, uses] of used) {
      if (INSTALLED_BY[name] && (deps.has(INSTALLED_BY[name]!) || devDeps.has(INSTALLED_BY[name]!)) && uses.every((u) => u.resolveOnly)) continue;
      for (const u of uses) {
        const typesDeclared = devDeps.has(`@types/${name.replace(/^@([^/]+)\//, '$1__')}`);
        if (shipped(u.file) && !u.typeOnly) {
          if (!deps.has(name)) problems.push(`${u.file} imports ${name}, which is not in dependencies`);
        } else if (!deps.has(name) && !devDeps.has(name) && !(u.typeOnly && typesDeclared)) {
          problems.push(`${u.file} imports ${name}, which package.json does not declare`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('nothing declared goes unused', () => {
    const unused = [...deps, ...devDeps].filter((name) => {
      if (used.has(name) || RUN_AS_TOOLS.has(name) || Object.values(INSTALLED_BY).includes(name)) return false;
      const typed = /^@types\/(.+)$/.exec(name)?.[1];
      if (typed) return !(typed === 'node' || used.has(typed.includes('__') ? `@${typed.replace('__', '/')}` : typed));
      return true;
    });
    expect(unused).toEqual([]);
  });

  test("npm-package-arg and npm-registry-fetch resolve to pacote's own copies", () => {
    // Our reading of a spec and pacote's must agree: one copy, not a second version beside pacote's.
    const ours = createRequire(path.join(ROOT, 'package.json'));
    const pacotes = createRequire(ours.resolve('pacote'));
    for (const name of ['npm-package-arg', 'npm-registry-fetch']) expect(ours.resolve(name)).toBe(pacotes.resolve(name));
  });
});

describe('heavy modules load only with the commands that need them', () => {
  const HEAVY = ['bullmq', 'ioredis', 'pg', 'better-sqlite3', 'playwright-core'];

  test('the dispatcher (--version, --help, <command> --help) loads no engine and no heavy client', () => {
    const g = staticGraph(path.join(ROOT, 'src/cli/main.ts'));
    expect([...g.packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    const rel = [...g.files].map((f) => path.relative(ROOT, f));
    expect(rel.filter((f) => /^(src\/(engine|scan|feed\/(?!follower|http))|heuristics)/.test(f))).toEqual([]);
    expect(rel).toContain('src/cli/commands.ts');
  });

  test.each(['scan-command', 'audit', 'check', 'rules'])('src/cli/%s.ts loads none of bullmq, ioredis, pg, better-sqlite3, playwright-core with it', (name) => {
    const g = staticGraph(path.join(ROOT, `src/cli/${name}.ts`));
    expect([...g.packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    // The graph is the real one: the engine is in it.
    if (name !== 'rules') expect([...g.packages]).toContain('pacote');
  });

  test('plain watch and results load neither BullMQ nor the PostgreSQL client (only --queue / postgres:// do)', () => {
    const g = staticGraph(path.join(ROOT, 'src/cli/watch.ts'));
    expect([...g.packages].filter((p) => ['bullmq', 'ioredis', 'pg'].includes(p))).toEqual([]);
    // ...and the worker does load them: the walk follows what it should.
    expect([...staticGraph(path.join(ROOT, 'src/cli/worker.ts')).packages]).toEqual(expect.arrayContaining(['bullmq', 'pg']));
  });
});
