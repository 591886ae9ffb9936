// A dependency named in the lockfile with no entry to satisfy it. Real lockfiles have a few
// (optional platform packages left out, peers nobody installed); a truncated or hand-cut file has
// many non-optional ones. Those are an error naming the line, instead of a silently short audit.
import { LockfileError, type Dangling, type ParseContext } from './types.js';

export function failOnDangling(ctx: ParseContext, dangling: readonly Dangling[], lineOf: (from: string) => number | undefined): void {
  const hard = dangling.filter((d) => !d.optional);
  if (!hard.length) return;
  const d = hard[0]!;
  const more = hard.length > 1 ? ` (and ${hard.length - 1} more missing)` : '';
  throw new LockfileError(
    ctx.file,
    lineOf(d.from),
    `${d.from ? JSON.stringify(d.from) : 'the project'} depends on ${d.name}@${d.spec || '*'} but the lockfile has no entry for it${more}; the file looks truncated or hand-edited`,
  );
}
