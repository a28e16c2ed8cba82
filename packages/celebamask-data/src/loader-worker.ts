// Worker-thread side of `createLoader`: decodes, augments, normalises and pads samples off the
// main thread, writing each into a slot of a shared ring the loader copies batches from.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { DatasetError } from './dataset-error.js';
import type { DatasetEntry, ReadSampleOptions } from './dataset.js';
import {
  loadTrainCrop,
  resolveTrainPipelineOptions,
  type TrainPipelineOptions,
} from './pipeline.js';
import { createRng } from './rng.js';
import { normalizePadInto } from './transforms.js';

/**
 * Samples normalised and padded to the crop size, `slots` of them in shared memory: slot k
 * holds image floats [k*H*W*3, (k+1)*H*W*3) and labels [k*H*W, (k+1)*H*W). Reused for the
 * whole run, so no sample allocates or transfers its 4 MB.
 */
export interface SampleRing {
  slots: number;
  /** Float32, [slots, H, W, 3], normalised. */
  images: SharedArrayBuffer;
  /** Int32, [slots, H, W], padded with the ignore index. */
  labels: SharedArrayBuffer;
}

export interface LoaderWorkerData {
  entries: DatasetEntry[];
  read: ReadSampleOptions;
  transforms: TrainPipelineOptions;
  ring: SampleRing;
}

export interface LoaderJob {
  id: number;
  index: number;
  seed: number;
  /** Ring slot the sample is written to. */
  slot: number;
}

export type LoaderJobResult =
  | { id: number; ok: true }
  | { id: number; ok: false; message: string; file?: string; problem?: string };

// every sample is a new buffer: libvips' operation cache only costs memory and time here
sharp.cache(false);
// one libvips thread per worker: the pool already runs one worker per core, and more threads
// only add contention (measured: decode + resize of a 512² JPEG 6.5 ms CPU with one thread,
// 10 ms with two)
sharp.concurrency(1);
const data = workerData as LoaderWorkerData;
const pipe = resolveTrainPipelineOptions(data.transforms);
const [H, W] = pipe.cropSize;
const ringImages = new Float32Array(data.ring.images);
const ringLabels = new Int32Array(data.ring.labels);
const port = parentPort!;
port.on('message', async (job: LoaderJob) => {
  try {
    const s = await loadTrainCrop({
      ...data.transforms,
      entry: data.entries[job.index]!,
      rng: createRng({ seed: job.seed }),
      read: data.read,
      syncIo: true,
    });
    normalizePadInto({
      ...s,
      outImage: ringImages,
      outLabels: ringLabels,
      imageOffset: job.slot * H * W * 3,
      labelOffset: job.slot * H * W,
      outWidth: W,
      outHeight: H,
      mean: pipe.mean,
      std: pipe.std,
      padValue: 0,
      segPadValue: pipe.ignoreIndex,
    });
    port.postMessage({ id: job.id, ok: true } satisfies LoaderJobResult);
  } catch (err) {
    const e = err as Error;
    const msg: LoaderJobResult =
      err instanceof DatasetError
        ? { id: job.id, ok: false, message: e.message, file: err.file, problem: err.problem }
        : { id: job.id, ok: false, message: e?.stack ?? String(err) };
    port.postMessage(msg);
  }
});
