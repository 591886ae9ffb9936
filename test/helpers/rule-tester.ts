// Rule tests in the ESLint style: each case runs ONE rule alone on an in-memory package and
// asserts that rule's findings, never a verdict (verdicts belong to the scorer's tests, so a
// weight change cannot break a rule test).
import { parse as parseJsonc } from 'jsonc-parser';
import { describe, expect, test } from 'vitest';
import type { Finding, Severity } from '../../src/types.js';
import type { Rule } from '../../src/engine/run/rule.js';
import { analyzePackage } from '../../src/engine/run/analyze.js';
import { packageFromFiles } from './analyze.js';

export type Files = Record<string, string | Buffer>;

export interface InvalidCase {
  name?: string;
  files: Files;
  /** How many findings of the rule at least (default 1). */
  count?: number;
  /** Each must match the message of some finding of the rule. */
  messages?: RegExp[];
  /** The strongest finding of the rule has at least this severity. */
  severity?: Severity;
}

export interface ValidCase {
  name?: string;
  files: Files;
}

const ORDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** The rule's findings above `info` on a package given as files, running that rule alone. */
export function findingsOf(rule: Rule, files: Files): Finding[] {
  const analysis = analyzePackage(packageFromFiles(files), [rule]);
  return analysis.findings.filter((f) => f.rule === rule.meta.id);
}

export function ruleTester(rule: Rule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(`${rule.meta.id} (rule alone)`, () => {
    for (const [i, c] of cases.valid.entries()) {
      test(`valid: ${c.name ?? `case ${i + 1}`}`, () => {
        const reported = findingsOf(rule, c.files).filter((f) => f.severity !== 'info');
        expect(reported.map((f) => `${f.severity} ${f.message}`)).toEqual([]);
      });
    }
    for (const [i, c] of cases.invalid.entries()) {
      test(`invalid: ${c.name ?? `case ${i + 1}`}`, () => {
        const reported = findingsOf(rule, c.files).filter((f) => f.severity !== 'info');
        expect(reported.length, 'findings of the rule').toBeGreaterThanOrEqual(c.count ?? 1);
        for (const m of c.messages ?? []) expect(reported.map((f) => f.message).some((msg) => m.test(msg)), `a finding matching ${m}`).toBe(true);
        if (c.severity) {
          const top = Math.max(...reported.map((f) => ORDER.indexOf(f.severity)));
          expect(ORDER[top], 'strongest severity').toSatisfy((s: Severity) => ORDER.indexOf(s) >= ORDER.indexOf(c.severity!));
        }
      });
    }
  });
}

/**
 * Examples are written the way the docs show them, without their imports: Node's modules are
 * loaded under their usual names for any such name the example uses and does not declare itself.
 */
const USUAL_IMPORTS: [RegExp, string][] = [
  [/\bfs\./, "const fs = require('fs');"],
  [/\bpath\./, "const path = require('path');"],
  [/\bos\./, "const os = require('os');"],
  [/\bhttps\./, "const https = require('https');"],
  [/\bhttp\./, "const http = require('http');"],
  [/\bdns\./, "const dns = require('dns');"],
  [/\bnet\./, "const net = require('net');"],
  [/(?<![.\w])(?:execSync|exec|spawn|spawnSync|execFile|execFileSync)\(/, "const { exec, execSync, spawn, spawnSync, execFile, execFileSync } = require('child_process');"],
];

function withImports(code: string): string {
  const lines = USUAL_IMPORTS.filter(([use, decl]) => use.test(code) && !code.includes(decl.split('=')[0]!.trim())).map(([, decl]) => decl);
  return lines.length ? `${lines.join('\n')}\n${code}` : code;
}

const LIFECYCLE = new Set(['preinstall', 'install', 'postinstall', 'prepare']);

/**
 * The package a rule's documented example stands for, read the way the docs present it:
 * - `{ … }` or a `"field": …` fragment (comments allowed) is package.json;
 * - an HTML comment or Markdown is README.md;
 * - code whose first line is `// some/path.js` is that file, run by the lifecycle script of the
 *   same name when it has one (`// postinstall.js`);
 * - any other code is the package's main file, index.js.
 * `docs.exampleFiles` adds what the example's text only describes (a binary, say).
 */
export function exampleFiles(rule: Rule): Files {
  const text = rule.meta.docs.example;
  const trimmed = text.trim();
  const base: Record<string, unknown> = { name: 'example-fixture', version: '1.0.0', main: 'index.js' };
  const files: Files = {};
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    const errors: { error: number }[] = [];
    const parsed = parseJsonc(trimmed.startsWith('{') ? trimmed : `{${trimmed}}`, errors as never, { allowTrailingComma: true }) as Record<string, unknown>;
    if (errors.length || typeof parsed !== 'object' || !parsed) throw new Error(`${rule.meta.id}: docs.example looks like package.json but does not parse`);
    Object.assign(base, parsed);
  } else if (/^# \.[\w.-]+|^# [\w-]+\.toml/.test(trimmed)) {
    // `# .npmrc shipped in the package`: a config file at the package root.
    files[/^# (\S+)/.exec(trimmed)![1]!] = text;
  } else if (trimmed.startsWith('<!--') || trimmed.startsWith('#')) {
    files['README.md'] = text;
  } else {
    // `// postinstall.js` or `// setup.js, run by "postinstall": "node setup.js"`.
    const first = /^\/\/ ([\w./-]+\.[cm]?js)\b([^\n]*)\n/.exec(text);
    const file = first?.[1] ?? 'index.js';
    files[file] = withImports(text);
    const runBy = /run by "(\w+)"/.exec(first?.[2] ?? '')?.[1];
    const event = runBy ?? file.replace(/\.[cm]?js$/, '').split('/').pop()!;
    if (LIFECYCLE.has(event)) base.scripts = { [event]: `node ${file}` };
  }
  for (const [p, content] of Object.entries(rule.meta.docs.exampleFiles ?? {})) {
    if (p === 'package.json') Object.assign(base, JSON.parse(content) as Record<string, unknown>);
    else files[p] = Buffer.from(content, 'latin1');
  }
  files['package.json'] = JSON.stringify(base);
  return files;
}
