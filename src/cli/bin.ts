#!/usr/bin/env node
import { spawn } from 'node:child_process';
import os from 'node:os';
import { main } from './main.js';

/**
 * V8 lets the heap grow lazily towards a limit set from physical memory (about 4 GB here), and an
 * allocation-heavy parser reaches it: scans of large packages peaked at 2-4 GB of RSS though they
 * need a fraction of that. A fixed old-space limit keeps the collector honest. Node only takes the
 * flag at start-up, so the CLI re-executes itself once with it (unless the user chose a limit).
 *
 * Process lifecycle: the child is tied to this process by an IPC channel. When this process dies in
 * any way, SIGKILL included, the channel closes and the child stops as on SIGTERM (`watch` finishes
 * its transaction), and at the latest PARENT_GONE_GRACE_MS later: no orphan keeps scanning or holds
 * the store's lock. Ctrl-C exits 130 (128 + SIGINT), after clearing the progress line.
 */
// A scan may parse a registry packument of tens of MB (next's is 21 MB); an audit never fetches
// packuments and analyzes one package at a time, so it gets a tighter limit.
const HEAP_MB = Number(process.env.TOLLGATE_HEAP_MB ?? (process.argv[2] === 'audit' ? 384 : 1024));
const PARENT_GONE_GRACE_MS = 30_000;
const hasLimit = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('max-old-space-size'));
// Commands that only print text need no heap limit and no second process.
const command = process.argv[2];
const printsOnly = command === undefined || ['help', '--help', '-h', '--version', '-V', 'rules'].includes(command) || process.argv.slice(3).some((a) => a === '--help' || a === '-h');

/** Exit code of a run stopped by `signal`: the shell's 128 + its number (SIGINT 130, SIGTERM 143). */
const signalExitCode = (signal: NodeJS.Signals): number => 128 + (os.constants.signals[signal] ?? 0);

if (!hasLimit && !printsOnly && !process.env.TOLLGATE_CHILD && Number.isFinite(HEAP_MB) && HEAP_MB > 0) {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TOLLGATE_CHILD: '1' },
  });
  // Signals sent to this process alone (`kill`, `docker stop`, a CI runner cancelling the job) must
  // reach the real CLI. The commands treat a repeated signal (Ctrl-C reaches both) as one.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`tollgate: could not start (${err.message})\n`);
    process.exitCode = 2;
  });
  child.on('exit', (code, signal) => {
    if (signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP') process.exitCode = signalExitCode(signal);
    else if (signal) {
      process.stderr.write(`tollgate: stopped by ${signal}${signal === 'SIGABRT' ? ` (out of memory? raise TOLLGATE_HEAP_MB, now ${HEAP_MB})` : ''}\n`);
      process.exitCode = 2;
    } else process.exitCode = code ?? 2;
  });
} else {
  if (process.env.TOLLGATE_CHILD && process.send) {
    // The channel must not keep this process alive by itself; its closing means the parent is gone.
    process.channel?.unref();
    process.on('disconnect', () => {
      setTimeout(() => process.exit(signalExitCode('SIGTERM')), PARENT_GONE_GRACE_MS).unref();
      process.kill(process.pid, 'SIGTERM');
    });
  }
  // Ctrl-C in a command that does not stop gracefully itself (watch and worker do): clear the
  // progress line, say so, exit 130.
  process.on('SIGINT', () => {
    if (process.listenerCount('SIGINT') > 1) return;
    if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
    process.stderr.write('tollgate: interrupted\n');
    process.exit(signalExitCode('SIGINT'));
  });
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
