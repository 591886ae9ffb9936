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
}

type WithParent = Node & { tgParent?: Node };

function isAncestor(anc: Node, node: Node): boolean {
  for (let p: Node | undefined = node, i = 0; p && i < 10_000; p = (p as WithParent).tgParent, i++) if (p === anc) return true;
  return false;
}

function depthOf(node: Node): number {
  let d = 0;
  for (let p: Node | undefined = node; p && d < 10_000; p = (p as WithParent).tgParent) d++;
  return d;
}

export class BindingTable {
  private readonly map = new Map<string, Binding[]>();
  /** Names reassigned somewhere with a value we could not record (++, destructuring assignment, ...). */
  private readonly tainted = new Set<string>();
  /** Function name -> call expressions that call it by that name (for argument resolution). */
  readonly callsByName = new Map<string, Node[]>();

  add(name: string, b: Binding): void {
    const list = this.map.get(name);
    if (list) {
      if (list.length < 16) list.push(b);
    } else this.map.set(name, [b]);
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

  /** All recorded bindings of a name; empty when it is a global or unknown. */
  all(name: string): readonly Binding[] {
    return this.map.get(name) ?? [];
  }

  /**
   * The bindings a use of `name` at `site` can see: the innermost enclosing declaration and the
   * assignments inside its scope. Falls back to every binding when scopes are unknown.
   */
  visible(name: string, site: Node | undefined): readonly Binding[] {
    const list = this.map.get(name);
    if (!list || list.length <= 1 || !site) return list ?? [];
    const decls = list.filter((b) => b.scope && !b.site);
    const enclosing = decls.filter((b) => isAncestor(b.scope!, site));
    let chosen: Binding | undefined;
    let best = -1;
    for (const b of enclosing) {
      const d = depthOf(b.scope!);
      if (d > best) {
        best = d;
        chosen = b;
      }
    }
    const assigns = list.filter((b) => b.site && (!chosen || isAncestor(chosen.scope!, b.site)));
    if (!chosen) return decls.length ? list : assigns;
    // Declarations of the same name in the same scope (var re-declarations) all count.
    const same = enclosing.filter((b) => b.scope === chosen!.scope);
    return [...same, ...assigns];
  }

  has(name: string): boolean {
    return this.map.has(name);
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
