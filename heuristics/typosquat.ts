import { defineRule } from '../src/engine/api.js';
import { findTyposquat, formatDownloads, type SquatKind } from '../src/registry/typosquat.js';
import type { Severity } from '../src/types.js';

/** A one-keystroke slip or a look-alike is a stronger tell than a suffix or a scope change. */
const SEVERITY: Record<SquatKind, Severity> = {
  homoglyph: 'medium',
  separator: 'medium',
  transposition: 'medium',
  'doubled-letter': 'medium',
  'dropped-letter': 'medium',
  'added-letter': 'medium',
  substitution: 'medium',
  'scope-confusion': 'medium',
  'edit-distance-2': 'low',
  'unscoped-copy': 'low',
  combo: 'low',
};

export default defineRule({
  meta: {
    id: 'typosquat',
    title: 'Name imitates a popular package',
    description:
      "Compares the package's name with the 10,000 most downloaded npm packages (data/popular-names.json, rebuilt by scripts/build-popular-names.ts): one or two edits, swapped, doubled or dropped letters, separator swaps (- _ .), look-alike characters, scope confusion (@types-utils/x for @types/x, types-x for @types/x) and combo names (-js, -node, 2, -dev). Only targets at least 20 times more popular than the name itself count, so popular packages with similar names never flag each other. A name alone is weak evidence; with install-time network code it is a strong one.",
    severity: 'medium',
    category: 'registry',
    references: ['https://blog.npmjs.org/post/163723642530/crossenv-malware-on-the-npm-registry', 'https://arxiv.org/abs/2005.09535'],
    docs: {
      example: '{ "name": "expresss", "scripts": { "postinstall": "node collect.js" } }   // imitates express',
      suppress: 'Check that you meant this package and not the popular one it is named after; then allow the exact package version in tollgate.config.json, or turn the rule off with `"rules": { "typosquat": "off" }`.',
    },
  },
  create(ctx) {
    return {
      package() {
        const name = ctx.manifest?.name;
        if (typeof name !== 'string' || !name) return;
        const m = findTyposquat(name);
        if (!m) return;
        ctx.report({
          message: `name "${name}" imitates "${m.target}" (${formatDownloads(m.targetDownloads)} downloads a month): ${m.detail}`,
          severity: SEVERITY[m.kind],
          evidence: `"name": "${name}" ~ "${m.target}" (${m.kind})`,
          signals: ['registry:typosquat'],
        });
      },
    };
  },
});
