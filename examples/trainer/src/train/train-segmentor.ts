import { Dropout2d, type TensorEntry, createSgd } from '@facepar/core';
import { createSegmentor, getSegmentorSpec } from '@facepar/heads';
import {
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_FLIP_PAIRS,
  computePresetMetrics,
} from '@facepar/metrics';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainConfig } from '../configs/types.js';
import { polyLrAt } from '../configs/index.js';
import type { SplitDataset } from '../data/load-samples.js';
import { LoaderBatches } from '../data/loader-batches.js';
import type { Sample } from '../data/samples.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { evaluateWithConfig } from './evaluate.js';
import { importModelWeights } from './model-weights.js';
import { createSegmentorLoss } from './segmentor-loss.js';
import { type EvalSummary, type TrainResult, runTrainLoop } from './train-loop.js';

/** The training split as the data package's `openDataset` returns it. */
export type TrainDataset = SplitDataset;

export interface TrainSegmentorOptions {
  config: TrainConfig;
  train: TrainDataset;
  /** Loader worker threads decoding and augmenting in parallel (0 = main thread). */
  workers?: number;
  /** Held-out samples for the periodic mIoU; empty = no evaluation. */
  val: readonly Sample[];
  workDir: string;
  resume?: boolean;
  signal?: AbortSignal;
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Called after each completed iteration. */
  onIteration?: (info: { iter: number; loss: number }) => void;
  /**
   * Start from these weights (a PyTorch-named state dict, e.g. a pretrained checkpoint's
   * `weights.safetensors`; mmseg `load_from`) instead of the seeded initialisation.
   */
  initWeights?: Map<string, TensorEntry>;
}

/** The config's mmseg training pipeline over a dataset, through the data package's loader. */
export function createBatches(options: {
  config: TrainConfig;
  train: TrainDataset;
  workers: number;
}): LoaderBatches {
  const { config, train, workers } = options;
  const spec = getSegmentorSpec(config.model);
  const d = config.data;
  return new LoaderBatches({
    dataset: train,
    batchSize: d.batchSize,
    seed: config.seed,
    workers,
    transforms: {
      resize: { scale: [d.resizeLong, d.resizeShort], ratioRange: d.ratioRange },
      cropSize: d.cropSize,
      catMaxRatio: d.catMaxRatio,
      flipProb: d.flipProb,
      flipPairs: CELEBAMASK_FLIP_PAIRS,
      photoMetric: d.photoMetric ? {} : null,
      mean: spec.mean,
      std: spec.std,
      ignoreIndex: d.ignoreIndex,
    },
  });
}

/** Dropout masks become a function of the iteration, so a resumed run draws the same ones. */
function seedDropout(model: tfl.LayersModel, iter: number): void {
  for (const layer of model.layers) {
    if (layer instanceof Dropout2d) layer.step = iter;
  }
}

/** Evaluation summary in the log's shape from a confusion matrix over `samples`. */
export function evaluateModel(options: {
  model: tfl.LayersModel;
  config: TrainConfig;
  samples: readonly Sample[];
  flipTta?: boolean;
}): EvalSummary & { table: ReturnType<typeof computePresetMetrics> } {
  const cm = evaluateWithConfig(options);

  const metrics = computePresetMetrics(cm, { preset: 'celebamask' });
  const iou: Record<string, number> = {};
  metrics.all.perClass.iou.forEach((v, c) => {
    iou[CELEBAMASK_CLASS_NAMES[c] ?? `class ${c}`] = v;
  });
  return {
    mIoU: metrics.all.mIoU,
    aAcc: metrics.all.aAcc,
    mAcc: metrics.all.mAcc,
    iou,
    table: metrics,
  };
}

/** Builds the config's segmentor, loss, SGD and poly LR, and runs the loop on the samples. */
export async function trainSegmentor(
  options: TrainSegmentorOptions,
): Promise<TrainResult & { model: tfl.LayersModel; dispose(): void }> {
  const { config, train, val, workDir } = options;
  const segmentor = createSegmentor({
    model: config.model,
    numClasses: config.numClasses,
    seed: config.seed,
  });
  if (options.initWeights && !options.resume) {
    importModelWeights({
      model: segmentor.model,
      entries: options.initWeights,
      source: 'initWeights',
    });
  }
  const optimizer = createSgd({
    lr: config.optimizer.lr,
    momentum: config.optimizer.momentum,
    weightDecay: config.optimizer.weightDecay,
  });
  const dispose = () => {
    optimizer.dispose();
    segmentor.dispose();
  };
  try {
    writeFileAtomic({
      path: `${workDir}/config.json`,
      data: `${JSON.stringify(config, null, 2)}\n`,
    });
    const batches = createBatches({ config, train, workers: options.workers ?? 0 });
    const result = await runTrainLoop({
      model: segmentor.model,
      computeLoss: createSegmentorLoss({ config, numAuxHeads: segmentor.auxiliaryHeads.length }),
      optimizer,
      lrAt: polyLrAt({ config }),
      batches,
      maxIters: config.schedule.maxIters,
      workDir,
      config,
      logEvery: config.logEvery,
      checkpointEvery: config.checkpointEvery,
      evalEvery: config.evalEvery,
      evaluate:
        val.length > 0
          ? async () => {
              const { table: _table, ...summary } = evaluateModel({
                model: segmentor.model,
                config,
                samples: val,
              });
              return summary;
            }
          : undefined,
      resume: options.resume,
      signal: options.signal,
      stream: options.stream,
      beforeIteration: ({ iter }) => seedDropout(segmentor.model, iter),
      onIteration: options.onIteration,
    });
    await batches.close();
    return { ...result, model: segmentor.model, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * Seconds per training iteration of a config on the current backend, measured on a throwaway
 * model (the first iteration, which compiles kernels, is not counted).
 */
export async function probeIterationSeconds(options: {
  config: TrainConfig;
  train: TrainDataset;
  workDir: string;
  steps?: number;
  workers?: number;
}): Promise<number> {
  const { config, train, workDir, steps = 4 } = options;
  const batches = createBatches({ config, train, workers: options.workers ?? 0 });
  const probe = { ...structuredClone(config), evalEvery: 0 } as TrainConfig;
  probe.schedule.maxIters = steps;
  probe.checkpointEvery = 1_000_000;
  const times: number[] = [];
  const t0 = performance.now();
  const segmentor = createSegmentor({
    model: probe.model,
    numClasses: probe.numClasses,
    seed: probe.seed,
  });
  const optimizer = createSgd({
    lr: probe.optimizer.lr,
    momentum: probe.optimizer.momentum,
    weightDecay: probe.optimizer.weightDecay,
  });
  try {
    await runTrainLoop({
      model: segmentor.model,
      computeLoss: createSegmentorLoss({
        config: probe,
        numAuxHeads: segmentor.auxiliaryHeads.length,
      }),
      optimizer,
      lrAt: () => probe.optimizer.lr,
      batches,
      maxIters: steps,
      workDir,
      config: probe,
      logEvery: steps,
      checkpointEvery: steps,
      stream: { write: () => true },
      onIteration: () => times.push(performance.now()),
    });
  } finally {
    await batches.close();
    optimizer.dispose();
    segmentor.dispose();
  }
  const measured =
    times.length >= 2 ? (times.at(-1)! - times[0]!) / (times.length - 1) : performance.now() - t0;
  return measured / 1000;
}
