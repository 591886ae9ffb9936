// No import cycles in the shipped code (src/, heuristics/), type-only imports included: a cycle
// makes module initialisation order matter and every layer harder to change alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import madge from 'madge';
import { expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

async function cycles(dirs: string[], tsConfig: string): Promise<{ circular: string[][]; files: number }> {
  const graph = await madge(dirs, {
    baseDir: ROOT,
    fileExtensions: ['ts'],
    tsConfig,
    excludeRegExp: [/\.test\.ts$/],
    detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
  });
  return { circular: graph.circular(), files: Object.keys(graph.obj()).length };
}

test('src/ and heuristics/ have no import cycle', async () => {
  const { circular, files } = await cycles([path.join(ROOT, 'src'), path.join(ROOT, 'heuristics')], path.join(ROOT, 'tsconfig.json'));
  expect(files).toBeGreaterThan(100);
  expect(circular).toEqual([]);
}, 120_000);

test('the check finds a cycle when there is one (through .js specifiers and a type-only import)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-cycle-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "import type { C } from './c.js';\nexport const b = 1 as unknown as C;\n");
    fs.writeFileSync(path.join(dir, 'c.ts'), "import { a } from './a.js';\nexport type C = ReturnType<typeof a>;\n");
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    const { circular: found } = await cycles([dir], path.join(dir, 'tsconfig.json'));
    expect(found).toHaveLength(1);
    expect(found[0]!.map((f) => path.basename(f)).sort()).toEqual(['a.ts', 'b.ts', 'c.ts']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

// Rules reach the engine through one module, src/engine/api.ts, plus the shared vocabulary beside
// it (lists of facts, not code paths): the engine's folders (parse/, prefilter/, semantics/, run/)
// can then change shape without touching a rule. Rule tests included.
const ENGINE = path.join(ROOT, 'src', 'engine');
const RULE_MAY_IMPORT = new Set(['api.ts', 'catalog.ts', 'indicators.ts', 'ai-indicators.ts'].map((f) => path.join(ENGINE, f)));

/** Relative specifiers of a file that resolve into src/engine other than the modules rules may import. */
function pastTheApi(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.filter((s) => {
    const target = path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts');
    return target.startsWith(ENGINE + path.sep) && !RULE_MAY_IMPORT.has(target);
  });
}

test('rules import the engine only through src/engine/api.ts (and the shared vocabulary)', () => {
  const dir = path.join(ROOT, 'heuristics');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(20);
  const offending = files.flatMap((f) => pastTheApi(path.join(dir, f), fs.readFileSync(path.join(dir, f), 'utf8')).map((s) => `${f}: ${s}`));
  expect(offending).toEqual([]);
});

test('the api check sees an import past the api, type-only and dynamic ones too', () => {
  const rule = path.join(ROOT, 'heuristics', 'x.ts');
  expect(pastTheApi(rule, "import { defineRule } from '../src/engine/api.js';\nimport { ipLiteral } from '../src/engine/catalog.js';")).toEqual([]);
  expect(pastTheApi(rule, "import type { Evaluator } from '../src/engine/semantics/evaluate.js';")).toEqual(['../src/engine/semantics/evaluate.js']);
  expect(pastTheApi(rule, "const m = await import('../src/engine/run/analyze.js');")).toEqual(['../src/engine/run/analyze.js']);
  expect(pastTheApi(rule, "export { parentOf } from '../src/engine/semantics/walk.js';")).toEqual(['../src/engine/semantics/walk.js']);
  expect(pastTheApi(rule, "import type { Severity } from '../src/types.js';")).toEqual([]);
});
