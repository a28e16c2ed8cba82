import * as tf from '@tensorflow/tfjs-core';
import { DatasetError, type SkippedFile } from './dataset-error.js';
import type { Dataset } from './dataset.js';
import { readSample } from './read-sample.js';
import type { LoaderJob, LoaderWorkerData } from './loader-worker.js';
import {
  evalTransform,
  loadTrainCropUndistorted,
  type UndistortedCrop,
  writeTrainSample,
  resolveTrainPipelineOptions,
  type TrainPipelineOptions,
} from './pipeline.js';
import { createRng, mixSeed } from './rng.js';
import { WorkerPool } from './worker-pool.js';

/**
 * Where a loader stands. All randomness derives from these numbers (epoch order from
 * (seed, epoch), each sample's transform RNG from (seed, epoch, position)), so a loader created
 * with this state continues with exactly the batches the old one would have produced, whatever
 * the number of workers.
 */
export interface LoaderState {
  seed: number;
  epoch: number;
  /** Next position in the epoch's order. */
  position: number;
}

export interface LoaderBatch {
  /** [B, H, W, 3] float32, normalised. The caller owns (disposes) it. */
  images: tf.Tensor4D;
  /** [B, H, W] int32 class ids (255 = ignore). The caller owns (disposes) it. */
  labels: tf.Tensor3D;
  ids: string[];
  epoch: number;
}

export interface CreateLoaderOptions {
  dataset: Pick<Dataset, 'entries' | 'readOptions'>;
  batchSize: number;
  /** Training pipeline options (mmseg defaults: 512 crop, flip with L/R swap, photometric). */
  transforms?: TrainPipelineOptions;
  seed?: number;
  /** Worker threads decoding in parallel; 0 decodes on the main thread (still async). */
  workers?: number;
  /** Batches prepared ahead (bounds memory: prefetch * batchSize samples in flight). */
  prefetch?: number;
  shuffle?: boolean;
  /** Epochs to run (default: unbounded). */
  epochs?: number;
  /** Skip samples whose files are bad (listed in `skipped()`) instead of throwing. */
  skipInvalid?: boolean;
  /** Resume from `loader.state()`. */
  state?: LoaderState;
}

export const DEFAULT_CREATE_LOADER_OPTIONS = {
  seed: 0,
  workers: 0,
  prefetch: 2,
  shuffle: true,
  epochs: Number.POSITIVE_INFINITY,
  skipInvalid: false,
} as const;

export interface Loader extends AsyncIterable<LoaderBatch> {
  /** Next batch, or null after the last epoch. */
  next(): Promise<LoaderBatch | null>;
  /** State after the last batch returned (pass as `state` to resume). */
  state(): LoaderState;
  skipped(): readonly SkippedFile[];
  /** Stops the workers. */
  close(): Promise<void>;
}

/**
 * One batch's memory. Each job is assigned a batch and a position in it when it starts; a worker
 * writes the normalised, padded sample there directly. Only when a skipped file or an epoch end
 * shifts later samples is a sample copied to the position it ends up in.
 */
interface BatchBuffers {
  images: Float32Array;
  labels: Int32Array;
  /** Started jobs assigned here and not yet consumed. */
  pending: number;
  /** The batch being filled in `next()` lives here (samples may be copied in). */
  filling: boolean;
}

/**
 * Backends whose `write` copies a new tensor's values into memory of their own at once (wasm:
 * into its heap), so the typed array given to `tf.tensor` may be overwritten right after. The
 * cpu and webgpu backends keep the array itself, and cpu's `dataSync()` returns it, so batches
 * for them are copied out of the reused memory first.
 */
const COPYING_BACKENDS = new Set(['wasm']);

/** A typed array over fresh memory that is not zero-filled (Node's `Buffer.allocUnsafeSlow`). */
function uninitialised<T extends Float32Array | Int32Array>(
  Ctor: new (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
  length: number,
): T {
  const buf = Buffer.allocUnsafeSlow(length * 4);
  return new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset, length);
}

