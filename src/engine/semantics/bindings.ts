import type { Node } from '@babel/types';

/**
 * A lightweight binding table built during the engine's single walk. Every declaration records the
 * node whose subtree it is visible in; a use site resolves to the innermost declaration enclosing
 * it, plus the assignments made inside that declaration's scope. Anything ambiguous resolves to
 * several candidates, and callers that need one value require them to agree. This gives the
 * binding resolution the rules need at the cost of one walk, instead of @babel/traverse's scope
 * crawl (measured here at ~5x the parse).
 */
export type BindingKind = 'const' | 'let' | 'var' | 'param' | 'function' | 'import' | 'class' | 'opaque';

export interface Binding {
  kind: BindingKind;
  /** The initializer (declarations) or assigned value (assignments). */
  init?: Node;
  /** Property path inside a destructuring pattern, e.g. ['exec'] for `const { exec } = cp`. */
  path?: (string | number)[];
  /** For imports: module specifier and imported name ('default', '*', or a named export). */
  source?: string;
  imported?: string;
  /** For params: the function and the parameter index. */
  fn?: Node;
  index?: number;
  /** The node whose subtree sees this declaration (function, block or program). */
  scope?: Node;
  /** For plain assignments `x = v`: the assignment node. */
  site?: Node;
  /** `for (const x of init)`: x takes each element of init in turn. */
  iterates?: boolean;
}


/**
 * A value stored into an object held by a name: `data.x = v` (path ['x']), `data[k] = v` (['*']),
 * `list.push(v)`, `form.append(k, v)`, `Object.assign(data, v)` (['*']: some field).
 */
export interface MemberWrite {
  value: Node;
  /** Field path below the name; '*' is a field whose name is not known statically. */
  path: string[];
  /** The write itself: the name it stores into resolves to its binding from here. */
  site: Node;
}

/** Can a read of field path `read` see a value written at field path `written`? */
export function pathsOverlap(read: readonly string[], written: readonly string[]): boolean {
  const n = Math.min(read.length, written.length);
  for (let i = 0; i < n; i++) if (read[i] !== written[i] && read[i] !== '*' && written[i] !== '*') return false;
  return true;
}

/** Member writes kept per name; a name written more often than this is given up on (counted). */
const MAX_MEMBER_WRITES = 4096;

type Scoped = Node & { tgParent?: Node; tgScope?: Map<string, Binding[]> };

/** The innermost scope node at or above `site` that declares `name`, and its declarations. */
function lookup(name: string, site: Node): { scope: Node; decls: Binding[] } | undefined {
  for (let p: Scoped | undefined = site as Scoped, i = 0; p && i < 100_000; p = p.tgParent as Scoped | undefined, i++) {
    const decls = p.tgScope?.get(name);
    if (decls) return { scope: p, decls };
  }
  return undefined;
}

const NO_BINDINGS: readonly Binding[] = [];
const NO_WRITES: readonly MemberWrite[] = [];

/**
 * Declarations live in maps on their scope nodes (function, block, program), so resolving a use
 * is a walk up its ancestors with no allocation. Plain assignments `x = v` are attributed, once and
 * lazily, to the scope whose declaration they assign; a use then sees its declaration plus those
 * assignments. Names that are assigned but never declared are implicit globals.
 */
export class BindingTable {
  private readonly declared = new Set<string>();
  private readonly unscoped = new Map<string, Binding[]>();
  private readonly assignments = new Map<string, Binding[]>();
  private readonly assignmentsByScope = new Map<string, Map<Node | null, Binding[]>>();
  /** Names reassigned somewhere with a value we could not record (++, +=, ...). */
  private readonly tainted = new Set<string>();
  /** Function name -> call expressions that call it by that name (for argument resolution). */
  readonly callsByName = new Map<string, Node[]>();
  /**
   * Values stored into an object held by a name (see MemberWrite). Data flows through objects this
   * way, so taint follows it: into the binding the name resolves to at the write, field by field.
   */
  private readonly memberWrites = new Map<string, MemberWrite[]>();
  private readonly memberWritesByScope = new Map<string, Map<Node | null, MemberWrite[]>>();
  /** Names with more member writes than MAX_MEMBER_WRITES: readers of them get no flow (a gap). */
  readonly memberWritesOverflow = new Set<string>();

  addMemberWrite(name: string, write: MemberWrite): void {
    const list = this.memberWrites.get(name);
    if (!list) this.memberWrites.set(name, [write]);
    else if (list.length < MAX_MEMBER_WRITES) list.push(write);
    else this.memberWritesOverflow.add(name);
  }

