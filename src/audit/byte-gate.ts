// Back-pressure between downloads and analysis. Downloads are fast and analysis is not: while one
// large package is analyzed, the other download slots fill with tarballs that wait in memory (on
// the benchmark lockfile, next's 30 s of analysis let four 35 MB @next/swc binaries pile up).
// A tarball is read into memory only while the bytes of tarballs waiting for their analysis to
// start are under a budget (the one being analyzed is bounded by analyzing one package at a time).
export class ByteGate {
  private held = 0;
  private readonly queue: Array<{ bytes: number; wake: () => void }> = [];

  constructor(readonly budget: number) {}

  /**
   * Waits until `bytes` more fit under the budget, then holds them. One item larger than the
   * whole budget goes through when nothing else is held. First come, first served: a large item
   * waiting is not overtaken by small ones, which would otherwise keep it waiting for good.
   */
  async acquire(bytes: number): Promise<void> {
    if (this.queue.length === 0 && this.fits(bytes)) {
      this.held += bytes;
      return;
    }
    await new Promise<void>((wake) => this.queue.push({ bytes, wake }));
  }

  /** Holds `bytes` more (a size learnt after acquiring), or fewer when negative. */
  adjust(bytes: number): void {
    if (bytes >= 0) this.held += bytes;
    else this.release(-bytes);
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    while (this.queue.length > 0 && this.fits(this.queue[0]!.bytes)) {
      const next = this.queue.shift()!;
      this.held += next.bytes;
      next.wake();
    }
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.budget;
  }

  get bytesHeld(): number {
    return this.held;
  }
}
