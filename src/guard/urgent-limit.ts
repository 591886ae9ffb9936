/**
 * A concurrency limit whose waiting tasks are taken urgent first: a tarball the package manager is
 * waiting for goes before one scanned ahead of its request (scan-ahead.ts), which only fills the
 * time nothing is asked for. Urgency is read when a slot frees, not when the task is queued, so a
 * scan-ahead the package manager then asks for is promoted in place.
 */
export class UrgentLimit {
  private active = 0;
  private readonly waiting: { start: () => void; urgent: () => boolean }[] = [];

  constructor(private readonly size: number) {}

  run<T>(fn: () => Promise<T>, urgent: () => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.active++;
        fn()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.next();
          });
      };
      if (this.active < this.size) start();
      else this.waiting.push({ start, urgent });
    });
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.waiting.length;
  }

  private next(): void {
    if (!this.waiting.length || this.active >= this.size) return;
    // The queue holds at most the package manager's open requests plus the scan-ahead window.
    const at = Math.max(0, this.waiting.findIndex((w) => w.urgent()));
    this.waiting.splice(at, 1)[0]!.start();
  }
}
