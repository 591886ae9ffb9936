import type { Node } from '@babel/types';
import { defineRule, type FileContext, type PackageContext } from '../src/engine/rule.js';
import { HOLE, UNKNOWN } from '../src/engine/evaluate.js';
import { isCodeFile } from '../src/engine/parse.js';
import { descendants } from '../src/engine/walk.js';

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

function isDecoding(node: Node, ctx: FileContext): boolean {
  for (const n of sources(node, ctx)) {
    // A value the interpreter computed came out of the file's own decoding routine.
    for (const c of subtree(n, 400)) if (c.type === 'CallExpression' && ctx.evaluator.interpreted.has(c)) return true;
    const src = n.start != null && n.end != null ? ctx.text.slice(n.start, Math.min(n.end, n.start + 4000)) : '';
    if (/\b(?:atob|fromCharCode|fromCodePoint|base64|hex|unescape|decodeURIComponent|_0x[0-9a-f]{3,})\b|\\x[0-9a-f]{2}/i.test(src)) return true;
  }
  return false;
}

const subtree = (root: Node, budget = 5000) => descendants(root, budget);

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
    const written = new Map<string, { name: string; code: string }[]>();
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
            list.push({ name, code });
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
              ctx.report({ node: call.node, message: `runs ${w.name}, which this file wrote a moment before${analyzed ? ' (the written code was analyzed)' : ''}`, severity: 'high', signals: ['dynamic-code', 'dynamic-code:decoded'] });
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
          const decoding = arg ? isDecoding(arg, ctx) : false;
          if (typeof folded === 'string') {
            const analyzed = ctx.analyzeDecoded(folded, call.node);
            ctx.report({
              node: call.node,
              message: `executes ${decoding ? 'decoded' : 'constant'} code with ${callee}${analyzed ? ` (decoded and analyzed: ${folded.replace(/\s+/g, ' ').slice(0, 100)})` : ''}`,
              severity: decoding ? 'high' : 'low',
              signals: decoding ? ['dynamic-code', 'dynamic-code:decoded'] : ['dynamic-code'],
            });
          } else if (decoding) {
            ctx.report({ node: call.node, message: `executes decoded code with ${callee}`, severity: 'high', signals: ['dynamic-code', 'dynamic-code:decoded'] });
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
            if (arg.type !== 'TemplateLiteral' && isDecoding(arg, ctx)) {
              ctx.report({ node: call.node, message: `require() of a hidden module name: "${v.slice(0, 80)}"`, severity: 'medium', signals: ['dynamic-require', 'obfuscation'] });
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
