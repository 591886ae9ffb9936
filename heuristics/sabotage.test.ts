import { describe, expect, test } from 'vitest';
import { scanFiles } from '../test/helpers/analyze.js';
import { finding } from '../test/helpers/findings.js';

const RULE = 'sabotage';

describe('sabotage reports', () => {
  test('the colors.js-style `i < Infinity` loop on import is high and suspicious', () => {
    const r = scanFiles({
      'index.js': "module.exports = require('./colors');\nfor (let i = 666; i < Infinity; i++) {\n  if (i % 333) console.log('LIBERTY LIBERTY LIBERTY');\n}",
      'colors.js': 'module.exports = {};',
    });
    expect(r.of(RULE)).toEqual([finding('high', ['sabotage'], { line: 2, reach: 'import' })]);
    expect(r.verdict).toBe('suspicious');
  });

  test.each([
    ['while (true)', "while (true) { process.stdout.write('\\u0007'); }"],
    ['for (;;)', "for (;;) { console.log('x'); }"],
    ['do {} while (1)', "do { console.log('y'); } while (1);"],
    ['while (!0) inside a top-level if', "if (Date.now() > 1640995200000) { while (!0) { console.log('z'); } }"],
  ])('%s at module level is high', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.of(RULE)).toEqual([finding('high', ['sabotage'])]);
    expect(r.verdict).toBe('suspicious');
  });

  test('while (ALWAYS) with const ALWAYS = true is seen', () => {
    const r = scanFiles({ 'index.js': "const ALWAYS = true;\nwhile (ALWAYS) { console.log('w'); }" });
    expect(r.of(RULE)).toEqual([finding('high', ['sabotage'])]);
  });

  test('a loop that only reads a const array, or mutates another one, still never ends', () => {
    const r = scanFiles({ 'index.js': "const hosts = ['a.invalid'];\nconst log = [];\nwhile (hosts.length > 0) { log.push(hosts[0]); }\nmodule.exports = require('fs');" });
    expect(r.of(RULE)).toEqual([finding('high', ['sabotage'])]);
  });

  test('an exit keyword inside a string does not excuse the loop', () => {
    const r = scanFiles({ 'index.js': "while (true) { console.log('take a break from war'); }" });
    expect(r.of(RULE)).toEqual([finding('high', ['sabotage'])]);
  });
});

describe('sabotage stays quiet', () => {
  test.each([
    // Each benign case names a capability (fs) so tier 0 parses it and the rule really looks.
    ['while (i--)', "var i = 10;\nwhile (i--) { require('fs').writeSync(1, i + '\\n'); }"],
    ['for (;;) { if (x) break; }', "let x = 0;\nfor (;;) { x++; if (x > 10) break; }\nmodule.exports = x;"],
    ['while (true) in a function', "function loop() { while (true) { const job = next(); if (!job) continue; run(job); } }\nmodule.exports = loop;"],
    ['an async for (;;) with await in a function', "async function main() { for (;;) { await tick(); } }\nmodule.exports = main;"],
    ['while (true) that returns, in a function', "module.exports = function find(node) { while (true) { if (!node.parent) return node; node = node.parent; } };"],
    ['a top-level await loop with break', "let n = 0;\nwhile (true) { const r = await fetchNext(n++); if (!r) break; }\nexport default n;"],
    ['Infinity used as a setting', "const MAX = Infinity;\nexports.retry = { retries: Infinity, max: MAX, fs: require('fs') };"],
    ['while (true) that throws', "while (true) { throw new Error('unsupported platform'); }"],
    // Folding reads a const array's length as fixed; a loop that drains the array ends.
    ['a loop draining a const array (shift/pop)', "const sources = ['a.invalid', 'b.invalid'];\nconst order = [];\nwhile (sources.length > 0) if (Math.random() > .5) order.push(sources.shift());\nelse order.push(sources.pop());\nmodule.exports = { order, fs: require('fs') };"],
    ['a loop whose condition field is reassigned', "const state = { busy: true };\nwhile (state.busy) { state.busy = require('fs').existsSync('/tmp/x'); }"],
  ])('%s', (_label, code) => {
    const r = scanFiles({ 'index.js': code });
    expect(r.stats.parsedFiles).toBe(1);
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});
