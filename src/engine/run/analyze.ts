import type { Node, File } from '@babel/types';
import type { Finding, PackageFile, Reach, UnpackedPackage } from '../../types.js';
import { parseFile, isCodeFile } from '../parse/parse.js';
import { CONFIG_FILES, hiddenCodeFiles, packageConfigSettings } from '../semantics/package-config.js';
import { walkFile } from '../semantics/walk.js';
import { Evaluator } from '../semantics/evaluate.js';
import { worthParsing } from '../prefilter/lexical.js';
import { foldAlternatives, topLevelAlternatives } from '../../catalog/alternation.js';
import { lazyPlan, LAZY_MIN_BYTES, type LazyHints } from '../prefilter/lazy-bodies.js';
import { lifecycleScripts, type LifecycleScripts } from '../semantics/scripts.js';
import { buildGraph, resolveInPackage, type ModuleGraph } from '../semantics/graph.js';
import { dataModules } from '../semantics/json-modules.js';
import { FlowService, type FlowFile } from '../semantics/flows.js';
import { installRuns } from '../semantics/install-reach.js';
import { installStringArrayDecoders, mayHaveStringArray } from '../semantics/string-array.js';
import { excerpt, type CallInfo, type FileContext, type PackageContext, type ReportInput, type Rule, type RuleVisitors } from './rule.js';

export interface EngineOptions {
  /** Files above this size get the lexical tier only, with a `too-large` note. */
  maxParseBytes: number;
  /** Node budget for one file's walk. */
  maxNodes: number;
  /** How deep decoded payloads (eval of decoded text inside eval of decoded text…) are followed. */
  maxDecodeDepth?: number;
  /**
   * Source bytes whose syntax trees are kept for cross-file flow analysis. Beyond it, files are
   * analyzed one at a time and their trees dropped: memory stays bounded on huge packages.
   */
  maxRetainedBytes?: number;
  /** Rules switched off by id. */
  disabledRules?: ReadonlySet<string>;
  /**
   * One of `count` parallel analyses of the same package (see shardPlan). Shard 0 does everything
   * but the other shards' share of the files past the retention budget; the others parse the
   * retained files for cross-file context and analyze only their share. Findings and stats of all
   * shards add up to those of one whole analysis.
   */
  shard?: { index: number; count: number };
  /**
   * Files from this size up get lazy function bodies (lazy-bodies.ts): bodies that name no
   * capability and no rule's hint are left out of the syntax tree. Infinity parses every body.
   */
  lazyMinBytes?: number;
  /**
   * Time one file may take in the lexical and parse tiers (parse, walk, rules, decoded payloads),
   * in ms. Past it the file's remaining checks are skipped and a `too-slow` analysis-gap finding
   * says so (scored: never clean). Checked between rules and every few hundred nodes: a parser
   * call itself is not cut, it is linear and capped by maxParseBytes. Tests set it low.
   */
  fileBudgetMs?: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  maxParseBytes: 5 * 1024 * 1024,
  maxNodes: 3_000_000,
  maxDecodeDepth: 3,
  maxRetainedBytes: 2 * 1024 * 1024,
  lazyMinBytes: LAZY_MIN_BYTES,
  fileBudgetMs: 60_000,
};

/**
 * TOLLGATE_LAZY=all makes every function body of every file eligible for skipping (the test suite
 * runs the rule tests that way to show no rule depends on a body the plan skips); =off disables it;
 * =tokenize skips the same bodies but has the parser tokenize each one instead of jumping to the
 * `}` the brace scan found (what the jump saves: scripts/measure-tiers.ts).
 */
function lazyMode(options: EngineOptions): { minBytes: number; minBody?: number; jump: boolean } {
  const env = process.env.TOLLGATE_LAZY;
  if (env === 'all') return { minBytes: 0, minBody: 0, jump: true };
  if (env === 'off') return { minBytes: Infinity, jump: true };
  return { minBytes: options.lazyMinBytes ?? LAZY_MIN_BYTES, jump: env !== 'tokenize' };
}

