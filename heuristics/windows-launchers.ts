import type { Node } from '@babel/types';
import { defineRule, type BodyHints, type FileContext, HOLE, commandCandidates, runsOnLoad, installCommandLines } from '../src/engine/api.js';
import { REMOTE_LAUNCH, WINDOWS_LAUNCHERS, WINDOWS_LAUNCHER_HINT } from '../src/engine/catalog.js';
import type { Reach, Severity, Signal } from '../src/types.js';

/** Helpers that build the command line elsewhere. */
const BODY_HINTS: BodyHints = { literals: /rundll32|regsvr32|mshta|[wc]script|powershell|pwsh|Start-Process/i };

interface Launch {
  label: string;
  /** An encoded PowerShell command: its own payload, not a file. */
  encoded?: boolean;
  target: string;
  remote: boolean;
  bundled: boolean;
}

/** The last path segment of a target, without quotes, `%~dp0`, `$PSScriptRoot` or `*` holes. */
function baseName(target: string): string {
  return target.replace(/^["']|["']$/g, '').replace(/\\/g, '/').split('/').pop()!.replace(/^(?:%~dp0|\$PSScriptRoot|\*)+/i, '').toLowerCase();
}

function decodePowerShell(b64: string): string | undefined {
  try {
    const s = Buffer.from(b64, 'base64').toString('utf16le');
    return /^[\x09\x0a\x0d\x20-\x7e]+$/.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

export default defineRule({
  meta: {
    id: 'windows-launchers',
    title: 'Windows launchers running bundled or remote code',
    description:
      'Reports Windows programs that run other code (rundll32, regsvr32, mshta, wscript/cscript, `powershell -EncodedCommand`, `Start-Process -WindowStyle Hidden`) in command lines the package runs: lifecycle scripts, the .bat/.cmd/.ps1/.vbs files they start, and child-process calls in code. A launcher whose target is a file shipped in the package (a DLL, HTA, VBScript) or a URL is how droppers start their payload on Windows: critical at install, high when it runs as soon as the package is loaded; encoded PowerShell is decoded and shown. Opening a URL with `rundll32 url.dll,FileProtocolHandler` and other system targets are low. Run keys and scheduled tasks are reported by the persistence rule.',
    severity: 'high',
    category: 'execution',
    references: ['https://attack.mitre.org/techniques/T1218/', 'https://attack.mitre.org/techniques/T1059/001/', 'https://lolbas-project.github.io/'],
    docs: {
      example: "// postinstall.js\nexecSync(`rundll32 ${path.join(__dirname, 'lib', 'update.dll')},Start`);",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule windows-launchers`; its findings then neither show nor count toward the score.',
    },
  },
  create(pkgCtx) {
    const shipped = new Set<string>();
    for (const f of pkgCtx.files.keys()) shipped.add(f.split('/').pop()!.toLowerCase());
    const launchOf = (command: string): Launch | undefined => {
      if (!WINDOWS_LAUNCHER_HINT.test(command)) return undefined;
      for (const l of WINDOWS_LAUNCHERS) {
        const m = l.re.exec(command);
        if (!m) continue;
        const target = m[1] ?? '';
        if (l.label.includes('EncodedCommand')) {
          const decoded = decodePowerShell(target);
          return { label: l.label, encoded: true, target: decoded ? `decodes to: ${decoded.slice(0, 120)}` : target.slice(0, 40), remote: !!decoded && /https?:\/\/|DownloadString|Invoke-WebRequest|\biwr\b|\birm\b/i.test(decoded), bundled: true };
        }
        const base = baseName(target);
        return { label: l.label, target, remote: REMOTE_LAUNCH.test(command) || /^["']?https?:/i.test(target), bundled: base !== '' && shipped.has(base) };
      }
      return undefined;
    };
    const judge = (l: Launch, reach: Reach, onLoad: boolean): Severity => {
      if (!l.remote && !l.bundled) return 'low';
      if (reach === 'install') return 'critical';
      if (reach === 'import') return onLoad ? 'high' : 'medium';
      return reach === 'bin' ? 'medium' : 'low';
    };
    const signalsOf = (l: Launch, severity: Severity): Signal[] => {
      if (severity !== 'critical' && severity !== 'high') return [];
      return l.remote ? ['windows-launcher', 'exec', 'exec:shell-download'] : ['windows-launcher', 'exec', 'exec:bundled-binary'];
    };
    const describe = (l: Launch) => `runs ${l.remote ? 'remote code' : l.encoded ? 'hidden commands' : l.bundled ? 'a file shipped in the package' : 'a system target'} through ${l.label}: ${l.target.replace(new RegExp(HOLE, 'g'), '…')}`;
    const seen = new Set<string>();
    const report = (ctx: FileContext, node: Node, l: Launch) => {
      const key = `${ctx.path}\0${node.start}`;
      if (seen.has(key)) return;
      seen.add(key);
      const onLoad = runsOnLoad(node);
      const severity = judge(l, ctx.reach, onLoad);
      ctx.report({ node, message: describe(l), severity, signals: signalsOf(l, severity) });
    };
    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const c of installCommandLines(ctx.scripts, ctx.textOf)) {
          const l = launchOf(c.command);
          if (!l) continue;
          const severity = judge(l, 'install', true);
          ctx.report({ file: c.file, evidence: c.evidence, message: `install script ${describe(l)}`, severity, signals: signalsOf(l, severity) });
        }
      },
      call(call, ctx) {
        for (const raw of commandCandidates(call, ctx.evaluator)) {
          const l = launchOf(raw.split(HOLE).join('*'));
          if (l) return report(ctx, call.node, l);
        }
      },
    };
  },
});
