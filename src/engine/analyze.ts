import type { Node } from '@babel/types';
import type { Finding, PackageFile, Reach, UnpackedPackage } from '../types.js';
import { parseFile, isCodeFile } from './parse.js';
import { walkFile } from './walk.js';
import { Evaluator } from './evaluate.js';
import { worthParsing } from './lexical.js';
import { lifecycleScripts, type LifecycleScripts } from './scripts.js';
import { buildGraph, type ModuleGraph } from './graph.js';
import { excerpt, type CallInfo, type FileContext, type PackageContext, type ReportInput, type Rule, type RuleVisitors } from './rule.js';

export interface EngineOptions {
  /** Files above this size get the lexical tier only, with a `too-large` note. */
  maxParseBytes: number;
  /** Node budget for one file's walk. */
  maxNodes: number;
  /** Rules switched off by id. */
  disabledRules?: ReadonlySet<string>;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  maxParseBytes: 5 * 1024 * 1024,
  maxNodes: 3_000_000,
};

export interface AnalysisStats {
  files: number;
  codeFiles: number;
  parsedFiles: number;
  parsedBytes: number;
  codeBytes: number;
  skippedLexical: number;
  parseErrors: number;
  slowestFile?: { file: string; ms: number };
}

export interface Analysis {
  findings: Finding[];
  scripts: LifecycleScripts;
  graph: ModuleGraph;
  stats: AnalysisStats;
}

const CALL_TYPES = new Set(['CallExpression', 'NewExpression', 'OptionalCallExpression']);