/** A worker has written the sample into its job's batch position. */
interface Written {
  written: true;
}

interface Job {
  epoch: number;
  position: number;
  index: number;
  /** The crop and its drawn distortion (main thread), or the note that a worker wrote it. */
  result: Promise<UndistortedCrop | Written>;
  target: BatchBuffers;
  slot: number;
}

function resolveCreateLoaderOptions(options: CreateLoaderOptions) {
  const d = DEFAULT_CREATE_LOADER_OPTIONS;
  const r = {
    batchSize: options.batchSize,
    seed: options.seed ?? d.seed,
    workers: options.workers ?? d.workers,
    prefetch: options.prefetch ?? d.prefetch,
    shuffle: options.shuffle ?? d.shuffle,
    epochs: options.epochs ?? d.epochs,
    skipInvalid: options.skipInvalid ?? d.skipInvalid,
  };
  const n = options.dataset.entries.length;
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1 || r.batchSize > n) {
    throw new Error(
      `createLoader: batchSize ${r.batchSize} must be an integer in 1..${n} (dataset size)`,
    );
  }
  if (!Number.isInteger(r.workers) || r.workers < 0 || r.workers > 64) {
    throw new Error(`createLoader: workers ${r.workers} must be an integer in 0..64`);
  }
  if (!Number.isInteger(r.prefetch) || r.prefetch < 1) {
    throw new Error(`createLoader: prefetch ${r.prefetch} must be a positive integer`);
  }
  if (!Number.isInteger(r.seed)) throw new Error(`createLoader: seed ${r.seed} must be an integer`);
  if (!(r.epochs > 0)) throw new Error(`createLoader: epochs ${r.epochs} must be > 0`);
  const st = options.state;
  if (
    st &&
    (st.seed !== r.seed ||
      !Number.isInteger(st.epoch) ||
      st.epoch < 0 ||
      !Number.isInteger(st.position) ||
      st.position < 0)
  ) {
    throw new Error(
      `createLoader: state ${JSON.stringify(st)} must have seed ${r.seed} and non-negative integer epoch/position`,
    );
  }
  return r;
}

/** The dataset order of one epoch (a seeded permutation, or identity without shuffle). */
export function epochOrder(options: {
  size: number;
  seed: number;
  epoch: number;
  shuffle?: boolean;
}): number[] {
  const order = Array.from({ length: options.size }, (_, i) => i);
  if (options.shuffle === false) return order;
  return createRng({ seed: mixSeed(options.seed, options.epoch, 0x0e90c4) }).shuffle(order);
}

/**
 * A training loader: shuffled epochs of fixed-size batches (NHWC float32 images, int32
 * labels), decoded and transformed ahead of use (in worker threads when `workers` > 0), with
 * bounded memory and an exact, resumable position.
 */
