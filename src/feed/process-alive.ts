// Whether a process id still stands for a running process, for stale-lock checks. A process that
// was SIGKILLed together with its parent can linger as a zombie until something reaps it (in a
// container whose init does not, for a long time); `kill(pid, 0)` still succeeds on it, but it
// holds nothing, so it counts as gone.
import fs from 'node:fs';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux): trust kill(pid, 0)
  }
}
