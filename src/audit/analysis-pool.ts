// A small pool of worker threads for unpack + analysis, so an audit uses both cores: one large
// package (next's 80 MB of bundled JavaScript takes most of a cold audit's CPU) runs on one
// worker while the other works through the rest. The main thread only downloads and schedules.
// A worker that dies (out of memory on a hostile package, say) fails only the package it held:
// that package becomes an `error` result and a fresh worker takes its place.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../engine/run/analyze.js';
import { scoreParts, type AnalysisPart } from '../scan.js';
import { unpackTarball } from '../unpack/tarball.js';
import { toShared, type SharedPackage } from './shared-package.js';
import type { ReportedPackage } from '../types.js';

export interface PoolTarball {
  data: Buffer;
  name?: string;
  version?: string;
  integrity?: string;
  spec: string;
  source?: string;
}

export type AnalysisRequest =
  | { id: number; tarball: Omit<PoolTarball, 'data'> & { data: ArrayBuffer | Uint8Array }; engine?: EngineOptions }
  | { id: number; shared: SharedPackage; spec: string; engine: EngineOptions };

export type AnalysisResponse =
  | { id: number; result: ReportedPackage; part?: undefined; error?: undefined }
  | { id: number; part: AnalysisPart; result?: undefined; error?: undefined }
  | { id: number; error: string; result?: undefined; part?: undefined };

type Outcome = { result: ReportedPackage } | { part: AnalysisPart };

interface Slot {
  worker: Worker;
  busy?: { id: number; resolve: (r: Outcome) => void; reject: (e: Error) => void; spec: string };
}

export interface PoolOptions {
  size?: number;
  /** Old-space limit of each worker, in MB. */
  heapMb?: number;
}

/** Tarballs from this size (compressed) are analyzed in shards across the workers. */
export const SHARD_AT_BYTES = 4 * 1024 * 1024;

/** Old-space limit per worker: next@16 (80 MB of bundled JavaScript) needs about 350 MB. */
export const DEFAULT_WORKER_HEAP_MB = 384;

const WORKER_FILE = fileURLToPath(new URL('./analysis-worker.js', import.meta.url));

export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly size: number,
    private readonly heapMb: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /**
   * A pool when the code is compiled (the worker is a .js file next to this one; under a TypeScript
   * test runner it is not, and analysis stays in-process). Even one worker is worth it: a package
   * that exhausts the analyzer's heap then fails alone instead of aborting the whole audit.
   */
  static create(opts: PoolOptions = {}): AnalysisPool | undefined {
    const size = Math.max(1, opts.size ?? Math.min(2, os.availableParallelism()));
    if (!fs.existsSync(WORKER_FILE)) return undefined;
    return new AnalysisPool(size, opts.heapMb ?? Number(process.env.TOLLGATE_WORKER_HEAP_MB ?? DEFAULT_WORKER_HEAP_MB));
  }

  private spawn(): Slot {
    // execArgv: [] so the parent's flags (--input-type, --max-old-space-size) do not leak in;
    // the heap limit is set per worker instead.
    const worker = new Worker(WORKER_FILE, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    const slot: Slot = { worker };
    worker.on('message', (msg: AnalysisResponse) => {
      const job = slot.busy;
      if (!job || job.id !== msg.id) return;
      slot.busy = undefined;
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.part ? { part: msg.part } : { result: msg.result! });
      this.release();
    });
    const die = (why: string) => {
      const job = slot.busy;
      slot.busy = undefined;
      const i = this.slots.indexOf(slot);
      if (i !== -1 && !this.closed) this.slots[i] = this.spawn();
      job?.reject(new Error(`the analysis worker stopped while analyzing ${job.spec} (${why}); the package may be built to exhaust the analyzer. Raise TOLLGATE_WORKER_HEAP_MB (now ${this.heapMb}) to retry`));
      this.release();
    };
    worker.on('error', (err) => die(err.message));
    worker.on('exit', (code) => {
      if (!this.closed) die(`exit code ${code}`);
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    return slot;
  }

  private release(): void {
    this.waiting.shift()?.();
  }

  /**
   * Unpack, analyze and score in a worker. The tarball's bytes are moved, not copied, when possible.
   * A package of at least `shardAtBytes` (compressed) is analyzed by every worker at once, each
   * taking a share of its files (EngineOptions.shard), and the shards are scored together: one
   * package with 80 MB of bundles otherwise holds one core while the other idles at the end.
   */
  async analyze(tarball: PoolTarball, engine?: EngineOptions, shardAtBytes = SHARD_AT_BYTES): Promise<ReportedPackage> {
    const identity = { name: tarball.name, version: tarball.version, integrity: tarball.integrity, spec: tarball.spec, source: tarball.source };
    if (this.size < 2 || tarball.data.length < shardAtBytes) {
      const data = tarball.data;
      // Transfer the backing memory when the Buffer owns all of it; pooled small Buffers are copied.
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
      const bytes = whole ? (data.buffer as ArrayBuffer) : new Uint8Array(data);
      const out = await this.run((id) => ({ id, tarball: { ...identity, data: bytes }, engine }), tarball.spec, [whole ? (bytes as ArrayBuffer) : (bytes as Uint8Array).buffer as ArrayBuffer]);
      if ('result' in out) return out.result;
      throw new Error('analysis worker answered a whole package with a shard');
    }
    // Unpacked once, here, into shared memory that every shard reads; the tarball is let go.
    const shared = toShared(await unpackTarball(tarball.data));
    tarball.data = Buffer.alloc(0);
    const count = this.size;
    const parts = await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const shardEngine = { ...(engine ?? DEFAULT_ENGINE_OPTIONS), shard: { index, count } };
        const out = await this.run((id) => ({ id, shared, spec: tarball.spec, engine: shardEngine }), tarball.spec, []);
        if ('part' in out) return out.part;
        throw new Error('analysis worker answered a shard with a whole package');
      }),
    );
    return scoreParts(identity, parts);
  }

  private async run(request: (id: number) => AnalysisRequest, spec: string, transfer: ArrayBuffer[]): Promise<Outcome> {
    if (this.closed) throw new Error('analysis pool is closed');
    let slot = this.slots.find((s) => !s.busy);
    while (!slot) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      slot = this.slots.find((s) => !s.busy);
    }
    const id = this.nextId++;
    const target = slot;
    return new Promise<Outcome>((resolve, reject) => {
      target.busy = { id, resolve, reject, spec };
      target.worker.ref();
      target.worker.postMessage(request(id), transfer);
    }).finally(() => {
      if (!target.busy) target.worker.unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
