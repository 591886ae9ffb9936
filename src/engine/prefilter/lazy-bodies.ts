import { BINDING_SOURCE, matchCounts, firstTrigger, triggerIndex } from './lexical.js';
import { matchBraces, closeOf, hasDoubt, lastBelow, type BracePairs } from './brace-scan.js';
import { mayHaveStringArray } from './string-array-hint.js';
import { mayCallDecoder } from '../semantics/interpret.js';

/**
 * Tier 1.5: lazy function bodies. Tier 0 (lexical.ts) decides per file; on a bundle nearly every
 * file names some capability somewhere, yet most of its bytes sit in functions that name none: the
 * parser of a template engine, a date library, a polyfill. The parser leaves those bodies out (it
 * jumps over them, or tokenizes them where the brace scan had to guess), so neither the parse, the
 * collector nor the walk pays for them: of the benchmark lockfile's 111 MB of parsed JavaScript,
 * 46.5 MB is built.
 *
 * A body is kept when its text holds anything that could matter to a rule:
 * - a capability trigger of tier 0 (a module name, `eval`, `process.env`, `fetch`, a credential
 *   path, an endpoint…);
 * - a name bound to a capability elsewhere in the file (`const cp = require('child_process')`
 *   makes every body that says `cp` interesting; aliases of aliases too);
 * - a rule's own hint (RuleVisitors.bodyHints): the texts its literal visitors look at, such as
 *   wallet paths or AI key names, which a helper function may return to a call elsewhere;
 * and a body that is a callback handed to a capability in its own statement is kept too, as is the
 * body of a function of no parameters that only returns a value (the evaluator folds its calls).
 * Whole files are parsed eagerly when they look obfuscated (string arrays, `_0x` names) or hand
 * the result of a local function straight to a capability (`require(dec('…'))`, interpret.ts):
 * their decoders need every function.
 *
 * What is lost is bounded: a skipped body names no capability, so nothing in it can be a call the
 * rules look for; a call *to* it is treated by flows as an unknown transform of its arguments.
 *
 * Saves (Node 24, 2026-12-02, scripts/measure-tiers.ts, CPU time): 37% of the analysis of the bench's
 * 60 typical packages, 48% on 12 bundle-heavy ones (off, TOLLGATE_LAZY=off: +58%, +92%).
 */
export interface LazyPlan {
  /** Offset of the `}` ending the body that starts with the `{` at `open`, when it may be skipped; else -1. */
  skippableEnd(open: number): number;
  /** Why the body at `open` is kept (diagnostics), or undefined when it may be skipped. */
  explain(open: number): string | undefined;
  /**
   * The brace scan made no guess between `open` and `close`: the body ends there exactly as the
   * parser's tokenizer would end it, so the parser may jump to `close` without tokenizing.
   */
  exact(open: number, close: number): boolean;
}

/** Files below this size are parsed whole: the saving is small, the certainty worth more. */
export const LAZY_MIN_BYTES = 16 * 1024;
/** Bodies below this size are parsed: a skip costs a lookup, a tiny body costs less. */
const MIN_BODY = 64;

const KEYWORDS = new Set([
  'var', 'let', 'const', 'import', 'export', 'from', 'as', 'default', 'await', 'new', 'return', 'typeof', 'void', 'this', 'function', 'async', 'yield',
  'require', 'module', 'exports', 'true', 'false', 'null', 'undefined', 'in', 'of', 'if', 'else', 'for', 'while', 'do', 'case', 'throw',
]);

/** The rules' hints, merged by the engine (RuleVisitors.bodyHints). */
export interface LazyHints {
  /** Tried on each literal's text. */
  literals?: RegExp;
  /** Tried on the code (global flag). */
  code?: RegExp;
  /** Some rule looks at tagged templates. */
  tagged: boolean;
}