/** Inline `node -e` code from lifecycle scripts is analyzed as a file of its own. */
export function inlineScriptPath(script: string, index: number): string {
  return `package.json#scripts.${script}${index ? `[${index}]` : ''}`;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

export function analyzePackage(pkg: UnpackedPackage, rules: readonly Rule[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS): Analysis {
  const findings: Finding[] = [...pkg.findings];
  const manifest = pkg.manifest;
  const scripts = lifecycleScripts(manifest);

  // Virtual files: inline code that lifecycle scripts hand to `node -e`.
  const virtual = new Map<string, string>();
  for (const s of [...scripts.install, ...scripts.uninstall]) {
    s.inlineCode.forEach((code, i) => virtual.set(inlineScriptPath(s.script, i), code));
  }

  const textCache = new Map<string, string>();
  const textOf = (file: string): string | undefined => {
    const v = virtual.get(file);
    if (v !== undefined) return v;
    const cached = textCache.get(file);
    if (cached !== undefined) return cached;
    const f = pkg.files.get(file);
    if (!f?.data) return undefined;
    const t = f.data.toString('utf8');
    textCache.set(file, t);
    return t;
  };
  const fileSet = new Set(pkg.files.keys());
  const codeFiles = [...pkg.files.values()].filter((f) => isCodeFile(f.path)).map((f) => f.path);
  const graph = buildGraph(fileSet, (f) => (isCodeFile(f) || virtual.has(f) ? textOf(f) : undefined), manifest, scripts, [...virtual.keys()]);

  const active = rules.filter((r) => !options.disabledRules?.has(r.meta.id));
  const makeReport = (rule: Rule, file: string | undefined, text: string | undefined, reach: Reach | undefined) => (input: ReportInput) => {
    const f: Finding = {
      rule: rule.meta.id,
      severity: input.severity ?? rule.meta.severity,
      message: input.message,
      file: input.file ?? file,
      signals: input.signals,
    };
    const node = input.node;
    if (node?.loc) {
      f.line = node.loc.start.line;
      f.column = node.loc.start.column + 1;
    } else if (input.line !== undefined) {
      f.line = input.line;
      f.column = input.column;
    }
    f.evidence = input.evidence ?? (text ? excerpt(text, node) : undefined);
    // Manifest-level findings (lifecycle scripts, binding.gyp) describe what npm runs on install.
    const r = reach ?? (f.file === 'package.json' || f.file === 'binding.gyp' ? 'install' : f.file ? graph.reachOf(f.file) : undefined);
    if (r) f.reach = r;
    findings.push(f);
  };

  const pkgCtxBase = { manifest, files: pkg.files as ReadonlyMap<string, PackageFile>, scripts, graph, textOf };
  const instances: { rule: Rule; visitors: RuleVisitors }[] = active.map((rule) => {
    const ctx: PackageContext = { ...pkgCtxBase, report: makeReport(rule, undefined, undefined, undefined) };
    return { rule, visitors: rule.create(ctx) };
  });
  for (const { rule, visitors } of instances) {
    if (!visitors.package) continue;
    try {
      visitors.package({ ...pkgCtxBase, report: makeReport(rule, undefined, undefined, undefined) });
    } catch (err) {
      findings.push(engineError(rule.meta.id, undefined, err));
    }
  }

  // Merge every rule's node handlers into one table for one walk per file.
  const wanted = new Set<string>();
  const byType = new Map<string, { rule: Rule; fn: (n: Node, c: FileContext) => void }[]>();
  const callRules: { rule: Rule; fn: (c: CallInfo, ctx: FileContext) => void }[] = [];
  for (const { rule, visitors } of instances) {
    for (const [type, fn] of Object.entries(visitors.nodes ?? {})) {
      if (!fn) continue;
      wanted.add(type);
      let list = byType.get(type);
      if (!list) byType.set(type, (list = []));
      list.push({ rule, fn: fn as (n: Node, c: FileContext) => void });
    }
    if (visitors.call) {
      callRules.push({ rule, fn: visitors.call.bind(visitors) });
      for (const t of CALL_TYPES) wanted.add(t);
    }
  }

  const stats: AnalysisStats = { files: pkg.files.size, codeFiles: 0, parsedFiles: 0, parsedBytes: 0, codeBytes: 0, skippedLexical: 0, parseErrors: 0 };
  const allCode = [...virtual.keys(), ...codeFiles];
  for (const file of allCode) {
    const text = textOf(file);
    if (text === undefined) continue;
    stats.codeFiles++;
    stats.codeBytes += text.length;
    const reach = graph.reachOf(file);
    const started = performance.now();
    // Contexts per rule share the evaluator; it is created lazily after the walk.
    let evaluator: Evaluator | undefined;
    let astFlag = false;
    const ctxFor = (rule: Rule): FileContext => ({
      path: file,
      text,
      reach,
      get astAvailable() {
        return astFlag;
      },
      get evaluator() {
        if (!evaluator) throw new Error('evaluator is only available in AST visitors');
        return evaluator;
      },
      report: makeReport(rule, file, text, reach),
    });
    const contexts = new Map<Rule, FileContext>();
    const ctxOf = (rule: Rule) => {
      let c = contexts.get(rule);
      if (!c) contexts.set(rule, (c = ctxFor(rule)));
      return c;
    };
    const runLexical = (astAvailable: boolean) => {
      astFlag = astAvailable;
      for (const { rule, visitors } of instances) {
        if (!visitors.lexical) continue;
        try {
          visitors.lexical(ctxOf(rule));
        } catch (err) {
          findings.push(engineError(rule.meta.id, file, err));
        }
      }
    };
    if (text.length > options.maxParseBytes) {
      findings.push({ rule: 'too-large', severity: 'info', message: `${text.length} bytes is over the ${options.maxParseBytes}-byte parse limit; only the lexical checks ran on this file`, file, reach });
      runLexical(false);
      continue;
    }
    if (!virtual.has(file) && !worthParsing(text)) {
      stats.skippedLexical++;
      runLexical(false);
      continue;
    }
    const parsed = parseFile(file, text);
    stats.parsedFiles++;
    stats.parsedBytes += text.length;
    if (!parsed.ast) {
      stats.parseErrors++;
      const overflow = /call stack|too much recursion/i.test(parsed.error?.message ?? '');
      const runs = reach === 'install' || reach === 'import';
      findings.push({
        rule: 'parse-error',
        // Code that runs but cannot be read is a blind spot an attacker can aim for: absurd nesting
        // that overflows the parser is a known way to hide a payload from AST scanners.
        severity: overflow ? 'high' : runs ? 'medium' : 'low',
        message: overflow
          ? 'nesting so deep it overflows the parser (a known way to hide code from scanners); only lexical checks ran on this file'
          : `could not parse (${parsed.error?.message ?? 'unknown error'}); only lexical checks ran on this file`,
        file,
        line: parsed.error?.line,
        column: parsed.error?.column,
        reach,
        signals: overflow ? ['analysis-gap', 'obfuscation'] : ['analysis-gap'],
      });
      runLexical(false);
      continue;
    }
    runLexical(true);
    const walked = walkFile(parsed.ast, wanted, options.maxNodes);
    if (walked.truncated) {
      findings.push({ rule: 'too-large', severity: 'low', message: `more than ${options.maxNodes} syntax nodes; the rest of the file was not walked`, file, reach, signals: ['analysis-gap'] });
    }
    evaluator = new Evaluator(walked.bindings);
    for (const node of walked.interesting) {
      if (CALL_TYPES.has(node.type) && callRules.length) {
        const callNode = node as CallInfo['node'];
        const info: CallInfo = {
          node: callNode,
          callee: callNode.callee.type === 'V8IntrinsicIdentifier' ? undefined : evaluator.canonical(callNode.callee),
          isNew: node.type === 'NewExpression',
        };
        for (const { rule, fn } of callRules) {
          try {
            fn(info, ctxOf(rule));
          } catch (err) {
            findings.push(engineError(rule.meta.id, file, err, node));
          }
        }
      }
      const handlers = byType.get(node.type);
      if (!handlers) continue;
      for (const { rule, fn } of handlers) {
        try {
          fn(node, ctxOf(rule));
        } catch (err) {
          findings.push(engineError(rule.meta.id, file, err, node));
        }
      }
    }
    const ms = performance.now() - started;
    if (!stats.slowestFile || ms > stats.slowestFile.ms) stats.slowestFile = { file, ms };
  }
  return { findings, scripts, graph, stats };
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

export { lineCol };