/** TOLLGATE_LEXICAL=off parses every file tier 0 would pass over (to measure tier 0: scripts/measure-tiers.ts). */
const worthParsingHere = (text: string): boolean => process.env.TOLLGATE_LEXICAL === 'off' || worthParsing(text);

export interface AnalysisStats {
  files: number;
  codeFiles: number;
  parsedFiles: number;
  parsedBytes: number;
  codeBytes: number;
  skippedLexical: number;
  parseErrors: number;
  decodedPayloads: number;
  /** Files analyzed past the retention budget (no cross-file flows into them from later files). */
  streamedFiles: number;
  /** Function bodies left out of the syntax trees (lazy-bodies.ts), and their bytes. */
  lazyBodies?: number;
  lazyBytes?: number;
  /**
   * Where flow analysis gave up and dropped a path instead of assuming it: names with too many
   * member writes to follow, paths longer than a reader can check, queries over the step budget.
   */
  flowGaps?: { memberWrites: number; longPaths: number; budget: number };
  slowestFile?: { file: string; ms: number };
}

export interface Analysis {
  findings: Finding[];
  scripts: LifecycleScripts;
  graph: ModuleGraph;
  stats: AnalysisStats;
}

const CALL_TYPES = new Set(['CallExpression', 'NewExpression', 'OptionalCallExpression']);
const MAX_DECODED_BYTES = 2 * 1024 * 1024;
/** Install-time files the rules skip are parsed up to this size to follow what they call. */
const MAX_REACH_ONLY_BYTES = 512 * 1024;

/** Inline `node -e` code from lifecycle scripts is analyzed as a file of its own. */
export function inlineScriptPath(script: string, index: number): string {
  return `package.json#scripts.${script}${index ? `[${index}]` : ''}`;
}


/**
 * The rules' literal hints as one regex, folded (catalog/alternation.ts): every literal of a large
 * file is tested against it. Kept per rule set, since folding costs more than a small package's scan.
 */
const FOLDED_HINTS = new Map<string, RegExp>();
function foldedLiteralHints(sources: readonly string[]): RegExp {
  const key = sources.join('|');
  let re = FOLDED_HINTS.get(key);
  if (!re) {
    if (FOLDED_HINTS.size >= 16) FOLDED_HINTS.clear(); // rule sets are few; a caller making many stays bounded
    FOLDED_HINTS.set(key, (re = new RegExp(foldAlternatives(sources.flatMap(topLevelAlternatives)))));
  }
  return re;
}
/** A parsed file kept for the whole package, so flows can cross module boundaries. */
interface ParsedFile extends FlowFile {
  reach: Reach;
  /** Parsed only to follow install-time calls through it; the rules ran on it lexically. */
  reachOnly?: boolean;
  /** The reach of the code at a node, when it is finer than the file's (install-reach.ts). */
  reachAt?: (node: Node | undefined) => Reach;
  depth: number;
  /** Decoded payloads report at the place that decoded and ran them. */
  origin?: { file: string; line: number; column: number; text: string };
}

type Handler<T> = { rule: Rule; fn: (x: T, ctx: FileContext) => void };

