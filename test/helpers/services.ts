// Throwaway Redis and PostgreSQL for tests. The servers themselves live in
// scripts/lib/throwaway-services.ts (the feed benchmark starts them too); this adds the test policy:
// a missing binary skips the tests with its reason on a developer machine, but FAILS them in CI
// (process.env.CI), where .ci/services installs both and a silent skip would hide a broken setup.
import { postgresMissing, redisMissing } from '../../scripts/lib/throwaway-services.js';

export { startPostgres, startRedis, type Service } from '../../scripts/lib/throwaway-services.js';

/**
 * Why the tests needing these services should be skipped here, or undefined to run them. In CI
 * this is always undefined: the start-up then throws the "not found, apt-get install ..." error
 * and the tests fail, as they should.
 */
export function servicesSkipReason(...needs: ('redis' | 'postgres')[]): string | undefined {
  if (process.env.CI) return undefined;
  const reasons = needs.map((n) => (n === 'redis' ? redisMissing() : postgresMissing())).filter(Boolean);
  return reasons.length ? reasons.join('; ') : undefined;
}
