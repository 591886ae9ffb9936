// LIVE (network): a real project's lockfile audited end to end against the npm registry, every
// package scanned and none lost. Skipped unless TOLLGATE_LIVE is set: `TOLLGATE_LIVE=1 npx vitest
// run test/audit.live.test.ts`. Uses hono's yarn.lock (918 registry packages) from ../shared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runAudit } from '../src/audit/audit.js';
import { planUnits } from '../src/audit/plan.js';
import { ResultCache } from '../src/cache/results.js';
import { ENGINE_VERSION } from '../src/cache/version.js';
import { loadNpmConfig } from '../src/fetch/npm-config.js';
import { loadLockfile } from '../src/lockfile/index.js';

const LOCK = path.resolve(import.meta.dirname, '../../shared/lockfiles/yarn-classic/honojs__hono__yarn.v1.lock');
const live = !!process.env.TOLLGATE_LIVE && fs.existsSync(LOCK);

describe.skipIf(!live)('LIVE: audit a real project lockfile against the npm registry', () => {
  test('honojs/hono yarn.lock: every registry package fetched by URL + integrity and analyzed; none lost', { timeout: 20 * 60_000 }, async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-live-'));
    try {
      const lf = loadLockfile(LOCK);
      const npmConfig = loadNpmConfig({ cwd: tmp });
      const units = planUnits(lf.entries, tmp, npmConfig);
      const cache = ResultCache.open(path.join(tmp, 'results.sqlite'), ENGINE_VERSION);
      const t0 = performance.now();
      const report = await runAudit(lf, { root: tmp, npmConfig, downloadCache: path.join(tmp, 'dl'), results: cache });
      const coldMs = performance.now() - t0;
      const t1 = performance.now();
      const again = await runAudit(lf, { root: tmp, npmConfig, downloadCache: path.join(tmp, 'dl'), results: cache });
      const warmMs = performance.now() - t1;
      cache.close();
      // None lost: one result per unit, each with the lockfile's name@version.
      expect(report.packages).toHaveLength(units.length);
      const want = new Set(units.map((u) => `${u.name}@${u.version}`));
      expect(new Set(report.packages.map((p) => `${p.name}@${p.version}`))).toEqual(want);
      const errors = report.packages.filter((p) => p.verdict === 'error');
      expect(errors.map((p) => `${p.name}@${p.version}: ${p.error}`)).toEqual([]);
      expect(again.summary.cached).toBe(units.length);
      console.log(`LIVE hono yarn.lock: ${lf.entries.length} entries, ${units.length} tarballs, ${(report.summary.bytes / 1e6).toFixed(1)} MB; cold ${(coldMs / 1000).toFixed(1)} s, warm ${(warmMs / 1000).toFixed(2)} s; verdicts ${JSON.stringify(Object.fromEntries(['malicious', 'suspicious', 'clean', 'error'].map((v) => [v, report.packages.filter((p) => p.verdict === v).length])))}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
