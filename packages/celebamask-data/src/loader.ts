import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetError, type SkippedFile } from './dataset-error.js';
import { type Dataset, readSample } from './dataset.js';
import type { LoaderJob, LoaderJobResult, LoaderWorkerData, SampleRing } from './loader-worker.js';
import { compiledWorkerUrl, workerExecArgv } from './worker-url.js';
import {
  evalTransform,
  loadTrainCrop,
  resolveTrainPipelineOptions,
  type TrainPipelineOptions,
} from './pipeline.js';
import { createRng, mixSeed } from './rng.js';
import { normalizePadInto, type SegSample } from './transforms.js';

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

/** Where a worker left a finished sample. */
interface RingSlot {
  slot: number;
}

interface Job {
  epoch: number;
  position: number;
  index: number;
  /** Augmented bytes (main thread), or the ring slot a worker wrote the padded sample to. */
  result: Promise<SegSample | RingSlot>;
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

/** Jobs a worker runs at once: enough to overlap file reads with decoding, no more. */
const JOBS_PER_WORKER = 2;

class WorkerPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (s: RingSlot) => void; reject: (e: Error) => void; slot: number }
  >();
  private readonly queue: LoaderJob[] = [];
  private nextId = 0;
  private failure: Error | null = null;

  constructor(count: number, data: LoaderWorkerData) {
    const url = compiledWorkerUrl({ name: 'loader-worker.js', caller: 'createLoader' });
    for (let i = 0; i < count; i++) {
      const worker = new Worker(url, { workerData: data, execArgv: workerExecArgv() });
      const slot = { worker, busy: 0 };
      worker.on('message', (msg: LoaderJobResult) => {
        slot.busy--;
        this.dispatch();
        const w = this.waiting.get(msg.id);
        if (!w) return;
        this.waiting.delete(msg.id);
        if (msg.ok) w.resolve({ slot: w.slot });
        else if (msg.file !== undefined && msg.problem !== undefined)
          w.reject(new DatasetError({ file: msg.file, problem: msg.problem }));
        else w.reject(new Error(`createLoader worker: ${msg.message}`));
      });
      worker.on('error', (err) => {
        // a crashed worker loses its jobs: fail everything pending and refuse new work
        this.failure = new Error(`createLoader worker crashed: ${err.message}`);
        for (const w of this.waiting.values()) w.reject(this.failure);
        this.waiting.clear();
        this.queue.length = 0;
      });
      this.workers.push(slot);
    }
  }

  /** Sends queued jobs (in order) to the least busy workers with a free slot. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (slot.busy >= JOBS_PER_WORKER) return;
      slot.busy++;
      slot.worker.postMessage(this.queue.shift()!);
    }
  }

  /** Decodes sample `index` into ring `slot` (free until the result has been copied out). */
  run(index: number, seed: number, slot: number): Promise<RingSlot> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      this.queue.push({ id, index, seed, slot });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
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
  // every started job holds a ring slot until its sample is copied into a batch; at most
  // prefetch * batchSize jobs are queued, so slot (job number % that) is always free
  const ringSlots = o.prefetch * o.batchSize;
  const ring: SampleRing | null =
    o.workers > 0
      ? {
          slots: ringSlots,
          images: new SharedArrayBuffer(ringSlots * H * W * 3 * 4),
          labels: new SharedArrayBuffer(ringSlots * H * W * 4),
        }
      : null;
  const ringImages = ring ? new Float32Array(ring.images) : null;
  const ringLabels = ring ? new Int32Array(ring.labels) : null;
  const pool = ring
    ? new WorkerPool(o.workers, { entries: [...entries], read: readOptions, transforms, ring })
    : null;
  let jobsStarted = 0;
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
      order = epochOrder({ size, seed: o.seed, epoch: jobEpoch, shuffle: o.shuffle });
    }
    if (jobEpoch >= o.epochs) return false;
    const index = order[jobPos]!;
    const seed = mixSeed(o.seed, jobEpoch, jobPos);
    const result = pool
      ? pool.run(index, seed, jobsStarted % ringSlots)
      : loadTrainCrop({
          ...transforms,
          entry: entries[index]!,
          rng: createRng({ seed }),
          read: readOptions,
        });
    result.catch(() => {}); // handled when consumed
    queue.push({ epoch: jobEpoch, position: jobPos, index, result });
    jobPos++;
    jobsStarted++;
    return true;
  };
  const fill = () => {
    while (queue.length < ringSlots && start()) {}
  };

  /** Writes a finished sample into batch position `b` (normalising main-thread bytes). */
  const put = (
    sample: SegSample | RingSlot,
    b: number,
    images: Float32Array,
    labels: Int32Array,
  ): void => {
    if ('slot' in sample) {
      const k = sample.slot;
      images.set(ringImages!.subarray(k * H * W * 3, (k + 1) * H * W * 3), b * H * W * 3);
      labels.set(ringLabels!.subarray(k * H * W, (k + 1) * H * W), b * H * W);
      return;
    }
    normalizePadInto({
      image: sample.image,
      labels: sample.labels,
      width: sample.width,
      height: sample.height,
      outImage: images,
      outLabels: labels,
      outWidth: W,
      outHeight: H,
      imageOffset: b * H * W * 3,
      labelOffset: b * H * W,
      mean: pipe.mean,
      std: pipe.std,
      padValue: 0,
      segPadValue: pipe.ignoreIndex,
    });
  };

  const next = async (): Promise<LoaderBatch | null> => {
    if (closed) throw new Error('createLoader: next() after close()');
    const B = o.batchSize;
    const images = new Float32Array(B * H * W * 3);
    const labels = new Int32Array(B * H * W);
    const ids: string[] = [];
    let epoch = -1;
    while (ids.length < B) {
      fill();
      const job = queue.shift();
      if (!job) return null;
      // batches never span epochs: a partial batch at an epoch's end is dropped
      if (epoch !== -1 && job.epoch !== epoch) ids.length = 0;
      epoch = job.epoch;
      try {
        // copied out at once: the job's ring slot is reused by the next fill()
        put(await job.result, ids.length, images, labels);
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
      }
      state = { seed: o.seed, epoch: job.epoch, position: job.position + 1 };
    }
    fill();
    if (state.position >= size) state = { seed: o.seed, epoch: state.epoch + 1, position: 0 };
    return {
      images: tf.tensor4d(images, [B, H, W, 3], 'float32'),
      labels: tf.tensor3d(labels, [B, H, W], 'int32'),
      ids,
      epoch,
    };
  };

  return {
    next,
    state: () => ({ ...state }),
    skipped: () => skipped,
    async close() {
      closed = true;
      queue.length = 0;
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
