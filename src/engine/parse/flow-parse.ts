import { createRequire } from 'node:module';
import path from 'node:path';
import type { File } from '@babel/types';

/**
 * The second reading of a Flow file: Meta's own Flow parser (hermes-parser, the Hermes engine's
 * parser compiled to WebAssembly), for the Flow syntax Babel's flow plugin does not know
 * (`x as T`, `as const`, `readonly` and `in`/`out` variance, `K extends keyof T` bounds, component
 * and hook syntax, `match`...). React Native's own sources use it, so without this a file that runs
 * on import is read only lexically: a blind spot, reported as such.
 *
 * Asked with `babel: true`, it gives Babel's tree: `x as T` is a TypeCastExpression (which the
 * evaluator and flows already see through), `x as const` is just `x`, component and hook syntax are
 * lowered to the functions they mean, and type nodes are Babel's flow types; so the file goes
 * through the same walk and rules as any other.
 *
 * It is loaded only when a Flow file defeats Babel: requiring it costs about 100 ms and its first
 * parse (compiling the WebAssembly) 60-400 ms and ~20 MB, on this machine. It is also far slower than
 * Babel (~5 s and ~180 MB of tree per MB of source, measured), hence its own size limit: real Flow
 * sources are hand-written files well under it (React Native's largest is 123 KB).
 */
export const FLOW_PARSE_MAX_BYTES = 512 * 1024;

/**
 * A parse that fails other than by a syntax error (the WebAssembly stack or memory exhausted, by
 * deep nesting or a long operator chain) can leave the module's memory inconsistent, so its instance
 * is dropped and the next parse loads a fresh one. Past this many, the fallback stays off for the
 * process: input that keeps breaking it gets the plain parse-error finding, never a slow loop.
 */
const MAX_INSTANCES = 8;

interface HermesParser {
  parse(code: string, options: { babel: true; flow: 'all' | 'detect'; sourceType: 'unambiguous'; allowReturnOutsideFunction: boolean; tokens: boolean }): File;
}

export type FlowParseResult = { ast: File } | { error: { message: string; line?: number; column?: number } };

/** What the fallback cost so far in this process (read by tests and the benchmark notes). */
export const flowParserStats = { loads: 0, loadMs: 0, parses: 0, parseMs: 0, syntaxErrors: 0, crashes: 0 };

// Named `require` so the dependency test sees what it loads; ESM has no require of its own.
const require = createRequire(import.meta.url);
let instance: HermesParser | undefined;

function load(): HermesParser {
  if (!instance) {
    const started = performance.now();
    instance = require('hermes-parser') as HermesParser;
    flowParserStats.loads++;
    flowParserStats.loadMs += performance.now() - started;
  }
  return instance;
}

/** Forget the loaded module (its WebAssembly instance and memory go with it) so the next load is fresh. */
function drop(): void {
  instance = undefined;
  const dist = path.dirname(require.resolve('hermes-parser'));
  for (const key of Object.keys(require.cache)) if (key.startsWith(dist + path.sep)) delete require.cache[key];
}

/** The first line of an error message, bounded: Hermes appends a source excerpt and a caret. */
function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * Parse a file that declares itself Flow (`@flow`). Never throws. The caller decides when it is
 * worth it: only after Babel could not read the file cleanly.
 */
export function parseFlow(text: string): FlowParseResult {
  if (text.length > FLOW_PARSE_MAX_BYTES) {
    return { error: { message: `the Flow parser was not tried: ${text.length} characters is over its ${FLOW_PARSE_MAX_BYTES} limit` } };
  }
  if (flowParserStats.crashes >= MAX_INSTANCES) {
    return { error: { message: `the Flow parser is off after ${flowParserStats.crashes} failed instances in this process` } };
  }
  const started = performance.now();
  try {
    const parser = load();
    flowParserStats.parses++;
    // `flow: 'all'`: the file declares Flow, so ambiguous syntax (`f<T>(x)`) reads as Flow, whatever
    // comment the pragma sits in.
    const ast = parser.parse(text, { babel: true, flow: 'all', sourceType: 'unambiguous', allowReturnOutsideFunction: true, tokens: false });
    return { ast };
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    if (e instanceof SyntaxError && e.loc) {
      flowParserStats.syntaxErrors++;
      return { error: { message: firstLine(e.message), line: e.loc.line, column: e.loc.column } };
    }
    flowParserStats.crashes++;
    drop();
    // Named, not quoted: a stack overflow here is the fallback's limit, not a finding about nesting.
    return { error: { message: `the Flow parser failed (${e?.name ?? 'error'}${/stack|memory/i.test(String(e?.message)) ? ': out of stack or memory' : ''})` } };
  } finally {
    flowParserStats.parseMs += performance.now() - started;
  }
}
