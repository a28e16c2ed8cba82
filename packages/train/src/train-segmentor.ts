import { join } from 'node:path';
import { createSgd, Dropout2d, type TensorEntry, writeFileAtomic } from '@facepar/core';
import { createSegmentor, exportSegmentorCheckpointAsync, type Segmentor } from '@facepar/heads';
import { createCheckpointHook } from './checkpoint/checkpoint-hook.js';
import { initSegmentorWeights } from './checkpoint/init-weights.js';
import { importModelWeights, resumeRun } from './checkpoint/model-state.js';
import {
  polyLrOf,
  type ResolvedTrainConfig,
  resolveTrainConfig,
  type TrainConfig,
} from './config.js';
import { openTrainData, type SplitDataset, type TrainData } from './data/train-data.js';
import { type EvaluateOptions, type EvaluationReport, evaluate } from './evaluate/evaluate.js';
import { createEvaluationHook } from './loop/evaluation-hook.js';
import type { TrainHook } from './loop/hooks.js';
import { LoaderBatches } from './loop/loader-batches.js';
import { createLogWindowHook, type LogWindowState } from './loop/log-window.js';
import { runTrainLoop, type TrainResult } from './loop/train-loop.js';
import { createSegmentorLoss } from './loss/segmentor-loss.js';
import type { RecordSink } from './records.js';

export interface TrainSegmentorOptions {
  config: TrainConfig;
  /** The run folder: `config.json`, `checkpoints/`. */
  workDir: string;
  /** Training and evaluation data; default: opened from `config.data.source`. */
  data?: TrainData;
  /** Loader worker threads decoding and augmenting in parallel (0 = main thread). */
  workers?: number;
  /** Continue the run in `workDir` from its latest checkpoint. */
  resume?: boolean;
  signal?: AbortSignal;
  /** Receives the log records (training windows, evaluations, events). */
  onRecord?: RecordSink;
  /** More hooks after the log window, evaluation and checkpoint hooks (e.g. a progress bar). */
  hooks?: readonly TrainHook[];
  /** Called after each completed iteration. */
  onIteration?: (info: { iter: number; loss: number }) => void;
  /**
   * Start from these weights (a PyTorch-named state dict) instead of the seeded
   * initialisation; files are named in the config instead (`loadFrom`, `model.pretrained`).
   */
  initWeights?: Map<string, TensorEntry>;
  /** Called with each prediction of the final evaluation (e.g. to save a few masks). */
  onFinalPrediction?: EvaluateOptions['onPrediction'];
}

export interface TrainSegmentorResult extends TrainResult {
  /** The trained segmentor (the run's spec); the caller disposes it with `dispose()`. */
  segmentor: Segmentor;
  /**
   * The evaluation at the last iteration (absent without evaluation samples or when
   * interrupted): the loop's own, or one run here when the loop did not evaluate there.
   */
  report?: EvaluationReport;
  dispose(): void;
}

/** The config's mmseg training pipeline over a dataset, through the data package's loader. */
export function createBatches(options: {
  resolved: ResolvedTrainConfig;
  train: SplitDataset;
  workers: number;
}): LoaderBatches {
  const { resolved, train, workers } = options;
  const { batchSize } = resolved.config.data;
  const seed = resolved.config.seed;
  return new LoaderBatches({
    dataset: train,
    batchSize,
    seed,
    workers,
    transforms: resolved.pipeline,
  });
}

/** Dropout masks become a function of the iteration, so a resumed run draws the same ones. */
function seedDropout(segmentor: Segmentor, iter: number): void {
  for (const layer of segmentor.model.layers) {
    if (layer instanceof Dropout2d) layer.step = iter;
  }
}

/**
 * Trains a config's segmentor: builds the run's spec, model, loss (from the spec's heads),
 * SGD and poly LR, and runs the loop with the log window, evaluation and checkpoint hooks.
 * The loader's workers are released whatever happens; the final evaluation runs once.
 */
