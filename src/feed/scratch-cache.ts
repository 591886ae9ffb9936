// A download cache for a process that never stops. pacote always writes tarballs to a cacache
// folder; following the npm feed, that is thousands of tarballs an hour, so neither npm's cache
// (the user's) nor a fixed folder will do. Scans use a generation folder under a private temporary
// root; after `perGeneration` scans a new one starts, and an old one is deleted as soon as its last
// scan ends. Cost: the release diff's previous tarball is re-downloaded across a rotation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './process-alive.js';

export class ScratchCache {
  private generation = 0;
  private used = 0;
  private readonly inUse = new Map<number, number>();
  readonly root: string;

  constructor(private readonly perGeneration = 500) {
    ScratchCache.removeOrphans();
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `tollgate-watch-${process.pid}-`));
  }

  /** Roots left by watchers that were killed (their pid is gone). */
  static removeOrphans(): void {
    let entries: string[];
    try {
      entries = fs.readdirSync(os.tmpdir());
    } catch {
      return;
    }
    for (const e of entries) {
      const m = /^tollgate-watch-(\d+)-/.exec(e);
      if (!m || Number(m[1]) === process.pid) continue;
      if (isProcessAlive(Number(m[1]))) continue; // alive (or not ours to judge)
      try {
        fs.rmSync(path.join(os.tmpdir(), e), { recursive: true, force: true });
      } catch {
        // another user's, or busy: not ours to clean
      }
    }
  }

  private dir(gen: number): string {
    return path.join(this.root, `g${gen}`);
  }

  /** A cache folder for one scan; call `release` when the scan is over. */
  take(): { dir: string; release: () => void } {
    if (this.used >= this.perGeneration) {
      this.generation++;
      this.used = 0;
      this.sweep();
    }
    this.used++;
    const gen = this.generation;
    this.inUse.set(gen, (this.inUse.get(gen) ?? 0) + 1);
    let released = false;
    return {
      dir: this.dir(gen),
      release: () => {
        if (released) return;
        released = true;
        this.inUse.set(gen, this.inUse.get(gen)! - 1);
        this.sweep();
      },
    };
  }

  /** Delete every older generation no scan is using. */
  private sweep(): void {
    for (const [gen, n] of this.inUse) {
      if (gen < this.generation && n === 0) {
        this.inUse.delete(gen);
        fs.rmSync(this.dir(gen), { recursive: true, force: true });
      }
    }
  }

  close(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
