// Terminal styling for every report: whether to color (one decision) and how (node:util styleText),
// and one status line that redraws itself in place for progress.
import { clearLine, cursorTo } from 'node:readline';
import { styleText } from 'node:util';

export type Style = 'red' | 'yellow' | 'green' | 'gray' | 'bold' | 'cyan' | 'magenta';

/**
 * Color output for `stream`? `--no-color` always wins; then FORCE_COLOR (set: on, unless "0" or
 * "false"), then NO_COLOR (set and not empty: off), then only a terminal that has colors.
 */
export function useColor(stream: { isTTY?: boolean; hasColors?: () => boolean }, noColorFlag = false, env: NodeJS.ProcessEnv = process.env): boolean {
  if (noColorFlag) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && (stream.hasColors?.() ?? true);
}

/** A styling function, or the identity when color is off. The decision is ours (useColor), not styleText's. */
export function painter(on: boolean): (style: Style | readonly Style[], text: string) => string {
  if (!on) return (_style, text) => text;
  // validateStream: false, or Node (22.13+, 20.19's backport for single styles) would check
  // process.stdout itself and disagree with --no-color / FORCE_COLOR or the stream we write to.
  const style = styleText as (format: Style | readonly Style[], text: string, options: { validateStream: boolean }) => string;
  return (s, text) => style(s, text, { validateStream: false });
}

/** One line on a terminal, redrawn in place (progress); clear() leaves the cursor at column 0. */
export class StatusLine {
  constructor(private readonly out: NodeJS.WritableStream & { columns?: number }) {}

  /** Replace the line with `text`, cut to the terminal's width so it never wraps. */
  show(text: string): void {
    const cols = this.out.columns ?? 100;
    cursorTo(this.out, 0);
    clearLine(this.out, 0);
    this.out.write(text.length > cols - 1 ? text.slice(0, cols - 1) : text);
  }

  clear(): void {
    cursorTo(this.out, 0);
    clearLine(this.out, 0);
  }
}
