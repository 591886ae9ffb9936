// The command dispatcher. It loads only the option tables (commands.ts): `--version`, `--help`,
// `<command> --help` and option mistakes are answered without loading the engine, and each
// command's code (and the heavy clients of the feed: BullMQ, Redis, PostgreSQL) is imported only
// when that command runs.
import { TOOL } from '../version.js';
import { AGENTS, AUDIT, CHECK, COMMANDS, GUARD, HELP_COMMAND, overviewHelp, RESULTS, RULES_COMMAND, SCAN, WATCH, WORKER } from './commands.js';
import { UsageError } from './errors.js';
import { parseCommandArgs, renderCommandHelp, type CommandArgs, type CommandSpec, type OptionTable } from './options.js';
import { closest } from './suggest.js';

export { exitCodeFor } from './exit-code.js';

type Run<O extends OptionTable> = (args: CommandArgs<O>) => Promise<number> | number;

/** Parse with the command's table; answer --help from it; else load the command and run it. */
async function run<O extends OptionTable>(spec: CommandSpec<O>, argv: string[], load: () => Promise<Run<O>>): Promise<number> {
  try {
    const args = parseCommandArgs(spec, argv);
    if (args.values.help) {
      process.stdout.write(renderCommandHelp(spec));
      return 0;
    }
    return await (await load())(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tollgate: ${err.message}\nRun \`tollgate ${spec.name === 'help' ? 'help' : `${spec.name} --help`}\` for usage.\n`);
    return 2;
  }
}

function helpCommand({ positionals }: CommandArgs<typeof HELP_COMMAND.options>): number {
  const [name, ...extra] = positionals;
  if (name === undefined) {
    process.stdout.write(overviewHelp(TOOL.version));
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec || extra.length) throw new UsageError(extra.length ? 'help takes one command' : unknownCommand(name));
  process.stdout.write(renderCommandHelp(spec));
  return 0;
}

function unknownCommand(name: string): string {
  const near = closest(name, COMMANDS.map((c) => c.name));
  return `unknown command "${name}"${near ? `; did you mean "${near}"?` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'scan':
        return await run(SCAN, rest, async () => (await import('./scan-command.js')).scanCommand);
      case 'audit':
        return await run(AUDIT, rest, async () => (await import('./audit.js')).auditCommand);
      case 'check':
        return await run(CHECK, rest, async () => (await import('./check.js')).checkCommand);
      case 'agents':
        return await run(AGENTS, rest, async () => (await import('./agents.js')).agentsCommand);
      case 'guard':
        return await run(GUARD, rest, async () => (await import('./guard.js')).guardCommand);
      case 'watch':
        return await run(WATCH, rest, async () => (await import('./watch.js')).watchCommand);
      case 'results':
        return await run(RESULTS, rest, async () => (await import('./watch.js')).resultsCommand);
      case 'worker':
        return await run(WORKER, rest, async () => (await import('./worker.js')).workerCommand);
      case 'rules':
        return await run(RULES_COMMAND, rest, async () => (await import('./rules.js')).rulesCommand);
      case 'help':
        return await run(HELP_COMMAND, rest, async () => helpCommand);
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(overviewHelp(TOOL.version));
        return command === undefined ? 2 : 0;
      case '--version':
      case '-V':
        process.stdout.write(`${TOOL.version}\n`);
        return 0;
      default:
        throw new UsageError(command.startsWith('-') ? `unknown option ${command}; options follow the command, e.g. \`tollgate scan ${command} <target>\`` : unknownCommand(command));
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tollgate: ${err.message}\nRun \`tollgate help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`tollgate: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
}
