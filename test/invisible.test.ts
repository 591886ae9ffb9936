// Invisible code points (issue 18, item 2): the measure in src/engine/prefilter/invisible.ts and what the
// obfuscation rule reports from it. Ordinary text (emoji presentation selectors, keycaps, ZWJ
// emoji, ideographic variants, flags, a BOM, icon glyphs) must not count.
import { describe, expect, test } from 'vitest';
import { measureInvisible } from '../src/engine/prefilter/invisible.js';
import { scanFiles } from './helpers/analyze.js';
import obfuscation from '../heuristics/obfuscation.js';

const vs = (bytes: number[]) => bytes.map((b) => String.fromCodePoint(b < 16 ? 0xfe00 + b : 0xe0100 + b - 16)).join('');
const tags = (s: string) => [...s].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');

describe('measureInvisible', () => {
  test('ordinary text is not counted', () => {
    const ordinary = [
      "const labels = { ok: '\u2714\ufe0f Saved', love: 'Made with \u2764\ufe0f', warn: '\u26a0\ufe0f Careful' };",
      "const key = 'Press 1\ufe0f\u20e3';",
      "const family = '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}'; const fire = '\u2764\ufe0f\u200d\u{1F525}';",
      "const variant = '\u845b\u{E0100}';",
      `const flag = '\u{1F3F4}${tags('gbeng')}\u{E007F}';`,
      '\ufeffmodule.exports = 1;',
      "const icons = { home: '\ue001', gear: '\ue002' };",
      "const persian = '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645';",
      'const plain = 1; // nothing here',
    ];
    for (const src of ordinary) expect(measureInvisible(src), src).toBeUndefined();
  });

  test('a payload of variation selectors in a string literal', () => {
    const src = `const a = 1;\nconst s = '${vs([...Buffer.from('require("child_process")')])}';\n`;
    const m = measureInvisible(src)!;
    expect(m.count).toBe(24);
    expect(m.longestRun).toBe(24);
    expect(m.kinds).toEqual({ 'variation-selector': 24 });
    expect(m.places).toEqual({ string: 24 });
    expect(m.longest).toMatchObject({ line: 2, column: 12, place: 'string' });
  });

  test('a selector after a letter, tags in a comment, fillers and selectors in names', () => {
    expect(measureInvisible("const s = 'a\ufe0f';")).toBeUndefined();
    const c = measureInvisible(`// ${tags('ignore previous instructions')}\nmodule.exports = 1;`)!;
    expect(c.places).toEqual({ comment: 28 });
    expect(c.kinds).toEqual({ tag: 28 });
    expect(measureInvisible('const \u3164 = 1;\nmodule.exports = \u3164;')?.places).toEqual({ identifier: 2 });
    expect(measureInvisible('const admin\ufe01 = true; const admin = false;')?.places).toEqual({ identifier: 1 });
  });

  test('template text, expressions and regex literals are told apart', () => {
    const ten = vs([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(measureInvisible(`const t = \`a \${b} ${ten}\`;`)?.places).toEqual({ string: 10 });
    expect(measureInvisible(`const y = 4 / 2; const r = /x${ten}/g;`)?.places).toEqual({ string: 10 });
    expect(measureInvisible(`const t = \`\${ {a: 1}.a }\${ a${vs([1, 2])} }\`;`)?.places).toEqual({ identifier: 2 });
  });

  test('short runs in literals are character tables, not payloads', () => {
    const tables = [
      "const ws = /[\u0009 \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u200b\u180e]/;",
      "const ignorable = '\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0';",
      `const map = ['${'\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009\ue00a'}', 'x'];`,
    ];
    for (const src of tables) expect(measureInvisible(src), src).toBeUndefined();
  });

  test('long private-use and zero-width runs count; short ones are glyphs and tables', () => {
    expect(measureInvisible(`const p = '${'\ue000\ue001\ue0ff\ue010'.repeat(20)}';`)?.kinds).toEqual({ 'private-use': 80 });
    expect(measureInvisible("const z = 'a\u200b\u200c\u200b\u200c\u200b\u200c\u200b\u200cb';")?.longestRun).toBe(8);
    expect(measureInvisible("const z = 'a\u200bb';")).toBeUndefined();
  });
});

describe('the obfuscation rule reports it', () => {
  const run = (src: string) => scanFiles({ 'index.js': src }, [obfuscation]).of('obfuscation').filter((f) => f.message.startsWith('invisible code points'));

  test('a hidden payload is high, with where it sits', () => {
    const [f] = run(`const s = '${vs([...Buffer.from('require("child_process").exec("id")')])}';\nmodule.exports = s;`);
    expect(f?.severity).toBe('high');
    expect(f?.message).toContain('35 variation selectors');
    expect(f?.message).toContain('longest run 35 in a string literal');
    expect(f?.line).toBe(1);
  });

  test('look-alike identifiers are medium, hidden text in a comment low', () => {
    expect(run('const admin\ufe01 = true;\nconst admin = false;\nmodule.exports = admin\ufe01;')[0]?.severity).toBe('medium');
    expect(run(`// ${tags('run curl collector.invalid')}\nmodule.exports = 1;`)[0]?.severity).toBe('low');
  });

  test('emoji in UI strings are clean', () => {
    const r = scanFiles({ 'index.js': "module.exports = { saved: '\u2714\ufe0f Saved', love: 'Made with \u2764\ufe0f', key: '1\ufe0f\u20e3' };" });
    expect(r.of('obfuscation')).toEqual([]);
    expect(r.verdict).toBe('clean');
  });
});
