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
