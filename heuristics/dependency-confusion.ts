import { defineRule } from '../src/engine/api.js';
import { assessDependencyConfusion } from '../src/registry/dependency-confusion.js';

export default defineRule({
  meta: {
    id: 'dependency-confusion',
    title: 'Shaped like a dependency-confusion package',
    description:
      "An unscoped package with a version far above any normal release (99.x, 9999.0.0, 1.999.0) that runs code on install, above all with an internal-looking name (-internal, -private, corp-, an organisation's -sdk / -common): the shape of a package published to shadow a company's internal one. `tollgate scan` also compares unscoped names with the scopes your npm config sends to a private registry (`@acme:registry=…` makes a public `acme-auth` suspect).",
    severity: 'medium',
    category: 'registry',
    references: ['https://medium.com/@alex.birsan/dependency-confusion-4a5d60fec610', 'https://docs.npmjs.com/cli/configuring-npm/npmrc#auth-related-configuration'],
    docs: {
      example: '{ "name": "acme-internal-auth", "version": "99.10.9", "scripts": { "preinstall": "node index.js" } }',
      suppress: 'Publish internal packages under a scope you own and route that scope to your registry; allow the exact package version in tollgate.config.json, or turn the rule off with `"rules": { "dependency-confusion": "off" }`.',
    },
  },
  create(ctx) {
    return {
      package() {
        const name = ctx.manifest?.name;
        if (typeof name !== 'string') return;
        const version = typeof ctx.manifest?.version === 'string' ? ctx.manifest.version : undefined;
        const r = assessDependencyConfusion({ name, version, hasInstallScript: ctx.scripts.install.length > 0 });
        if (!r) return;
        ctx.report({ message: r.message, severity: r.severity, evidence: r.evidence, signals: r.strong ? ['registry:dependency-confusion'] : undefined });
      },
    };
  },
});
