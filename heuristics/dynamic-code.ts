import { parse } from '@babel/parser';
import type { Node } from '@babel/types';
import { defineRule, type FileContext, type PackageContext, HOLE, UNKNOWN, isCodeFile, descendants, describePath } from '../src/engine/api.js';

const EVALUATORS = new Set([
  'eval', 'Function', 'vm.runInThisContext', 'vm.runInNewContext', 'vm.runInContext', 'vm.compileFunction', 'vm.Script',
  'vm.SourceTextModule', 'module._compile', 'module.Module._compile', 'module.prototype._compile', 'Module._compile',
  'node-serialize.unserialize', 'serialize-javascript.deserialize', 'AsyncFunction', 'GeneratorFunction',
  'module()._compile', 'module.Module()._compile', 'vm.Script()', 'vm.Script().runInThisContext',
]);
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);
const FS_READ = /^(?:fs|fs\.promises|fs-extra|graceful-fs)\.(?:readFileSync|readFile)$/;
const FS_WRITE = /^(?:fs|fs\.promises|fs-extra|graceful-fs)\.(?:writeFileSync|writeFile|outputFile|outputFileSync|appendFileSync|appendFile)$/;
const RUNNERS = /^(?:require|module\.require|import|child_process\.(?:fork|exec|execSync|execFile|execFileSync|spawn|spawnSync))$/;

/** Harmless idioms: `Function('return this')()` finds the global object. */
const BENIGN_CODE = /^\s*(?:return\s+this;?|"use strict";?\s*return\s+this;?|return\s+globalThis;?)\s*$/;

/** Function and its kin take the body last; eval, vm and _compile take the code first. */
function codeArg(node: Node, callee: string): Node | undefined {
  if (node.type !== 'CallExpression' && node.type !== 'NewExpression' && node.type !== 'OptionalCallExpression') return undefined;
  const args = node.arguments;
  const pick = /Function$/.test(callee) ? args[args.length - 1] : args[0];
  return pick && pick.type !== 'SpreadElement' && pick.type !== 'ArgumentPlaceholder' ? pick : undefined;
}

/** The expression and, through names, what it was built from (bounded). */
function* sources(node: Node, ctx: FileContext, depth = 0): Generator<Node> {
  yield node;
  if (depth >= 3) return;
  for (const n of subtree(node, 400)) {
    if (n.type !== 'Identifier') continue;
    const init = ctx.evaluator.initOf(n);
    if (init) yield* sources(init, ctx, depth + 1);
  }
}

/** The decoder an expression's text passes through, through names (bounded): `atob`, `base64`, `\\x41`… */
function decoderIn(node: Node, ctx: FileContext): string | undefined {
  for (const n of sources(node, ctx)) {
    // A value the interpreter computed came out of the file's own decoding routine.
    for (const c of subtree(n, 400)) if (c.type === 'CallExpression' && ctx.evaluator.interpreted.has(c)) return 'a decoding function of the file (interpreted)';
    const src = n.start != null && n.end != null ? ctx.text.slice(n.start, Math.min(n.end, n.start + 4000)) : '';
    const m = /\b(?:atob|fromCharCode|fromCodePoint|base64|hex|unescape|decodeURIComponent|_0x[0-9a-f]{3,})\b|\\x[0-9a-f]{2}/i.exec(src);
    if (m) return m[0];
  }
  return undefined;
}

const isDecoding = (node: Node, ctx: FileContext): boolean => decoderIn(node, ctx) !== undefined;

const subtree = (root: Node, budget = 5000) => descendants(root, budget);

/**
 * One piece of the text handed to eval/Function: literal text written in the package, or an
 * expression (with its folded value when the evaluator knows it).
 */
interface Piece {
  node?: Node;
  literal?: string;
  value?: string;
}

const MAX_PIECES = 40;

/**
 * The pieces a code string is concatenated from: `'a' + x + \`b${y}\`` gives 'a', x, 'b', y. Names
 * bound once to a concatenation are followed (bounded), so `const src = 'return ' + v; eval(src)`
 * reads the same as the inline form.
 */
