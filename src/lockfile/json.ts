// JSON / JSONC reading with errors that name the file and line. JSON.parse is fast but its
// messages carry no line (and "Unexpected end of JSON input" no position at all), so on failure
// we re-parse with jsonc-parser, which reports the offset of the first error.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { LineIndex, LockfileError } from './types.js';

function firstError(text: string, file: string, errors: ParseError[], what: string): LockfileError {
  const e = errors[0]!;
  const lines = new LineIndex(text);
  const end = text.trimEnd().length;
  // A cut file fails at (or runs to) its very end: say so, since that is what the user must fix.
  const truncated = errors.some((x) => x.offset + x.length >= end);
  const why = printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const line = lines.lineAt(Math.min(e.offset, text.length));
  return new LockfileError(file, line, `not valid ${what}: ${why}${truncated ? '; the file ends before the data does (truncated?)' : ''}`);
}

export function readJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
    if (errors.length) throw firstError(text, file, errors, 'JSON');
    throw new LockfileError(file, undefined, `not valid JSON: ${(err as Error).message}`);
  }
}

/** bun.lock is JSON with trailing commas (and, being JSONC, possibly comments). */
export function readJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length) throw firstError(text, file, errors, 'JSONC');
  return value;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
