import { NETWORK_CALLS, STREAM_WRITE, destinationOf, normalizeChain } from './network-calls.js';
import type { Node } from '@babel/types';
import type { Evaluator } from './evaluate.js';
import { HOLE } from './evaluate.js';
import type { WalkResult } from './walk.js';
import { descendants, parentOf } from './walk.js';
import { pathsOverlap } from './bindings.js';
import { matchCredentialPath, NON_SECRET_ENV_NAME, SECRET_ENV_NAME } from '../indicators.js';
import { aiKeyProvider } from '../ai-indicators.js';
import { calleePattern } from '../../catalog/callees.js';

/**
 * Source-to-sink data flow. `taintOf(expr)` answers: which sensitive sources can this value carry,
 * and by which path? It follows bindings, assignments, object writes (`data.x = v`, `push`),
 * transforms (any call passes its arguments' taint to its result: JSON.stringify, Buffer, base64,
 * compression, string building), returns of local functions, callback parameters of source calls,
 * call-site arguments of named functions, and module boundaries (`require('./x')` exports, and
 * callers of exported functions in other files). Bounded by a step budget per query.
 */
export type SourceKind = 'env-bulk' | 'env-secret' | 'ai-key' | 'credential-file' | 'fingerprint' | 'command-output' | 'browser-store' | 'remote-content';

/**
 * Options of a flow service. `remoteSources`: what comes back from a network call to a hard-coded
 * address is a source ('remote-content'), for the question "does code run here come from a server?".
 * Off for the exfiltration question, where a response is not the secret sent out; a separate service
 * answers each question so neither's memo leaks into the other's answers.
 */
export interface FlowOptions {
  remoteSources?: boolean;
}

export interface Hop {
  file: string;
  line: number;
  note: string;
}

export interface Taint {
  kind: SourceKind;
  label: string;
  /**
   * For 'ai-key': the provider the key belongs to (see ai-indicators.ts), or 'several' when one
   * read may be any of several providers' keys (a harvesting loop over key names).
   */
  provider?: string;
  /** hops[0] is the source; later hops are the steps towards the sink. */
  hops: Hop[];
  /**
   * Where in the value the source sits: `{ env: process.env }` carries the environment at ['env'].
   * Absent, the value is the source or was computed from it (a string built from it). A read of a
   * field steps in (`o.env`) or, for another field, leaves it behind ('*' is a field of any name).
   */
  at?: string[];
  /**
   * Alternatives this value was picked from, as `group:branch` (`a || b`, `c ? a : b`): two taints in
   * one group with different branches never travel together (`key = anthropicKey ?? openrouterKey`).
   */
  alts?: string[];
}

/** Were these two sources picked one instead of the other (a provider switch), not carried together? */
export function areAlternatives(a: Taint, b: Taint): boolean {
  if (!a.alts || !b.alts) return false;
  for (const x of a.alts) {
    const i = x.lastIndexOf(':');
    const group = x.slice(0, i);
    for (const y of b.alts) if (y.slice(0, y.lastIndexOf(':')) === group && y !== x) return true;
  }
  return false;
}

export interface FlowFile {
  path: string;
  text: string;
  ast: Node;
  walked: WalkResult;
  evaluator: Evaluator;
}

const MAX_STEPS = 20_000;
const MAX_TAINTS = 6;
const MAX_HOPS = 16;

const FINGERPRINT_CALLS: Record<string, string> = {
  'os.hostname': 'host name',
  'os.userInfo': 'user info',
  'os.networkInterfaces': 'network interfaces',
  'dns.getServers': 'DNS servers',
  'os.cpus': 'CPU model',
  'os.release': 'OS release',
};
const FS_READ = /^(?:fs|fs\.promises|fs-extra|graceful-fs|promise-fs)\.(?:readFileSync|readFile|createReadStream|readdirSync|readdir)$/;
/** child_process calls whose result carries the command's output (a flow source). */
const EXEC = calleePattern((c) => c.callee.startsWith('child_process.') && c.output);
const SECRET_COMMAND = /\b(?:gh\s+auth\s+token|npm\s+token\b|npm\s+config\s+get\s+\S{0,64}?(?:_auth|authToken|token|password)|git\s+config\b|git\s+credential|aws\s+(?:configure|sts)|gcloud\s+(?:auth|config)|az\s+account|security\s+find-(?:generic|internet)-password|cat\s+[^|;&]{0,512}?(?:npmrc|\.ssh|\.aws|credentials|\.env\b|\.git-credentials))/i;
const RECON_COMMAND = /^\s*(?:whoami|hostname|uname|id|ipconfig|ifconfig|pwd)\b/i;
const PASS_THROUGH_METHODS = new Set(['then', 'on', 'once', 'forEach', 'map', 'reduce', 'filter', 'flatMap', 'finally']);
const BROWSER_SOURCES = new Set(['document.cookie', 'localStorage.getItem', 'sessionStorage.getItem', 'clipboardy.read', 'clipboardy.readSync', 'navigator.clipboard.readText']);

function lineOf(node: Node): number {
  return node.loc?.start.line ?? 0;
}

function isLazyBody(fn: Node): boolean {
  return isFunction(fn) && (fn.body as { tgLazy?: boolean }).tgLazy === true;
}