  /**
   * The member writes into the binding `name` resolves to at `site`: writes into a same-named
   * object of another function (every bundle has many `options`) are another object's.
   */
  memberWritesOf(name: string, site: Node): readonly MemberWrite[] {
    const all = this.memberWrites.get(name);
    if (!all) return NO_WRITES;
    let byScope = this.memberWritesByScope.get(name);
    if (!byScope) {
      byScope = new Map();
      for (const w of all) {
        const target = lookup(name, w.site)?.scope ?? null;
        const list = byScope.get(target);
        if (list) list.push(w);
        else byScope.set(target, [w]);
      }
      this.memberWritesByScope.set(name, byScope);
    }
    return byScope.get(lookup(name, site)?.scope ?? null) ?? NO_WRITES;
  }

  add(name: string, b: Binding): void {
    if (b.site) {
      const list = this.assignments.get(name);
      if (!list) this.assignments.set(name, [b]);
      else if (list.length < 256) list.push(b);
      else this.tainted.add(name); // too many writes to reason about
      return;
    }
    this.declared.add(name);
    if (!b.scope) {
      const list = this.unscoped.get(name);
      if (list) list.push(b);
      else this.unscoped.set(name, [b]);
      return;
    }
    const scope = b.scope as Scoped;
    const map = (scope.tgScope ??= new Map());
    const list = map.get(name);
    if (list) {
      if (list.length < 64) list.push(b);
    } else map.set(name, [b]);
  }

  taint(name: string): void {
    this.tainted.add(name);
  }

  addCall(name: string, call: Node): void {
    const list = this.callsByName.get(name);
    if (list) {
      if (list.length < 64) list.push(call);
    } else this.callsByName.set(name, [call]);
  }

  private assignsFor(name: string, scope: Node | null): readonly Binding[] {
    const all = this.assignments.get(name);
    if (!all) return NO_BINDINGS;
    let byScope = this.assignmentsByScope.get(name);
    if (!byScope) {
      byScope = new Map();
      for (const a of all) {
        const target = lookup(name, a.site!)?.scope ?? null;
        const list = byScope.get(target);
        if (list) list.push(a);
        else byScope.set(target, [a]);
      }
      this.assignmentsByScope.set(name, byScope);
    }
    return byScope.get(scope) ?? NO_BINDINGS;
  }

  /** The bindings a use of `name` at `site` can see; empty for globals. */
  visible(name: string, site: Node | undefined): readonly Binding[] {
    if (!site) return this.unscoped.get(name) ?? NO_BINDINGS;
    const found = lookup(name, site);
    const decls = found?.decls ?? this.unscoped.get(name) ?? NO_BINDINGS;
    const assigns = this.assignsFor(name, found?.scope ?? null);
    if (assigns.length === 0) return decls;
    if (decls.length === 0) return assigns;
    return [...decls, ...assigns];
  }

  /** Whether the name is declared or assigned anywhere in the file. */
  has(name: string): boolean {
    return this.declared.has(name) || this.assignments.has(name);
  }

  isTainted(name: string): boolean {
    return this.tainted.has(name);
  }
}

/** Record every identifier bound by a pattern, with its path inside the pattern. */
export function bindPattern(
  table: BindingTable,
  pattern: Node | null | undefined,
  base: Omit<Binding, 'path'>,
  path: (string | number)[] = [],
  depth = 0,
): void {
  if (!pattern || depth > 20) return;
  switch (pattern.type) {
    case 'Identifier':
      table.add(pattern.name, { ...base, path: path.length ? path : undefined });
      return;
    case 'ObjectPattern':
      for (const prop of pattern.properties) {
        if (prop.type === 'RestElement') {
          bindPattern(table, prop.argument, { kind: 'opaque' }, [], depth + 1);
          continue;
        }
        let key: string | undefined;
        if (!prop.computed) {
          if (prop.key.type === 'Identifier') key = prop.key.name;
          else if (prop.key.type === 'StringLiteral') key = prop.key.value;
        } else if (prop.key.type === 'StringLiteral') key = prop.key.value;
        if (key === undefined) bindPattern(table, prop.value, { kind: 'opaque' }, [], depth + 1);
        else bindPattern(table, prop.value, base, [...path, key], depth + 1);
      }
      return;
    case 'ArrayPattern':
      pattern.elements.forEach((el, i) => bindPattern(table, el, base, [...path, i], depth + 1));
      return;
    case 'AssignmentPattern':
      // `const { exec = fallback } = cp`: the default only applies when the property is missing.
      bindPattern(table, pattern.left, base, path, depth + 1);
      return;
    case 'RestElement':
      bindPattern(table, pattern.argument, { kind: 'opaque' }, [], depth + 1);
      return;
    case 'TSParameterProperty':
      bindPattern(table, pattern.parameter, base, path, depth + 1);
      return;
    default:
      return;
  }
}
