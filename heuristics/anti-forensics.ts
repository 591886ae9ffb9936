import path from 'node:path';
import type { Node } from '@babel/types';
import { defineRule, type BodyHints, type CallInfo, type FileContext, HOLE, commandCandidates, normalizeShellPath, pathCandidates, runsOnLoad, writeTarget, installCommandLines } from '../src/engine/api.js';
import { TRACE_ERASERS, TRACE_FILES } from '../src/engine/catalog.js';
import type { Severity, Signal } from '../src/types.js';

/** Helpers that return a history or log path, or the name of the package's own manifest. */
const BODY_HINTS: BodyHints = { literals: /_history|ConsoleHost|\/var\/log|package\.json|wevtutil|HISTFILE/, code: /__filename/ };

const REMOVE = /^(?:fs|fs\.promises|fs-extra|graceful-fs)\.(?:unlink|unlinkSync|rm|rmSync|rmdir|rmdirSync|truncate|truncateSync|remove|removeSync)$|^(?:rimraf|del)(?:\.\w+)?$/;

type Kind = 'self-delete' | 'manifest-swap' | 'erase-traces';

const WHAT: Record<Kind, string> = {
  'self-delete': 'deletes its own install-time code after running',
  'manifest-swap': 'rewrites its own package.json (swapping in a clean copy hides the install script)',
  'erase-traces': 'erases traces',
};

export default defineRule({
  meta: {
    id: 'anti-forensics',
    title: 'Erasing its own traces',
    description:
      "Reports install-time code that hides what it did: deleting the script npm just ran (`fs.unlinkSync(__filename)`, `rm setup.js` in the lifecycle script), rewriting or swapping the package's own package.json (the clean copy no longer shows the install script), and clearing shell history or logs (`history -c`, deleting ~/.bash_history, `wevtutil cl`, truncating /var/log). Honest install scripts have nothing to hide; from install-time code this is high, on load medium, elsewhere low.",
    severity: 'high',
    category: 'integrity',
    references: ['https://attack.mitre.org/techniques/T1070/004/', 'https://attack.mitre.org/techniques/T1070/003/', 'https://attack.mitre.org/techniques/T1070/001/'],
    docs: {
      example: "// setup.js, run by \"postinstall\": \"node setup.js\"\nfs.unlinkSync(__filename);\nfs.renameSync(path.join(__dirname, 'package.md'), path.join(__dirname, 'package.json'));",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule anti-forensics`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkgCtx) {
    // The files npm runs at install: deleting one of those from install code is self-deletion.
    const installFiles = new Set<string>();
    for (const s of [...pkgCtx.scripts.install, ...pkgCtx.scripts.uninstall]) for (const f of [...s.nodeFiles, ...s.shellFiles]) installFiles.add(path.posix.normalize(f));
    const seen = new Set<string>();

    /** What a path of the package means, seen from `from` (both `__dirname`-relative and cwd-relative: npm runs scripts in the package root). */
    const ownFile = (p: string, from: string, removes: boolean): Kind | undefined => {
      if (p.includes('*') || p.startsWith('/') || p.startsWith('~') || p.startsWith('<')) return undefined;
      const forms = new Set([path.posix.normalize(p), path.posix.join(path.posix.dirname(from), p)]);
      for (const f of forms) {
        if (f === 'package.json') return 'manifest-swap';
        if (removes && (installFiles.has(f) || f === from)) return 'self-delete';
      }
      return undefined;
    };

    const report = (ctx: FileContext, node: Node, kind: Kind, detail: string) => {
      // Outside install code a relative package.json is the project's (version bumpers, hook
      // installers), and a tool deleting its temp files is ordinary: only trace erasure counts there.
      if (kind !== 'erase-traces' && ctx.reach !== 'install') return;
      const key = `${ctx.path}\0${node.start}`;
      if (seen.has(key)) return;
      seen.add(key);
      const onLoad = runsOnLoad(node);
      // Install-time code is what these hide; a bin that cleans up after itself is ordinary.
      const severity: Severity = ctx.reach === 'install' ? (kind === 'erase-traces' ? 'critical' : 'high') : ctx.reach === 'import' && onLoad ? 'medium' : 'low';
      const signals: Signal[] = ctx.reach === 'install' || (ctx.reach === 'import' && onLoad && kind === 'erase-traces') ? ['anti-forensics'] : [];
      ctx.report({ node, message: `${WHAT[kind]}: ${detail}${ctx.reach === 'install' ? ' (install-time code)' : ''}`, severity, signals });
    };

    const checkCall = (call: CallInfo, ctx: FileContext) => {
      const target = writeTarget(call);
      const removes = !!call.callee && REMOVE.test(call.callee);
      const dest = target?.dest ?? (removes ? (call.node.arguments[0] as Node | undefined) : undefined);
      if (dest && dest.type !== 'SpreadElement' && dest.type !== 'ArgumentPlaceholder') {
        if (removes && dest.type === 'Identifier' && dest.name === '__filename') return report(ctx, call.node, 'self-delete', `${call.callee}(__filename)`);
        for (const p of pathCandidates(dest, ctx.evaluator)) {
          const home = normalizeShellPath(p);
          if (TRACE_FILES.test(home)) return report(ctx, call.node, 'erase-traces', `${removes ? 'deletes' : 'overwrites'} ${home}`);
          const kind = ownFile(p, ctx.path, removes);
          if (kind) return report(ctx, call.node, kind, `${call.callee} ${p}`);
        }
        return;
      }
      for (const raw of commandCandidates(call, ctx.evaluator)) {
        const hit = fromCommand(raw.split(HOLE).join('*'), ctx.path);
        if (hit) return report(ctx, call.node, hit.kind, hit.detail);
      }
    };

    const fromCommand = (command: string, from: string): { kind: Kind; detail: string } | undefined => {
      for (const e of TRACE_ERASERS) if (e.re.test(command)) return { kind: 'erase-traces', detail: e.label };
      for (const segment of command.split(/\n|;|&&|\|\||\|/)) {
        const words = segment.trim().match(/"[^"]*"|'[^']*'|\S+/g)?.map((w) => w.replace(/^["']|["']$/g, '')) ?? [];
        const cmd = words[0]?.split('/').pop();
        const plain = words.slice(1).filter((w) => !w.startsWith('-'));
        if ((cmd === 'rm' || cmd === 'del' || cmd === 'unlink' || cmd === 'shred' || /^Remove-Item$/i.test(cmd ?? '')) && plain.some((w) => ownFile(w, from, true) === 'self-delete')) return { kind: 'self-delete', detail: segment.trim().slice(0, 120) };
        if ((cmd === 'mv' || cmd === 'cp' || cmd === 'move' || cmd === 'copy') && plain.length >= 2 && ownFile(plain[plain.length - 1]!, from, false) === 'manifest-swap') return { kind: 'manifest-swap', detail: segment.trim().slice(0, 120) };
      }
      return undefined;
    };

    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const c of installCommandLines(ctx.scripts, ctx.textOf)) {
          const hit = fromCommand(c.command, c.file === 'package.json' ? 'package.json' : c.file);
          if (hit) ctx.report({ file: c.file, evidence: c.evidence, message: `install script ${WHAT[hit.kind]}: ${hit.detail}`, severity: hit.kind === 'erase-traces' ? 'critical' : 'high', signals: ['anti-forensics'] });
        }
      },
      call: checkCall,
    };
  },
});
