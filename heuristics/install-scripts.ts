import { defineRule } from '../src/engine/rule.js';
import { SHELL_DOWNLOAD, SHELL_FETCH, SHELL_RECON } from '../src/engine/indicators.js';

/** Install-time helpers that are common and honest: building or fetching a native addon. */
const KNOWN_BUILD_TOOLS = /^(?:node-gyp(?:-build)?|prebuild-install|node-pre-gyp|@mapbox\/node-pre-gyp|napi-postinstall|cmake-js|husky|patch-package|opencollective(?:-postinstall)?|is-ci|ngcc|tsc|node-gyp-build-optional-packages)\b/;

/**
 * `<!(node -e "require('nan')")`, `<!(node -p "require('node-addon-api').include")`: how native
 * addons find a dependency's headers. Code that only loads a package by name and reads a property
 * of it runs nothing of this package.
 */
function headerLookup(expansion: string): boolean {
  const m = /^<!@?\(\s*node\s+-[ep]\s+(["'])(.*)\1\s*\)$/s.exec(expansion.trim());
  if (!m) return false;
  return /^\s*(?:console\.log\(\s*)?require\(\s*(?:\\?["'])(?:@[\w.-]+\/)?[\w.-]+(?:\/[\w.-]+)*(?:\\?["'])\s*\)(?:\.[A-Za-z_$][\w$]*)*\s*\)?\s*;?\s*$/.test(m[2]!) && !/require\(\s*\\?["']\./.test(m[2]!);
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
          // An expansion is a whole gyp string, `'<!(…)'`: read the strings, escapes undone.
          const expansions = [...gyp.matchAll(/'((?:\\.|[^'\\\n]){0,2000})'|"((?:\\.|[^"\\\n]){0,2000})"/g)]
            .map((m) => (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1').trim())
            .filter((v) => /^<!@?\(/.test(v))
            .map((v) => v.slice(0, 400));
          if (expansions.length === 0) expansions.push(...(gyp.match(/<!@?\(([^)]{0,400})\)/g) ?? []));
          const bad = expansions.find((e) => SHELL_DOWNLOAD.test(e) || SHELL_FETCH.test(e) || (/\bnode\s+-[ep]\b|\beval\b|base64/.test(e) && !headerLookup(e)));
          if (bad) {
            ctx.report({ file: 'binding.gyp', message: 'binding.gyp command expansion runs a network or shell command when node-gyp builds the package', severity: 'critical', evidence: bad.slice(0, 200), signals: ['install-script', 'install-shell-download'] });
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
