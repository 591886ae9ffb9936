import type { Node } from '@babel/types';
import { descendants } from './walk.js';
import { UNKNOWN, type Evaluator, type Value } from './evaluate.js';

/**
 * Obfuscator.io-style string arrays, decoded statically. The obfuscator moves every string into
 * one array, rotates it at start-up (a push/shift IIFE, either a fixed count or "until this
 * parseInt checksum matches"), and replaces each string with a decoder call `_0x12ab(0x1f)` that
 * subtracts an offset and may base64-decode the entry. We find the three parts, replay the
 * rotation on a copy, and register the decoder with the evaluator so every rule sees the strings.
 * Nothing of the file runs: the rotation is array arithmetic, the checksum is folded.
 */

const OBF_B64 = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=';
const MAX_ARRAY = 50_000;

export { mayHaveStringArray } from '../prefilter/string-array-hint.js';

interface ArraySource {
  /** The node callers refer to: the array's declarator name, or the array-returning function. */
  holder: Node;
  name: string;
  values: string[];
}

const walk = descendants;

function stringArray(node: Node | null | undefined): string[] | undefined {
  if (!node || node.type !== 'ArrayExpression' || node.elements.length < 5 || node.elements.length > MAX_ARRAY) return undefined;
  const out: string[] = [];
  for (const el of node.elements) {
    if (!el || el.type !== 'StringLiteral') return undefined;
    out.push(el.value);
  }
  return out;
}

function fnName(n: Node): string | undefined {
  if (n.type === 'FunctionDeclaration') return n.id?.name;
  return undefined;
}

