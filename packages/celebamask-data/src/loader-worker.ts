// Worker-thread side of `createLoader`: decodes and transforms samples off the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { DatasetError } from './dataset-error.js';
import type { DatasetEntry, ReadSampleOptions } from './dataset.js';
import { loadTrainCrop, type TrainPipelineOptions } from './pipeline.js';
import { createRng } from './rng.js';

export interface LoaderWorkerData {
  entries: DatasetEntry[];
  read: ReadSampleOptions;
  transforms: TrainPipelineOptions;
}

export interface LoaderJob {
  id: number;
  index: number;
  seed: number;
}

export type LoaderJobResult =
  | { id: number; ok: true; image: Uint8Array; labels: Uint8Array; width: number; height: number }
  | { id: number; ok: false; message: string; file?: string; problem?: string };

// every sample is a new buffer: libvips' operation cache only costs memory and time here
sharp.cache(false);
const data = workerData as LoaderWorkerData;
const port = parentPort!;
port.on('message', async (job: LoaderJob) => {
  try {
    const s = await loadTrainCrop({
      ...data.transforms,
      entry: data.entries[job.index]!,
      rng: createRng({ seed: job.seed }),
      read: data.read,
    });
    const msg: LoaderJobResult = { id: job.id, ok: true, ...s };
    port.postMessage(msg, [s.image.buffer as ArrayBuffer, s.labels.buffer as ArrayBuffer]);
  } catch (err) {
    const e = err as Error;
    const msg: LoaderJobResult =
      err instanceof DatasetError
        ? { id: job.id, ok: false, message: e.message, file: err.file, problem: err.problem }
        : { id: job.id, ok: false, message: e?.stack ?? String(err) };
    port.postMessage(msg);
  }
});
