import { parse, type ParserPlugin, type ParseResult } from '@babel/parser';
import type { File } from '@babel/types';
import { fastParse } from './fast-parse.js';
import { parseFlow } from './flow-parse.js';
import type { LazyPlan } from '../prefilter/lazy-bodies.js';

export const JS_EXTENSIONS = ['.js', '.cjs', '.mjs', '.jsx', '.ts', '.mts', '.cts', '.tsx'] as const;

export function isCodeFile(path: string): boolean {
  const lower = path.toLowerCase();
  if (lower.endsWith('.d.ts') || lower.endsWith('.d.mts') || lower.endsWith('.d.cts')) return false;
  return JS_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** The file says it is Flow: Babel gets its flow plugin, and Flow's own parser reads what Babel cannot. */
function declaresFlow(text: string): boolean {
  return /@flow\b/.test(text.slice(0, 4096));
}

function pluginsFor(path: string, text: string): ParserPlugin[] {
  const lower = path.toLowerCase();
  const plugins: ParserPlugin[] = [];
  if (lower.endsWith('.ts') || lower.endsWith('.mts') || lower.endsWith('.cts')) {
    plugins.push('typescript');
  } else if (lower.endsWith('.tsx')) {
    plugins.push('typescript', 'jsx');
  } else {
    plugins.push('jsx');
    // Flow and TypeScript syntax cannot both be on; Flow only where the file says so.
    if (declaresFlow(text)) plugins.push('flow');
  }
  plugins.push(['decorators', { decoratorsBeforeExport: true }], 'importAttributes', 'explicitResourceManagement');
  return plugins;
}

export interface ParseOutcome {
  ast?: ParseResult<File>;
  error?: { message: string; line?: number; column?: number };
  recovered: number;
  /** Which parser read the file: the fast one, Babel for what it cannot read, Hermes for Flow Babel cannot read. */
  parser?: 'acorn' | 'babel' | 'hermes';
  /** Function bodies the lazy plan let the parser skip, and their bytes. */
  skipped?: number;
  skippedBytes?: number;
}

/** TypeScript, JSX and Flow need Babel; plain JavaScript goes to the fast tier first. */
function needsBabel(path: string, text: string): boolean {
  const lower = path.toLowerCase();
  return /\.(?:[cm]?ts|tsx|jsx)$/.test(lower) || declaresFlow(text);
}

/**
 * Parse one file; never throws. Plain JavaScript is read by acorn with location-free nodes
 * (fast-parse.ts), two to three times cheaper in heap than Babel's. Anything acorn rejects (JSX in a
 * .js file, syntax errors, proposals) is read again by Babel, whose errorRecovery keeps going past
 * many syntax errors: the fallback costs time on odd files, never coverage.
 */
export function parseFile(path: string, text: string, lazy?: () => LazyPlan | undefined): ParseOutcome {
  if (!needsBabel(path, text) && process.env.TOLLGATE_PARSER !== 'babel') {
    const fast = fastParse(text, lazy?.());
    if ('ast' in fast) return { ast: fast.ast as unknown as ParseResult<File>, recovered: 0, parser: 'acorn', skipped: fast.skipped, skippedBytes: fast.skippedBytes };
  }
  const babel = parseWithBabel(path, text);
  if ((babel.ast && babel.recovered === 0) || babel.overflow || /\.(?:[cm]?ts|tsx)$/i.test(path) || !declaresFlow(text)) return babel;
  return withFlowParser(text, babel);
}

/**
 * A Flow file Babel could not read cleanly goes to Flow's own parser (flow-parse.ts): newer Flow
 * (`x as T`, `readonly`, `K extends keyof T`) stops Babel outright, or its error recovery reads
 * `return x as T` as three statements. Hermes's reading wins when it has one; otherwise Babel's
 * recovered tree is still better than none, and a file neither reads keeps Babel's error, with
 * Hermes's beside it: a file that runs and cannot be read stays a finding.
 */
function withFlowParser(text: string, babel: ParseOutcome & { overflow?: boolean }): ParseOutcome {
  const flow = parseFlow(text);
  if ('ast' in flow) return { ast: flow.ast as ParseResult<File>, recovered: 0, parser: 'hermes' };
  if (babel.ast) return babel;
  const at = flow.error.line !== undefined ? ` at ${flow.error.line}:${flow.error.column ?? 0}` : '';
  return { ...babel, error: { ...babel.error!, message: `${babel.error!.message}; Flow parser: ${flow.error.message}${at}` } };
}

/** Babel's options for package code, but for the plugins, which depend on the file (pluginsFor). */
export const BABEL_OPTIONS = {
  sourceType: 'unambiguous',
  errorRecovery: true,
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowSuperOutsideMethod: true,
  allowUndeclaredExports: true,
  tokens: false,
  // Rules read comments lexically; attaching them to nodes costs a third of the parse.
  attachComment: false,
} as const;

function parseWithBabel(path: string, text: string): ParseOutcome & { overflow?: boolean } {
  const plugins = pluginsFor(path, text);
  try {
    const ast = parse(text, { ...BABEL_OPTIONS, plugins });
    return { ast, recovered: ast.errors?.length ?? 0, parser: 'babel' };
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    // A stack overflow on absurdly deep nesting lands here too: that is a finding, not a crash.
    return { error: { message: e.message, line: e.loc?.line, column: e.loc?.column }, recovered: 0, overflow: err instanceof RangeError };
  }
}
