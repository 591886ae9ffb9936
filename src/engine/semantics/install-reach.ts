import type { Node } from '@babel/types';
import type { FlowFile, FlowService } from './flows.js';
import { descendants, parentOf } from './walk.js';

/**
 * Which code runs at install, to the function. npm runs the lifecycle command's file (all of it)
 * and loading a module runs its top-level code; a function of a module the install script pulls in
 * runs only when code that runs calls it. So a CLI whose postinstall imports its command table to
 * print a completion script does not run every command's action at install.
 *
 * Starting from the entry files and the top level of every install-reached module, calls are
 * followed into the functions they resolve to (locally, or through require/import and re-exports).
 * Functions defined in running code run when they are invoked on the spot, handed to something that
 * calls them back (array methods, promises, timers, events, Node's APIs, a function we resolved), or
 * called by name. Where a call into a package module cannot be resolved to one function
 * (`lib[name]()`), every function of that module is taken to run: reach is never narrowed on a guess.
 */
export interface InstallRuns {
  /** Does this node of an install-reached file run at install? */
  runs(file: string, node: Node): boolean;
}

type Fn = Extract<Node, { type: 'FunctionDeclaration' | 'FunctionExpression' | 'ArrowFunctionExpression' | 'ObjectMethod' | 'ClassMethod' | 'ClassPrivateMethod' }>;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);
/** Methods that call the function they are given (or keep it for an event that fires on its own). */
const CALLS_BACK = new Set(['then', 'catch', 'finally', 'forEach', 'map', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'flatMap', 'sort', 'on', 'once', 'addListener', 'prependListener', 'call', 'apply', 'bind', 'replace', 'replaceAll']);
const CALLS_BACK_GLOBAL = /^(?:Promise|setTimeout|setImmediate|setInterval|queueMicrotask|process\.nextTick|process\.on|process\.once|Array\.from|Reflect\.apply)$/;
/** Node's own modules call what they are given (fs.readFile(p, cb), https.get(u, cb)). */
const NODE_API = /^(?:fs|fs\.promises|child_process|https?|http2|net|tls|dns|dns\.promises|os|zlib|stream|readline|crypto|events|util|worker_threads|dgram|path|url|module|vm|timers|process)\./;
const MAX_REGIONS = 20_000;
const MAX_NODES = 3_000_000;
const MAX_LAZY_TEXT = 256 * 1024;

function isFn(n: Node | undefined): n is Fn {
  return !!n && FUNCTION_TYPES.has(n.type);
}

