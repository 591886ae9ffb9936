// One table per command: `util.parseArgs` reads its options from it and `--help` is rendered from
// it, so the parser and the help text cannot drift apart. Pure functions; no command code is loaded.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';
import { closest } from './suggest.js';

export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  /** Passed to parseArgs and shown in help (unless `defaultText` says it better). */
  default?: string | boolean | readonly string[];
  /** The default as help shows it, when parseArgs has none (a value computed later, say). */
  defaultText?: string;
  /** Placeholder for a string option's value in help, e.g. `<verdict>`. */
  value?: string;
  /** What it does; further lines are indented under the first. */
  description: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionTable = OptionTable> {
  name: string;
  /** Usage lines, each after `tollgate `. */
  usage: readonly string[];
  /** One line for `tollgate help`. */
  summary: string;
  /** What the command does, a paragraph or two. */
  description: string;
  options: O;
  /** Extra sections (title, body), shown after the options. */
  sections?: readonly { title: string; body: string }[];
  examples: readonly string[];
  exitCodes: readonly string[];
}

/** `--help`/`-h`, added to every command's table. */
export const HELP_OPTION = { type: 'boolean', short: 'h', default: false, description: 'this text' } as const satisfies OptionSpec;

type ValueOf<S> = S extends { type: 'boolean' } ? boolean : S extends { multiple: true } ? string[] : string;
export type OptionValues<O extends OptionTable> = {
  [K in keyof O]: O[K] extends { default: string | boolean | readonly string[] } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
} & { help: boolean };

export interface CommandArgs<O extends OptionTable> {
  values: OptionValues<O>;
  positionals: string[];
}

/** Declare a command; `const` keeps each option's literal type, so parsed values are typed. */
export function command<const O extends OptionTable>(spec: CommandSpec<O>): CommandSpec<O> {
  if ('help' in spec.options) throw new Error(`${spec.name}: --help is added to every command, do not declare it`);
  return spec;
}

function parseArgsOptions(table: OptionTable): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries<OptionSpec>({ ...table, help: HELP_OPTION })) {
    out[name] = {
      type: o.type,
      ...(o.short !== undefined ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: (Array.isArray(o.default) ? [...(o.default as string[])] : o.default) as unknown as string } : {}),
    };
  }
  return out;
}

/**
 * Parse `argv` against the command's table. Unknown options are refused by us (with the nearest
 * known option as a hint) before parseArgs sees them; parseArgs' own errors become UsageErrors.
 */
export function parseCommandArgs<O extends OptionTable>(spec: CommandSpec<O>, argv: readonly string[]): CommandArgs<O> {
  const options = parseArgsOptions(spec.options);
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const shorts = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name in options || shorts.has(t.name)) continue;
    const given = t.rawName;
    const hint = t.rawName.startsWith('--') ? closest(t.name, Object.keys(options)) : undefined;
    throw new UsageError(`unknown option ${given} for \`tollgate ${spec.name}\`${hint ? `; did you mean --${hint}?` : ''}`);
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values: values as OptionValues<O>, positionals };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
}

const LEFT = 28;

function optionLabel(name: string, o: OptionSpec): string {
  const value = o.type === 'string' ? ` ${o.value ?? `<${name}>`}` : '';
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${value}`;
}

function defaultShown(o: OptionSpec): string | undefined {
  if (o.defaultText !== undefined) return o.defaultText;
  if (o.default === undefined || o.default === false) return undefined;
  if (Array.isArray(o.default)) return o.default.length ? o.default.join(', ') : undefined;
  return String(o.default);
}

/** The options part of a command's help: every option of its table, with its default. */
export function renderOptions(table: OptionTable): string {
  const lines: string[] = [];
  for (const [name, o] of Object.entries<OptionSpec>({ ...table, help: HELP_OPTION })) {
    const label = `  ${optionLabel(name, o)}`;
    const dflt = defaultShown(o);
    const text = (o.description + (dflt !== undefined ? ` (default: ${dflt})` : '')).split('\n');
    const pad = ' '.repeat(LEFT);
    if (label.length < LEFT - 1) lines.push(label.padEnd(LEFT) + text[0]);
    else lines.push(label, pad + text[0]);
    for (const more of text.slice(1)) lines.push(pad + more);
  }
  return lines.join('\n');
}

export function renderCommandHelp(spec: CommandSpec): string {
  const out = [`tollgate ${spec.name}: ${spec.summary}`, '', 'Usage:', ...spec.usage.map((u) => `  tollgate ${u}`), '', spec.description.trimEnd(), '', 'Options:', renderOptions(spec.options)];
  for (const s of spec.sections ?? []) out.push('', `${s.title}:`, s.body.trimEnd());
  out.push('', 'Exit codes:', ...spec.exitCodes.map((e) => `  ${e}`));
  out.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return out.join('\n') + '\n';
}

/**
 * A whole-number option value within [min, max], or the usage error that names the flag and what
 * it got. `fail` lets commands with their own usage error class (watch, worker) keep it.
 */
export function wholeNumber(flag: string, raw: string | undefined, min: number, max: number, fail: (message: string) => Error = (m) => new UsageError(m)): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw fail(`${flag} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return n;
}
