// Strings from config files reach the terminal only through the report sanitizer.
import { expect, test } from 'vitest';
import { renderAgents, renderFixPins } from '../src/agents/render.js';
import type { AgentsResult } from '../src/agents/audit.js';

const HOSTILE = '\u001b]0;owned\u0007\u001b[2K\r::add-mask::x';

test('server names, files, keys, errors and pinned commands from configs carry no control characters', () => {
  const server = { tool: 'Cursor', name: HOSTILE, file: `/h/.cursor/${HOSTILE}.json`, key: `mcpServers.${HOSTILE}`, launcher: 'node', command: `node ${HOSTILE}`, verdict: 'clean', score: 0, pinnedCommand: `npx -y pkg@1.0.0 ${HOSTILE}`, findings: [] };
  const r = {
    agents: { servers: [server], configs: [{ file: HOSTILE, error: `could not parse ${HOSTILE}` }], findings: [{ rule: 'agent-hook', severity: 'high', message: HOSTILE, file: HOSTILE, key: HOSTILE }], instructions: [{ file: HOSTILE, verdict: 'error', score: 0, error: HOSTILE, findings: [] }] },
    packages: [],
  } as unknown as AgentsResult;
  for (const out of [renderAgents(r, { color: false, verbose: true }), renderFixPins(r)]) {
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(out).toContain('add-mask');
  }
});
