import { defineRule, type BodyHints } from '../src/engine/rule.js';
import { HOLE } from '../src/engine/evaluate.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Home-relative paths a helper may return to the write elsewhere. */
const BODY_HINTS: BodyHints = { literals: /~[\/\\]|\$HOME|USERPROFILE|APPDATA/, code: /homedir/ };

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
        ctx.report({ node: call.node, message: `writes ${shown} in the user's home folder${sensitive ? ' (a startup or credential file)' : ''}`, severity: sensitive ? 'high' : 'medium', signals: ['sink:file-write-home'] });
      },
    };
  },
});
