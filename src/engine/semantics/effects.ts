import { VISITOR_KEYS, type Node } from '@babel/types';
import type { Evaluator } from './evaluate.js';
import { HOLE } from './evaluate.js';
import { parentOf } from './walk.js';
import { foldEachElement } from './elements.js';
import type { CallInfo } from '../run/rule.js';
import { calleePattern } from '../../catalog/callees.js';

/**
 * What a call does to the machine, folded statically: the files it writes and the command lines it
 * runs. Shared by the rules that judge writes to agent configs, startup items, workflows and npm
 * config, and commands that drive AI CLIs, publish packages or install persistence.
 */

/** File writes by canonical callee; the value is the index of the destination argument. */
const WRITE_METHODS: Record<string, number> = {
  writeFile: 0, writeFileSync: 0, appendFile: 0, appendFileSync: 0, createWriteStream: 0,
  outputFile: 0, outputFileSync: 0, outputJson: 0, outputJsonSync: 0, outputJSON: 0, outputJSONSync: 0,
  writeJson: 0, writeJsonSync: 0, writeJSON: 0, writeJSONSync: 0,
  copyFile: 1, copyFileSync: 1, cp: 1, cpSync: 1, copy: 1, copySync: 1, rename: 1, renameSync: 1, move: 1, moveSync: 1, symlink: 1, symlinkSync: 1,
};
const WRITE_MODULE = /^(?:fs|fs\.promises|fs-extra|graceful-fs|jsonfile|promise-fs)\.(\w+)$/;
const WRITE_FUNCTIONS: Record<string, number> = { 'Bun.write': 0, 'write-file-atomic': 0, 'write-file-atomic.sync': 0, 'write-json-file': 0, 'write-json-file.writeJsonFile': 0, 'jsonfile.writeFile': 0, 'jsonfile.writeFileSync': 0 };

/** The destination argument of a file write, or undefined when the call writes no file. */
export function writeTarget(call: CallInfo): { dest: Node; data?: Node } | undefined {
  const callee = call.callee;
  if (!callee) return undefined;
  let index = WRITE_FUNCTIONS[callee];
  if (index === undefined) {
    const m = WRITE_MODULE.exec(callee);
    if (!m) return undefined;
    index = WRITE_METHODS[m[1]!];
    if (index === undefined) return undefined;
  }
  const args = call.node.arguments;
  const dest = args[index];
  if (!dest || dest.type === 'SpreadElement' || dest.type === 'ArgumentPlaceholder') return undefined;
  const d = index === 0 ? args[1] : args[0];
  const data = d && d.type !== 'SpreadElement' && d.type !== 'ArgumentPlaceholder' ? d : undefined;
  return { dest, data };
}

