import { parse, type ParserPlugin, type ParseResult } from '@babel/parser';
import type { File } from '@babel/types';
import { fastParse } from './fast-parse.js';
import type { LazyPlan } from '../prefilter/lazy-bodies.js';

export const JS_EXTENSIONS = ['.js', '.cjs', '.mjs', '.jsx', '.ts', '.mts', '.cts', '.tsx'] as const;

export function isCodeFile(path: string): boolean {
  const lower = path.toLowerCase();
  if (lower.endsWith('.d.ts') || lower.endsWith('.d.mts') || lower.endsWith('.d.cts')) return false;
  return JS_EXTENSIONS.some((ext) => lower.endsWith(ext));
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
    if (/@flow\b/.test(text.slice(0, 4096))) plugins.push('flow');
  }
  plugins.push(['decorators', { decoratorsBeforeExport: true }], 'importAttributes', 'explicitResourceManagement');
  return plugins;
}

export interface ParseOutcome {
  ast?: ParseResult<File>;
  error?: { message: string; line?: number; column?: number };
  recovered: number;
  /** Which parser read the file: the fast one, or Babel for what it cannot read. */
  parser?: 'acorn' | 'babel';
  /** Function bodies the lazy plan let the parser skip, and their bytes. */
  skipped?: number;
  skippedBytes?: number;
}

/** TypeScript, JSX and Flow need Babel; plain JavaScript goes to the fast tier first. */
function needsBabel(path: string, text: string): boolean {
  const lower = path.toLowerCase();
  return /\.(?:[cm]?ts|tsx|jsx)$/.test(lower) || /@flow\b/.test(text.slice(0, 4096));
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
  return parseWithBabel(path, text);
}

function parseWithBabel(path: string, text: string): ParseOutcome {
  const plugins = pluginsFor(path, text);
  try {
    const ast = parse(text, {
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
      plugins,
    });
    return { ast, recovered: ast.errors?.length ?? 0, parser: 'babel' };
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    // A stack overflow on absurdly deep nesting lands here too: that is a finding, not a crash.
    return { error: { message: e.message, line: e.loc?.line, column: e.loc?.column }, recovered: 0 };
  }
}
