import { installCommandLines, defineRule, type FileContext, type PackageContext, type BodyHints, HOLE, commandCandidates, normalizeShellPath, pathCandidates, runsOnLoad, shellWriteTargets, taggedCommand, writeTarget } from '../src/engine/api.js';
import type { Node } from '@babel/types';
import type { Reach, Severity } from '../src/types.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Startup, profile, package-manager and git-hook locations and commands. */
const BODY_HINTS: BodyHints = { literals: /bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|zlogin|['"`\/]\.profile|kshrc|cshrc|config\/fish|PowerShell|LaunchAgents|LaunchDaemons|systemd|systemctl|autostart|\/etc\/cron|crontab|spool\/cron|Programs[\/\\]Startup|CurrentVersion|schtasks|ScheduledTask|launchctl|yarnrc|bunfig|pnpm\/rc|git\/hooks|\.husky|hooksPath|strict-ssl|npmRegistryServer|config set/ };

type Kind = 'startup' | 'profile' | 'package-manager' | 'git-hooks';

interface Target {
  re: RegExp;
  label: string;
  kind: Kind;
}

/** Files whose contents run at login, at shell start, on every git command, or steer npm/yarn. */
const TARGETS: Target[] = [
  { re: /(?:^|\/)\.(?:bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|zlogin|profile|kshrc|cshrc|tcshrc)$|(?:^|\/)\.config\/fish\/(?:config\.fish|conf\.d\/)|^\/etc\/(?:profile|bash\.bashrc|zshrc|environment)(?:\.d\/|$)/, label: 'shell profile', kind: 'profile' },
  { re: /(?:^|\/)(?:Documents\/)?(?:Windows)?PowerShell\/(?:Microsoft\.PowerShell_|Microsoft\.VSCode_)?profile\.ps1$/i, label: 'PowerShell profile', kind: 'profile' },
  { re: /(?:^|\/)Library\/(?:LaunchAgents|LaunchDaemons)\//, label: 'macOS LaunchAgent/LaunchDaemon', kind: 'startup' },
  { re: /(?:^|\/)\.config\/systemd\/user\/|^\/(?:etc|usr\/lib|lib)\/systemd\/system\//, label: 'systemd unit', kind: 'startup' },
  { re: /(?:^|\/)\.config\/autostart\/|^\/etc\/xdg\/autostart\//, label: 'XDG autostart entry', kind: 'startup' },
  { re: /^\/etc\/cron(?:tab|\.d\/|\.(?:hourly|daily|weekly|monthly)\/)|^\/var\/spool\/cron\//, label: 'cron job', kind: 'startup' },
  { re: /Start Menu\/Programs\/Startup(?:\/|$)/i, label: 'Windows Startup folder', kind: 'startup' },
  { re: /(?:^|\/)\.npmrc$/, label: 'npm config (.npmrc)', kind: 'package-manager' },
  { re: /(?:^|\/)\.yarnrc(?:\.yml)?$|(?:^|\/)\.config\/yarn\/|(?:^|\/)bunfig\.toml$|(?:^|\/)\.config\/pnpm\/rc$/, label: 'yarn/pnpm/bun config', kind: 'package-manager' },
  { re: /(?:^|\/)\.git\/hooks\/[\w.-]+$|(?:^|\/)\.husky\/[\w-]+$/, label: 'git hook', kind: 'git-hooks' },
];

/** Commands that install persistence or change package-manager settings. */
const COMMANDS: { re: RegExp; label: string; kind: Kind }[] = [
  { re: /\breg(?:\.exe)?\s+add\s+["']?(?:HKCU|HKLM|HKEY_CURRENT_USER|HKEY_LOCAL_MACHINE)\\+Software\\+Microsoft\\+Windows\\+CurrentVersion\\+Run(?:Once)?\b|\\CurrentVersion\\Run(?:Once)?\b[^\n]{0,512}?(?:New-ItemProperty|Set-ItemProperty)|(?:New-ItemProperty|Set-ItemProperty)[^\n]{0,512}?\\CurrentVersion\\Run/i, label: 'Windows Run key', kind: 'startup' },
  { re: /\bschtasks(?:\.exe)?\s+\/create\b|\bRegister-ScheduledTask\b/i, label: 'Windows scheduled task', kind: 'startup' },
  { re: /\blaunchctl\s+(?:load|bootstrap|enable|submit)\b/, label: 'launchd job', kind: 'startup' },
  { re: /\bsystemctl\s+(?:--user\s+)?(?:enable|link)\b/, label: 'systemd unit', kind: 'startup' },
  { re: /\bcrontab\s+(?:-\s*$|-\s*[|;&]|[^\s-][^\s]*$|-l\s*[|;&])|\|\s*crontab\b|\(crontab\s+-l/, label: 'cron job', kind: 'startup' },
  { re: /\b(?:npm|pnpm)\s+(?:config\s+set|set)\s+(?:--(?:global|location[= ]\w+)\s+)?(?:registry|@[\w-]+:registry|strict-ssl|ca|cafile|ignore-scripts|script-shell|\/\/[^\s]*:_authToken)\b/, label: 'npm setting', kind: 'package-manager' },
  { re: /\byarn\s+config\s+set\s+(?:-H\s+)?(?:npmRegistryServer|registry|strict-ssl|enableStrictSsl|npmAlwaysAuth|httpsCaFilePath|unsafeHttpWhitelist)\b/, label: 'yarn setting', kind: 'package-manager' },
  // A write: a value follows the key (or is appended to the string). `git config core.hooksPath`
  // alone, or with --get, reads where hooks live, as hook managers do before writing their own.
  { re: /\bgit\s+config\s+(?:--(?:global|system|local|add|replace-all)\s+)*core\.hooksPath(?=[ \t]+(?:[^\s-]|$))/, label: 'git hooks path (core.hooksPath)', kind: 'git-hooks' },
];

/** Settings that redirect installs or switch off TLS checks: worse than any other config change. */
const HIJACK_CONTENT = /(?:^|\n|\s)(?:registry|@[\w-]+:registry)\s*=\s*https?:\/\/(?!registry\.npmjs\.org|registry\.yarnpkg\.com)|strict-ssl\s*=\s*false|npmRegistryServer:\s*["']?https?:\/\/(?!registry\.npmjs\.org|registry\.yarnpkg\.com)|enableStrictSsl:\s*false|NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*["']?0|\bstrict-ssl\s+false\b|registry\s+https?:\/\/(?!registry\.npmjs\.org|registry\.yarnpkg\.com)/i;

function matchTarget(p: string): Target | undefined {
  if (!/bashrc|profile|zsh|zlogin|kshrc|cshrc|fish|powershell|Library|systemd|autostart|cron|Programs[\/\\]Startup|npmrc|yarn|bunfig|pnpm|hooks|husky|\/etc\/environment/i.test(p)) return undefined;
  return TARGETS.find((t) => t.re.test(p));
}

function judge(kind: Kind, reach: Reach, onLoad: boolean, hijack: boolean, home: boolean): Severity {
  if (reach === 'install') return kind === 'git-hooks' && !hijack ? 'high' : 'critical';
  if (reach === 'unreached') return 'low';
  if (hijack) return reach === 'import' ? 'high' : 'medium';
  if (reach === 'import' && onLoad) return kind === 'startup' || kind === 'profile' ? 'high' : 'medium';
  // In a function or a bin: tools that manage startup items or config (pm2 startup, husky, shell
  // completion installers) do this when asked.
  return kind === 'startup' || (kind === 'profile' && home) ? 'medium' : 'low';
}

function describe(label: string, how: string, reach: Reach, onLoad: boolean, hijack: boolean): string {
  const why = hijack ? ': it redirects package installs or switches off TLS verification' : '';
  const when = reach === 'install' ? ' from install-time code' : reach === 'import' && onLoad ? ' as soon as the package is loaded' : reach === 'bin' ? ' (from a command the user runs)' : '';
  return `${how} ${label}${why}${when}`;
}

export default defineRule({
  meta: {
    id: 'persistence',
    title: 'Persistence and config hijack',
    description:
      "Reports changes that survive the install and run again later, or that steer future installs: shell profiles (.bashrc, .zshrc, .profile, fish, PowerShell profiles), macOS LaunchAgents/LaunchDaemons and `launchctl load`, systemd user units and `systemctl --user enable`, XDG autostart, cron, Windows Run keys (`reg add …\\CurrentVersion\\Run`), scheduled tasks and the Startup folder; git hooks (`core.hooksPath`, .git/hooks/); and package-manager config: writes to ~/.npmrc, .yarnrc(.yml), `npm config set registry`, `strict-ssl=false`, NODE_TLS_REJECT_UNAUTHORIZED=0. From install-time code it is malicious; in a library function or a bin the user runs (pm2 startup, husky, completion installers) it is low or medium, higher when the content redirects the registry or disables TLS checks.",
    severity: 'high',
    category: 'persistence',
    references: ['https://attack.mitre.org/techniques/T1547/001/', 'https://attack.mitre.org/techniques/T1543/', 'https://attack.mitre.org/techniques/T1546/004/', 'https://docs.npmjs.com/cli/configuring-npm/npmrc'],
    docs: {
      example: "// postinstall.js\nfs.appendFileSync(path.join(os.homedir(), '.npmrc'), '\\nregistry=https://mirror.invalid/\\nstrict-ssl=false\\n');\nexecSync('reg add HKCU\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run /v upd /d \"node %APPDATA%\\\\upd.js\"');",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule persistence`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const seen = new Set<string>();
    const runKeyFiles = new Map<string, boolean>();
    const fromCommand = (cmd: string): { label: string; kind: Kind; how: string; hijack: boolean; home: boolean } | undefined => {
      const hijack = HIJACK_CONTENT.test(cmd);
      for (const c of COMMANDS) if (c.re.test(cmd)) return { label: c.label, kind: c.kind, how: c.kind === 'package-manager' ? 'changes the' : 'installs a', hijack, home: true };
      for (const t of shellWriteTargets(cmd)) {
        const p = normalizeShellPath(t);
        const hit = matchTarget(p);
        if (hit) return { label: `${hit.label} (${p})`, kind: hit.kind, how: 'a shell command writes the', hijack, home: p.startsWith('~') };
      }
      return undefined;
    };
    const scriptCheck = (ctx: PackageContext, file: string, command: string, evidence: string) => {
      const hit = fromCommand(command);
      if (hit) ctx.report({ file, evidence, message: describe(hit.label, hit.how, 'install', true, hit.hijack), severity: judge(hit.kind, 'install', true, hit.hijack, hit.home), signals: ['persistence'] });
    };
    const report = (ctx: FileContext, node: Node, label: string, kind: Kind, how: string, hijack: boolean, home: boolean) => {
      const key = `${ctx.path}\0${node.start}`;
      if (seen.has(key)) return;
      seen.add(key);
      const onLoad = runsOnLoad(node);
      const severity = judge(kind, ctx.reach, onLoad, hijack, home);
      ctx.report({ node, message: describe(label, how, ctx.reach, onLoad, hijack), severity, signals: severity === 'low' || severity === 'info' ? [] : ['persistence'] });
    };
    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const c of installCommandLines(ctx.scripts, ctx.textOf)) scriptCheck(ctx, c.file, c.command, c.evidence);
      },
      nodes: {
        TaggedTemplateExpression(node, ctx) {
          const cmd = taggedCommand(node, ctx.evaluator, ctx.text);
          const hit = cmd ? fromCommand(cmd.split(HOLE).join(' ')) : undefined;
          if (hit) report(ctx, node, hit.label, hit.kind, hit.how, hit.hijack, hit.home);
        },
      },
      call(call, ctx) {
        const target = writeTarget(call);
        if (target) {
          for (const p of pathCandidates(target.dest, ctx.evaluator)) {
            const hit = matchTarget(p);
            if (!hit) continue;
            const data = target.data ? ctx.evaluator.foldLoose(target.data)?.split(HOLE).join('…') : undefined;
            const hijack = data !== undefined && HIJACK_CONTENT.test(data);
            report(ctx, call.node, `${hit.label} (${p})`, hit.kind, 'writes the', hijack, p.startsWith('~') || p.startsWith('/'));
            return;
          }
          return;
        }
        for (const raw of commandCandidates(call, ctx.evaluator)) {
          const hit = fromCommand(raw.split(HOLE).join(' '));
          if (hit) return report(ctx, call.node, hit.label, hit.kind, hit.how, hit.hijack, hit.home);
        }
        // The registry API of Windows (winreg, regedit packages): writes under …\CurrentVersion\Run.
        if (!call.callee || !/^(?:winreg|regedit|registry-js|windows-registry)\b|\.(?:set|putValue|createKey)$/.test(call.callee)) return;
        let mentions = runKeyFiles.get(ctx.path);
        if (mentions === undefined) runKeyFiles.set(ctx.path, (mentions = /CurrentVersion\\+Run/i.test(ctx.text)));
        if (!mentions) return;
        const text = ctx.text.slice(Math.max(0, (call.node.start ?? 0) - 400), (call.node.end ?? 0) + 50);
        if (/CurrentVersion\\+Run/i.test(text)) report(ctx, call.node, 'Windows Run key', 'startup', 'writes a', false, true);
      },
    };
  },
});