export function analyzePackage(pkg: UnpackedPackage, rules: readonly Rule[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS): Analysis {
  const steps = analysisSteps(pkg, rules, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same analysis, handing the thread back to the event loop every `sliceMs` of work (between
 * files). On the audit's main thread this is what lets downloads, progress and signals go on while
 * a large package is analyzed: a package like next is seconds of work in 3,500 files.
 */
export async function analyzePackageAsync(
  pkg: UnpackedPackage,
  rules: readonly Rule[],
  options: EngineOptions = DEFAULT_ENGINE_OPTIONS,
  sliceMs = 20,
  onFiles?: (progress: Readonly<FileProgress>) => void,
): Promise<Analysis> {
  const progress: FileProgress = { phase: 'analyzing', done: 0, total: 0 };
  const steps = analysisSteps(pkg, rules, options, progress);
  let since = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - since >= sliceMs) {
      onFiles?.(progress);
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}

/**
 * Where an analysis is among a package's files: each file in turn ("analyzing"), then, for files whose
 * syntax trees were kept for cross-file flows, the rules on each once the module graph is known ("linking").
 */
export interface FileProgress {
  phase: 'analyzing' | 'linking';
  done: number;
  total: number;
}

/** The analysis as a generator that yields between files (see analyzePackageAsync); `progress` is kept up to date. */
function* analysisSteps(pkg: UnpackedPackage, rules: readonly Rule[], options: EngineOptions, progress?: FileProgress): Generator<void, Analysis> {
  const shard = options.shard && options.shard.count > 1 ? options.shard : undefined;
  const primary = !shard || shard.index === 0;
  const findings: Finding[] = primary ? [...pkg.findings] : [];
  const manifest = pkg.manifest;
  const scripts = lifecycleScripts(manifest);
  const maxDecodeDepth = options.maxDecodeDepth ?? 3;

  // Virtual files: inline code that lifecycle scripts hand to `node -e`.
  const virtual = new Map<string, string>();
  for (const s of [...scripts.install, ...scripts.uninstall]) {
    s.inlineCode.forEach((code, i) => virtual.set(inlineScriptPath(s.script, i), code));
  }
  // Decoded on demand and not cached: holding every file's text on the heap is what made a
  // 100 MB package need gigabytes. Decoding UTF-8 again is far cheaper than keeping it.
  const textOf = (file: string): string | undefined => {
    const v = virtual.get(file);
    if (v !== undefined) return v;
    const f = pkg.files.get(file);
    return f?.data ? f.data.toString('utf8') : undefined;
  };
  const fileSet = new Set(pkg.files.keys());
  // The package's own JSON files, for folding `require('./package.json').name` (data, bounded).
  const jsonModules = dataModules(pkg.files as ReadonlyMap<string, PackageFile>);
  // Files that run as JavaScript without a JS name (extension-less install files and bins, files
  // the package's own .npmrc/.yarnrc.yml/bunfig.toml load), and those config files themselves,
  // which npm and yarn read at install in the package's folder (issue 18).
  const hidden = hiddenCodeFiles(fileSet, manifest, scripts, textOf, packageConfigSettings(fileSet, textOf));
  const hiddenCode = new Set(hidden.code);
  const installSeeds = [...virtual.keys(), ...hidden.install, ...CONFIG_FILES.filter((f) => fileSet.has(f))];
  const codeFiles = [...pkg.files.values()].filter((f) => isCodeFile(f.path)).map((f) => f.path).concat(hidden.code);
  const codeText = (f: string) => (isCodeFile(f) || virtual.has(f) || hiddenCode.has(f) ? textOf(f) : undefined);
  let graph = buildGraph(fileSet, codeText, manifest, scripts, installSeeds);

  const active = rules.filter((r) => !options.disabledRules?.has(r.meta.id));
  const makeReport = (rule: Rule, file: string | undefined, text: string | undefined, reachOf: () => Reach | undefined, origin?: ParsedFile['origin']) => (input: ReportInput) => {
    const f: Finding = {
      rule: rule.meta.id,
      severity: input.severity ?? rule.meta.severity,
      message: input.message,
      file: input.file ?? file,
      signals: input.signals,
    };
    const node = input.node;
    if (origin) {
      // Findings inside decoded code point at the code that decoded and ran it.
      f.file = origin.file;
      f.line = origin.line;
      f.column = origin.column;
      f.message = `${input.message} [in code decoded at ${origin.file}:${origin.line}]`;
    } else if (node?.loc) {
      f.line = node.loc.start.line;
      f.column = node.loc.start.column + 1;
    } else if (input.line !== undefined) {
      f.line = input.line;
      f.column = input.column;
    }
    f.evidence = input.evidence ?? (text ? excerpt(text, node) : undefined);
    // Manifest-level findings (lifecycle scripts, binding.gyp) describe what npm runs on install.
    const r = reachOf() ?? (f.file === 'package.json' || f.file === 'binding.gyp' ? 'install' : f.file ? graph.reachOf(f.file) : undefined);
    if (r) f.reach = r;
    findings.push(f);
  };

  const pkgCtxBase = { manifest, files: pkg.files as ReadonlyMap<string, PackageFile>, scripts, get graph() { return graph; }, textOf };
  const noReach = () => undefined;
  const instances: { rule: Rule; visitors: RuleVisitors }[] = active.map((rule) => {
    const ctx: PackageContext = { ...pkgCtxBase, graph, report: makeReport(rule, undefined, undefined, noReach) };
    return { rule, visitors: rule.create(ctx) };
  });
  for (const { rule, visitors } of instances) {
    if (!visitors.package || !primary) continue;
    try {
      visitors.package({ ...pkgCtxBase, graph, report: makeReport(rule, undefined, undefined, noReach) });
    } catch (err) {
      findings.push(engineError(rule.meta.id, undefined, err));
    }
  }

  // What the rules need to see inside function bodies: their hints, or every body.
  const lazy = lazyMode(options);
  const literalHints: string[] = [];
  const codeHints: string[] = [];
  let tagged = false;
  for (const { visitors } of instances) {
    const h = visitors.bodyHints;
    if (h === 'all') lazy.minBytes = Infinity;
    else if (h) {
      if (h.literals) literalHints.push(`(?:${h.literals.source})`);
      if (h.code) codeHints.push(`(?:${h.code.source})`);
    }
    // Tagged templates (zx's $`cmd`) are rare enough to keep every body holding one. (A computed
    // import() is a tier-0 trigger already.)
    if (visitors.nodes?.TaggedTemplateExpression) tagged = true;
  }
  const hints: LazyHints = {
    literals: literalHints.length ? foldedLiteralHints(literalHints) : undefined,
    code: codeHints.length ? new RegExp(codeHints.join('|'), 'g') : undefined,
    tagged,
  };

  // Merge every rule's node handlers into one table for one walk per file.
  const wanted = new Set<string>(CALL_TYPES);
  const byType = new Map<string, Handler<Node>[]>();
  const callRules: Handler<CallInfo>[] = [];
  for (const { rule, visitors } of instances) {
    for (const [type, fn] of Object.entries(visitors.nodes ?? {})) {
      if (!fn) continue;
      wanted.add(type);
      let list = byType.get(type);
      if (!list) byType.set(type, (list = []));
      list.push({ rule, fn: fn as (n: Node, c: FileContext) => void });
    }
    if (visitors.call) callRules.push({ rule, fn: visitors.call.bind(visitors) });
  }

  const stats: AnalysisStats = { files: pkg.files.size, codeFiles: 0, parsedFiles: 0, parsedBytes: 0, codeBytes: 0, skippedLexical: 0, parseErrors: 0, decodedPayloads: 0, streamedFiles: 0 };
  const parsedFiles = new Map<string, ParsedFile>();
  const resolveSpec = (from: string, spec: string) => resolveInPackage(fileSet, from.startsWith('package.json#') ? undefined : from, spec);
  const flows = new FlowService(parsedFiles, resolveSpec);
  // Asked only at eval/Function sites whose code text is not folded: most packages never build it.
  let remote: FlowService | undefined;
  const remoteFlows = () => (remote ??= new FlowService(parsedFiles, resolveSpec, { remoteSources: true }));
  const timeOf = new Map<string, number>();
  /** The node whose handlers are running: reach can be finer than a file (install-reach.ts). */
  let visiting: Node | undefined;
  // The file being analyzed and when its clock started (parse time of an earlier phase included).
  const budgetMs = options.fileBudgetMs ?? DEFAULT_ENGINE_OPTIONS.fileBudgetMs!;
  let budget = { file: '', reach: 'unreached' as Reach, since: 0, over: false };
  const startBudget = (file: string, reach: Reach, spentMs = 0) => {
    budget = { file, reach, since: performance.now() - spentMs, over: false };
  };
  /** Whether the current file is out of time; reports it once. */
  const outOfTime = (): boolean => {
    if (budget.over) return true;
    if (performance.now() - budget.since <= budgetMs) return false;
    budget.over = true;
    findings.push({
      rule: 'too-slow',
      severity: 'medium',
      message: `analysis ran past its ${budgetMs} ms budget for one file; the rest of this file's checks did not run`,
      file: budget.file,
      reach: budget.reach,
      signals: ['analysis-gap'],
    });
    return true;
  };

  const fileContexts = (file: string, text: string, reachOf: () => Reach, parsed: ParsedFile | undefined) => {
    let astAvailable = false;
    let unreadable = false;
    const contexts = new Map<Rule, FileContext>();
    const ctxOf = (rule: Rule): FileContext => {
      let c = contexts.get(rule);
      if (!c) {
        c = {
          path: file,
          text,
          get reach() {
            return reachOf();
          },
          get astAvailable() {
            return astAvailable;
          },
          get unreadable() {
            return unreadable;
          },
          get evaluator() {
            if (!parsed) throw new Error('evaluator is only available in AST visitors');
            return parsed.evaluator;
          },
          get flows() {
            if (!parsed) throw new Error('flows are only available in AST visitors');
            return {
              taintOf: (node: Node) => flows.taintOf(node, parsed),
              remoteContentOf: (node: Node) => remoteFlows().taintOf(node, parsed).filter((t) => t.kind === 'remote-content'),
            };
          },
          analyzeDecoded: (code: string, at: Node) => (parsed ? analyzeDecoded(code, at, parsed) : false),
          report: makeReport(rule, file, parsed?.origin?.text ?? text, reachOf, parsed?.origin),
        };
        contexts.set(rule, c);
      }
      return c;
    };
    const runLexical = (available: boolean, cannotRead = false) => {
      astAvailable = available;
      unreadable = cannotRead;
      for (const { rule, visitors } of instances) {
        if (!visitors.lexical) continue;
        if (outOfTime()) break;
        try {
          visitors.lexical(ctxOf(rule));
        } catch (err) {
          findings.push(engineError(rule.meta.id, file, err));
        }
      }
    };
    return { ctxOf, runLexical };
  };

  const parseAndWalk = (file: string, text: string, reach: Reach, depth: number, origin?: ParsedFile['origin'], counted = true): ParsedFile | { error: string; overflow: boolean; line?: number; column?: number } => {
    const plan =
      depth === 0 && text.length >= lazy.minBytes
        ? () => {
            const p = lazyPlan(text, hints, lazy.minBytes, lazy.minBody);
            return p && !lazy.jump ? { ...p, exact: () => false } : p;
          }
        : undefined;
    const parsed = parseFile(file.includes('#') && !/\.(?:c|m)?[jt]sx?$/.test(file) ? 'inline.js' : file, text, plan);
    if (parsed.skipped && counted) {
      stats.lazyBodies = (stats.lazyBodies ?? 0) + parsed.skipped;
      stats.lazyBytes = (stats.lazyBytes ?? 0) + (parsed.skippedBytes ?? 0);
    }
    if (!parsed.ast) {
      const message = parsed.error?.message ?? 'unknown error';
      return { error: message, overflow: /call stack|too much recursion/i.test(message), line: parsed.error?.line, column: parsed.error?.column };
    }
    const walked = walkFile(parsed.ast, wanted, options.maxNodes);
    if (walked.truncated) {
      findings.push({ rule: 'too-large', severity: 'low', message: `more than ${options.maxNodes} syntax nodes; the rest of the file was not walked`, file, reach, signals: ['analysis-gap'] });
    }
    const evaluator = new Evaluator(walked.bindings, jsonModules.forFile(file));
    if (mayHaveStringArray(text)) installStringArrayDecoders(parsed.ast as unknown as Node, text, evaluator);
    return { path: file, text, ast: parsed.ast as unknown as File, walked, evaluator, reach, depth, origin };
  };

  const dispatch = (pf: ParsedFile, ctxOf: (rule: Rule) => FileContext) => {
    const outer = visiting; // decoded code is dispatched from inside its parent's handlers
    let n = 0;
    for (const node of pf.walked.interesting) {
      if ((++n & 255) === 0 && outOfTime()) break;
      visiting = node;
      if (CALL_TYPES.has(node.type) && callRules.length) {
        const callNode = node as CallInfo['node'];
        const info: CallInfo = {
          node: callNode,
          callee: callNode.callee.type === 'Import' ? 'import' : callNode.callee.type === 'V8IntrinsicIdentifier' ? undefined : pf.evaluator.canonical(callNode.callee),
          isNew: node.type === 'NewExpression',
        };
        for (const { rule, fn } of callRules) {
          try {
            fn(info, ctxOf(rule));
          } catch (err) {
            findings.push(engineError(rule.meta.id, pf.path, err, node));
          }
        }
      }
      const handlers = byType.get(node.type);
      if (!handlers) continue;
      for (const { rule, fn } of handlers) {
        try {
          fn(node, ctxOf(rule));
        } catch (err) {
          findings.push(engineError(rule.meta.id, pf.path, err, node));
        }
      }
    }
    visiting = outer;
  };

  /**
   * Text that static evaluation decoded and that the package hands to eval/Function/vm: parse it
   * and run every rule on it, attributing what is found to the place that ran it.
   */
  const analyzeDecoded = (code: string, at: Node, parent: ParsedFile): boolean => {
    if (parent.depth >= maxDecodeDepth || code.length > MAX_DECODED_BYTES || code.trim() === '' || outOfTime()) return false;
    const origin = parent.origin ?? { file: parent.path, line: at.loc?.start.line ?? 0, column: (at.loc?.start.column ?? 0) + 1, text: parent.text.slice(at.start ?? 0, Math.min(at.end ?? 0, (at.start ?? 0) + 2000)) };
    const name = `${parent.path}#decoded@${origin.line}`;
    const pf = parseAndWalk(name, code, parent.reachAt?.(at) ?? parent.reach, parent.depth + 1, origin);
    if ('error' in pf) return false;
    stats.decodedPayloads++;
    parsedFiles.set(name, pf);
    const { ctxOf, runLexical } = fileContexts(name, code, () => pf.reach, pf);
    runLexical(true);
    dispatch(pf, ctxOf);
    return true;
  };

  // Phase A: tier 0 on every file; parse and walk the ones worth it. Files that run at install come
  // first, then import, bin and the rest, smallest first: the AST-retention budget is spent on the
  // code that matters most for cross-file flows. Past the budget, files are analyzed as they are
  // parsed and their syntax trees dropped at once, so a 100 MB package never holds 100 MB of ASTs.
  const REACH_ORDER: Record<Reach, number> = { install: 0, import: 1, bin: 2, unreached: 3 };
  const allCode = [...virtual.keys(), ...codeFiles]
    .map((file) => ({ file, reach: graph.reachOf(file), size: pkg.files.get(file)?.size ?? virtual.get(file)?.length ?? 0 }))
    .sort((a, b) => REACH_ORDER[a.reach] - REACH_ORDER[b.reach] || a.size - b.size);
  const lexicalOnly = (file: string, text: string, unreadable: boolean) => {
    if (budget.file !== file) startBudget(file, graph.reachOf(file));
    const { runLexical } = fileContexts(file, text, () => graph.reachOf(file), undefined);
    runLexical(false, unreadable);
  };
  const retainBudget = options.maxRetainedBytes ?? DEFAULT_ENGINE_OPTIONS.maxRetainedBytes!;
  // A shard must know up front which files every shard retains and which are its own; a whole
  // analysis decides the same thing file by file (no second pass of the lexical tier).
  const plan = shard
    ? shardPlan(allCode, retainBudget, shard.count, (file) => {
        const text = textOf(file);
        return text !== undefined && text.length <= options.maxParseBytes && (virtual.has(file) || worthParsingHere(text));
      })
    : undefined;
  let retainedBytes = 0;
  /** Install-time files with nothing for the rules, parsed later only to see what they call. */
  const notWorthParsing: string[] = [];
  const extra = new Map<string, string[]>();
  const dynamicEdges = (pf: ParsedFile) => {
    // Module edges only the AST can see: `require('./' + name)` folded.
    for (const n of pf.walked.interesting) {
      if (n.type !== 'CallExpression') continue;
      const isImport = n.callee.type === 'Import';
      if (!isImport && (n.callee.type === 'V8IntrinsicIdentifier' || pf.evaluator.canonical(n.callee) !== 'require')) continue;
      const arg = n.arguments[0];
      if (!arg || arg.type === 'StringLiteral' || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') continue;
      const spec = pf.evaluator.foldString(arg);
      const target = spec?.startsWith('.') ? resolveInPackage(fileSet, pf.path.startsWith('package.json#') ? undefined : pf.path, spec) : undefined;
      if (target) extra.set(pf.path, [...(extra.get(pf.path) ?? []), target]);
    }
  };
  const runFile = (pf: ParsedFile) => {
    const started = performance.now();
    startBudget(pf.path, pf.reach, timeOf.get(pf.path) ?? 0);
    const reachAt = pf.reachAt;
    const { ctxOf, runLexical } = fileContexts(pf.path, pf.text, reachAt ? () => reachAt(visiting) : () => pf.reach, pf);
    runLexical(true);
    dispatch(pf, ctxOf);
    const ms = (timeOf.get(pf.path) ?? 0) + performance.now() - started;
    if (!stats.slowestFile || ms > stats.slowestFile.ms) stats.slowestFile = { file: pf.path, ms };
  };
  if (progress) progress.total = allCode.length;
  for (const { file, reach, size } of allCode) {
    // Counted as it starts: "n/N files" names the file being worked on.
    if (progress) progress.done++;
    yield;
    // Another shard analyzes this file; a retained one is still parsed here, as context for flows.
    const contextOnly = !!plan && !!shard && (plan.owner.get(file) ?? 0) !== shard.index;
    if (contextOnly && !plan.retained.has(file)) continue;
    const text = textOf(file);
    if (text === undefined) continue;
    if (contextOnly) {
      const pf = parseAndWalk(file, text, reach, 0, undefined, false);
      if (!('error' in pf)) parsedFiles.set(file, pf);
      continue;
    }
    stats.codeFiles++;
    stats.codeBytes += text.length;
    const started = performance.now();
    startBudget(file, reach);
    if (text.length > options.maxParseBytes) {
      findings.push({ rule: 'too-large', severity: 'info', message: `${text.length} bytes is over the ${options.maxParseBytes}-byte parse limit; only the lexical checks ran on this file`, file, reach });
      lexicalOnly(file, text, true);
      continue;
    }
    if (!virtual.has(file) && !worthParsingHere(text)) {
      stats.skippedLexical++;
      if (reach === 'install' && text.length <= MAX_REACH_ONLY_BYTES) notWorthParsing.push(file);
      lexicalOnly(file, text, false);
      continue;
    }
    stats.parsedFiles++;
    stats.parsedBytes += text.length;
    // Retention is decided before parsing, by size, exactly as shardPlan decides it.
    let retainedHere: boolean;
    if (plan) retainedHere = plan.retained.has(file);
    else if ((retainedHere = retainedBytes + size <= retainBudget)) retainedBytes += size;
    const pf = parseAndWalk(file, text, reach, 0);
    timeOf.set(file, performance.now() - started);
    if (!('error' in pf) && outOfTime()) {
      // The parse alone spent the file's time: no rule runs on it (reported by outOfTime).
      continue;
    }
    if ('error' in pf) {
      stats.parseErrors++;
      const runs = reach === 'install' || reach === 'import';
      findings.push({
        rule: 'parse-error',
        // Code that runs but cannot be read is a blind spot an attacker can aim for: absurd nesting
        // that overflows the parser is a known way to hide a payload from AST scanners.
        severity: pf.overflow ? 'high' : runs ? 'medium' : 'low',
        message: pf.overflow
          ? 'nesting so deep it overflows the parser (a known way to hide code from scanners); only lexical checks ran on this file'
          : `could not parse (${pf.error}); only lexical checks ran on this file`,
        file,
        line: pf.line,
        column: pf.column,
        reach,
        signals: pf.overflow ? ['analysis-gap', 'obfuscation'] : ['analysis-gap'],
      });
      lexicalOnly(file, text, true);
      continue;
    }
    if (retainedHere) {
      parsedFiles.set(file, pf);
      continue;
    }
    // Over the budget: analyze now with the files retained so far, then let the tree go.
    stats.streamedFiles++;
    dynamicEdges(pf);
    parsedFiles.set(file, pf);
    runFile(pf);
    parsedFiles.delete(file);
    flows.forget(file);
    remote?.forget(file);
    for (const [name, decoded] of parsedFiles) if (decoded.depth > 0 && decoded.origin?.file === file) parsedFiles.delete(name);
  }

  const noteGaps = () => {
    if (flows.gaps.memberWrites || flows.gaps.longPaths || flows.gaps.budget) stats.flowGaps = { ...flows.gaps };
  };
  // Shards past the first analyzed only their share: the retained files are the first shard's.
  if (!primary) {
    noteGaps();
    return { findings, scripts, graph, stats };
  }

  // Phase A2: reach again with the AST-only edges of the retained files.
  for (const pf of parsedFiles.values()) dynamicEdges(pf);
  if (extra.size) {
    graph = buildGraph(fileSet, codeText, manifest, scripts, installSeeds, extra);
    for (const pf of parsedFiles.values()) pf.reach = graph.reachOf(pf.path);
  }

  // Install-time reach to the function: code of an install-reached module runs at install only if
  // install-time code calls it (install-reach.ts); the rest keeps the reach it has besides.
  const installEntries = new Set(graph.entries.install);
  for (const file of notWorthParsing) {
    const text = textOf(file);
    const pf = text === undefined || graph.reachOf(file) !== 'install' ? undefined : parseAndWalk(file, text, 'install', 0, undefined, false);
    if (pf && !('error' in pf)) parsedFiles.set(file, { ...pf, reachOnly: true });
  }
  const installFiles = allCode.map((c) => c.file).filter((f) => graph.reachOf(f) === 'install');
  const install = installRuns(parsedFiles, installFiles, installEntries, (f) => graph.edges.get(f) ?? [], flows);
  for (const pf of parsedFiles.values()) {
    if (pf.depth > 0 || pf.reach !== 'install' || installEntries.has(pf.path)) continue;
    const besides = graph.reachBesidesInstall(pf.path);
    pf.reachAt = (node) => (node && !install.runs(pf.path, node) ? besides : 'install');
  }

  // Phase B: lexical hooks everywhere, then the merged visitors on each parsed file.
  const toRun = [...parsedFiles.values()].filter((pf) => pf.depth === 0 && !pf.reachOnly);
  if (progress) Object.assign(progress, { phase: 'linking', done: 0, total: toRun.length });
  for (const pf of toRun) {
    if (progress) progress.done++;
    yield;
    runFile(pf);
  }
  noteGaps();
  return { findings, scripts, graph, stats };
}

export interface ShardPlan {
  /** Files whose syntax trees are kept for the whole package (cross-file flows). */
  retained: Set<string>;
  /** Shard that analyzes each file past the retention budget (absent: shard 0). */
  owner: Map<string, number>;
}

/**
 * Which parsed files are retained, and which shard analyzes each of the others. Retention follows
 * the analysis order (install-time code first, smaller first) until the budget is spent, by size
 * alone, so every shard computes the same plan without parsing. The rest are dealt out largest
 * first to the least loaded shard.
 */
export function shardPlan(order: readonly { file: string; size: number }[], budget: number, count: number, parsed: (file: string) => boolean): ShardPlan {
  const retained = new Set<string>();
  const streamed: { file: string; size: number }[] = [];
  let used = 0;
  for (const f of order) {
    if (!parsed(f.file)) continue;
    if (used + f.size <= budget) {
      used += f.size;
      retained.add(f.file);
    } else streamed.push(f);
  }
  const owner = new Map<string, number>();
  if (count > 1) {
    const load = new Array<number>(count).fill(0);
    for (const f of [...streamed].sort((a, b) => b.size - a.size || (a.file < b.file ? -1 : 1))) {
      let best = 0;
      for (let i = 1; i < count; i++) if (load[i]! < load[best]!) best = i;
      load[best]! += f.size;
      owner.set(f.file, best);
    }
  }
  return { retained, owner };
}

function engineError(rule: string, file: string | undefined, err: unknown, node?: Node): Finding {
  return {
    rule: 'engine-error',
    severity: 'low',
    message: `rule ${rule} failed${file ? ` on ${file}` : ''}: ${(err as Error)?.message ?? String(err)}; please report this with the package name`,
    file,
    line: node?.loc?.start.line,
    signals: ['analysis-gap'],
  };
}