function decodeObfuscatorBase64(s: string): string | undefined {
  // obfuscator.io's alphabet lists lower case first; swapping case maps it onto standard base64.
  let std = '';
  for (const ch of s) {
    if (!OBF_B64.includes(ch)) return undefined;
    std += ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch >= 'A' && ch <= 'Z' ? ch.toLowerCase() : ch;
  }
  try {
    return Buffer.from(std, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}

function textOf(text: string, n: Node): string {
  return n.start != null && n.end != null ? text.slice(n.start, Math.min(n.end, n.start + 20_000)) : '';
}

export interface StringArrayReport {
  arrays: number;
  decoders: number;
  rotation?: number;
}

export function installStringArrayDecoders(ast: Node, text: string, ev: Evaluator): StringArrayReport | undefined {
  // 1. Array holders: `var _0xabc = ['..', ...]` or `function _0xabc() { const a = [...]; _0xabc = function(){return a}; return _0xabc(); }`
  const sources: ArraySource[] = [];
  const functions: Node[] = [];
  const iifes: Node[] = [];
  for (const n of walk(ast)) {
    if (n.type === 'VariableDeclarator' && n.id.type === 'Identifier') {
      const values = stringArray(n.init);
      if (values) sources.push({ holder: n, name: n.id.name, values });
    }
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression') {
      functions.push(n);
      const name = fnName(n);
      if (name && n.body.body.length <= 4) {
        for (const stmt of n.body.body) {
          if (stmt.type === 'VariableDeclaration') {
            for (const d of stmt.declarations) {
              const values = stringArray(d.init);
              if (values) sources.push({ holder: n, name, values });
            }
          }
        }
      }
    }
    if (n.type === 'CallExpression' && (n.callee.type === 'FunctionExpression' || n.callee.type === 'ArrowFunctionExpression') && n.arguments.length >= 2) iifes.push(n);
  }
  if (sources.length === 0) return undefined;

  const report: StringArrayReport = { arrays: sources.length, decoders: 0 };
  for (const src of sources) {
    // 2. Decoders: functions that index this array after subtracting an offset.
    const decoders: { fn: Node; offset: number; base64?: 'obfuscator' | 'standard' }[] = [];
    for (const fn of functions) {
      if (fn === src.holder || (fn.type !== 'FunctionDeclaration' && fn.type !== 'FunctionExpression') || fn.params.length < 1) continue;
      const body = textOf(text, fn);
      if (!new RegExp(`\\b${src.name.replace(/\$/g, '\\$')}\\b`).test(body) || body.length > 20_000) continue;
      const p0 = fn.params[0]!.type === 'Identifier' ? fn.params[0].name : undefined;
      if (!p0) continue;
      let offset: number | undefined;
      for (const n of walk(fn.body, 50_000)) {
        if (n.type === 'BinaryExpression' && n.operator === '-' && n.left.type === 'Identifier' && n.left.name === p0) {
          const v = ev.fold(n.right);
          if (typeof v === 'number') offset = v;
        } else if (n.type === 'AssignmentExpression' && n.operator === '-=' && n.left.type === 'Identifier' && n.left.name === p0) {
          const v = ev.fold(n.right);
          if (typeof v === 'number') offset = v;
        }
      }
      if ((/%\s*0x100|\b256\b/.test(body) || xorAfterFromCharCode(body)) && fn.params.length >= 2 && /\bkey\b|arguments\[1\]|,\s*_0x\w+\)\s*\{/.test(body) && /charCodeAt/.test(body) && /% ?0x100|% ?256/.test(body)) {
        continue; // RC4-encoded arrays need the key per call: not decoded (reported by the obfuscation rule)
      }
      decoders.push({ fn, offset: offset ?? 0, base64: body.includes(OBF_B64) ? 'obfuscator' : /\batob\b|['"]base64['"]/.test(body) ? 'standard' : undefined });
    }
    if (decoders.length === 0) continue;

    // 3. Rotation: an IIFE given the array (or its function) and a number.
    let rotated = src.values;
    const rotation = iifes.find((c) => {
      if (c.type !== 'CallExpression') return false;
      const a0 = c.arguments[0];
      return a0?.type === 'Identifier' && a0.name === src.name && /\bpush\b/.test(textOf(text, c)) && /\bshift\b/.test(textOf(text, c));
    });
    const makeDecode = (arr: string[], d: { offset: number; base64?: 'obfuscator' | 'standard' }) => (args: Value[]): Value => {
      let idx = args[0];
      if (typeof idx === 'string') idx = parseInt(idx, idx.startsWith('0x') ? 16 : 10);
      if (typeof idx !== 'number') return UNKNOWN;
      const raw = arr[idx - d.offset];
      if (raw === undefined) return UNKNOWN;
      if (!d.base64) return raw;
      if (d.base64 === 'obfuscator') return decodeObfuscatorBase64(raw) ?? UNKNOWN;
      return Buffer.from(raw, 'base64').toString('utf8');
    };
    const install = (arr: string[]) => {
      for (const d of decoders) ev.decoders.set(d.fn, makeDecode(arr, d));
    };
    if (rotation && rotation.type === 'CallExpression') {
      const target = ev.fold(rotation.arguments[1]!);
      const body = textOf(text, rotation);
      const rotate = (k: number) => {
        const n = src.values.length;
        const r = ((k % n) + n) % n;
        return [...src.values.slice(r), ...src.values.slice(0, r)];
      };
      if (typeof target === 'number' && /parseInt/.test(body)) {
        // Checksum form: rotate until the folded parseInt expression equals the target.
        const check = [...walk(rotation.callee)].find((n) => n.type === 'VariableDeclarator' && n.init && /parseInt/.test(textOf(text, n.init)));
        for (let k = 0; k < src.values.length && check && check.type === 'VariableDeclarator'; k++) {
          const cand = rotate(k);
          install(cand);
          if (ev.fold(check.init!) === target) {
            rotated = cand;
            report.rotation = k;
            break;
          }
        }
      } else if (typeof target === 'number' && target >= 0 && target < 10_000_000) {
        // Count form: `while (--n) arr.push(arr.shift())` after `++n`: exactly `target` rotations.
        rotated = rotate(target);
        report.rotation = target;
      }
    }
    install(rotated);
    report.decoders += decoders.length;
  }
  return report.decoders ? report : undefined;
}

/** `fromCharCode … ^` on one line, the test /\bfromCharCode\b.*\^/ made, which rescans the line from every fromCharCode. */
function xorAfterFromCharCode(body: string): boolean {
  for (const line of body.split('\n')) {
    const at = line.search(/\bfromCharCode\b/);
    if (at !== -1 && line.lastIndexOf('^') > at) return true;
  }
  return false;
}