export async function trainSegmentor(
  options: TrainSegmentorOptions,
): Promise<TrainSegmentorResult> {
  const { config, workDir } = options;
  const resolved = resolveTrainConfig(config);
  const source = config.data.source;
  if (!options.data && !source) {
    throw new Error(`config ${config.name}: pass data, or a data.source to open`);
  }
  const data = options.data ?? (await openTrainData(source!));
  const segmentor = createSegmentor({ model: resolved.spec, seed: config.seed });
  const optimizer = createSgd(resolved.optimizer);
  const dispose = () => {
    optimizer.dispose();
    segmentor.dispose();
  };
  const event = (message: string) =>
    options.onRecord?.({ kind: 'event', iter: 0, message, time: Date.now() });
  try {
    if (options.initWeights && !options.resume) {
      importModelWeights({
        model: segmentor.model,
        entries: options.initWeights,
        source: 'initWeights',
      });
    }
    if (!options.resume) {
      const { loadFrom, model } = config;
      const loaded = await initSegmentorWeights({
        segmentor,
        loadFrom,
        pretrained: model.pretrained,
      });
      for (const line of loaded) event(line);
    }
    await writeFileAtomic({
      path: join(workDir, 'config.json'),
      data: `${JSON.stringify(config, null, 2)}\n`,
    });
    const batches = createBatches({ resolved, train: data.train, workers: options.workers ?? 0 });
    try {
      const { model } = segmentor;
      const start = options.resume ? resumeRun({ workDir, model, optimizer, batches }) : undefined;
      const { pipeline } = resolved;
      const maxIters = config.schedule.maxIters;
      const runEval = ({ iter }: { iter: number }) =>
        evaluate({
          segmentor,
          samples: data.val,
          ignoreIndex: pipeline.ignoreIndex,
          onPrediction: iter === maxIters ? options.onFinalPrediction : undefined,
        });
      const evalHook =
        data.val.length > 0
          ? createEvaluationHook({
              every: config.evalEvery,
              evaluate: runEval,
              onRecord: options.onRecord,
            })
          : null;
      const logWindow = createLogWindowHook({
        every: config.logEvery,
        onRecord: options.onRecord ?? (() => {}),
      });
      logWindow.setState(start?.hooks?.logWindow as LogWindowState | undefined);
      const hooks: TrainHook[] = [
        logWindow,
        ...(evalHook ? [evalHook] : []),
        createCheckpointHook({
          workDir,
          every: config.checkpointEvery,
          model,
          optimizer,
          batches,
          config,
          weightsFile: () => exportSegmentorCheckpointAsync(segmentor),
          onRecord: options.onRecord,
          hookState: () => ({ logWindow: logWindow.getState() }),
        }),
        ...(options.hooks ?? []),
      ];
      const result = await runTrainLoop({
        model,
        computeLoss: createSegmentorLoss({ segmentor, loss: resolved.loss }),
        optimizer,
        lrAt: polyLrOf(config),
        batches,
        maxIters,
        hooks,
        start,
        onRecord: options.onRecord,
        signal: options.signal,
        beforeIteration: ({ iter }) => seedDropout(segmentor, iter),
        onIteration: options.onIteration,
      });
      const last = evalHook?.last();
      let report: EvaluationReport | undefined;
      if (result.stoppedBy === 'done' && evalHook) {
        report = last?.iter === result.iter ? last.result : await runEval({ iter: result.iter });
      }
      return { ...result, segmentor, report, dispose };
    } finally {
      await batches.close();
    }
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
  train: SplitDataset;
  steps?: number;
  workers?: number;
}): Promise<number> {
  const { config, train, steps = 4 } = options;
  const resolved = resolveTrainConfig(config);
  const batches = createBatches({ resolved, train, workers: options.workers ?? 0 });
  const times: number[] = [];
  const t0 = performance.now();
  const segmentor = createSegmentor({ model: resolved.spec, seed: config.seed });
  const optimizer = createSgd(resolved.optimizer);
  try {
    await runTrainLoop({
      model: segmentor.model,
      computeLoss: createSegmentorLoss({ segmentor, loss: resolved.loss }),
      optimizer,
      lrAt: () => config.optimizer.lr,
      batches,
      maxIters: steps,
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

/**
 * The iteration count that fits a time budget: `probeIterationSeconds` on the current backend,
 * `minutes` divided by it, clamped to `[minIters, config.schedule.maxIters]`.
 */
export async function fitIterationsToBudget(options: {
  config: TrainConfig;
  train: SplitDataset;
  minutes: number;
  minIters: number;
  workers?: number;
}): Promise<{ iters: number; secondsPerIteration: number }> {
  const { config, minutes, minIters } = options;
  const secondsPerIteration = await probeIterationSeconds(options);
  const fit = Math.floor((minutes * 60) / secondsPerIteration);
  return {
    iters: Math.max(minIters, Math.min(config.schedule.maxIters, fit)),
    secondsPerIteration,
  };
}
