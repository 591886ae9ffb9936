import { parse, type ParserPlugin, type ParseResult } from '@babel/parser';
import type { File } from '@babel/types';

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
}

/** Parse one file; never throws. errorRecovery keeps going past many syntax errors. */
export function parseFile(path: string, text: string): ParseOutcome {
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
    return { ast, recovered: ast.errors?.length ?? 0 };
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    // A stack overflow on absurdly deep nesting lands here too: that is a finding, not a crash.
    return { error: { message: e.message, line: e.loc?.line, column: e.loc?.column }, recovered: 0 };
  }
}