export function createLoader(options: CreateLoaderOptions): Loader {
  const o = resolveCreateLoaderOptions(options);
  const transforms = options.transforms ?? {};
  const pipe = resolveTrainPipelineOptions(transforms); // validates early
  const { entries, readOptions } = options.dataset;
  const size = entries.length;
  const [H, W] = pipe.cropSize;
  const B = o.batchSize;
  const pool =
    o.workers > 0
      ? new WorkerPool<LoaderJob, true>({
          script: 'loader-worker.js',
          caller: 'createLoader',
          count: o.workers,
          workerData: {
            entries: [...entries],
            read: readOptions,
            transforms,
          } satisfies LoaderWorkerData,
        })
      : null;
  // Batch memory, allocated once and reused: fresh memory costs a page fault per 4 KiB on first
  // write (measured: 24 ms per 512² sample for fresh shared memory). Shared with the workers when
  // there are any. Jobs in flight are bounded, so only a few (about prefetch + 2) ever exist.
  // Jobs are assigned to batches in order, B per batch from each epoch's start: only the batch
  // being assigned (`assigning`) still gets jobs, so a batch is free once no job of it is
  // pending and next() is not filling it.
  const kept: BatchBuffers[] = [];
  const acquire = (): BatchBuffers => {
    const free = kept.find((k) => k.pending === 0 && !k.filling);
    if (free) return free;
    const mem = (n: number) => (pool ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
    const b = {
      images: new Float32Array(mem(B * H * W * 3)),
      labels: new Int32Array(mem(B * H * W)),
      pending: 0,
      filling: false,
    };
    kept.push(b);
    return b;
  };
  let assigning: BatchBuffers | null = null;
  let epochJobs = 0; // jobs started in the current epoch (by this loader)
  const skipped: SkippedFile[] = [];
  let failedInARow = 0;
  // cursor of the next job to start, and of the next result to consume
  let jobEpoch = options.state?.epoch ?? 0;
  let jobPos = options.state?.position ?? 0;
  let order = epochOrder({ size, seed: o.seed, epoch: jobEpoch, shuffle: o.shuffle });
  let state: LoaderState = { seed: o.seed, epoch: jobEpoch, position: jobPos };
  const queue: Job[] = [];
  let closed = false;

  const start = (): boolean => {
    // without skipping, batches tile the epoch from position 0: its tail never fills a batch
    const tail = o.skipInvalid ? 0 : size % o.batchSize;
    if (jobPos >= size - tail) {
      jobEpoch++;
      jobPos = 0;
      epochJobs = 0; // the epoch's last, partial batch gets no more jobs
      order = epochOrder({ size, seed: o.seed, epoch: jobEpoch, shuffle: o.shuffle });
    }
    if (jobEpoch >= o.epochs) return false;
    const index = order[jobPos]!;
    const seed = mixSeed(o.seed, jobEpoch, jobPos);
    const slot = epochJobs % B;
    if (slot === 0 || assigning === null) assigning = acquire();
    const target = assigning;
    target.pending++;
    const result = pool
      ? pool
          .run({
            index,
            seed,
            images: target.images.buffer as SharedArrayBuffer,
            labels: target.labels.buffer as SharedArrayBuffer,
            slot,
          })
          .then((): Written => ({ written: true }))
      : loadTrainCropUndistorted({
          ...transforms,
          entry: entries[index]!,
          rng: createRng({ seed }),
          read: readOptions,
        });
    result.catch(() => {}); // handled when consumed
    queue.push({ epoch: jobEpoch, position: jobPos, index, result, target, slot });
    jobPos++;
    epochJobs++;
    return true;
  };
  const fill = () => {
    while (queue.length < o.prefetch * B && start()) {}
  };

  /** Puts a finished sample at position `b` of `batch`: a copy only when it was written elsewhere. */
  const put = (job: Job, crop: UndistortedCrop | Written, batch: BatchBuffers, b: number): void => {
    if ('written' in crop) {
      if (job.target === batch && job.slot === b) return;
      const [src, n3, n] = [job.target, H * W * 3, H * W];
      batch.images.set(src.images.subarray(job.slot * n3, (job.slot + 1) * n3), b * n3);
      batch.labels.set(src.labels.subarray(job.slot * n, (job.slot + 1) * n), b * n);
      return;
    }
    writeTrainSample({ crop, pipe, images: batch.images, labels: batch.labels, at: b });
  };

  const next = async (): Promise<LoaderBatch | null> => {
    if (closed) throw new Error('createLoader: next() after close()');
    const ids: string[] = [];
    // the batch being filled: the memory of its first sample's job
    let batch: BatchBuffers | null = null;
    let epoch = -1;
    while (ids.length < B) {
      fill();
      const job = queue.shift();
      if (!job) return null;
      // batches never span epochs: a partial batch at an epoch's end is dropped
      if (epoch !== -1 && job.epoch !== epoch) {
        ids.length = 0;
        if (batch) batch.filling = false;
      }
      epoch = job.epoch;
      try {
        const crop = await job.result;
        if (ids.length === 0) {
          batch = job.target;
          batch.filling = true;
        }
        put(job, crop, batch!, ids.length);
        ids.push(entries[job.index]!.id);
        failedInARow = 0;
      } catch (err) {
        if (!(o.skipInvalid && err instanceof DatasetError)) throw err;
        skipped.push({ file: err.file, problem: err.problem });
        if (++failedInARow >= size) {
          throw new DatasetError({
            file: err.file,
            problem: `every sample of the dataset failed to load (${size} in a row); last: ${err.problem}`,
          });
        }
      } finally {
        job.target.pending--; // consumed: it no longer needs its batch memory
      }
      state = { seed: o.seed, epoch: job.epoch, position: job.position + 1 };
    }
    fill();
    // every job assigned to this batch's memory was consumed (they follow its first sample),
    // so no worker writes into it any more
    if (batch!.pending !== 0) throw new Error('createLoader: internal error, batch still in use');
    if (state.position >= size) state = { seed: o.seed, epoch: state.epoch + 1, position: 0 };
    // the memory is reused for later batches: tensors get it directly only where the backend
    // copies it at once; otherwise they get a copy (not zero-filled first)
    let imageData = batch!.images;
    let labelData = batch!.labels;
    if (!COPYING_BACKENDS.has(tf.getBackend())) {
      imageData = uninitialised(Float32Array, imageData.length);
      imageData.set(batch!.images);
      labelData = uninitialised(Int32Array, labelData.length);
      labelData.set(batch!.labels);
    }
    const images = tf.tensor4d(imageData, [B, H, W, 3], 'float32');
    const labels = tf.tensor3d(labelData, [B, H, W], 'int32');
    batch!.filling = false;
    return { images, labels, ids, epoch };
  };

  return {
    next,
    state: () => ({ ...state }),
    skipped: () => skipped,
    async close() {
      closed = true;
      queue.length = 0;
      kept.length = 0;
      await pool?.close();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const b = await next();
        if (b === null) return;
        yield b;
      }
    },
  };
}

