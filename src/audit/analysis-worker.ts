// Worker thread body of the analysis pool: unpack, analyze and score one tarball at a time, in
// memory. It never runs package code any more than the main thread does; it exists so that a
// large package (next: 80 MB of JavaScript) does not hold the whole audit on one core.
import { parentPort } from 'node:worker_threads';
import { analyzePart, analyzeTarball } from '../scan.js';
import { fromShared } from './shared-package.js';
import type { AnalysisRequest, AnalysisResponse } from './analysis-pool.js';

if (!parentPort) throw new Error('analysis-worker must run as a worker thread');
const port = parentPort;

port.on('message', (req: AnalysisRequest) => {
  const fail = (err: unknown) => port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies AnalysisResponse);
  if ('shared' in req) {
    // A shard of a package the main thread unpacked into shared memory; it comes back unscored,
    // to be scored with the other shards.
    try {
      port.postMessage({ id: req.id, part: analyzePart(fromShared(req.shared), { engine: req.engine }) } satisfies AnalysisResponse);
    } catch (err) {
      fail(err);
    }
    return;
  }
  const raw = req.tarball.data;
  const data = raw instanceof ArrayBuffer ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  analyzeTarball({ ...req.tarball, data }, { engine: req.engine }).then((result) => port.postMessage({ id: req.id, result } satisfies AnalysisResponse), fail);
});
