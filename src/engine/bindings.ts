import type { Node } from '@babel/types';

/**
 * A conservative, scope-less binding table. Every declaration of a name in the file is recorded;
 * a name resolves only when all its declarations agree. Shadowing therefore makes a name
 * unresolvable instead of wrongly resolved, which is the safe failure for a detector, and it
 * costs one walk instead of @babel/traverse's scope crawl (measured at ~5x the parse).
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
