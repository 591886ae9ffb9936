import type { Node } from '@babel/types';
import { defineRule, reportMatches, type BodyHints, HOLE } from '../src/engine/api.js';
import { CREDENTIAL_PATHS, matchCredentialPath } from '../src/engine/indicators.js';
import { hintSource } from '../src/catalog/hints.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Credential and wallet paths, which a helper may return to the read elsewhere. */
const BODY_HINTS: BodyHints = { literals: new RegExp(`${hintSource(CREDENTIAL_PATHS)}|[wW]allet|keystore|[bB]itcoin|[lL]itecoin|[dD]ogecoin|zcash|Monero|[sS]olana|IndexedDB|copilot|\\.claude`) };

/** fs calls whose first argument is a path that gets read (or probed before a read). */
const FS_READS = new Set([
  'readFile', 'readFileSync', 'createReadStream', 'readdir', 'readdirSync', 'copyFile', 'copyFileSync', 'cp', 'cpSync',
  'existsSync', 'access', 'accessSync', 'stat', 'statSync', 'open', 'openSync', 'opendir', 'opendirSync',
]);

function fsMethod(callee: string | undefined): string | undefined {
  if (!callee) return undefined;
  const m = /^(?:fs|fs\.promises|fs-extra|graceful-fs|promise-fs|fs\/promises)\.(\w+)$/.exec(callee);
  return m && FS_READS.has(m[1]!) ? m[1] : undefined;
}

/** String literals inside a path expression: they are part of the read already reported. */
function subtreeLiterals(node: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [node];
  for (let budget = 200; stack.length && budget > 0; budget--) {
    const n = stack.pop()!;
    if (n.type === 'StringLiteral') out.push(n);
    else if (n.type === 'CallExpression') stack.push(...(n.arguments as Node[]));
    else if (n.type === 'BinaryExpression') stack.push(n.left as Node, n.right);
    else if (n.type === 'TemplateLiteral') stack.push(...(n.expressions as Node[]));
  }
  return out;
}

export default defineRule({
  meta: {
    id: 'credential-files',
    title: 'Credential file access',
    description:
      "Reports reads of files that hold credentials: npm tokens (.npmrc), SSH keys, cloud CLI credentials (AWS, Google Cloud, Azure), kubeconfig, Docker auth, git credential stores, .env files, browser or Discord profile stores, AI tools' credentials (~/.claude/.credentials.json, ~/.codex/auth.json, ~/.gemini/oauth_creds.json, ~/.config/github-copilot/) and crypto wallets (Electrum, Exodus, Atomic, Ethereum keystores, wallet.dat, Solana id.json, and wallet browser extensions' storage by extension ID: MetaMask, Phantom, Coinbase, Trust and others). Paths are resolved through os.homedir(), path.join, templates and constants, so `path.join(os.homedir(), '.ssh', 'id_rsa')` is seen as ~/.ssh/id_rsa.",
    severity: 'high',
    category: 'credentials',
    references: ['https://attack.mitre.org/techniques/T1552/001/', 'https://attack.mitre.org/techniques/T1555/003/'],
    docs: {
      example: "fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'), 'utf8')",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule credential-files`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const seenLiterals = new WeakSet<Node>();
    const reported = new Set<string>();
    return {
      bodyHints: BODY_HINTS,
      lexical(ctx) {
        if (!ctx.unreadable) return;
        reportMatches(ctx, /["'`][^"'`\n]{2,200}["'`]/, 5, (m) => {
          const hit = matchCredentialPath(m[0].slice(1, -1));
          return hit?.strong ? { message: `refers to ${hit.label} (${m[0].slice(1, -1)}) (found by the lexical scan; the file was not parsed)`, severity: 'medium', signals: ['source:credential-file'] } : undefined;
        });
      },
      call(call, ctx) {
        const method = fsMethod(call.callee);
        if (!method) return;
        const arg = call.node.arguments[0];
        if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
        const p = ctx.evaluator.foldLoose(arg);
        if (!p) return;
        const shown = p.split(HOLE).join('*');
        const hit = matchCredentialPath(shown);
        if (!hit) return;
        seenLiterals.add(arg);
        for (const n of subtreeLiterals(arg)) seenLiterals.add(n);
        // A check-then-read of one path is one access.
        const key = `${ctx.path}\0${shown}`;
        if (reported.has(key)) return;
        reported.add(key);
        // The project's own .env in the working directory is what dotenv-style loaders read.
        const ownEnv = /\.env(?:\.\w+)?$/.test(shown) && !shown.startsWith('~');
        ctx.report({
          node: call.node,
          message: `reads ${hit.label}: ${shown}`,
          severity: ownEnv ? 'low' : hit.strong ? 'high' : 'medium',
          // AI tools' credentials also count as AI key access (scored highest at install time).
          signals: ownEnv ? [] : hit.ai ? ['source:credential-file', 'source:ai-key'] : ['source:credential-file'],
        });
      },
      nodes: {
        StringLiteral(node, ctx) {
          if (node.type !== 'StringLiteral' || seenLiterals.has(node) || node.value.length > 300) return;
          const hit = matchCredentialPath(node.value);
          // A bare mention of a strong credential path (in a list of targets, say) still counts.
          if (hit?.strong) {
            ctx.report({ node, message: `refers to ${hit.label} (${node.value})`, severity: 'medium', signals: ['source:credential-file'] });
          }
        },
      },
    };
  },
});
