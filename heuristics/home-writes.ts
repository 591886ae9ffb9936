import { defineRule, type BodyHints, HOLE, runsOnLoad, descendants, parentOf } from '../src/engine/api.js';
import type { Node } from '@babel/types';
import { WELL_KNOWN_COMMANDS, npmLauncherCommand } from '../src/engine/catalog.js';
import type { Manifest } from '../src/types.js';

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

/**
 * The commands the package declares in its manifest `bin`, lower-cased (Windows names are not
 * case-sensitive): a string bin is named after the package, without its scope, as npm names it.
 */
function ownCommands(manifest: Manifest | undefined): Set<string> {
  const bin: unknown = manifest?.bin;
  const name = typeof manifest?.name === 'string' ? manifest.name.replace(/^@[^/]*\//, '') : undefined;
  const names = typeof bin === 'string' ? (name ? [name] : []) : bin && typeof bin === 'object' && !Array.isArray(bin) ? Object.keys(bin).slice(0, 1000) : [];
  return new Set(names.map((n) => n.toLowerCase()));
}

const FS_WRITES = /^(?:fs|fs\.promises|fs-extra|graceful-fs)\.(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|copyFile|copyFileSync|outputFile|outputFileSync|symlink|symlinkSync|rename|renameSync)$/;

export default defineRule({
  meta: {
    id: 'home-writes',
    title: 'Writes into the user\'s home folder',
    description:
      "Reports files written under the user's home folder (Desktop, documents, dotfiles). A library has no reason to drop files there; protestware and persistence implants do. Rewriting the launcher npm keeps for a command in its global bin folder (`%APPDATA%\\npm\\git.cmd`, `~/.npm-global/bin/claude`) hijacks that command when the package does not declare it as its own bin (critical at install); rewriting the launcher of one of its own bins is what npm itself writes, and is only noted.",
    severity: 'medium',
    category: 'filesystem',
    references: ['https://attack.mitre.org/techniques/T1546/004/'],
    docs: {
      example: "fs.writeFileSync(path.join(os.homedir(), 'Desktop', 'README.txt'), message)",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule home-writes`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkgCtx) {
    const own = ownCommands(pkgCtx.manifest);
    return {
      bodyHints: BODY_HINTS,
      call(call, ctx) {
        if (!call.callee || !FS_WRITES.test(call.callee)) return;
        const arg = call.node.arguments[call.callee.includes('copyFile') || call.callee.includes('rename') || call.callee.includes('symlink') ? 1 : 0];
        if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
        const p = ctx.evaluator.foldLoose(arg);
        if (!p || !/^~(?:\/|$)/.test(p)) return;
        const shown = p.replace(new RegExp(HOLE, 'g'), '*');
        const command = npmLauncherCommand(shown);
        if (command && !command.includes('*')) {
          const name = command.toLowerCase();
          if (own.has(name) && !WELL_KNOWN_COMMANDS.has(name)) {
            // npm wrote this launcher for the package's own bin, and the package already decides
            // what that command runs: adjusting it (ngrok's Git Bash fix) hijacks nothing.
            ctx.report({ node: call.node, message: `rewrites the npm launcher of its own command ${command} (${shown}), the file npm writes for the package's bin`, severity: 'info' });
            return;
          }
          // Any other command's launcher: whoever next types `npm`, `git` or `claude` runs this
          // package's code instead.
          const onLoad = ctx.reach === 'install' || writesOnLoad(call.node);
          ctx.report({
            node: call.node,
            message: `replaces the npm launcher of the ${command} command (${shown}), a command this package does not provide: whoever runs ${command} then runs what it wrote`,
            severity: ctx.reach === 'install' ? 'critical' : onLoad ? 'high' : 'medium',
            signals: onLoad ? ['sink:file-write-home', 'tamper'] : ['sink:file-write-home'],
          });
          return;
        }
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
