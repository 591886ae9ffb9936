// Back-pressure between downloads and analysis. Downloads are fast and analysis is not: while one
// large package is analyzed, the other download slots fill with tarballs that wait in memory (on
// the benchmark lockfile, next's 30 s of analysis let four 35 MB @next/swc binaries pile up).
// A new download starts only while the bytes of tarballs waiting for their analysis to start are
// under a budget (the one being analyzed is bounded by analyzing one package at a time).
export class ByteGate {
  private held = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly budget: number) {}

  /** Resolves once the held bytes are under the budget (at once when nothing is held). */
  async enter(): Promise<void> {
    while (this.held >= this.budget) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  hold(bytes: number): void {
    this.held += bytes;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    const ready = this.waiters;
    this.waiters = [];
    for (const wake of ready) wake();
  }

  get bytesHeld(): number {
    return this.held;
  }
}