function pieces(node: Node, ctx: FileContext, out: Piece[] = [], depth = 0): Piece[] {
  if (out.length > MAX_PIECES) return out;
  if (node.type === 'ParenthesizedExpression') return pieces(node.expression, ctx, out, depth);
  if (node.type === 'BinaryExpression' && node.operator === '+' && node.left.type !== 'PrivateName') {
    pieces(node.left, ctx, out, depth);
    return pieces(node.right, ctx, out, depth);
  }
  if (node.type === 'TemplateLiteral') {
    node.quasis.forEach((q, i) => {
      out.push({ literal: q.value.cooked ?? q.value.raw });
      const e = node.expressions[i];
      if (e) pieces(e as Node, ctx, out, depth);
    });
    return out;
  }
  if (node.type === 'StringLiteral') {
    out.push({ node, literal: node.value });
    return out;
  }
  if (node.type === 'Identifier' && depth < 3) {
    const init = ctx.evaluator.initOf(node);
    if (init && (init.type === 'BinaryExpression' || init.type === 'TemplateLiteral')) return pieces(init, ctx, out, depth + 1);
  }
  const v = ctx.evaluator.fold(node);
  out.push({ node, value: typeof v === 'string' || typeof v === 'number' ? String(v) : undefined });
  return out;
}

/** Printable ASCII written as `\x41` / `\u0041`: hiding readable text from a reviewer. */
function escapedLiteral(piece: Piece, ctx: FileContext): boolean {
  const n = piece.node;
  if (!n || n.start == null || n.end == null) return false;
  const raw = ctx.text.slice(n.start, Math.min(n.end, n.start + 4000));
  const escapes = raw.match(/\\x(?:[2-6][0-9a-f]|7[0-9a-e])|\\u00(?:[2-6][0-9a-f]|7[0-9a-e])/gi);
  return !!escapes && escapes.length >= 4;
}

const canParse = (code: string): boolean => {
  try {
    parse(code, { sourceType: 'script', allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true, errorRecovery: false });
    return true;
  } catch {
    return false;
  }
};

/** Past this size a probe parse costs more than it tells: the piece counts as code. */
const MAX_PROBE = 20_000;

/**
 * Whether piece `i` lands where code runs (a statement or an expression) rather than in a name or a
 * string of the generated code. Probed by parsing the template twice with that piece replaced:
 * `(0)` parses only where an expression may stand, and `a b` (two names, no operator) parses only
 * inside a string, a comment or a regex. Code generators (wasm glue that names a wrapper function,
 * template engines quoting their data) insert values into names and strings; a loader runs what it
 * decoded as the code itself.
 */
function inCodeSlot(list: readonly Piece[], i: number): boolean {
  const text = (probe: string) => list.map((p, j) => (j === i ? probe : p.literal ?? p.value ?? 'a')).join('');
  const withExpr = text('(0)');
  if (withExpr.length > MAX_PROBE) return true;
  return canParse(withExpr) && !canParse(text('a b'));
}

/**
 * What the executed text is made of. `decoded`: a piece that came out of a decoder (base64, hex,
 * char codes, string arrays, custom decoders) stands where code runs, or the literal text itself
 * spells printable characters as escapes. `template`: every run-time piece fills a name or a string
 * of code written out in literals (a code generator).
 */
function codeOrigin(arg: Node, ctx: FileContext): { decoded: boolean; template: boolean } {
  const list = pieces(arg, ctx);
  if (list.length > MAX_PIECES) return { decoded: isDecoding(arg, ctx), template: false };
  let decoded = false;
  let template = list.some((p) => p.literal !== undefined);
  list.forEach((p, i) => {
    if (p.literal !== undefined) {
      if (escapedLiteral(p, ctx)) decoded = true;
      return;
    }
    const fromDecoder = !!p.node && isDecoding(p.node, ctx);
    if (!fromDecoder && p.value !== undefined) return;
    const code = list.length === 1 || inCodeSlot(list, i);
    if (code) template = false;
    if (fromDecoder && code) decoded = true;
  });
  return { decoded, template: template && !decoded };
}

/** Bytes appended after an image's end marker: where steganographic payloads usually sit. */
export function appendedPayload(data: Buffer): string | undefined {
  let end = -1;
  const iend = data.lastIndexOf('IEND');
  if (iend !== -1) end = iend + 8; // chunk type + CRC
  else if (data[0] === 0xff && data[1] === 0xd8) {
    const eoi = data.lastIndexOf(Buffer.from([0xff, 0xd9]));
    if (eoi !== -1) end = eoi + 2;
  }
  if (end === -1 || end >= data.length) return undefined;
  const tail = data.subarray(end).toString('utf8').trim();
  return tail.length >= 8 ? tail : undefined;
}

