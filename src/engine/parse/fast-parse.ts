import { Parser, tokTypes as tt, type Options } from 'acorn';
import type { LazyPlan } from '../prefilter/lazy-bodies.js';

/**
 * The fast tier of parsing: acorn over plain JavaScript, with nodes that carry no location
 * objects. Babel gives every node a SourceLocation and each token two Positions; on bundled code
 * that is most of the heap a syntax tree needs (a 2.6 MB bundle: 156 MB with Babel, about half with
 * these nodes) and most of the collector's work. Line and column are rarely needed (a finding's
 * place), so `loc` is computed from the offset on demand, with Babel's conventions: lines from 1,
 * columns from 0 in UTF-16 units, and \r\n, \r, \n, U+2028 and U+2029 all ending a line.
 *
 * The tree is ESTree; walk.ts turns it into Babel's shapes as it visits (estree-to-babel.ts), so
 * rules see one kind of tree whichever parser read the file.
 *
 * Saves (Node 24, 2026-12-02, scripts/measure-tiers.ts, CPU time): 52% of the analysis of the bench's
 * 60 typical packages, 56% on 12 bundle-heavy ones (Babel only, TOLLGATE_PARSER=babel: +107%, +126%).
 * meriyah parses 2.0-2.3x as fast as acorn (Node 24 and 20 alike) but has no parseFunctionBody hook
 * for lazy bodies: parse + walk of the bundles costs 1.20x an acorn parse with meriyah, 0.87x with
 * acorn skipping bodies (no rule hints), and lazy bodies save more (48%) than meriyah's parse could
 * (about 8% of the lazy-off analysis), so acorn stays.
 */

/** A file's text and, once a location is asked for, where its lines start. */
export class SourceText {
  private lineStarts?: Int32Array;
  constructor(readonly text: string) {}

  position(offset: number): { line: number; column: number; index: number } {
    const starts = (this.lineStarts ??= lineStartsOf(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]!, index: offset };
  }
}

function lineStartsOf(text: string): Int32Array {
  const starts = [0];
  const re = /\r\n?|[\n\u2028\u2029]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
  return Int32Array.from(starts);
}

/**
 * Every field a walked node gets is declared here, so V8 keeps them in the object itself instead
 * of growing a separate property store for each of millions of nodes.
 */
export class FastNode {
  type = '';
  start: number;
  end = 0;
  tgParent: unknown = undefined;
  readonly tgSource: SourceText;
  constructor(start: number, source: SourceText) {
    this.start = start;
    this.tgSource = source;
  }
  get loc(): { start: { line: number; column: number; index: number }; end: { line: number; column: number; index: number } } {
    return { start: this.tgSource.position(this.start), end: this.tgSource.position(this.end) };
  }
  // A copied node (acorn's copyNode) assigns `loc` like any other own property.
  set loc(_value: unknown) {}
}

interface ParserInternals {
  start: number;
  pos: number;
  type: unknown;
  tgSource: SourceText;
  tgLazy: LazyPlan | undefined;
  tgSkipped: number;
  tgSkippedBytes: number;
  parse(): unknown;
  next(): void;
  exitScope(): void;
  finishNode(node: FastNode, type: string): FastNode;
  parseFunctionBody(node: FastNode, isArrowFunction: boolean, isMethod: boolean, forInit: boolean): void;
}

/** The parser's tokenizer and the brace scan disagreed on where a skipped body ends. */
class LazyMismatch extends Error {}

