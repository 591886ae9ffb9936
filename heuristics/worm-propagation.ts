import { installCommandLines, defineRule, type CallInfo, type FileContext, type PackageContext, type BodyHints, HOLE, isCodeFile, NETWORK_CALLS, destinationOf, normalizeChain, commandCandidates, normalizeShellPath, pathCandidates, runsOnLoad, shellWriteTargets, taggedCommand, writeTarget } from '../src/engine/api.js';
import type { Node } from '@babel/types';
import type { Reach, Severity, Signal } from '../src/types.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Publish, push and workflow commands, npm tokens and registry endpoints. */
const BODY_HINTS: BodyHints = { literals: /publish|git\s+(?:-C\s+\S+\s+)?push|\bgh\s+(?:repo|api)|workflows|secrets|NPM_TOKEN|NODE_AUTH_TOKEN|_authToken|npm\s+token|maintainer:|\/-\/|api\.github\.com|preinstall|postinstall|package\/package\.json|semver\.inc|npm\s+(?:pack|version|whoami|access)/, code: /createForAuthenticatedUser|createInOrg|createOrUpdate|createFork|createUsingTemplate/ };

const PUBLISH_CMD = /\b(?:npm|pnpm|yarn|bun)(?:\.cmd)?\s+(?:[-\w=]{1,64}\s+){0,16}publish\b/; // bounded: linear on \"npm npm npm…\"
const GIT_PUSH = /\bgit\s+(?:-C\s+\S+\s+)?push\b/;
const GH_REPO = /\bgh\s+(?:repo\s+create|api\s+(?:-X\s+\w+\s+)?\/?(?:user\/repos|repos\/\S+\/contents))/;
const WORKFLOW = /(?:^|\/)\.github\/workflows(?:\/|$)/;
const SECRETS_DUMP = /toJSON\(\s*secrets\s*\)/;
/** GitHub REST calls that create repositories or write into them. */
const GITHUB_WRITE = /api\.github\.com\/(?:user\/repos|orgs\/[^/]+\/repos|repos\/[^?#]*\/(?:contents\/|git\/(?:refs|trees|blobs|commits)|actions\/(?:secrets|workflows)|forks))/;
const OCTOKIT_WRITE = /^(?:createForAuthenticatedUser|createInOrg|createOrUpdateFileContents|createOrUpdateRepoSecret|createOrUpdateEnvironmentSecret|createFork|createUsingTemplate)$/;

/** Evidence, anywhere in the package, that a publish is part of propagation rather than a release. */
const TOKEN_TEXT = /\b(?:NPM_TOKEN|NODE_AUTH_TOKEN|NPM_AUTH_TOKEN|npm_config__authToken)\b|_authToken|\.npmrc\b|npm\s+token\b/;
// Listing packages, not asking who the token belongs to: `whoami` is how every release tool checks
// its login before publishing, so it is no sign of spreading.
// `npm access list packages` is likewise how release tools verify write access to what they publish.
const ENUMERATE_TEXT = /maintainer:|\/-\/v1\/search|\/-\/user\/[^'"`\s]*\/package|\/-\/org\//;
const TAMPER_TEXT = /\bscripts\s*(?:\.\s*|\[\s*['"`])(?:pre|post)?install\b|['"](?:pre|post)install['"]\s*:\s*['"`]node\s|\bnpm\s+pack\b|package\/package\.json|semver\.inc\(|\bnpm\s+version\s+(?:patch|minor|major)/;

interface PackageEvidence {
  token: boolean;
  enumerate: boolean;
  tamper: boolean;
}

function gather(pkg: PackageContext): PackageEvidence {
  const e: PackageEvidence = { token: false, enumerate: false, tamper: false };
  let n = 0;
  for (const [path, f] of pkg.files) {
    if (!isCodeFile(path) || f.size > 5_000_000 || n++ > 400) continue;
    const t = pkg.textOf(path);
    if (!t) continue;
    e.token ||= TOKEN_TEXT.test(t);
    e.enumerate ||= ENUMERATE_TEXT.test(t);
    e.tamper ||= TAMPER_TEXT.test(t);
  }
  return e;
}

function byReach(reach: Reach, onLoad: boolean, atImport: Severity, elsewhere: Severity): Severity {
  if (reach === 'install') return 'critical';
  if (reach === 'unreached') return 'low';
  if (reach === 'import' && onLoad) return atImport === 'medium' ? 'high' : atImport;
  return reach === 'import' ? atImport : elsewhere;
}

function signalsFor(severity: Severity, s: Signal): Signal[] {
  return severity === 'low' || severity === 'info' ? [] : [s];
}

export default defineRule({
  meta: {
    id: 'worm-propagation',
    title: 'Worms and CI takeover',
    description:
      "Reports how a package spreads itself or takes over CI: `npm publish` (or a registry PUT with `_attachments`) backed by npm token reads, enumeration of the maintainer's packages (`/-/v1/search?text=maintainer:`, `npm access ls-packages`, `/-/whoami`) or tampering with other packages (injected install scripts, version bumps, repacked tarballs); GitHub tokens used to create repositories or write contents, secrets or workflows (REST or Octokit, `gh repo create`); files written into .github/workflows/; `toJSON(secrets)` dumps; and `git push` from install-time code. Release tools publish too: a publish alone from a bin the user runs is low, with a token read it is still low, with enumeration or tampering it is a worm.",
    severity: 'high',
    category: 'propagation',
    references: ['https://www.cisa.gov/news-events/alerts/2025/09/23/widespread-supply-chain-compromise-impacting-npm-ecosystem', 'https://docs.npmjs.com/cli/commands/npm-publish', 'https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions'],
    docs: {
      example: "const pkgs = await (await fetch('https://registry.npmjs.org/-/v1/search?text=maintainer:' + user)).json();\n// …bump each version, add \"postinstall\": \"node bundle.js\", then:\nexecSync('npm publish', { cwd: dir, env: { ...process.env, NPM_TOKEN: token } });",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule worm-propagation`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkg) {
    let evidence: PackageEvidence | undefined;
    const ev = () => (evidence ??= gather(pkg));
    const seen = new Set<string>();
    const once = (ctx: FileContext, node: Node, tag: string) => {
      const k = `${ctx.path}\0${node.start}\0${tag}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    };

    const publish = (call: CallInfo, ctx: FileContext, how: string) => {
      if (!once(ctx, call.node, 'publish')) return;
      const e = ev();
      const spread = e.enumerate || e.tamper;
      let severity: Severity;
      let why: string;
      if (ctx.reach === 'install') [severity, why] = ['critical', 'from install-time code'];
      // A worm lists the maintainer's packages AND changes what it republishes (install script,
      // version bump, repack). Either alone is what release tools do: bump versions (lerna,
      // changesets) or search the registry.
      else if (e.enumerate && e.tamper && ctx.reach !== 'unreached') [severity, why] = ['critical', "after listing the maintainer's packages and changing their manifests or tarballs"];
      else if (e.enumerate && ctx.reach !== 'unreached') [severity, why] = ['medium', 'after searching the registry for packages (no tampering seen)'];
      else if (e.tamper && ctx.reach !== 'unreached') [severity, why] = ['low', 'after changing package manifests or versions (what release tools do; no listing of the maintainer\'s packages seen)'];
      else if (spread) [severity, why] = ['medium', 'in code nothing reaches, with package enumeration or tampering'];
      else [severity, why] = [e.token ? 'low' : 'info', e.token ? 'with an npm token (what release tools do)' : '(a release tool?)'];
      ctx.report({ node: call.node, message: `publishes packages with ${how} ${why}${e.token && severity === 'critical' ? ', using an npm token it reads' : ''}`, severity, signals: signalsFor(severity, 'worm') });
    };

    const workflowWrite = (node: Node, ctx: FileContext, path: string, data: string | undefined) => {
      if (!once(ctx, node, 'workflow')) return;
      const dump = data !== undefined && SECRETS_DUMP.test(data);
      // Scaffolders (create-*, `napi new`) write a CI workflow into the project they are asked to
      // create; that is a function someone calls. On load or at install nobody asked for one.
      const onLoad = runsOnLoad(node);
      const severity = dump && ctx.reach !== 'unreached' ? 'critical' : byReach(ctx.reach, onLoad, onLoad ? 'medium' : 'low', 'low');
      ctx.report({ node, message: `writes a GitHub Actions workflow (${path})${dump ? ' that dumps every repository secret with toJSON(secrets)' : ''}${ctx.reach === 'install' ? ' from install-time code' : ''}`, severity, signals: signalsFor(severity, 'ci-takeover') });
    };

    const scriptCheck = (ctx: PackageContext, file: string, command: string, evidenceText: string) => {
      const what = PUBLISH_CMD.test(command) ? 'publishes packages' : GIT_PUSH.test(command) ? 'pushes to a git remote' : GH_REPO.test(command) ? 'creates or writes GitHub repositories' : undefined;
      if (what) ctx.report({ file, evidence: evidenceText, message: `install script ${what}`, severity: 'critical', signals: ['worm'] });
      if (shellWriteTargets(command).some((t) => WORKFLOW.test(normalizeShellPath(t)))) ctx.report({ file, evidence: evidenceText, message: 'install script writes a GitHub Actions workflow', severity: 'critical', signals: ['ci-takeover'] });
    };

    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const c of installCommandLines(ctx.scripts, ctx.textOf)) scriptCheck(ctx, c.file, c.command, c.evidence);
      },
      call(call, ctx) {
        const node = call.node;
        // Commands: npm publish, git push, gh repo create, shell writes into workflows.
        for (const raw of commandCandidates(call, ctx.evaluator)) {
          const cmd = raw.split(HOLE).join(' ');
          if (PUBLISH_CMD.test(cmd) || /^\s*(?:npm|pnpm|yarn|bun)(?:\.cmd)?\s+publish\b/.test(cmd)) return publish(call, ctx, `\`${cmd.trim().slice(0, 60)}\``);
          if (GIT_PUSH.test(cmd) || GH_REPO.test(cmd)) {
            if (!once(ctx, node, 'push')) return;
            const severity: Severity = ctx.reach === 'install' ? 'critical' : 'info';
            ctx.report({ node, message: `${GIT_PUSH.test(cmd) ? 'pushes to a git remote' : 'creates or writes GitHub repositories'} (\`${cmd.trim().slice(0, 60)}\`)${ctx.reach === 'install' ? ' from install-time code' : ''}`, severity, signals: signalsFor(severity, 'worm') });
            return;
          }
          const wf = shellWriteTargets(cmd).map(normalizeShellPath).find((t) => WORKFLOW.test(t));
          if (wf) return workflowWrite(node, ctx, wf, cmd);
        }
        if (call.callee === 'libnpmpublish.publish' || call.callee === 'libnpmpublish') return publish(call, ctx, 'libnpmpublish');
        // Files written into .github/workflows/.
        const target = writeTarget(call);
        if (target) {
          const wf = pathCandidates(target.dest, ctx.evaluator).find((p) => WORKFLOW.test(p));
          if (wf) workflowWrite(node, ctx, wf, target.data ? ctx.evaluator.foldLoose(target.data) : undefined);
          return;
        }
        // Octokit: octokit.rest.repos.createForAuthenticatedUser(…), createOrUpdateFileContents(…).
        const c = node.callee;
        if ((c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') && !c.computed && c.property.type === 'Identifier' && OCTOKIT_WRITE.test(c.property.name)) {
          if (!once(ctx, node, 'gh')) return;
          const severity: Severity = ctx.reach === 'install' ? 'critical' : 'info';
          ctx.report({ node, message: `uses a GitHub token to ${c.property.name}${ctx.reach === 'install' ? ' from install-time code' : ''}`, severity, signals: signalsFor(severity, 'worm') });
          return;
        }
        // REST: registry PUTs (publish) and GitHub repository writes.
        if (!call.callee || !NETWORK_CALLS.test(normalizeChain(call.callee))) return;
        const dest = destinationOf(node.arguments as Node[], ctx.evaluator);
        const text = ctx.text.slice(node.start ?? 0, Math.min(node.end ?? 0, (node.start ?? 0) + 3000));
        if (/_attachments/.test(text) || (dest && /registry\.(?:npmjs\.org|yarnpkg\.com)\/(?!-\/)[^?#]+$/.test(dest) && /['"]PUT['"]/.test(text))) return publish(call, ctx, 'a registry PUT');
        if (dest && GITHUB_WRITE.test(dest)) {
          if (!once(ctx, node, 'gh')) return;
          const intoWorkflows = /\/contents\/\.github\/workflows\//.test(dest);
          const severity: Severity = ctx.reach === 'install' ? 'critical' : intoWorkflows && ctx.reach !== 'unreached' ? 'high' : 'info';
          ctx.report({ node, message: `uses the GitHub API to ${intoWorkflows ? 'write a workflow into a repository' : 'create repositories or write into them'} (${dest.split(HOLE).join('…').slice(0, 80)})${ctx.reach === 'install' ? ' from install-time code' : ''}`, severity, signals: signalsFor(severity, intoWorkflows ? 'ci-takeover' : 'worm') });
        }
      },
      nodes: {
        TaggedTemplateExpression(node, ctx) {
          const cmd = taggedCommand(node, ctx.evaluator, ctx.text)?.split(HOLE).join(' ');
          if (!cmd) return;
          if (PUBLISH_CMD.test(cmd)) return publish({ node: node as unknown as CallInfo['node'], callee: undefined, isNew: false }, ctx, `\`${cmd.trim().slice(0, 60)}\``);
          if ((GIT_PUSH.test(cmd) || GH_REPO.test(cmd)) && ctx.reach === 'install' && once(ctx, node, 'push')) {
            ctx.report({ node, message: `${GIT_PUSH.test(cmd) ? 'pushes to a git remote' : 'creates or writes GitHub repositories'} (\`${cmd.trim().slice(0, 60)}\`) from install-time code`, severity: 'critical', signals: ['worm'] });
          }
        },
        StringLiteral(node, ctx) {
          if (node.type === 'StringLiteral' && node.value.length < 100_000 && node.value.includes('secrets') && SECRETS_DUMP.test(node.value)) dump(node, ctx);
        },
        TemplateElement(node, ctx) {
          if (node.type === 'TemplateElement' && node.value.raw.includes('secrets') && SECRETS_DUMP.test(node.value.raw)) dump(node, ctx);
        },
      },
    };

    function dump(node: Node, ctx: FileContext): void {
      if (!once(ctx, node, 'dump')) return;
      const severity: Severity = ctx.reach === 'install' ? 'critical' : ctx.reach === 'unreached' ? 'low' : 'medium';
      ctx.report({ node, message: 'holds a workflow step with `toJSON(secrets)`: it dumps every secret of the repository it runs in', severity, signals: signalsFor(severity, 'ci-takeover') });
    }
  },
});