export function lazyPlan(text: string, hints: LazyHints | undefined, minBytes = LAZY_MIN_BYTES, minBody = MIN_BODY): LazyPlan | undefined {
  if (text.length < minBytes) return undefined;
  if (mayHaveStringArray(text) || /_0x[0-9a-f]{3}/.test(text) || mayCallDecoder(text)) return undefined;
  const pairs = matchBraces(text);
  const marks: number[] = [];
  if (!aliasMarks(text, pairs, marks)) return undefined;
  if (hints?.literals) {
    // Literals are a quarter of a bundle's text: testing them alone is several times cheaper than
    // running the hints over the code as well.
    const re = hints.literals;
    const spans = pairs.literals;
    for (let k = 0; k < pairs.literalCount; k++) {
      const s = spans[2 * k]!;
      const e = spans[2 * k + 1]!;
      if (re.test(text.slice(s, e))) marks.push(s, e);
    }
  }
  if (hints?.code) {
    const re = hints.code;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      marks.push(m.index, m.index + (m[0].length || 1));
      if (!m[0].length) re.lastIndex++;
    }
  }
  if (hints?.tagged) for (const at of pairs.tagged) marks.push(at, at + 1);
  const index = markIndex(marks);
  const triggers = new FirstMatch(text);
  const why = (open: number): { close: number; keep?: string } => {
    const close = closeOf(pairs, open);
    if (close < 0) return { close, keep: 'no matching brace' };
    if (close - open < minBody) return { close, keep: 'small' };
    if (index.overlaps(open, close + 1)) return { close, keep: 'alias or hint' };
    // A callback handed to a capability (`Object.keys(process.env).filter(k => {…})`,
    // `cp.exec(cmd, (err, out) => {…})`) is part of that statement's meaning: keep it.
    const lead = Math.max(open - LEAD, text.lastIndexOf(';', open) + 1, 0);
    if (index.overlaps(lead, open) || triggerIndex(text.slice(lead, open)) >= 0) return { close, keep: 'statement names a capability' };
    if (triggers.within(open, close)) return { close, keep: 'trigger' };
    // `function mod() { return 'https' }`: the evaluator folds calls of such a function to the
    // value it returns (`require(mod())`), so its body stays whatever it holds.
    if (ZERO_PARAMS_BEFORE.test(text.slice(Math.max(0, open - 16), open)) && SINGLE_RETURN.test(text.slice(open, close + 1))) return { close, keep: 'returns a value' };
    return { close };
  };
  return {
    skippableEnd(open) {
      const r = why(open);
      return r.keep ? -1 : r.close;
    },
    explain: (open) => why(open).keep,
    exact: (open, close) => !hasDoubt(pairs, open, close),
  };
}

/** `()` or `() =>` right before a body: a function of no parameters. */
const ZERO_PARAMS_BEFORE = /\(\s*\)\s*(?:=>\s*)?$/;
/**
 * A body that is one `return` of an expression without blocks or statements of its own. Written
 * to match one way only: a hostile body of spaces costs one pass, not a backtrack per space.
 */
const SINGLE_RETURN = /^\{\s*return\b[^;{}]*(?:;\s*)?\}$/;
const BINDINGS_G = new RegExp(BINDING_SOURCE, 'g');

/**
 * Whether a tier-0 trigger matches in [open, close], for queries in increasing `open` (the parser's order).
 * A scan stops at the first match, and what it learned answers later queries: the text before that
 * match is clean, so a nested body ending before it needs no scan of its own. Every byte is scanned
 * about once, and only inside function bodies; the whole file never is.
 */
class FirstMatch {
  private from = 0;
  private cleanTo = 0;
  private at = -1;
  constructor(private readonly text: string) {}

  within(open: number, close: number): boolean {
    if (open >= this.from) {
      if (this.at >= 0 && open <= this.at) return this.at <= close;
      if (this.at < 0 && close < this.cleanTo) return false;
    }
    const at = firstTrigger(this.text.slice(open, close + 1));
    this.from = open;
    if (at >= 0) {
      this.at = open + at;
      return true;
    }
    this.at = -1;
    this.cleanTo = close + 1;
    return false;
  }
}