function isFunction(n: Node | undefined): n is Extract<Node, { type: 'FunctionDeclaration' | 'FunctionExpression' | 'ArrowFunctionExpression' }> {
  return !!n && (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression');
}

function unwrap(node: Node): Node {
  let n = node;
  for (let i = 0; i < 16; i++) {
    if (n.type === 'ParenthesizedExpression' || n.type === 'TSAsExpression' || n.type === 'TSNonNullExpression' || n.type === 'TSSatisfiesExpression' || n.type === 'TypeCastExpression') n = n.expression;
    else if (n.type === 'AwaitExpression' && n.argument) n = n.argument;
    else break;
  }
  return n;
}

/** The taints of a value with the source nested at `prefix` inside it. */
function nest(taints: Taint[], prefix: string[]): Taint[] {
  return prefix.length ? taints.map((t) => ({ ...t, at: [...prefix, ...(t.at ?? [])] })) : taints;
}

/** A value computed from others (a string, a transform's result) carries them, not their fields. */
function flat(taints: Taint[]): Taint[] {
  return taints.map((t) => (t.at ? { ...t, at: undefined } : t));
}

/**
 * The address of a destination whose host is written in the package (`https://h.invalid/x`,
 * `h.invalid`, `203.0.113.7:8080`), shown without folded-away run-time parts; undefined when the host
 * itself is computed at run time.
 */
export function hardCodedAddress(dest: string): string | undefined {
  const rest = dest.replace(/^(?:https?|wss?):\/\//i, '');
  const host = rest.split(/[/?#]/, 1)[0]!;
  if (!host || host.includes(HOLE) || !/^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/.test(host) || !host.includes('.')) return undefined;
  return dest.split(HOLE).join('…').slice(0, 120);
}

export class FlowService {
  // Weak keys: a file analyzed past the retention budget must be collectable once it is done.
  private readonly memo = new WeakMap<Node, Taint[]>();
  private readonly active = new Set<Node>();
  private readonly returnsMemo = new WeakMap<Node, Node[]>();
  private readonly exportsMemo = new Map<string, Map<string, Node>>();
  private callerIndex: Map<string, { file: FlowFile; call: Node }[]> | undefined;
  private callerIndexFiles = -1;
  private readonly declaredMemo = new WeakMap<Node, Taint[]>();
  private readonly declaredActive = new Set<Node>();
  private steps = 0;
  private depth = 0;
  /** Where resolution gave up and a flow was dropped rather than assumed (diagnostics). */
  readonly gaps = { memberWrites: 0, longPaths: 0, budget: 0 };

  constructor(
    private readonly files: ReadonlyMap<string, FlowFile>,
    /** Resolve a relative module specifier from a file to a package file path. */
    private readonly resolve: (from: string, spec: string) => string | undefined,
    private readonly options: FlowOptions = {},
  ) {}

  /** Forget what was learnt from a file that is no longer kept (its trees can then be collected). */
  forget(path: string): void {
    this.exportsMemo.delete(path);
    this.callerIndex = undefined;
  }

  /** The sources an expression may carry, with the path from each source to here. */
  taintOf(node: Node, file: FlowFile): Taint[] {
    if (this.depth === 0) this.steps = 0;
    return this.taint(node, file);
  }

  // ------------------------------------------------------------------

  private hop(file: FlowFile, node: Node, note: string): Hop {
    return { file: file.path, line: lineOf(node), note };
  }

  /**
   * One more step on each path. A path that would grow past MAX_HOPS is dropped (and counted), not
   * cut short: a finding shows every step from source to sink, or it is not made.
   */
  private extend(taints: Taint[], hop: Hop): Taint[] {
    const out: Taint[] = [];
    for (const t of taints) {
      const last = t.hops[t.hops.length - 1];
      if (last && last.file === hop.file && last.line === hop.line && last.note === hop.note) out.push(t);
      else if (t.hops.length >= MAX_HOPS) this.gaps.longPaths++;
      else out.push({ ...t, hops: [...t.hops, hop] });
    }
    return out;
  }

  private merge(into: Taint[], more: Taint[]): void {
    for (const t of more) {
      if (into.length >= MAX_TAINTS) return;
      if (!into.some((x) => x.kind === t.kind && x.label === t.label)) into.push(t);
    }
  }

  private source(file: FlowFile, node: Node, kind: SourceKind, label: string, provider?: string): Taint[] {
    const t: Taint = { kind, label, hops: [this.hop(file, node, label)] };
    if (provider) t.provider = provider;
    return [t];
  }

  /** A read of one environment variable by name: an AI provider key, another secret, or nothing. */
  private envRead(file: FlowFile, node: Node, name: string): Taint[] {
    const provider = aiKeyProvider(name);
    if (provider) return this.source(file, node, 'ai-key', `process.env.${name}`, provider);
    if (SECRET_ENV_NAME.test(name) && !NON_SECRET_ENV_NAME.test(name)) return this.source(file, node, 'env-secret', `process.env.${name}`);
    return [];
  }

  /**
   * `process.env[k]` where k takes several known values (`for (const k of ['OPENAI_API_KEY', …])`):
   * a loop over key names is a harvest, whichever provider each key belongs to.
   */
  private envReadByCandidates(file: FlowFile, node: Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>): Taint[] {
    // A key that walks every name of the environment (`for (k in process.env)`,
    // `Object.keys(process.env).forEach(k => …)`) reads all of it.
    if (this.iteratesEnvKeys(node.property, file)) return this.source(file, node, 'env-bulk', 'process.env (every variable, key by key)');
    const names = file.evaluator.foldLooseAll(node.property).filter((n) => !n.includes(HOLE));
    if (names.length === 0) return [];
    if (names.length === 1) return this.envRead(file, node, names[0]!);
    const ai = names.filter((n) => aiKeyProvider(n));
    const secret = names.filter((n) => !aiKeyProvider(n) && SECRET_ENV_NAME.test(n) && !NON_SECRET_ENV_NAME.test(n));
    const list = (xs: string[]) => xs.slice(0, 4).join(', ') + (xs.length > 4 ? ', …' : '');
    if (ai.length) {
      const providers = new Set(ai.map((n) => aiKeyProvider(n)!));
      return this.source(file, node, 'ai-key', `process.env[…] over ${list(ai)}`, providers.size === 1 ? [...providers][0] : 'several');
    }
    if (secret.length) return this.source(file, node, 'env-secret', `process.env[…] over ${list(secret)}`);
    return [];
  }

  private taint(raw: Node | null | undefined, file: FlowFile): Taint[] {
    if (!raw) return [];
    if (++this.steps > MAX_STEPS) {
      if (this.steps === MAX_STEPS + 1) this.gaps.budget++;
      return [];
    }
    const node = unwrap(raw);
    const memo = this.memo.get(node);
    if (memo) return memo;
    if (this.active.has(node) || this.depth > 200) return [];
    this.active.add(node);
    this.depth++;
    let out: Taint[] = [];
    try {
      out = this.compute(node, file);
    } finally {
      this.depth--;
      this.active.delete(node);
    }
    this.memo.set(node, out);
    return out;
  }

  /** `a || b`, `a ?? b`, `c ? a : b`: the value is one branch or the other; taints say which. */
  private alternatives(node: Node, branches: Node[], file: FlowFile): Taint[] {
    const out: Taint[] = [];
    branches.forEach((b, i) => {
      const group = `${file.path}@${node.start ?? 0}`;
      this.merge(out, this.taint(b, file).map((t) => ({ ...t, alts: [...(t.alts ?? []), `${group}:${i}`] })));
    });
    return out;
  }

  private union(nodes: (Node | null | undefined)[], file: FlowFile): Taint[] {
    const out: Taint[] = [];
    for (const n of nodes) {
      if (!n || n.type === 'ArgumentPlaceholder') continue;
      this.merge(out, this.taint(n.type === 'SpreadElement' ? n.argument : n, file));
      if (out.length >= MAX_TAINTS) break;
    }
    return out;
  }

  private compute(node: Node, file: FlowFile): Taint[] {
    const ev = file.evaluator;
    switch (node.type) {
      case 'Identifier':
        return this.identifier(node, file);
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const canon = ev.canonical(node);
        if (canon === 'process.env') return this.source(file, node, 'env-bulk', 'process.env (every environment variable)');
        if (canon?.startsWith('process.env.')) return this.envRead(file, node, canon.slice(12));
        if (canon && BROWSER_SOURCES.has(canon)) return this.source(file, node, 'browser-store', canon);
        // process.env[name] with a name we cannot fold reads one variable, not the environment.
        if (node.computed && ev.canonical(node.object) === 'process.env') return this.envReadByCandidates(file, node);
        return this.memberBase(node, file);
      }
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        return this.call(node, file);
      case 'TaggedTemplateExpression':
        return this.taint(node.quasi, file);
      case 'TemplateLiteral':
        return flat(this.union(node.expressions, file));
      case 'BinaryExpression':
        return node.left.type === 'PrivateName' ? this.taint(node.right, file) : flat(this.union([node.left, node.right], file));
      case 'LogicalExpression':
        return node.operator === '&&' ? this.union([node.left, node.right], file) : this.alternatives(node, [node.left, node.right], file);
      case 'ConditionalExpression':
        return this.alternatives(node, [node.consequent, node.alternate], file);
      case 'SequenceExpression':
        return this.taint(node.expressions[node.expressions.length - 1], file);
      case 'AssignmentExpression':
        return this.taint(node.right, file);
      case 'ObjectExpression': {
        // Each value sits at its key: `{ env: process.env }.env` is the environment, `.port` is not.
        const out: Taint[] = [];
        for (const p of node.properties) {
          if (out.length >= MAX_TAINTS) break;
          if (p.type === 'SpreadElement') this.merge(out, this.taint(p.argument, file));
          else if (p.type === 'ObjectProperty') this.merge(out, nest(this.taint(p.value, file), [this.keyOf(p, file) ?? '*']));
        }
        return out;
      }
      case 'ArrayExpression':
        return nest(this.union(node.elements, file), ['*']);
      case 'YieldExpression':
        return this.taint(node.argument, file);
      default:
        return [];
    }
  }

  /**
   * The object a member read reads from. On a name, only the values stored into the field read
   * (`options.socketPath` does not see `options.parsed[k] = env[k]`), besides what the name holds.
   */
  private memberBase(node: Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>, file: FlowFile): Taint[] {
    const key = node.property;
    const field = !node.computed && key.type === 'Identifier' ? key.name : key.type === 'PrivateName' ? '#' + key.id.name : (file.evaluator.foldString(key as Node) ?? '*');
    return this.fieldTaint(node.object, [field], file, 0, node);
  }

  /**
   * The sources field `path` of a value may carry: `{ a: x, b: y }` at ['a'] is x's; a name's is
   * what its object literal put there plus what was stored into that field later; anything else
   * carries its whole taint (a field of the environment is one variable). '*' is any field.
   */
  private fieldTaint(raw: Node, path: readonly (string | number)[], file: FlowFile, depth = 0, site?: Node): Taint[] {
    const node = unwrap(raw);
    const at = site ?? node;
    if (path.length === 0 || depth > 8) return this.taint(node, file);
    if (++this.steps > MAX_STEPS) return [];
    const head = String(path[0]);
    const rest = path.slice(1);
    const out: Taint[] = [];
    if (node.type === 'ObjectExpression' && head !== '*') {
      for (const p of node.properties) {
        if (p.type === 'SpreadElement') this.merge(out, this.fieldTaint(p.argument, path, file, depth + 1));
        else if (p.type === 'ObjectProperty') {
          const k = this.keyOf(p, file);
          if (k === undefined || k === head) this.merge(out, this.fieldTaint(p.value, rest, file, depth + 1));
        }
      }
      return out;
    }
    if (node.type === 'ArrayExpression' && /^\d+$/.test(head) && !node.elements.some((e) => e?.type === 'SpreadElement')) {
      const el = node.elements[Number(head)];
      return el && el.type !== 'SpreadElement' ? this.fieldTaint(el, rest, file, depth + 1) : [];
    }
    if (node.type === 'Identifier' && file.evaluator.canonical(node) !== 'process.env') {
      const visible = file.walked.bindings.visible(node.name, node);
      // A name only ever bound to object literals: the field's own value, not its siblings'.
      const literal = visible.length > 0 && visible.every((b) => (b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init && !b.path && !b.iterates && unwrap(b.init).type === 'ObjectExpression');
      if (literal) {
        for (const b of visible) {
          const t = this.fieldTaint(b.init!, path, file, depth + 1);
          if (t.length) this.merge(out, this.extend(t, this.hop(file, b.site ?? b.init!, `${node.name} = …`)));
        }
      } else this.merge(out, this.stepInto(this.declared(node, file), path, at, file));
      this.merge(out, this.storedInto(node, path.map(String), file, at));
      return out;
    }
    return this.stepInto(this.taint(node, file), path, at, file);
  }

  /**
   * The taints of a value's field: a source nested in the value (see Taint.at) is kept when the
   * field leads to it and left behind otherwise; a named field of the environment itself is one
   * variable of it (`env.HOME`), judged by its name.
   */
  private stepInto(taints: Taint[], path: readonly (string | number)[], site: Node, file: FlowFile): Taint[] {
    let cur = taints;
    for (const f of path.map(String)) {
      const next: Taint[] = [];
      for (const t of cur) {
        if (t.at?.length) {
          if (t.at[0] === f || t.at[0] === '*' || f === '*') next.push({ ...t, at: t.at.slice(1) });
        } else if (t.kind === 'env-bulk' && f !== '*') this.merge(next, this.envRead(file, site, f));
        else next.push(t);
      }
      cur = next;
    }
    return cur;
  }

  private keyOf(p: Extract<Node, { type: 'ObjectProperty' }>, file: FlowFile): string | undefined {
    if (!p.computed && p.key.type === 'Identifier') return p.key.name;
    if (p.key.type === 'StringLiteral' || p.key.type === 'NumericLiteral') return String(p.key.value);
    return p.computed ? file.evaluator.foldString(p.key as Node) : undefined;
  }

  private call(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, file: FlowFile): Taint[] {
    const ev = file.evaluator;
    const callee = node.callee.type === 'V8IntrinsicIdentifier' ? undefined : ev.canonical(node.callee);
    const args = node.arguments;
    if (callee) {
      const fp = FINGERPRINT_CALLS[callee];
      if (fp) return this.source(file, node, 'fingerprint', `${callee}() (${fp})`);
      if (BROWSER_SOURCES.has(callee)) return this.source(file, node, 'browser-store', `${callee}()`);
      if (FS_READ.test(callee)) {
        const cred = this.credentialPath(args[0], file);
        if (cred) return this.source(file, node, 'credential-file', cred);
      }
      if (EXEC.test(callee)) {
        const cmd = this.commandOf(args[0], file);
        if (cmd && SECRET_COMMAND.test(cmd)) return this.source(file, node, 'command-output', `output of \`${cmd.slice(0, 60)}\``);
        if (cmd && RECON_COMMAND.test(cmd)) return this.source(file, node, 'fingerprint', `output of \`${cmd.slice(0, 60)}\``);
        // A process's output is not a transform of its options: `{ env: process.env }` stays behind.
        return [];
      }
      if (callee === 'require' || callee === 'import') {
        const spec = ev.foldString(args[0] as Node | undefined);
        const target = spec?.startsWith('.') ? this.fileFor(file, spec) : undefined;
        return target ? this.exportTaint(target, 'default', node, file) : [];
      }
    }
    // A response is not a transform of the request: what came back from the network is not the secret.
    // It is a source of its own only when asked where run-time code comes from, and only from an
    // address written in the package: a loader fetching what its caller names is not a download
    // the package chose.
    if (callee && (NETWORK_CALLS.test(callee) || STREAM_WRITE.test(normalizeChain(callee)))) {
      if (!this.options.remoteSources || callee === 'navigator.sendBeacon' || !NETWORK_CALLS.test(callee)) return [];
      const dest = destinationOf(args as Node[], ev);
      const where = dest !== undefined ? hardCodedAddress(dest) : undefined;
      return where ? this.source(file, node, 'remote-content', `response of ${callee}(${where})`) : [];
    }
    const out: Taint[] = [];
    // `Object.keys(process.env).filter(k => /^MYAPP_/.test(k))`: a package reading its own settings.
    if (this.isPrefixFilter(node)) return [];
    // Calls into local or imported functions: what they return.
    const fn = this.calledFunction(node.callee, file);
    if (fn) this.merge(out, this.extend(this.returnsTaint(fn.fn, fn.file), this.hop(file, node, `returned by ${fn.name}()`)));
    // Everything else is treated as a transform: the result carries the taint of its inputs and of
    // the object it is called on (JSON.stringify(x), Buffer.from(x).toString('base64'), s.concat(x)).
    const c = unwrap(node.callee);
    const inputs: (Node | null | undefined)[] = [...args];
    if ((c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') && !fn) inputs.push(c.object);
    const via = this.union(inputs, file);
    if (via.length) this.merge(out, this.extend(flat(via), this.hop(file, node, callee ? `${callee}(…)` : 'call')));
    return out;
  }

  /** Is `key` a loop variable or callback parameter that takes every key of the environment? */
  private iteratesEnvKeys(key: Node, file: FlowFile): boolean {
    if (key.type !== 'Identifier') return false;
    for (const b of file.walked.bindings.visible(key.name, key)) {
      if (b.iterates && b.init && (file.evaluator.canonical(b.init) === 'process.env' || this.taint(b.init, file).some((t) => t.kind === 'env-bulk'))) return true;
      if (b.kind === 'param' && b.fn && b.index === 0) {
        const call = parentOf(b.fn);
        if (call?.type !== 'CallExpression' || !call.arguments.includes(b.fn as never)) continue;
        const c = unwrap(call.callee);
        if ((c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') && c.property.type === 'Identifier' && /^(?:forEach|map|reduce|filter|flatMap)$/.test(c.property.name)) {
          if (this.taint(c.object, file).some((t) => t.kind === 'env-bulk')) return true;
        }
      }
    }
    return false;
  }

  private isPrefixFilter(node: Node): boolean {
    if (node.type !== 'CallExpression') return false;
    const c = unwrap(node.callee);
    if (c.type !== 'MemberExpression' || c.property.type !== 'Identifier' || c.property.name !== 'filter') return false;
    const fn = node.arguments[0];
    if (!fn || (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression')) return false;
    const body = fn.body;
    for (const n of descendants(body, 500)) {
      if (n.type === 'RegExpLiteral' && n.pattern.startsWith('^')) return true;
      if (n.type === 'MemberExpression' && n.property.type === 'Identifier' && n.property.name === 'startsWith') return true;
    }
    return false;
  }

  private credentialPath(arg: Node | null | undefined, file: FlowFile): string | undefined {
    if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return undefined;
    for (const p of file.evaluator.foldLooseAll(arg)) {
      const hit = matchCredentialPath(p.split(HOLE).join('*'));
      if (hit) return `${hit.label} (${p.split(HOLE).join('*')})`;
    }
    return undefined;
  }

  private commandOf(arg: Node | null | undefined, file: FlowFile): string | undefined {
    if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return undefined;
    return file.evaluator.foldLoose(arg);
  }

  /** A name read whole: what it was bound to, and every value stored into any of its fields. */
  private identifier(node: Extract<Node, { type: 'Identifier' }>, file: FlowFile): Taint[] {
    const out = this.declared(node, file);
    this.merge(out, this.storedInto(node, [], file));
    return out;
  }

  /**
   * Values stored into fields of the object this name holds, that a read of field path `path`
   * can see (`[]`: the whole object). Writes into a same-named object of another scope, and into
   * other fields (`options.path = …` when `options.parsed` is read), are not this read's.
   */
  private storedInto(node: Extract<Node, { type: 'Identifier' }>, path: string[], file: FlowFile, site: Node = node): Taint[] {
    const out: Taint[] = [];
    const bindings = file.walked.bindings;
    if (bindings.memberWritesOverflow.has(node.name)) this.gaps.memberWrites++;
    for (const w of bindings.memberWritesOf(node.name, node)) {
      if (out.length >= MAX_TAINTS) break;
      if (!pathsOverlap(path, w.path)) continue;
      // Written deeper than read: the value sits inside what is read. Read deeper: step into it.
      const t = nest(this.stepInto(this.taint(w.value, file), path.slice(w.path.length), site, file), w.path.slice(path.length));
      const field = w.path.filter((p) => p !== '*').join('.');
      if (t.length) this.merge(out, this.extend(t, this.hop(file, w.value, `stored into ${node.name}${field ? '.' + field : ''}`)));
    }
    return out;
  }

  /** What a name was bound to (declarations, assignments, parameters, imports), memoized. */
  private declared(node: Extract<Node, { type: 'Identifier' }>, file: FlowFile): Taint[] {
    const memo = this.declaredMemo.get(node);
    if (memo) return [...memo];
    if (this.declaredActive.has(node)) return [];
    this.declaredActive.add(node);
    let out: Taint[] = [];
    try {
      out = this.bindingTaint(node, file);
    } finally {
      this.declaredActive.delete(node);
    }
    this.declaredMemo.set(node, out);
    return [...out];
  }

  private bindingTaint(node: Extract<Node, { type: 'Identifier' }>, file: FlowFile): Taint[] {
    // `const { env } = process`, `const e = p['en' + 'v']`: the evaluator already knows what this is.
    if (file.evaluator.canonical(node) === 'process.env') return this.source(file, node, 'env-bulk', 'process.env (every environment variable)');
    const out: Taint[] = [];
    const bindings = file.walked.bindings;
    const visible = bindings.visible(node.name, node);
    // `let key; if (a) key = A; else key = B`: each assignment is an alternative, not a bundle.
    const assigned = visible.filter((b) => (b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init);
    const altGroup = assigned.length > 1 ? `${file.path}#${node.name}@${assigned[0]!.scope?.start ?? 0}` : undefined;
    for (const b of visible) {
      if (out.length >= MAX_TAINTS) break;
      if ((b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init) {
        // `const { OPENAI_API_KEY } = process.env` reads one variable, not the whole environment.
        if (b.path?.length === 1 && typeof b.path[0] === 'string' && file.evaluator.canonical(b.init) === 'process.env') {
          this.merge(out, this.extend(this.envRead(file, b.site ?? b.init, b.path[0]), this.hop(file, b.site ?? b.init, `${node.name} = …`)));
          continue;
        }
        if (altGroup) {
          const t = (b.path ? this.fieldTaint(b.init, b.path, file) : this.taint(b.init, file)).map((x) => ({ ...x, alts: [...(x.alts ?? []), `${altGroup}:${assigned.indexOf(b)}`] }));
          if (t.length) this.merge(out, this.extend(t, this.hop(file, b.site ?? b.init, `${node.name} = …`)));
          continue;
        }
        // `const { live } = options` reads one field of options, not all of them.
        const t = b.path ? this.fieldTaint(b.init, b.path, file) : this.taint(b.init, file);
        if (t.length) this.merge(out, this.extend(t, this.hop(file, b.site ?? b.init, `${node.name} = …`)));
      } else if (b.kind === 'param' && b.fn) {
        this.merge(out, this.paramTaint(b.fn, b.index ?? 0, node.name, file, b.path));
      } else if (b.kind === 'import' && b.source?.startsWith('.')) {
        const target = this.fileFor(file, b.source);
        if (target) this.merge(out, this.exportTaint(target, b.imported === '*' ? 'default' : (b.imported ?? 'default'), node, file));
      }
    }
    return out;
  }

  /** A parameter: a callback of a source call, or the arguments at the function's call sites. */
  private paramTaint(fn: Node, index: number, name: string, file: FlowFile, path?: (string | number)[]): Taint[] {
    // `function f({ options }) {…}` called as `f({ options, settings })`: only `options` arrives in it.
    const argTaint = (arg: Node, from: FlowFile) => (path ? this.fieldTaint(arg, path, from) : this.taint(arg, from));
    const out: Taint[] = [];
    const parent = parentOf(fn);
    if (parent && (parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.arguments.includes(fn as never)) {
      // fs.readFile(p, (err, data) => …), exec('gh auth token', (e, out) => …), promise.then(v => …)
      const src = this.call(parent, file).filter((t) => t.hops.length === 1);
      if (src.length) return this.extend(src, this.hop(file, fn, `callback parameter ${name}`));
      const c = unwrap(parent.callee);
      if ((c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') && c.property.type === 'Identifier' && PASS_THROUGH_METHODS.has(c.property.name)) {
        return this.extend(this.taint(c.object, file), this.hop(file, fn, `callback parameter ${name}`));
      }
      return out;
    }
    // Named function: its call sites in this file…
    const fnName = this.functionName(fn);
    if (fnName) {
      for (const call of file.walked.bindings.callsByName.get(fnName) ?? []) {
        if (call.type !== 'CallExpression' && call.type !== 'NewExpression') continue;
        // Calls by the same name in another scope call something else: minified bundles reuse
        // one-letter names in every function.
        if (!this.callsFunction(call.callee, fnName, fn, file)) continue;
        const arg = call.arguments[index];
        if (!arg || arg.type === 'ArgumentPlaceholder') continue;
        const t = arg.type === 'SpreadElement' ? this.taint(arg.argument, file) : argTaint(arg, file);
        if (t.length) this.merge(out, this.extend(t, this.hop(file, call, `passed to ${fnName}()`)));
      }
    }
    // …and, when exported, in the files that require this one.
    for (const exportName of this.exportNamesOf(file, fn)) {
      for (const { file: other, call } of this.callersOf(file.path, exportName)) {
        if (call.type !== 'CallExpression' && call.type !== 'NewExpression') continue;
        const arg = call.arguments[index];
        if (!arg || arg.type === 'ArgumentPlaceholder') continue;
        const t = arg.type === 'SpreadElement' ? this.taint(arg.argument, other) : argTaint(arg, other);
        if (t.length) this.merge(out, this.extend(t, this.hop(other, call, `passed to ${file.path}${exportName === 'default' ? '' : '#' + exportName}`)));
      }
    }
    return out;
  }

  /** Whether `callee`, a use of `name`, resolves to `fn` (or to nothing we know: then it may). */
  private callsFunction(callee: Node, name: string, fn: Node, file: FlowFile): boolean {
    if (callee.type !== 'Identifier') return true;
    // A name that resolves to no declaration here is a global of that name, not this function.
    const bindings = file.walked.bindings.visible(name, callee);
    return bindings.some((b) => b.init === fn || (b.init && unwrap(b.init) === fn));
  }

  private functionName(fn: Node): string | undefined {
    if (fn.type === 'FunctionDeclaration' && fn.id) return fn.id.name;
    const parent = parentOf(fn);
    if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') return parent.id.name;
    if (parent?.type === 'AssignmentExpression' && parent.left.type === 'Identifier') return parent.left.name;
    return undefined;
  }

  /** The function a callee refers to, in this file or through require/import. */
  private calledFunction(calleeRaw: Node, file: FlowFile): { fn: Node; file: FlowFile; name: string } | undefined {
    const found = this.findCalledFunction(calleeRaw, file);
    // A body the parser skipped (lazy-bodies.ts) returns nothing we can see: treat the call as an
    // unknown transform of its inputs instead of a function that returns nothing.
    return found && isLazyBody(found.fn) ? undefined : found;
  }

  private findCalledFunction(calleeRaw: Node, file: FlowFile): { fn: Node; file: FlowFile; name: string } | undefined {
    const callee = unwrap(calleeRaw);
    if (isFunction(callee)) return { fn: callee, file, name: 'anonymous function' };
    if (callee.type === 'Identifier') {
      for (const b of file.walked.bindings.visible(callee.name, callee)) {
        if (b.kind === 'function' && b.init) return { fn: b.init, file, name: callee.name };
        if ((b.kind === 'const' || b.kind === 'let' || b.kind === 'var') && b.init && !b.path) {
          const init = unwrap(b.init);
          if (isFunction(init)) return { fn: init, file, name: callee.name };
        }
      }
    }
    // lib.fn() / require('./lib').fn() / imported default
    const target = this.moduleTarget(callee, file);
    if (target) {
      const exported = this.exportedNode(target.file, target.name);
      if (exported) {
        const fn = this.functionOf(exported, target.file);
        if (fn) return { fn, file: target.file, name: `${target.file.path}${target.name === 'default' ? '' : '#' + target.name}` };
      }
    }
    return undefined;
  }

  /**
   * What a call runs, for install-time reach: a function (local, or exported by a package file,
   * through re-exports), or a package module whose export could not be told (`lib[name]()`,
   * an export that is not a function we can see): then any of its functions may run.
   */
  calleeTarget(calleeRaw: Node, file: FlowFile): { fn: Node; file: FlowFile } | { module: FlowFile } | undefined {
    const callee = unwrap(calleeRaw);
    const found = this.findCalledFunction(callee, file);
    if (found) return found;
    const target = this.moduleTarget(callee, file);
    if (target) return this.resolveExport(target.file, target.name, 0) ?? { module: target.file };
    if ((callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && callee.computed) {
      const spec = file.evaluator.canonical(callee.object);
      const module = spec?.startsWith('.') ? this.fileFor(file, spec) : undefined;
      if (module) return { module };
    }
    return undefined;
  }

  /** What export `name` of a package file is, followed through re-exports (see calleeTarget). */
  exportTarget(file: FlowFile, name: string): { fn: Node; file: FlowFile } | { module: FlowFile } | undefined {
    return this.resolveExport(file, name, 0);
  }

  /** An export followed through `export … from`, `module.exports = require('./x')` and imports. */
  private resolveExport(file: FlowFile, name: string, depth: number): { fn: Node; file: FlowFile } | { module: FlowFile } | undefined {
    if (depth > 8) return undefined;
    const node = this.exportedNode(file, name);
    if (node) {
      const fn = this.functionOf(node, file) ?? (node.type === 'ObjectMethod' || node.type === 'ClassMethod' ? node : undefined);
      if (fn) return { fn, file };
      const next = this.moduleTarget(unwrap(node), file);
      if (next) return this.resolveExport(next.file, next.name, depth + 1) ?? { module: next.file };
      return undefined;
    }
    // `module.exports = require('./impl')`: every export of impl is this module's.
    const whole = name !== 'default' ? this.exportedNode(file, 'default') : undefined;
    const forward = whole && this.moduleTarget(unwrap(whole), file);
    if (forward && forward.name === 'default') return this.resolveExport(forward.file, name, depth + 1);
    const re = this.reexportsOf(file);
    const direct = re.named.get(name);
    if (direct) {
      const target = this.fileFor(file, direct.spec);
      return target ? (this.resolveExport(target, direct.imported, depth + 1) ?? { module: target }) : undefined;
    }
    for (const spec of re.star) {
      const target = this.fileFor(file, spec);
      const r = target && this.resolveExport(target, name, depth + 1);
      if (r) return r;
    }
    return undefined;
  }

  private readonly reexportsMemo = new WeakMap<Node, { named: Map<string, { spec: string; imported: string }>; star: string[] }>();

  /** `export { a as b } from './x'` and `export * from './y'` of a file. */
  private reexportsOf(file: FlowFile): { named: Map<string, { spec: string; imported: string }>; star: string[] } {
    const memo = this.reexportsMemo.get(file.ast);
    if (memo) return memo;
    const out = { named: new Map<string, { spec: string; imported: string }>(), star: [] as string[] };
    const body = file.ast.type === 'File' ? file.ast.program.body : [];
    for (const stmt of body) {
      if (stmt.type === 'ExportAllDeclaration') out.star.push(stmt.source.value);
      else if (stmt.type === 'ExportNamedDeclaration' && stmt.source) {
        for (const sp of stmt.specifiers) {
          const exported = sp.exported.type === 'Identifier' ? sp.exported.name : sp.exported.value;
          if (sp.type === 'ExportSpecifier') out.named.set(exported, { spec: stmt.source.value, imported: sp.local.type === 'Identifier' ? sp.local.name : (sp.local as unknown as { value: string }).value });
          else if (sp.type === 'ExportNamespaceSpecifier') out.named.set(exported, { spec: stmt.source.value, imported: 'default' });
        }
      }
    }
    this.reexportsMemo.set(file.ast, out);
    return out;
  }

  /** For `x.name` or `x` where x is `require('./file')`: the file and export name. */
  private moduleTarget(node: Node, file: FlowFile): { file: FlowFile; name: string } | undefined {
    const ev = file.evaluator;
    if ((node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') && !node.computed && node.property.type === 'Identifier') {
      const spec = ev.canonical(node.object);
      const target = spec?.startsWith('.') ? this.fileFor(file, spec) : undefined;
      if (target) return { file: target, name: node.property.name };
    }
    const spec = ev.canonical(node);
    if (spec?.startsWith('.')) {
      const whole = this.fileFor(file, spec);
      if (whole) return { file: whole, name: 'default' };
      const dot = spec.lastIndexOf('.');
      if (dot > 0) {
        const target = this.fileFor(file, spec.slice(0, dot));
        if (target) return { file: target, name: spec.slice(dot + 1) };
      }
    }
    return undefined;
  }

  private fileFor(from: FlowFile, spec: string): FlowFile | undefined {
    const path = this.resolve(from.path, spec);
    return path ? this.files.get(path) : undefined;
  }

  private functionOf(node: Node, file: FlowFile): Node | undefined {
    const n = unwrap(node);
    if (isFunction(n)) return n;
    if (n.type === 'Identifier') {
      for (const b of file.walked.bindings.visible(n.name, n)) {
        if (b.kind === 'function' && b.init) return b.init;
        if (b.init && isFunction(unwrap(b.init))) return unwrap(b.init);
      }
    }
    return undefined;
  }

  private returnsTaint(fn: Node, file: FlowFile): Taint[] {
    const out: Taint[] = [];
    for (const r of this.returnsOf(fn)) this.merge(out, this.taint(r, file));
    return out;
  }

  /** Return expressions of a function, not of functions nested in it. */
  private returnsOf(fn: Node): Node[] {
    const memo = this.returnsMemo.get(fn);
    if (memo) return memo;
    const out: Node[] = [];
    if (fn.type === 'ArrowFunctionExpression' && fn.body.type !== 'BlockStatement') out.push(fn.body);
    else if (isFunction(fn)) {
      const nested = (n: Node) => isFunction(n) || n.type === 'ClassMethod' || n.type === 'ObjectMethod' || n.type === 'ReturnStatement';
      for (const n of descendants(fn.body, 50_000, nested)) if (n.type === 'ReturnStatement' && n.argument) out.push(n.argument);
    }
    this.returnsMemo.set(fn, out);
    return out;
  }

  /** Top-level exports of a file: CommonJS and ESM forms. */
  private exportsOf(file: FlowFile): Map<string, Node> {
    const memo = this.exportsMemo.get(file.path);
    if (memo) return memo;
    const out = new Map<string, Node>();
    this.exportsMemo.set(file.path, out);
    const body = file.ast.type === 'File' ? file.ast.program.body : [];
    const ev = file.evaluator;
    for (const stmt of body) {
      if (stmt.type === 'ExpressionStatement' && stmt.expression.type === 'AssignmentExpression') {
        const { left, right } = stmt.expression;
        const target = ev.canonical(left);
        if (target === 'module.exports') {
          out.set('default', right);
          if (right.type === 'ObjectExpression') {
            for (const p of right.properties) {
              if (p.type === 'ObjectProperty' && !p.computed && p.key.type === 'Identifier') out.set(p.key.name, p.value);
              else if (p.type === 'ObjectMethod' && p.key.type === 'Identifier') out.set(p.key.name, p);
            }
          }
        } else if (left.type === 'MemberExpression' && !left.computed && left.property.type === 'Identifier') {
          const obj = ev.canonical(left.object);
          if (obj === 'module.exports' || obj === 'exports') out.set(left.property.name, right);
        }
      } else if (stmt.type === 'ExportDefaultDeclaration') {
        out.set('default', stmt.declaration);
      } else if (stmt.type === 'ExportNamedDeclaration') {
        const d = stmt.declaration;
        if (d?.type === 'FunctionDeclaration' && d.id) out.set(d.id.name, d);
        else if (d?.type === 'VariableDeclaration') {
          for (const v of d.declarations) if (v.id.type === 'Identifier' && v.init) out.set(v.id.name, v.init);
        }
        for (const s of stmt.specifiers) {
          if (s.type === 'ExportSpecifier' && !stmt.source) out.set(s.exported.type === 'Identifier' ? s.exported.name : s.exported.value, s.local);
        }
      }
    }
    return out;
  }

  private exportedNode(file: FlowFile, name: string): Node | undefined {
    return this.exportsOf(file).get(name);
  }

  private exportTaint(target: FlowFile, name: string, at: Node, from: FlowFile): Taint[] {
    const exported = this.exportedNode(target, name);
    if (!exported || isFunction(unwrap(exported))) return [];
    const t = this.taint(exported, target);
    return t.length ? this.extend(t, this.hop(from, at, `imported from ${target.path}`)) : [];
  }

  private exportNamesOf(file: FlowFile, fn: Node): string[] {
    const names: string[] = [];
    for (const [name, node] of this.exportsOf(file)) if (this.functionOf(node, file) === fn) names.push(name);
    return names;
  }

  /** Calls in other files to `require('./this-file')[name]`. */
  private callersOf(path: string, name: string): { file: FlowFile; call: Node }[] {
    if (!this.callerIndex || this.callerIndexFiles !== this.files.size) {
      this.callerIndexFiles = this.files.size;
      this.callerIndex = new Map();
      for (const f of this.files.values()) {
        for (const n of f.walked.interesting) {
          if (n.type !== 'CallExpression' && n.type !== 'NewExpression') continue;
          if (n.callee.type === 'V8IntrinsicIdentifier') continue;
          const target = this.moduleTarget(unwrap(n.callee), f);
          if (!target) continue;
          const key = `${target.file.path}\0${target.name}`;
          const list = this.callerIndex.get(key) ?? [];
          if (list.length < 64) list.push({ file: f, call: n });
          this.callerIndex.set(key, list);
        }
      }
    }
    return this.callerIndex.get(`${path}\0${name}`) ?? [];
  }
}

/** "process.env (a.js:3) -> env = … (a.js:3) -> JSON.stringify(…) (a.js:9)" */
export function describePath(t: Taint, sink?: Hop): string {
  const hops = sink ? [...t.hops, sink] : t.hops;
  return hops.map((h) => `${h.note} (${h.file}:${h.line})`).join(' → ');
}