export function installRuns(
  files: ReadonlyMap<string, FlowFile>,
  /** Every file reached at install (graph.ts), parsed or not. */
  installFiles: readonly string[],
  entries: ReadonlySet<string>,
  edgesOf: (path: string) => readonly string[],
  flows: FlowService,
): InstallRuns {
  const hot = new WeakSet<Node>();
  const wholeFile = new Set<string>(entries);
  const queue: { file: FlowFile; region: Node }[] = [];
  let gaveUp = false;
  const markFn = (file: FlowFile, fn: Node) => {
    if (hot.has(fn)) return;
    hot.add(fn);
    queue.push({ file, region: fn });
  };
  const markModule = (file: FlowFile) => {
    if (wholeFile.has(file.path)) return;
    wholeFile.add(file.path);
    for (const n of descendants(file.ast, MAX_NODES)) if (isFn(n)) markFn(file, n);
  };
  const isResolvedFunctionCall = (call: Node, file: FlowFile): boolean => {
    if (call.type !== 'CallExpression' && call.type !== 'NewExpression') return false;
    if (call.callee.type === 'V8IntrinsicIdentifier') return false;
    return flows.calleeTarget(call.callee, file) !== undefined;
  };
  /** Is a function defined in running code handed to something that runs it? */
  const runsWhereDefined = (fn: Fn, file: FlowFile): boolean => {
    const parent = parentOf(fn);
    if (!parent || (parent.type !== 'CallExpression' && parent.type !== 'NewExpression' && parent.type !== 'OptionalCallExpression')) return false;
    if (parent.callee === fn) return true; // (() => { … })()
    if (!parent.arguments.includes(fn as never)) return false;
    const callee = parent.callee;
    if (callee.type === 'V8IntrinsicIdentifier') return false;
    const canon = file.evaluator.canonical(callee);
    if (canon && (CALLS_BACK_GLOBAL.test(canon) || NODE_API.test(canon))) return true;
    if ((callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && !callee.computed && callee.property.type === 'Identifier' && CALLS_BACK.has(callee.property.name)) return true;
    return isResolvedFunctionCall(parent, file);
  };

  /**
   * A body the parser left out (lazy-bodies.ts) has no tree to resolve calls in. Every function it
   * names may run: local functions by a word of its text, and exports of that name of the modules
   * its file loads. A call of a computed or returned function (`f[k](`, `g()(`) could be anything
   * there: then those modules run whole.
   */
  const lazyBody = (file: FlowFile, fn: Fn) => {
    const body = fn.body as Node;
    const text = file.text.slice(body.start ?? 0, Math.min(body.end ?? 0, (body.start ?? 0) + MAX_LAZY_TEXT));
    const words = new Set(text.replace(/(["'])(?:\\.|(?!\1)[^\\\n])*\1/g, '""').match(/[A-Za-z_$][\w$]*/g)?.slice(0, 20_000) ?? []);
    const opaque = (body.end ?? 0) - (body.start ?? 0) > MAX_LAZY_TEXT || /[\])]\s*\(/.test(text.replace(/\b(?:if|for|while|switch|catch|return|typeof|await|function)\s*\(/g, ''));
    const targets = [file, ...edgesOf(file.path).map((t) => files.get(t) ?? t)];
    for (const target of targets) {
      if (typeof target === 'string') {
        wholeFile.add(target);
        continue;
      }
      if (opaque) {
        markModule(target);
        continue;
      }
      for (const w of words) {
        const r = flows.exportTarget(target, w);
        if (r) {
          if ('module' in r) markModule(r.module);
          else if (files.has(r.file.path)) markFn(r.file, r.fn);
        }
      }
    }
    if (opaque) return;
    for (const w of words) {
      for (const b of file.walked.bindings.visible(w, body)) {
        const init = b.init;
        if (b.kind === 'function' && init) markFn(file, init);
        else if (init && isFn(init)) markFn(file, init);
        else if (b.kind === 'class' && init) for (const m of descendants(init, 100_000)) if (isFn(m)) markFn(file, m);
      }
    }
  };

  for (const path of installFiles) {
    const file = files.get(path);
    if (!file) {
      // Install-time code we hold no tree for (not worth parsing, or analyzed and let go): what it
      // calls in the modules it loads is unknown, so all of their code is taken to run.
      for (const t of edgesOf(path)) {
        const target = files.get(t);
        if (target) markModule(target);
        else wholeFile.add(t);
      }
      continue;
    }
    if (entries.has(path)) markModule(file);
    queue.push({ file, region: file.ast });
  }
  let nodes = 0;
  for (let i = 0; i < queue.length; i++) {
    if (i >= MAX_REGIONS || nodes > MAX_NODES) {
      gaveUp = true;
      break;
    }
    const { file, region } = queue[i]!;
    if (isFn(region) && (region.body as { tgLazy?: boolean }).tgLazy) {
      lazyBody(file, region);
      continue;
    }
    for (const n of descendants(region, MAX_NODES - nodes, (x) => x !== region && (isFn(x) || x.type === 'ClassBody'))) {
      nodes++;
      if (n !== region && isFn(n)) {
        if (runsWhereDefined(n, file)) markFn(file, n);
        continue;
      }
      if (n.type === 'ClassBody' && n !== region) continue;
      if ((n.type === 'CallExpression' || n.type === 'NewExpression' || n.type === 'OptionalCallExpression') && n.callee.type !== 'V8IntrinsicIdentifier') {
        const target = flows.calleeTarget(n.callee, file);
        if (!target) {
          // `new Local()` runs the class's constructor and whatever it calls: take its methods.
          if (n.type === 'NewExpression' && n.callee.type === 'Identifier') {
            for (const b of file.walked.bindings.visible(n.callee.name, n.callee)) {
              if (b.kind === 'class' && b.init) for (const m of descendants(b.init, 100_000)) if (isFn(m)) markFn(file, m);
            }
          }
          continue;
        }
        if ('module' in target) markModule(target.module);
        else if (files.has(target.file.path)) markFn(target.file, target.fn);
      }
    }
  }

  return {
    runs(path, node) {
      if (gaveUp || wholeFile.has(path)) return true;
      for (let p: Node | undefined = node, i = 0; p && i < 100_000; p = parentOf(p), i++) {
        if (isFn(p)) return hot.has(p);
      }
      return true; // top-level code runs when the module is loaded
    },
  };
}
