// The results cache's engine identity hashes the bytes of every module that decides a verdict;
// a module it misses (one in a subfolder of src/engine, say) could change results under a cached key.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { engineSourceFiles } from '../src/cache/version.js';

test('the engine identity covers every engine and rule module, subfolders included', () => {
  const { root, files } = engineSourceFiles();
  const listed = new Set(files.map((f) => f.split(path.sep).join('/')));
  const expected = ['src/engine', 'heuristics'].flatMap((dir) =>
    fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.includes('.test.'))
      .map((f) => `${dir}/${f.split(path.sep).join('/')}`),
  );
  expect(expected).toContain('src/engine/semantics/evaluate.ts');
  expect(expected).toContain('src/engine/run/analyze.ts');
  for (const f of expected) expect(listed, f).toContain(f);
  expect(listed).toContain('src/scan.ts');
});
