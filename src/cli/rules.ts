// `tollgate rules`: the detection rules, as text or Markdown.
import { RULES } from '../../heuristics/index.js';
import { renderRulesMarkdown } from '../report/rules-doc.js';
import type { CommandArgs } from './options.js';
import { UsageError } from './errors.js';
import type { RULES_COMMAND } from './commands.js';

export function rulesCommand({ values, positionals }: CommandArgs<typeof RULES_COMMAND.options>): number {
  if (positionals.length) throw new UsageError(`rules takes no arguments (got "${positionals[0]}")`);
  if (values.markdown) {
    process.stdout.write(renderRulesMarkdown(RULES));
    return 0;
  }
  for (const r of RULES) {
    const m = r.meta;
    process.stdout.write(`${m.id}  (${m.category}, default severity ${m.severity})\n  ${m.title}: ${m.description}\n  example:  ${m.docs.example}\n  suppress: ${m.docs.suppress}\n\n`);
  }
  return 0;
}