// acorn's documented extension point: a plugin subclasses Parser. Only node creation changes.
const FastParser = Parser.extend(
  (Base) =>
    class extends (Base as unknown as new (options: Options, input: string) => ParserInternals) {
      startNode() {
        return new FastNode(this.start, this.tgSource);
      }
      startNodeAt(pos: number) {
        return new FastNode(pos, this.tgSource);
      }
      /**
       * A body the lazy plan marks as skippable is not parsed: the block is left empty and flagged.
       * Where the brace scan had to guess (a `/` after `)`, say), the tokenizer reads the body and
       * must close it at the very `}` the plan expected, or the whole file is parsed again without
       * skipping (see fastParse); elsewhere the parser jumps straight to that `}`.
       */
      override parseFunctionBody(node: FastNode, isArrowFunction: boolean, isMethod: boolean, forInit: boolean) {
        const end = this.tgLazy && this.type === tt.braceL ? this.tgLazy.skippableEnd(this.start) : -1;
        if (end < 0) return super.parseFunctionBody(node, isArrowFunction, isMethod, forInit);
        const block = this.startNode() as FastNode & { body: unknown[]; tgLazy?: boolean };
        block.body = [];
        if (this.tgLazy!.exact(this.start, end)) {
          // Nothing in the body the scan had to guess at: read on from its closing brace. The
          // context stack is as the `{` left it, which is what reading the `}` expects.
          this.pos = end;
          this.next();
        } else {
          let depth = 0;
          for (;;) {
            const t = this.type;
            if (t === tt.braceL || t === tt.dollarBraceL) depth++;
            else if (t === tt.braceR) {
              if (--depth === 0) break;
            } else if (t === tt.eof) throw new LazyMismatch('unterminated skipped body');
            this.next();
          }
        }
        if (this.start !== end || this.type !== tt.braceR) throw new LazyMismatch(`skipped body ends at ${this.start}, expected ${end}`);
        this.next();
        this.finishNode(block, 'BlockStatement');
        block.tgLazy = true;
        (node as unknown as { body: unknown; expression: boolean }).body = block;
        (node as unknown as { expression: boolean }).expression = false;
        this.tgSkipped++;
        this.tgSkippedBytes += block.end - block.start;
        this.exitScope();
      }
      copyNode(node: FastNode) {
        const copy = new FastNode(node.start, this.tgSource) as unknown as Record<string, unknown>;
        for (const key in node) if (key !== 'loc') copy[key] = (node as unknown as Record<string, unknown>)[key];
        return copy;
      }
    } as unknown as typeof Parser,
);

const OPTIONS: Options = {
  ecmaVersion: 'latest',
  // Script goal, with import/export, top-level await and return allowed anywhere: it reads both
  // CommonJS and ES modules in one pass, as Babel's "unambiguous" does, and keeps sloppy-mode code
  // (with, octal escapes) parseable.
  sourceType: 'script',
  allowReturnOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowAwaitOutsideFunction: true,
  allowHashBang: true,
  allowReserved: true,
  locations: false,
  ranges: false,
};

export interface FastParseResult {
  ast: { type: 'File'; program: FastNode; start: number; end: number };
  /** Function bodies skipped by the lazy plan, and their bytes. */
  skipped: number;
  skippedBytes: number;
  /** Why the lazy parse was abandoned for a full one (a brace-scan mismatch, a syntax error). */
  lazyFailed?: string;
}

/**
 * A Babel-shaped `File` around acorn's Program, or the syntax error that sends the file to Babel.
 * With a lazy plan, skippable function bodies are left empty (flagged `tgLazy`); if skipping fails
 * in any way the file is parsed again in full, so a plan never costs a file its syntax tree.
 */
export function fastParse(text: string, lazy?: LazyPlan): FastParseResult | { error: Error } {
  const source = new SourceText(text);
  const run = (plan: LazyPlan | undefined): FastParseResult => {
    const parser = new (FastParser as unknown as new (o: Options, t: string) => ParserInternals)(OPTIONS, text);
    parser.tgSource = source;
    parser.tgLazy = plan;
    parser.tgSkipped = 0;
    parser.tgSkippedBytes = 0;
    const program = parser.parse() as unknown as FastNode;
    return { ast: { type: 'File', program, start: 0, end: text.length }, skipped: parser.tgSkipped, skippedBytes: parser.tgSkippedBytes };
  };
  let lazyFailed: string | undefined;
  if (lazy) {
    try {
      return run(lazy);
    } catch (err) {
      // A mismatch, or a syntax error the full parse will report (or Babel will recover from).
      lazyFailed = (err as Error).message;
    }
  }
  try {
    return { ...run(undefined), lazyFailed };
  } catch (err) {
    return { error: err as Error };
  }
}