/**
 * Uses of names bound to a capability, each within the scope of its binding, as intervals; a use
 * that binds it again under another name (`const p = fs.promises`, `const { exec } = cp`) adds that
 * name, a few rounds deep. False when a file binds too many names to be worth it.
 */
function aliasMarks(text: string, pairs: BracePairs, marks: number[], names?: Map<string, number[]>): boolean {
  // Names bound to a capability, each with the ranges of text where that binding is visible.
  const bound = names ?? new Map<string, number[]>();
  const bind = (name: string, at: number): boolean => {
    if (KEYWORDS.has(name)) return false;
    const [s, e] = scopeOf(pairs, text, at);
    const list = bound.get(name);
    if (!list) bound.set(name, [s, e]);
    else if (!list.some((v, k) => k % 2 === 0 && v === s)) list.push(s, e);
    else return false;
    return true;
  };
  BINDINGS_G.lastIndex = 0;
  for (let m = BINDINGS_G.exec(text); m; m = BINDINGS_G.exec(text)) {
    if (!matchCounts(text, m.index, m[0])) continue;
    for (const name of boundNames(text, m.index)) bind(name, m.index);
  }
  let fresh = [...bound.keys()];
  for (let round = 0; round < 4 && fresh.length; round++) {
    if (bound.size > MAX_NAMES) return false;
    const re = new RegExp(`(?<![\\w$])(?:${fresh.map(escape).join('|')})(?![\\w$])`, 'g');
    const next: string[] = [];
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const ranges = bound.get(m[0]);
      if (!ranges || !inRanges(ranges, m.index)) continue;
      marks.push(m.index, m.index + m[0].length);
      for (const name of rebinding(text, m.index, m[0].length)) if (bind(name, m.index)) next.push(name);
    }
    fresh = next;
  }
  return true;
}

/** How far before a body a capability still makes the body part of its statement. */
const LEAD = 160;

/** Names bound to a capability in a file, with the ranges where each binding is visible (diagnostics, tests). */
export function capabilityAliases(text: string): Map<string, number[]> {
  const names = new Map<string, number[]>();
  aliasMarks(text, matchBraces(text), [], names);
  return names;
}

/** Past this many capability aliases in one file, lazy bodies are not worth the bookkeeping. */
const MAX_NAMES = 200;

function inRanges(ranges: number[], at: number): boolean {
  for (let k = 0; k < ranges.length; k += 2) if (at >= ranges[k]! && at < ranges[k + 1]!) return true;
  return false;
}

/**
 * Where a binding made at `at` is visible: the innermost enclosing function body (a `{` after `)`
 * or `=>`), or the whole file. Blocks are not scopes here: `var` reaches past them, and a wider
 * range only keeps more bodies parsed.
 */
function scopeOf(pairs: BracePairs, text: string, at: number): [number, number] {
  const { opens, closes } = pairs;
  // Last `{` before `at`, then outwards through the enclosing ones.
  let k = lastBelow(opens, pairs.count, at);
  for (let depth = 0; k >= 0 && depth < 10_000; k--, depth++) {
    const close = closes[k]!;
    if (close !== -1 && close < at) continue;
    let j = opens[k]! - 1;
    while (j >= 0 && /\s/.test(text[j]!)) j--;
    if (text[j] === ')' || (text[j] === '>' && text[j - 1] === '=')) return [opens[k]!, close === -1 ? text.length : close + 1];
  }
  return [0, text.length];
}

/**
 * The names a capability found at `at` is assigned to: `x = require('fs')`, `x = __toESM(require("fs"))`,
 * `const { exec: run } = require(…)`, `exports.fs = require('fs')` (the property), `import fs, { readFile
 * as rf } from 'fs'`. A capability passed as an argument or used in place binds nothing.
 */
