#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { main } from './main.js';

/**
 * V8 lets the heap grow lazily towards a limit set from physical memory (about 4 GB here), and an
 * allocation-heavy parser reaches it: scans of large packages peaked at 2-4 GB of RSS though they
 * need a fraction of that. A fixed old-space limit keeps the collector honest. Node only takes the
 * flag at start-up, so the CLI re-executes itself once with it (unless the user chose a limit).
 */
// A scan may parse a registry packument of tens of MB (next's is 21 MB); an audit never fetches
// packuments and analyzes one package at a time, so it gets a tighter limit.
const HEAP_MB = Number(process.env.TOLLGATE_HEAP_MB ?? (process.argv[2] === 'audit' ? 384 : 1024));
const hasLimit = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('max-old-space-size'));
if (!hasLimit && !process.env.TOLLGATE_CHILD && Number.isFinite(HEAP_MB) && HEAP_MB > 0) {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TOLLGATE_CHILD: '1' },
  });
  // Signals sent to this process alone (`kill`, `docker stop`, a CI runner cancelling the job) must
  // reach the real CLI, or it would be orphaned mid-run. The commands treat a repeated signal as one.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`tollgate: could not start (${err.message})\n`);
    process.exitCode = 2;
  });
  child.on('exit', (code, signal) => {
    if (signal && signal !== 'SIGINT' && signal !== 'SIGTERM' && signal !== 'SIGHUP') {
      process.stderr.write(`tollgate: stopped by ${signal}${signal === 'SIGABRT' ? ` (out of memory? raise TOLLGATE_HEAP_MB, now ${HEAP_MB})` : ''}\n`);
      process.exitCode = 2;
    } else process.exitCode = code ?? 2;
  });
} else {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`tollgate: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
