import { defineRule } from '../src/engine/api.js';
import { offRegistryDependencies } from '../src/registry/dependency-specs.js';
import type { Severity, Signal } from '../src/types.js';

export default defineRule({
  meta: {
    id: 'remote-dependencies',
    title: 'Dependencies fetched outside the registry',
    description:
      "Dependencies given as git repositories, tarball URLs or local paths instead of registry versions. Their content is not what the registry, its integrity hashes or any scanner of registry packages saw, and can change at any time; installing a git dependency also runs its prepare script. URLs over plain http can be swapped in transit.",
    severity: 'medium',
    category: 'registry',
    references: ['https://docs.npmjs.com/cli/configuring-npm/package-json#urls-as-dependencies', 'https://docs.npmjs.com/cli/configuring-npm/package-json#git-urls-as-dependencies'],
    docs: {
      example: '"dependencies": { "helper": "https://files.example.invalid/helper-1.0.0.tgz", "util": "github:someone/util" }',
      suppress: 'Depend on a published registry version instead; or turn the rule off with `"rules": { "remote-dependencies": "off" }`.',
    },
  },
  create(ctx) {
    return {
      package() {
        for (const d of offRegistryDependencies(ctx.manifest).slice(0, 10)) {
          const insecure = d.kind === 'remote' && /^http:\/\//i.test(d.spec);
          const severity: Severity = d.kind === 'local' ? 'low' : 'medium';
          const what =
            d.kind === 'git'
              ? 'a git repository (its prepare script runs on install, and the branch can change)'
              : d.kind === 'remote'
                ? `a tarball URL${insecure ? ' over plain http' : ''} (its content can change, outside the registry's integrity checks)`
                : 'a local path that only exists on the publisher\'s machine';
          // Git and URL dependencies are judged with install-time code by the scorer (issue 18).
          const signals: Signal[] | undefined = d.kind === 'local' ? undefined : ['registry:remote-dependency'];
          ctx.report({ file: 'package.json', message: `${d.field} "${d.name}" comes from ${what}`, severity: insecure ? 'high' : severity, evidence: `"${d.name}": ${JSON.stringify(d.spec).slice(0, 200)}`, signals });
        }
      },
    };
  },
});
