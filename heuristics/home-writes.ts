import { defineRule, type BodyHints, HOLE, runsOnLoad, descendants, parentOf } from '../src/engine/api.js';
import type { Node } from '@babel/types';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Home-relative paths a helper may return to the write elsewhere. */
const BODY_HINTS: BodyHints = { literals: /~[\/\\]|\$HOME|USERPROFILE|APPDATA/, code: /homedir/ };

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/**
 * Runs on load, directly or through a function of this file that load-time code calls by name
 * (`function deliver(p) { fs.writeFile(p, …) }` … `deliver(desktop)` at the top level).
 */
function writesOnLoad(node: Node): boolean {
  if (runsOnLoad(node)) return true;
  let fn: Node | undefined;
  let program: Node | undefined;
  for (let p = parentOf(node), i = 0; p && i < 500; p = parentOf(p), i++) {
    if (!fn && FUNCTION_TYPES.has(p.type)) fn = p;
    if (p.type === 'Program') program = p;
  }
  if (!fn || !program) return false;
  const holder = parentOf(fn);
  const name = fn.type === 'FunctionDeclaration' ? fn.id?.name : holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier' ? holder.id.name : undefined;
  if (!name) return false;
  for (const n of descendants(program, 50_000)) {
    if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === name && runsOnLoad(n)) return true;
  }
  return false;
}

/** Where applications keep their own caches and data (XDG, macOS, Windows), by design. */
const APP_DATA = /^~\/(?:\.cache|\.local\/share|\.local\/state|Library\/Caches|Library\/Application Support|AppData\/Local)\/[^*/]/;

const FS_WRITES = /^(?:fs|fs\.promises|fs-extra|graceful-fs)\.(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|copyFile|copyFileSync|outputFile|outputFileSync|symlink|symlinkSync|rename|renameSync)$/;

export default defineRule({
  meta: {
    id: 'home-writes',
    title: 'Writes into the user\'s home folder',
    description:
      "Reports files written under the user's home folder (Desktop, documents, dotfiles). A library has no reason to drop files there; protestware and persistence implants do.",
    severity: 'medium',
    category: 'filesystem',
    references: ['https://attack.mitre.org/techniques/T1546/004/'],
    docs: {
      example: "fs.writeFileSync(path.join(os.homedir(), 'Desktop', 'README.txt'), message)",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule home-writes`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    return {
      bodyHints: BODY_HINTS,
      call(call, ctx) {
        if (!call.callee || !FS_WRITES.test(call.callee)) return;
        const arg = call.node.arguments[call.callee.includes('copyFile') || call.callee.includes('rename') || call.callee.includes('symlink') ? 1 : 0];
        if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
        const p = ctx.evaluator.foldLoose(arg);
        if (!p || !/^~(?:\/|$)/.test(p)) return;
        const shown = p.replace(new RegExp(HOLE, 'g'), '*');
        const sensitive = /^~\/(?:\.(?:bashrc|zshrc|profile|bash_profile|npmrc|gitconfig|ssh)|Library\/LaunchAgents|\.config\/autostart|\.config\/systemd|AppData\/Roaming\/Microsoft\/Windows\/Start Menu)/.test(shown);
        if (!sensitive && (APP_DATA.test(shown) || (ctx.reach !== 'install' && !writesOnLoad(call.node)))) {
          // A tool keeping its cache or settings in the folders made for them, or a command someone
          // runs writing where it is told: what CLIs do. Shown, weighed as nothing.
          ctx.report({ node: call.node, message: `writes ${shown} in the user's home folder (${APP_DATA.test(shown) ? "an application's cache or data folder" : 'in a function something calls, not on load or at install'})`, severity: 'low' });
          return;
        }
        ctx.report({ node: call.node, message: `writes ${shown} in the user's home folder${sensitive ? ' (a startup or credential file)' : ''}`, severity: sensitive ? 'high' : 'medium', signals: ['sink:file-write-home'] });
      },
    };
  },
});
