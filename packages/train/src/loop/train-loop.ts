import type { Sgd } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EvalSummary, RecordSink } from '../records.js';
import type { LoopState, RunOutcome, StepResult, TrainHook } from './hooks.js';
import type { BatchSource } from './loader-batches.js';
import { type ComputeLoss, createTrainStep } from './train-step.js';

export interface TrainLoopOptions {
  model: tfl.LayersModel;
  computeLoss: ComputeLoss;
  optimizer: Sgd;
  /** Learning rate for the iteration that starts after `iter` completed ones. */
  lrAt: (iter: number) => number;
  batches: BatchSource;
  maxIters: number;
  /** Called in order after every iteration: log window, evaluation, checkpoints, progress. */
  hooks?: readonly TrainHook[];
  /** Where a resumed run stands (`resumeRun`'s result); default a fresh start. */
  start?: { iter: number; bestMIoU?: number; dir?: string };
  /** Receives the loop's own events (resumed, non-finite loss). */
  onRecord?: RecordSink;
  /** Abort (e.g. on SIGINT): the loop stops before the next iteration; hooks see `interrupted`. */
  signal?: AbortSignal;
  /** Called before each iteration with the number of completed ones (e.g. to seed dropout). */
  beforeIteration?: (info: { iter: number }) => void;
  /** Called after each completed iteration and its hooks (tests use it to interrupt). */
  onIteration?: (info: { iter: number; loss: number }) => void;
  /** `leanVariableGrads` (default true) or `tf.variableGrads`: the same numbers, less memory. */
  leanGradients?: boolean;
}

export const DEFAULT_TRAIN_LOOP_OPTIONS = { leanGradients: true } as const;

export type StopReason = 'done' | 'interrupted';

export interface TrainResult {
  iter: number;
  stoppedBy: StopReason;
  lastCheckpoint?: string;
  bestMIoU?: number;
  lastEval?: EvalSummary;
}

/** Thrown when the loss is NaN/Inf; the weights were not updated with that step. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

function checkInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be an integer >= 0, got ${value}`);
  }
}

/**
 * The training loop (mmengine `IterBasedTrainLoop`): per iteration one batch and one
 * `createTrainStep` step (one asynchronous read), then the hooks in order; a NaN/Inf loss stops the run before the update. The
 * hooks' `afterRun` runs whatever the outcome (done, interrupted by `signal`, failed), so a
 * checkpoint hook saves an interrupted run and a progress display is closed.
 */
export async function runTrainLoop(options: TrainLoopOptions): Promise<TrainResult> {
  const { model, computeLoss, optimizer, lrAt, batches, maxIters, start } = options;
  const hooks = options.hooks ?? [];
  const leanGradients = options.leanGradients ?? DEFAULT_TRAIN_LOOP_OPTIONS.leanGradients;
  if (typeof leanGradients !== 'boolean') {
    throw new Error(`leanGradients must be true or false, got ${String(leanGradients)}`);
  }
  checkInt('maxIters', maxIters);
  if (maxIters < 1) throw new Error(`maxIters must be an integer >= 1, got ${maxIters}`);
  const state: LoopState = {
    iter: start?.iter ?? 0,
    maxIters,
    bestMIoU: start?.bestMIoU,
    lastCheckpoint: start?.dir,
    savedAt: start ? start.iter : undefined,
  };
  checkInt('start.iter', state.iter);
  const emit = (message: string) =>
    options.onRecord?.({ kind: 'event', iter: state.iter, message, time: Date.now() });
  const trainer = createTrainStep({ model, computeLoss, optimizer, leanGradients });
  let outcome: RunOutcome = 'failed';
  try {
    for (const hook of hooks) await hook.beforeRun?.(state);
    if (start?.dir) emit(`resumed from ${start.dir}`);
    while (state.iter < maxIters && !options.signal?.aborted) {
      const lr = lrAt(state.iter);
      options.beforeIteration?.({ iter: state.iter });
      const batch = await batches.next();
      let step: StepResult;
      try {
        step = await trainer.step({ batch, lr });
      } finally {
        tf.dispose([batch.images, batch.labels]);
      }
      if (!Number.isFinite(step.loss)) {
        const message =
          `loss is ${step.loss} at iteration ${state.iter + 1} (decode ${step.decode}, aux ${step.aux}, lr ${lr}); ` +
          'the weights were not updated and the checkpoints on disk are the last good ones' +
          (state.lastCheckpoint ? ` (latest: ${state.lastCheckpoint})` : ' (none saved yet)') +
          '. Lower the learning rate or check the data, then restart or --resume.';
        emit(message);
        throw new NonFiniteLossError(message);
      }
      state.iter++;
      state.score = undefined;
      for (const hook of hooks) await hook.afterIter?.(state, step);
      options.onIteration?.({ iter: state.iter, loss: step.loss });
    }
    outcome = state.iter < maxIters ? 'interrupted' : 'done';
    const reason: unknown = options.signal?.reason;
    if (outcome === 'interrupted' && typeof reason === 'string') state.stopReason = reason;
  } finally {
    for (const hook of hooks) await hook.afterRun?.(state, outcome);
  }
  return {
    iter: state.iter,
    stoppedBy: outcome === 'interrupted' ? 'interrupted' : 'done',
    lastCheckpoint: state.lastCheckpoint,
    bestMIoU: state.bestMIoU,
    lastEval: state.lastEval,
  };
}
