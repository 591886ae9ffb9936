import fs from 'node:fs';
import { expect, test } from 'vitest';
import { renderRulesMarkdown } from '../src/report/rules-doc.js';
import { RULES } from '../heuristics/index.js';

test('docs/rules.md is generated from the current rules (run `tollgate rules --markdown > docs/rules.md`)', () => {
  const onDisk = fs.readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
  expect(onDisk).toBe(renderRulesMarkdown(RULES));
});

test('every rule has kebab-case id, docs, references and a test file beside it', () => {
  const ids = new Set<string>();
  for (const r of RULES) {
    expect(r.meta.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(ids.has(r.meta.id)).toBe(false);
    ids.add(r.meta.id);
    expect(r.meta.docs.example.length).toBeGreaterThan(10);
    expect(r.meta.docs.suppress.length).toBeGreaterThan(10);
    expect(r.meta.references.length).toBeGreaterThan(0);
    expect(fs.existsSync(new URL(`../heuristics/${r.meta.id}.test.ts`, import.meta.url))).toBe(true);
  }
});
