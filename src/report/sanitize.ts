// One sanitizer for every string that came from a package, a lockfile or a registry on its way to
// a terminal, a CI log or a page. Such a string is attacker-controlled: an ESC sequence in a package
// name retitles the terminal, moves the cursor or erases the line above (hiding a verdict); a CR
// overwrites a line; a newline followed by `::add-mask::`, `::set-env` or a fake `::notice` is a
// workflow command to a GitHub Actions runner, which reads every line of stdout and stderr.
//
// - `revealInvisible` shows control, zero-width and bidi characters as ⟨U+XXXX⟩ (the HTML report
//   uses the same classes).
// - `safeLine` is a package string in a one-line field of the terminal report.
// - `neutralizeWorkflowCommands` is applied to whole output text in Actions: no line can start a
//   workflow command (`::name …`, after the whitespace the runner trims) or hold a `##[name]` one.

/** Controls (C0 but tab and newline, DEL, C1), soft hyphen, zero-width, bidi and line separators. */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
/** The same, and tab and newline too: text that must stay on one line. */
const INVISIBLE_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

const codePoint = (c: string): string => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`;

/** Invisible and control characters shown as ⟨U+XXXX⟩; newlines and tabs kept when `multiline`. */
export function revealInvisible(s: string, multiline: boolean): string {
  return s.replace(multiline ? INVISIBLE : INVISIBLE_OR_NEWLINE, codePoint);
}

/** A package, lockfile or registry string for one line of terminal output: nothing it holds acts. */
export function safeLine(value: unknown): string {
  const s = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  return revealInvisible(s, false);
}

/** Whether output goes to a GitHub Actions log: `--github`, else GITHUB_ACTIONS=true. */
export function inGithubActions(flag?: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag ?? env.GITHUB_ACTIONS === 'true';
}

// The runner (ActionCommand.TryParseV2) trims leading whitespace, then needs "::"; the legacy
// parser (TryParse) finds "##[" anywhere in a line. .NET's TrimStart trims Unicode white space.
const V2_COMMAND = /^([\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*)::/;
const V1_COMMAND = /##\[/g;

/**
 * Text for an Actions log in which no line is a workflow command: a line that would start with
 * `::` gets `: :`, and `##[` becomes `# #[`. Our own annotations are written apart from it.
 */
export function neutralizeWorkflowCommands(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(V2_COMMAND, '$1: :').replace(V1_COMMAND, '# #['))
    .join('\n');
}

/** Text for stdout or stderr: workflow commands neutralized in Actions. */
export function forLog(text: string, actions: boolean): string {
  return actions ? neutralizeWorkflowCommands(text) : text;
}
