// What a source file imports, read from its syntax tree (TypeScript's parser): strings in code that
// only look like imports (fixtures, rule examples) are not imports.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export interface ImportRef {
  specifier: string;
  /** `import type`, or every named binding type-only: erased at compile time, loads nothing. */
  typeOnly: boolean;
  /** `import()`, `require()`, `createRequire(...)(...)`: loaded when that code runs, not with the module. */
  dynamic: boolean;
  /** `require.resolve('x')`: a path lookup, not a load. */
  resolveOnly: boolean;
}

export function importsOf(file: string): ImportRef[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: ImportRef[] = [];
  const literal = (n: ts.Node | undefined): string | undefined => (n && ts.isStringLiteralLike(n) ? n.text : undefined);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ specifier: literal(node.moduleSpecifier)!, typeOnly, dynamic: false, resolveOnly: false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      out.push({ specifier: literal(node.moduleSpecifier)!, typeOnly: node.isTypeOnly, dynamic: false, resolveOnly: false });
    } else if (ts.isCallExpression(node)) {
      const arg = literal(node.arguments[0]);
      const callee = node.expression;
      if (arg !== undefined) {
        if (callee.kind === ts.SyntaxKind.ImportKeyword) out.push({ specifier: arg, typeOnly: false, dynamic: true, resolveOnly: false });
        else if (ts.isIdentifier(callee) && callee.text === 'require') out.push({ specifier: arg, typeOnly: false, dynamic: true, resolveOnly: false });
        else if (ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'createRequire') out.push({ specifier: arg, typeOnly: false, dynamic: true, resolveOnly: false });
        else if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' && /(^|\W)require$/.test(callee.expression.getText(sf))) {
          out.push({ specifier: arg, typeOnly: false, dynamic: true, resolveOnly: true });
        }
      }
    } else if (ts.isImportTypeNode(node)) {
      const arg = ts.isLiteralTypeNode(node.argument) ? literal(node.argument.literal) : undefined;
      if (arg !== undefined) out.push({ specifier: arg, typeOnly: true, dynamic: false, resolveOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`; undefined for relative paths and Node built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return BUILTINS.has(name) ? undefined : name;
}

const BUILTINS = new Set(builtinModules);

/** Every .ts file under `dir` (node_modules and dist excluded). */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The files and packages a module loads with it: static, non-type imports only, followed through the project's own files. */
export function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [path.resolve(entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const ref of importsOf(file)) {
      if (ref.typeOnly || ref.dynamic) continue;
      if (ref.specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), ref.specifier).replace(/\.js$/, '.ts');
        if (target.endsWith('.ts')) stack.push(target);
        continue;
      }
      const pkg = packageOf(ref.specifier);
      if (pkg) packages.add(pkg);
    }
  }
  return { files, packages };
}
