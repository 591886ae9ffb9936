import fs from 'node:fs';

/**
 * Peak resident memory of this process in MB: the kernel's VmHWM for this address space (threads
 * included). getrusage's maxRSS is not used where VmHWM exists: Linux keeps it across fork and exec,
 * so a child spawned by a large parent would report the parent's size as its own.
 */
export function peakRssMB(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}