function boundNames(text: string, at: number): string[] {
  const before = text.slice(Math.max(0, at - 400), at);
  const clause = importClause(before);
  if (clause !== undefined) return identifiers(clause.replace(/(?<![\w$])[\w$]+\s+as\b/g, ''));
  if (/\bimport\s*$/.test(before)) return [];
  // `require` itself, or wrappers around a call of it: `__importStar(require(`, `await import(`.
  const m = /(?:^|[^=!<>])=\s*(?:await\s+)?(?:[\w$.]+\s*\(\s*)*(?:[\w$.]+\s*\(\s*)?$/.exec(before) ?? /(?:^|[^=!<>])=\s*$/.exec(before);
  if (!m) return [];
  return lhsNames(before.slice(0, m.index + (m[0].startsWith('=') ? 0 : 1)));
}

/**
 * The clause of an `import … from` that `before` ends with (what /\bimport\s+([^;'"`]*?)\s*from\s*$/
 * captured, in one pass: that regex was cubic on "import\t\t…").
 */
function importClause(before: string): string | undefined {
  const t = before.trimEnd();
  if (!t.endsWith('from')) return undefined;
  const head = t.slice(0, -'from'.length);
  // The clause cannot hold a quote or a semicolon: the import starts after the last one.
  let stop = -1;
  for (const c of [';', "'", '"', '`']) stop = Math.max(stop, head.lastIndexOf(c));
  const m = /\bimport\s+/.exec(head.slice(stop + 1));
  return m ? head.slice(stop + 1 + m.index + m[0].length).trim() : undefined;
}

/** `a = fs.promises` / `const { exec } = cp` at a use of a bound name: the new names. */
function rebinding(text: string, at: number, len: number): string[] {
  const after = text.slice(at + len, at + len + 200);
  if (!/^(?:\s*\.\s*[\w$]+)*\s*(?:[;,)}\n]|$)/.test(after)) return [];
  const before = text.slice(Math.max(0, at - 400), at);
  const m = /(?:^|[^=!<>])=\s*$/.exec(before);
  if (!m) return [];
  return lhsNames(before.slice(0, m.index + (m[0].startsWith('=') ? 0 : 1)));
}

/** The target of an assignment ending `left`: an identifier, a property, or a destructuring pattern. */
function lhsNames(left: string): string[] {
  const trimmed = left.trimEnd();
  if (trimmed.endsWith('}')) {
    // Destructuring: the balanced pattern before the `=`.
    let depth = 0;
    for (let j = trimmed.length - 1; j >= 0; j--) {
      const c = trimmed[j];
      if (c === '}') depth++;
      else if (c === '{' && --depth === 0) return identifiers(trimmed.slice(j + 1, -1).replace(/(?<![\w$])[\w$]+\s*:/g, ''));
    }
    return [];
  }
  // The identifier the text ends with: its last run of [\w$], less leading digits (a loop, not
  // /([A-Za-z_$][\w$]*)$/, which restarts at every character of the run).
  let j = trimmed.length;
  while (j > 0 && /[\w$]/.test(trimmed[j - 1]!)) j--;
  const id = trimmed.slice(j).replace(/^\d+/, '');
  return id ? [id] : [];
}

function identifiers(s: string): string[] {
  return (s.match(/[A-Za-z_$][\w$]*/g) ?? []).filter((x) => !KEYWORDS.has(x));
}

function escape(s: string): string {
  return s.replace(/[$]/g, '\\$');
}

/** Intervals [start, end) sorted by start, with running maxima of their ends for overlap queries. */
function markIndex(flat: number[]): { overlaps(start: number, end: number): boolean } {
  const count = flat.length / 2;
  const order = new Int32Array(count);
  for (let k = 0; k < count; k++) order[k] = k;
  order.sort((a, b) => flat[2 * a]! - flat[2 * b]!);
  const starts = new Int32Array(count);
  const maxEnd = new Int32Array(count);
  let running = -1;
  for (let k = 0; k < count; k++) {
    const o = order[k]!;
    starts[k] = flat[2 * o]!;
    running = Math.max(running, flat[2 * o + 1]!);
    maxEnd[k] = running;
  }
  return {
    overlaps(start, end) {
      // Last mark starting before `end`; any mark up to it ending after `start` overlaps.
      const last = lastBelow(starts, count, end);
      return last >= 0 && maxEnd[last]! > start;
    },
  };
}
