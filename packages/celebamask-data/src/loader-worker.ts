// Worker-thread side of `createLoader`: decodes, augments, normalises and pads samples off the
// main thread, each straight into its place in a shared-memory batch.
import { workerData } from 'node:worker_threads';
import sharp from 'sharp';
import {
  loadTrainCropUndistorted,
  resolveTrainPipelineOptions,
  type TrainPipelineOptions,
  writeTrainSample,
} from './pipeline.js';
import type { DatasetEntry, ReadSampleOptions } from './read-sample.js';
import { createRng } from './rng.js';
import { serveJobs } from './worker-pool.js';

export interface LoaderWorkerData {
  entries: DatasetEntry[];
  read: ReadSampleOptions;
  transforms: TrainPipelineOptions;
}

export interface LoaderJob {
  index: number;
  seed: number;
  /**
   * The batch the sample belongs to, in shared memory: Float32 [B, H, W, 3] images and Int32
   * [B, H, W] labels. The worker normalises and pads the sample straight into position `slot`,
   * so nothing is allocated, transferred or copied per sample.
   */
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  slot: number;
}

// every sample is a new buffer: libvips' operation cache only costs memory and time here
sharp.cache(false);
// one libvips thread per worker: the pool already runs one worker per core, and more threads
// only add contention (measured: decode + resize of a 512² JPEG 6.5 ms CPU with one thread,
// 10 ms with two)
sharp.concurrency(1);
const data = workerData as LoaderWorkerData;
const pipe = resolveTrainPipelineOptions(data.transforms);
serveJobs<LoaderJob, true>(async (job) => {
  const crop = await loadTrainCropUndistorted({
    ...data.transforms,
    entry: data.entries[job.index]!,
    rng: createRng({ seed: job.seed }),
    read: data.read,
    syncIo: true,
  });
  writeTrainSample({
    crop,
    pipe,
    images: new Float32Array(job.images),
    labels: new Int32Array(job.labels),
    at: job.slot,
  });
  return true;
});