/** A read of a bundled non-code file (image, font, text) inside the expression that gets executed. */
function stegoSource(arg: Node, ctx: FileContext, pkg: PackageContext): { file: string; payload?: string; base64?: boolean } | undefined {
  const base64 = [...sources(arg, ctx)].some((n) => n.start != null && /base64|atob/.test(ctx.text.slice(n.start, Math.min(n.end ?? n.start, n.start + 2000))));
  const all = [...sources(arg, ctx)].flatMap((s) => [...subtree(s)]);
  for (const n of all) {
    if (n.type !== 'CallExpression') continue;
    const callee = n.callee.type === 'V8IntrinsicIdentifier' ? undefined : ctx.evaluator.canonical(n.callee);
    if (!callee || !FS_READ.test(callee)) continue;
    const p = ctx.evaluator.foldLoose(n.arguments[0] as Node | undefined);
    if (!p) continue;
    const rel = p.split(HOLE).join('').replace(/^\.?\/+/, '').replace(/^\.\//, '');
    const file = [...pkg.files.keys()].find((f) => f === rel || (rel.length > 3 && f.endsWith('/' + rel)) || (rel.length > 3 && f.endsWith(rel)));
    if (!file || isCodeFile(file)) continue;
    const data = pkg.files.get(file)?.data;
    let payload = data ? appendedPayload(data) ?? (/\.(?:txt|md|json|css|svg|html?)$/i.test(file) ? data.toString('utf8') : undefined) : undefined;
    if (payload && base64 && /^[A-Za-z0-9+/=\s]+$/.test(payload)) payload = Buffer.from(payload.replace(/\s+/g, ''), 'base64').toString('utf8');
    return { file, payload, base64 };
  }
  return undefined;
}

export default defineRule({
  meta: {
    id: 'dynamic-code',
    title: 'Dynamic code execution',
    description:
      'Reports code built at run time and executed: eval (direct, indirect `(0, eval)`, `globalThis["ev"+"al"]`), Function and `new Function`, the vm module, Module._compile, string timers, node-serialize, and require() of a computed name. When the executed text can be folded (base64, hex, char codes, string arrays, or the output of a decoding function of the file itself, run by a bounded interpreter that never touches the host), it is decoded, parsed and analyzed with every rule, and what it does is reported at the eval. Code read out of a bundled image or text file and executed (steganography) is raised highest.',
    severity: 'medium',
    category: 'dynamic-code',
    references: ['https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/eval', 'https://nodejs.org/api/vm.html'],
    docs: {
      example: "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString())",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule dynamic-code`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkg) {
    // Code written to a file and then run from the same file: `writeFileSync(p, code); require(p)`.
    const written = new Map<string, { name: string; code: string; decoder?: string }[]>();
    return {
      call(call, ctx) {
        const callee = call.callee;
        if (!callee) return;
        if (FS_WRITE.test(callee)) {
          const [p, data] = call.node.arguments;
          const target = p && p.type !== 'SpreadElement' && p.type !== 'ArgumentPlaceholder' ? ctx.evaluator.foldLoose(p) : undefined;
          const code = data && data.type !== 'SpreadElement' && data.type !== 'ArgumentPlaceholder' ? ctx.evaluator.fold(data) : UNKNOWN;
          if (target && typeof code === 'string' && /\.(?:c|m)?js$|\.sh$/.test(target)) {
            const name = target.split(HOLE).join('').split('/').pop()!;
            const list = written.get(ctx.path) ?? [];
            // Decoded only when the written text came out of a decoder; code written from literals
            // (a test writing a fixture module and forking it) is dynamic code, not a hidden payload.
            list.push({ name, code, decoder: decoderIn(data as Node, ctx) });
            written.set(ctx.path, list);
          }
          return;
        }
        if (RUNNERS.test(callee) && written.has(ctx.path)) {
          const text = call.node.arguments
            .map((a) => (a.type === 'SpreadElement' || a.type === 'ArgumentPlaceholder' ? '' : ctx.evaluator.foldLoose(a) ?? ''))
            .join(' ');
          for (const w of written.get(ctx.path)!) {
            if (w.name && text.includes(w.name)) {
              const analyzed = w.name.endsWith('.sh') ? false : ctx.analyzeDecoded(w.code, call.node);
              ctx.report({
                node: call.node,
                message: `runs ${w.name}, which this file wrote a moment before${w.decoder ? ` from text decoded through ${w.decoder}` : ''}${analyzed ? ' (the written code was analyzed)' : ''}`,
                severity: w.decoder ? 'high' : 'medium',
                signals: w.decoder ? ['dynamic-code', 'dynamic-code:decoded'] : ['dynamic-code'],
              });
            }
          }
        }
        if (EVALUATORS.has(callee)) {
          const arg = codeArg(call.node, callee);
          const folded = arg ? ctx.evaluator.fold(arg) : UNKNOWN;
          if (typeof folded === 'string' && BENIGN_CODE.test(folded)) return;
          const stego = arg ? stegoSource(arg, ctx, pkg) : undefined;
          if (stego) {
            const analyzed = stego.payload ? ctx.analyzeDecoded(stego.payload, call.node) : false;
            ctx.report({ node: call.node, message: `executes code read out of bundled file ${stego.file} with ${callee} (steganography)${analyzed ? '; the hidden code was analyzed' : ''}`, severity: 'critical', signals: ['dynamic-code', 'dynamic-code:decoded', 'obfuscation'] });
            return;
          }
          // Text that came back from a server the package names: what runs is not in the package at all.
          const origin = arg ? codeOrigin(arg, ctx) : { decoded: false, template: false };
          const remote = arg && typeof folded !== 'string' ? ctx.flows.remoteContentOf(arg)[0] : undefined;
          if (remote) {
            ctx.report({
              node: call.node,
              message: `runs code downloaded at run time${origin.decoded ? ' and decoded' : ''} with ${callee}: ${describePath(remote)}`,
              severity: 'critical',
              signals: origin.decoded ? ['dynamic-code', 'dynamic-code:decoded', 'dynamic-code:remote'] : ['dynamic-code', 'dynamic-code:remote'],
            });
            return;
          }
          const decoding = origin.decoded;
          if (typeof folded === 'string') {
            const analyzed = ctx.analyzeDecoded(folded, call.node);
            ctx.report({
              node: call.node,
              message: `executes ${decoding ? 'decoded' : 'constant'} code with ${callee}${analyzed ? ` (decoded and analyzed: ${folded.replace(/\s+/g, ' ').slice(0, 100)})` : ''}`,
              severity: decoding ? 'high' : 'low',
              // Constant text was read and analyzed here: its findings speak for it, it hides nothing.
              signals: decoding ? ['dynamic-code', 'dynamic-code:decoded'] : ['dynamic-code:visible'],
            });
          } else if (decoding) {
            ctx.report({ node: call.node, message: `executes decoded code with ${callee}`, severity: 'high', signals: ['dynamic-code', 'dynamic-code:decoded'] });
          } else if (origin.template && !callee.includes('serial')) {
            ctx.report({ node: call.node, message: `generates code with ${callee} from a template written in literals: run-time values fill only names or strings in it`, severity: 'low', signals: ['dynamic-code:visible'] });
          } else {
            ctx.report({ node: call.node, message: `executes code built at run time with ${callee}`, severity: callee.includes('serial') ? 'high' : 'medium', signals: ['dynamic-code'] });
          }
          return;
        }
        if (TIMERS.has(callee)) {
          const first = call.node.arguments[0];
          if (first && (first.type === 'StringLiteral' || first.type === 'TemplateLiteral' || first.type === 'BinaryExpression' || first.type === 'CallExpression')) {
            const folded = ctx.evaluator.fold(first);
            if (first.type === 'CallExpression' && typeof folded !== 'string') return;
            if (typeof folded === 'string') ctx.analyzeDecoded(folded, call.node);
            ctx.report({ node: call.node, message: `${callee} with a string argument evaluates it as code`, severity: 'medium', signals: ['dynamic-code'] });
          }
          return;
        }
        if (callee === 'require' || callee === 'module.require' || callee === 'import') {
          const arg = call.node.arguments[0];
          if (!arg || arg.type === 'StringLiteral' || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
          const v = ctx.evaluator.fold(arg);
          if (typeof v === 'string') {
            const decoder = arg.type !== 'TemplateLiteral' ? decoderIn(arg, ctx) : undefined;
            if (decoder) {
              ctx.report({ node: call.node, message: `require() of a hidden module name: "${v.slice(0, 80)}", decoded through ${decoder}`, severity: 'medium', signals: ['dynamic-require', 'obfuscation'] });
            }
            return;
          }
          ctx.report({ node: call.node, message: 'require() of a name computed at run time', severity: 'info', signals: ['dynamic-require'] });
        }
      },
      nodes: {
        ImportExpression(node, ctx) {
          if (node.type !== 'ImportExpression' || node.source.type === 'StringLiteral') return;
          if (typeof ctx.evaluator.fold(node.source) === 'string') return;
          ctx.report({ node, message: 'import() of a name computed at run time', severity: 'info', signals: ['dynamic-require'] });
        },
      },
    };
  },
});
