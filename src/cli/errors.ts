import { forLog, inGithubActions, revealInvisible } from '../report/sanitize.js';
// One error boundary for the commands: errors that explain themselves (a lockfile, config, git or
// output-path problem; a usage mistake) print their one-line message and exit 2. Anything else is
// a bug in Tollgate and prints its stack, still with exit 2, never as a pass.
export class UsageError extends Error {}

type ErrorClass = abstract new (...args: never[]) => Error;

export async function withErrorBoundary(run: () => Promise<number>, opts: { known: readonly ErrorClass[]; help: string }): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (opts.known.some((k) => err instanceof k)) {
      process.stderr.write(forLog(`tollgate: ${revealInvisible((err as Error).message, true)}\n`, inGithubActions()));
      return 2;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException)?.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tollgate: ${(err as Error).message}\nRun \`${opts.help}\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`tollgate: ${(err as Error)?.stack ?? String(err)}\n`);
    return 2;
  }
}
