import {
  type DatasetLayout,
  type ResolvedTrainPipelineOptions,
  resolveTrainPipelineOptions,
  type TrainPipelineOptions,
} from '@facepar/celebamask-data';
import { type BackendChoice, type PolyLrOptions, polyLr, type SgdOptions } from '@facepar/core';
import { getSegmentorSpec, type SegmentorSpec } from '@facepar/heads';
import type { WeightedCrossEntropyOptions } from '@facepar/losses';

/**
 * Where a run's data comes from; kept in the run's `config.json`, so that the run folder alone
 * says what to reopen on resume.
 */
export interface DataSource {
  /** Dataset root (course layout, course2022 or official; see `openDataset`). */
  root: string;
  layout?: DatasetLayout | 'auto';
  /** Training split folder (default `train`). */
  split?: string;
  /**
   * Evaluation samples: a split folder, the last `holdout` training samples by id (left out of
   * training), or none.
   */
  val?: { split: string } | { holdout: number } | null;
  /** Synthetic faces written to `root` when it holds none yet (the data package's generator). */
  synthetic?: { train: number; val: number; size: number; seed: number };
}

/**
 * A training setup as typed data, composed from the packages' own option types: the model is a
 * registry entry (its spec is the one source of the crop, mean/std, head loss weights and test
 * mode), the pipeline is `@facepar/celebamask-data`'s, the loss `@facepar/losses`', the
 * optimiser and schedule `@facepar/core`'s. JSON-serialisable: a run folder stores it.
 */
export interface TrainConfig {
  name: string;
  description: string;
  /**
   * Segmentor registry name and what this run changes in its spec; `pretrained` initialises
   * only the backbone of a new run from a `.safetensors`/`.pth` file (mmseg `model.pretrained`).
   */
  model: { name: string; pretrained?: string | null } & Partial<
    Pick<SegmentorSpec, 'numClasses' | 'cropSize'>
  >;
  data: {
    batchSize: number;
    /**
     * The mmseg training pipeline; crop size and mean/std come from the model spec. Its
     * `resize.scale` is also the test scale (mmseg's test `Resize`), and its `ignoreIndex` the
     * label the loss and the metrics skip.
     */
    pipeline: Omit<TrainPipelineOptions, 'cropSize' | 'mean' | 'std'>;
    /** The data this run trains on (absent when the caller passes datasets itself). */
    source?: DataSource;
  };
  /**
   * Weighted cross-entropy on every head (each head weighted by its spec `lossWeight`);
   * `classWeights` as a plain list (JSON) or null.
   */
  loss: Omit<WeightedCrossEntropyOptions, 'classWeights' | 'ignoreIndex' | 'resizeLogitsTo'> & {
    classWeights: readonly number[] | null;
  };
  optimizer: SgdOptions;
  /** mmseg `PolyLR` from `optimizer.lr`: lr = (lr0 - minLr)·(1 - iter/maxIters)^power + minLr. */
  schedule: Omit<PolyLrOptions, 'baseLr'>;
  logEvery: number;
  checkpointEvery: number;
  /** 0 = evaluate only at the end. */
  evalEvery: number;
  seed: number;
  /** A new run starts from these weights, `.safetensors` or `.pth` (mmseg `load_from`). */
  loadFrom?: string | null;
  /** The tfjs backend (default `auto`); a resumed run initialises the same choice. */
  backend?: BackendChoice;
}

/** What a config means for each package: the option objects they take, nothing renamed. */
export interface ResolvedTrainConfig {
  config: TrainConfig;
  /** The run's segmentor spec: class count and crop applied, test scale = the pipeline's. */
  spec: SegmentorSpec;
  pipeline: ResolvedTrainPipelineOptions;
  loss: WeightedCrossEntropyOptions;
  optimizer: SgdOptions;
  lr: PolyLrOptions;
}

/** Resolves a config against the registry; errors name the config and the bad value. */
export function resolveTrainConfig(config: TrainConfig): ResolvedTrainConfig {
  const base = getSegmentorSpec(config.model.name);
  const spec: SegmentorSpec = {
    ...base,
    numClasses: config.model.numClasses ?? base.numClasses,
    cropSize: config.model.cropSize ?? base.cropSize,
  };
  const pipeline = resolveTrainPipelineOptions({
    ...config.data.pipeline,
    cropSize: spec.cropSize,
    mean: spec.mean,
    std: spec.std,
  });
  if (pipeline.resize) spec.test = { ...spec.test, scale: [...pipeline.resize.scale] };
  const weights = config.loss.classWeights;
  if (weights !== null && weights.length !== spec.numClasses) {
    throw new Error(
      `config ${config.name}: loss.classWeights has ${weights.length} entries but the model has ${spec.numClasses} classes`,
    );
  }
  return {
    config,
    spec,
    pipeline,
    loss: { ...config.loss, ignoreIndex: pipeline.ignoreIndex, resizeLogitsTo: 'labels' },
    optimizer: config.optimizer,
    lr: { ...config.schedule, baseLr: config.optimizer.lr },
  };
}

/** The config's mmseg `PolyLR` schedule (by iteration), built with core's `polyLr`. */
export function polyLrOf(config: TrainConfig): (iter: number) => number {
  return polyLr({ ...config.schedule, baseLr: config.optimizer.lr });
}

/** Command-line overrides of a config (`--iters`, `--batch`, `--crop`, periods). */
export interface TrainConfigOverrides {
  iters?: number;
  batch?: number;
  /** A square crop; the resize scale follows it. */
  crop?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  logEvery?: number;
}

function checkInt(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Applies overrides without mutating `config`. `iters` also shortens the schedule (the poly LR
 * reaches its minimum at the new end) and clamps the periods; `crop` sets the model's square
 * crop and scales the resize scale with it.
 */
export function applyConfigOverrides(options: {
  config: TrainConfig;
  overrides: TrainConfigOverrides;
}): TrainConfig {
  const { overrides: o } = options;
  checkInt('iters', o.iters, 1);
  checkInt('batch', o.batch, 1);
  checkInt('crop', o.crop, 8);
  checkInt('evalEvery', o.evalEvery, 0);
  checkInt('checkpointEvery', o.checkpointEvery, 1);
  checkInt('logEvery', o.logEvery, 1);
  const c = structuredClone(options.config) as TrainConfig;
  if (o.iters !== undefined) {
    c.schedule.maxIters = o.iters;
    c.checkpointEvery = Math.min(c.checkpointEvery, o.iters);
    c.evalEvery = c.evalEvery === 0 ? 0 : Math.min(c.evalEvery, o.iters);
    c.logEvery = Math.min(c.logEvery, o.iters);
  }
  if (o.batch !== undefined) c.data.batchSize = o.batch;
  if (o.crop !== undefined) {
    const crop = c.model.cropSize ?? getSegmentorSpec(c.model.name).cropSize;
    const k = o.crop / crop[0];
    c.model.cropSize = [o.crop, o.crop];
    const resize = c.data.pipeline.resize;
    if (resize) {
      const [long, short] = resize.scale;
      const scale = (v: number) => Math.max(8, Math.round(v * k));
      c.data.pipeline.resize = { ...resize, scale: [scale(long), scale(short)] };
    }
  }
  if (o.evalEvery !== undefined) c.evalEvery = o.evalEvery;
  if (o.checkpointEvery !== undefined) c.checkpointEvery = o.checkpointEvery;
  if (o.logEvery !== undefined) c.logEvery = o.logEvery;
  return c;
}
