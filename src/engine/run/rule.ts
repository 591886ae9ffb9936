import type { Node, CallExpression, NewExpression, OptionalCallExpression } from '@babel/types';
import type { Finding, Manifest, PackageFile, Reach, RuleMeta, Severity, Signal } from '../../types.js';
import type { Evaluator } from '../semantics/evaluate.js';
import type { LifecycleScripts } from '../semantics/scripts.js';
import type { ModuleGraph } from '../semantics/graph.js';
import type { Taint } from '../semantics/flows.js';

export type CallNode = CallExpression | NewExpression | OptionalCallExpression;

/** A call with its callee resolved once by the engine for every rule (aliases, destructuring, computed members). */
export interface CallInfo {
  node: CallNode;
  /** Canonical callee such as `child_process.exec`, `eval`, `https.request`; undefined when unprovable. */
  callee: string | undefined;
  isNew: boolean;
}

export interface ReportInput {
  message: string;
  node?: Node;
  line?: number;
  column?: number;
  /** Overrides the rule's default severity. */
  severity?: Severity;
  signals?: Signal[];
  evidence?: string;
  file?: string;
}

/** What a rule sees of one file while its visitors run. */
export interface FileContext {
  readonly path: string;
  readonly text: string;
  readonly reach: Reach;
  /**
   * Whether the AST visitors will run on this file. Lexical hooks use it to act as the fallback
   * for files too large to parse or that failed to parse, so those never go unexamined.
   */
  readonly astAvailable: boolean;
  /**
   * The file should have been read by the AST tiers but could not be (over the parse limit, or a
   * parse failure). Lexical fallbacks act only then: a file tier 0 skipped names no capability.
   */
  readonly unreadable: boolean;
  /** Static evaluator bound to this file's bindings (fold, foldLoose, canonical). */
  readonly evaluator: Evaluator;
  /** Data-flow service: the sensitive sources an expression may carry, with their paths. */
  readonly flows: {
    taintOf(node: Node): Taint[];
    /** Responses of network calls to hard-coded addresses this value may carry ('remote-content' taints). */
    remoteContentOf(node: Node): Taint[];
  };
  /**
   * Hand decoded source text (what eval/Function would run) to the engine: it is parsed and every
   * rule runs on it, findings attributed to `at`. Returns false when it could not be parsed.
   */
  analyzeDecoded(code: string, at: Node): boolean;
  report(input: ReportInput): void;
}

/** What a rule sees of the whole package. */
export interface PackageContext {
  readonly manifest: Manifest | undefined;
  readonly files: ReadonlyMap<string, PackageFile>;
  readonly scripts: LifecycleScripts;
  readonly graph: ModuleGraph;
  textOf(file: string): string | undefined;
  report(input: ReportInput): void;
}

type NodeHandler = (node: Node, ctx: FileContext) => void;

/** Patterns that keep a function body parsed (RuleVisitors.bodyHints). */
export interface BodyHints {
  /** Tried on the text of each string, template chunk and regex literal in the body. */
  literals?: RegExp;
  /** Tried on the body's code (names such as `homedir`, `fromCharCode`). */
  code?: RegExp;
}

export interface RuleVisitors {
  /** Once per package, before files: manifest and file-list checks. */
  package?(ctx: PackageContext): void;
  /** Tier 0: every code file's text, parsed or not (cheap regex checks only; see astAvailable). */
  lexical?(ctx: FileContext): void;
  /** Every call and `new`, with the callee already resolved. */
  call?(call: CallInfo, ctx: FileContext): void;
  /** Handlers by Babel node type, merged with every other rule's into one walk. */
  nodes?: Partial<Record<Node['type'], NodeHandler>>;
  /**
   * What, inside a function body, means this rule needs that body's syntax tree. In large files the
   * engine skips bodies that name no capability (lazy-bodies.ts); a rule whose visitors look at
   * literals (paths, URLs, key names) that a helper function may hold says so here, with the cheap
   * pre-test its visitors already apply. 'all': this package needs every body.
   */
  bodyHints?: BodyHints | 'all';
}

export interface Rule {
  meta: RuleMeta;
  create(ctx: PackageContext): RuleVisitors;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}

/** The evidence excerpt of a node: its source line, trimmed and bounded. */
export function excerpt(text: string, node: Node | undefined, max = 160): string | undefined {
  if (!node || node.start == null || node.end == null) return undefined;
  const start = node.start;
  const end = Math.min(node.end, start + max);
  let s = text.slice(start, end).replace(/\s+/g, ' ').trim();
  if (node.end - start > max) s += '…';
  return s;
}

/** Report the first few matches of a regex in a file's text, with line and column (lexical fallback). */
export function reportMatches(ctx: FileContext, re: RegExp, max: number, make: (m: RegExpExecArray) => Omit<ReportInput, 'line' | 'column' | 'node'> | undefined): void {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = g.exec(ctx.text)) && n < max) {
    if (m[0].length === 0) g.lastIndex++;
    const input = make(m);
    if (!input) continue;
    n++;
    let line = 1;
    let last = -1;
    for (let i = ctx.text.indexOf('\n'); i !== -1 && i < m.index; i = ctx.text.indexOf('\n', i + 1)) {
      line++;
      last = i;
    }
    ctx.report({ ...input, line, column: m.index - last, evidence: input.evidence ?? m[0].slice(0, 160) });
  }
}

export type { Finding };