/** Return expressions of a function, not of functions nested in it (bounded). */
export function returnsOf(fn: Node): Node[] {
  const out: Node[] = [];
  if (fn.type === 'ArrowFunctionExpression' && fn.body.type !== 'BlockStatement') return [fn.body];
  if (fn.type !== 'FunctionDeclaration' && fn.type !== 'FunctionExpression' && fn.type !== 'ArrowFunctionExpression' && fn.type !== 'ObjectMethod' && fn.type !== 'ClassMethod') return out;
  const stack: Node[] = [fn.body];
  for (let budget = 5000; stack.length && budget > 0 && out.length < 16; budget--) {
    const n = stack.pop()!;
    if (n.type === 'ReturnStatement') {
      if (n.argument) out.push(n.argument);
      continue;
    }
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression' || n.type === 'ClassMethod' || n.type === 'ObjectMethod') continue;
    for (const k of VISITOR_KEYS[n.type] ?? []) {
      const c = (n as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
    }
  }
  return out;
}

function normalize(p: string): string {
  return p.split(HOLE).join('*').replace(/\\/g, '/');
}

/**
 * Every path a value may be, folded: constants, branches, `path.join(os.homedir(), …)`, and the
 * returns of a local function that picks a path per platform (`getConfigPath()`). Unknown parts
 * are shown as `*`, backslashes as `/`.
 */
export function pathCandidates(node: Node, ev: Evaluator): string[] {
  const out = new Set<string>();
  for (const p of ev.foldLooseAll(node)) out.add(normalize(p));
  // A name that iterates over a constant table of targets: every element (elements.ts).
  if (out.size === 0 || [...out].some((p) => p.includes('*'))) for (const p of foldEachElement(node, ev)) if (out.size < 24) out.add(normalize(p));
  if (out.size && [...out].some((p) => /[^*]/.test(p.replace(/[/.]/g, '')))) return [...out].slice(0, 24);
  // `const p = getConfigPath()` or `getConfigPath()` itself: what the function returns.
  let call: Node | undefined = node.type === 'Identifier' ? ev.initOf(node) : node;
  if (call?.type === 'AwaitExpression') call = call.argument;
  if (call && call.type === 'CallExpression' && call.callee.type === 'Identifier') {
    const fn = ev.functionNodeOf(call.callee);
    if (fn) for (const r of returnsOf(fn)) for (const p of ev.foldLooseAll(r)) if (out.size < 16) out.add(normalize(p));
  }
  return [...out];
}

/** Is the node in code that runs as soon as the file is loaded (not inside a function)? */
export function runsOnLoad(node: Node): boolean {
  for (let p = parentOf(node), i = 0; p && i < 500; p = parentOf(p), i++) {
    if (p.type === 'Program') return true;
    if (p.type === 'FunctionDeclaration' || p.type === 'FunctionExpression' || p.type === 'ArrowFunctionExpression' || p.type === 'ClassMethod' || p.type === 'ObjectMethod' || p.type === 'ClassPrivateMethod') {
      // An immediately invoked function runs on load too: (() => { … })(), (async function () { … })().
      const call = parentOf(p);
      if (call && (call.type === 'CallExpression' || call.type === 'NewExpression') && call.callee === p) continue;
      return false;
    }
  }
  return false;
}

/** Process-starting callees (canonical): every one of the catalog's (src/catalog/callees.ts). */
export const EXEC_CALLEES = calleePattern();

/**
 * The command lines a process call may run: the command argument's candidates, with the argument
 * list appended (`spawn('claude', ['-p', prompt])` -> `claude -p …`). Empty when it starts no process.
 */
export function commandCandidates(call: CallInfo, ev: Evaluator): string[] {
  if (!call.callee || !EXEC_CALLEES.test(call.callee)) return [];
  const args = call.node.arguments;
  const first = args[0] && args[0].type !== 'SpreadElement' && args[0].type !== 'ArgumentPlaceholder' ? args[0] : undefined;
  // Bun.spawn(['claude', '-p', …]) takes the whole command line as an array.
  if (first?.type === 'ArrayExpression') {
    return [first.elements.map((e) => (e && e.type !== 'SpreadElement' ? ev.foldLoose(e) ?? HOLE : HOLE)).join(' ')];
  }
  let tail = '';
  const list = args[1] && args[1].type === 'ArrayExpression' ? args[1] : args[1]?.type === 'Identifier' ? ev.initOf(args[1]) : undefined;
  if (list?.type === 'ArrayExpression') {
    for (const el of list.elements) if (el && el.type !== 'SpreadElement') tail += ' ' + (ev.foldLoose(el) ?? HOLE);
  }
  const heads = first ? ev.foldLooseAll(first) : [];
  if (heads.length === 0) return tail ? [HOLE + tail] : [];
  return heads.map((h) => h + tail);
}

/** The program a command line starts (basename, without .exe/.cmd), skipping npx/env wrappers. */
export function programOf(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  let i = 0;
  while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || /^(?:npx|pnpx|bunx|env|sudo|nohup|exec|command|yes|-y|--yes)$/.test(words[i]!) || (words[i] === 'pnpm' && words[i + 1] === 'dlx') || words[i] === 'dlx')) i++;
  const w = words[i];
  if (!w) return undefined;
  const base = w.replace(/^["']|["']$/g, '').split('/').pop()!.replace(/\.(?:exe|cmd|bat)$/i, '');
  // npx @anthropic-ai/claude-code, npx @google/gemini-cli, npx @openai/codex
  const pkg: Record<string, string> = { '@anthropic-ai/claude-code': 'claude', 'claude-code': 'claude', '@google/gemini-cli': 'gemini', '@openai/codex': 'codex', '@github/copilot': 'copilot', 'opencode-ai': 'opencode', '@qwen-code/qwen-code': 'qwen' };
  const full = w.replace(/@[\d^~.x*-]+$|@latest$/, '');
  return pkg[full] ?? base.toLowerCase();
}

/**
 * Files a shell command line writes: redirections (`> f`, `>> f`), `tee`, `cp`/`mv`/`ln`/`install`
 * destinations, `sed -i` targets and PowerShell's Set-Content/Add-Content/Out-File/Copy-Item.
 */
export function shellWriteTargets(command: string): string[] {
  const out: string[] = [];
  const clean = (w: string) => w.replace(/^["']|["']$/g, '').replace(/\\/g, '/');
  for (const segment of command.split(/\n|;|&&|\|\||\||&(?!>)/)) {
    const words = segment.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
    if (words.length === 0) continue;
    for (let i = 0; i < words.length && out.length < 16; i++) {
      const w = words[i]!;
      const attached = /^\d?>>?([^>&].*)$/.exec(w);
      if (attached) out.push(clean(attached[1]!));
      else if (/^\d?>>?$/.test(w) && words[i + 1]) out.push(clean(words[i + 1]!));
    }
    let j = 0;
    while (j < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[j]!) || words[j] === 'sudo')) j++;
    const cmd = words[j]?.split('/').pop();
    const rest = words.slice(j + 1).filter((w) => !/^\d?>>?/.test(w));
    const plain = rest.filter((w) => !w.startsWith('-'));
    if (cmd === 'tee') out.push(...plain.map(clean));
    else if ((cmd === 'cp' || cmd === 'mv' || cmd === 'ln' || cmd === 'install') && plain.length >= 2) out.push(clean(plain[plain.length - 1]!));
    else if (cmd === 'sed' && rest.some((w) => /^-i/.test(w)) && plain.length >= 2) out.push(clean(plain[plain.length - 1]!));
    else if (cmd && /^(?:Set-Content|Add-Content|Out-File|Copy-Item|New-Item)$/i.test(cmd)) {
      const pi = rest.findIndex((w) => /^-(?:Path|FilePath|Destination|LiteralPath)$/i.test(w));
      const target = pi >= 0 ? rest[pi + 1] : cmd.toLowerCase() === 'copy-item' ? plain[1] : plain[0];
      if (target) out.push(clean(target));
    }
  }
  return out;
}

/** `$HOME/x`, `${HOME}/x`, `%USERPROFILE%\x`, `$env:APPDATA\x` -> `~/x`, `~/AppData/Roaming/x`. */
export function normalizeShellPath(p: string): string {
  return p
    .replace(/^(?:\$HOME|\$\{HOME\}|%USERPROFILE%|%HOMEPATH%|\$env:USERPROFILE|\$env:HOME)(?=[/\\]|$)/i, '~')
    .replace(/^(?:%APPDATA%|\$env:APPDATA|\$APPDATA)(?=[/\\]|$)/i, '~/AppData/Roaming')
    .replace(/^(?:%LOCALAPPDATA%|\$env:LOCALAPPDATA)(?=[/\\]|$)/i, '~/AppData/Local')
    .replace(/\\/g, '/');
}

/** Tags that run their template as a shell command: zx's and execa's `$`, Bun Shell's `$`. */
const SHELL_TAGS = /^(?:zx\.\$|execa\.\$|execa\.execaCommand|bun\.\$|Bun\.\$|dax\.\$|\$)$/;

/** The command a tagged template runs (`` await $`claude --yolo -p ${p}` ``), holes as `…`. */
export function taggedCommand(node: Node, ev: Evaluator, fileText = ''): string | undefined {
  if (node.type !== 'TaggedTemplateExpression') return undefined;
  const tag = ev.canonical(node.tag);
  if (!tag || !SHELL_TAGS.test(tag)) return undefined;
  // A bare global `$` is zx's only in zx scripts (`#!/usr/bin/env zx`, `import 'zx/globals'`); else jQuery.
  if (tag === '$' && (ev.isBound('$') || !/\bzx\b/.test(fileText.slice(0, 5000)))) return undefined;
  const q = node.quasi;
  return q.quasis.map((x, i) => (x.value.cooked ?? x.value.raw) + (i < q.expressions.length ? ev.foldLoose(q.expressions[i] as Node) ?? HOLE : '')).join('');
}
