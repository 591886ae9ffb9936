// Every rule's documented example is a test: run alone on the package the example describes, the
// rule reports it. An example that drifts from what the rule catches fails here, not in a user's hands.
import { expect, test } from 'vitest';
import { RULES } from '../heuristics/index.js';
import { exampleFiles, findingsOf } from './helpers/rule-tester.js';

for (const rule of RULES) {
  test(`${rule.meta.id}: its docs example produces its finding`, () => {
    const found = findingsOf(rule, exampleFiles(rule)).filter((f) => f.severity !== 'info');
    expect(found.length, `${rule.meta.id} on:\n${rule.meta.docs.example}`).toBeGreaterThan(0);
  });
}