export interface EvalItem {
  id: string;
  /** [1, H, W, 3] float32, normalised. Caller disposes. */
  image: tf.Tensor4D;
  /** [1, H, W] int32, or null without a mask. Caller disposes. */
  labels: tf.Tensor3D | null;
}

/**
 * Evaluation order (dataset order, no augmentation): one sample at a time, normalised, with
 * an optional fixed resize (bilinear image, nearest labels); `prefetch` samples read ahead.
 */
export async function* evalIterator(options: {
  dataset: Pick<Dataset, 'entries' | 'readOptions'>;
  size?: { width: number; height: number } | null;
  prefetch?: number;
}): AsyncGenerator<EvalItem> {
  const { entries, readOptions } = options.dataset;
  const prefetch = options.prefetch ?? 4;
  if (!Number.isInteger(prefetch) || prefetch < 1) {
    throw new Error(`evalIterator: prefetch ${prefetch} must be a positive integer`);
  }
  const pending: Promise<Awaited<ReturnType<typeof readSample>>>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < prefetch && next < entries.length) {
      const p = readSample({ entry: entries[next++]!, ...readOptions });
      p.catch(() => {});
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const s = await pending.shift()!;
    fill();
    const labels = s.labels ?? new Uint8Array(s.width * s.height);
    const t = evalTransform({
      sample: { image: s.image, labels, width: s.width, height: s.height },
      size: options.size,
    });
    yield {
      id: s.id,
      image: tf.tensor4d(t.image, [1, t.height, t.width, 3], 'float32'),
      labels:
        s.labels === null
          ? null
          : tf.tensor3d(Int32Array.from(t.labels), [1, t.height, t.width], 'int32'),
    };
  }
}
