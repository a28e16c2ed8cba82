import type { Sgd } from '@facepar/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainHook } from '../loop/hooks.js';
import { isDue, type LoopState } from '../loop/hooks.js';
import type { BatchSource } from '../loop/loader-batches.js';
import type { RecordSink } from '../records.js';
import { modelStateFiles, type TrainState } from './model-state.js';
import { saveCheckpoint } from './run-checkpoint.js';

export interface CheckpointHookOptions {
  workDir: string;
  /** Save every this many iterations (and at the end, after an evaluation, on interrupt). */
  every: number;
  model: tfl.LayersModel;
  optimizer: Sgd;
  batches: BatchSource;
  /** JSON-serialisable config stored in every checkpoint. */
  config: unknown;
  /** The weights file (default: a plain state dict); heads' `exportSegmentorCheckpointAsync` for segmentors. */
  weightsFile?: () => Promise<Uint8Array>;
  keepPrevious?: number;
  onRecord?: RecordSink;
  /** Other hooks' state to resume (`TrainState.hooks`), e.g. the log window's partial sums. */
  hookState?: () => Record<string, unknown>;
}

/**
 * The checkpoint hook (mmengine `CheckpointHook`, timm `CheckpointSaver`): atomic run
 * checkpoints every `every` iterations, at the end, after each evaluation (its mIoU decides
 * `best.json`) and when the run is interrupted.
 */
export function createCheckpointHook(options: CheckpointHookOptions): TrainHook {
  const { workDir, every, model, optimizer, batches, config } = options;
  const save = async (state: LoopState): Promise<void> => {
    const body: TrainState = {
      iter: state.iter,
      config,
      batches: batches.getState(),
      bestMIoU: state.bestMIoU,
      ...(options.hookState ? { hooks: options.hookState() } : {}),
    };
    const saved = await saveCheckpoint({
      workDir,
      iter: state.iter,
      state: body,
      files: await modelStateFiles({ model, optimizer, weightsFile: options.weightsFile }),
      score: state.score,
      keepPrevious: options.keepPrevious,
    });
    state.lastCheckpoint = saved.dir;
    state.savedAt = state.iter;
  };
  return {
    async afterIter(state) {
      if (isDue(state, every) || state.score !== undefined) await save(state);
    },
    async afterRun(state, outcome) {
      if (outcome !== 'interrupted') return;
      if (state.savedAt !== state.iter) await save(state);
      const by = state.stopReason ? ` by ${state.stopReason}` : '';
      const message = `interrupted${by} at iteration ${state.iter}; checkpoint saved to ${state.lastCheckpoint}`;
      options.onRecord?.({ kind: 'event', iter: state.iter, message, time: Date.now() });
    },
  };
}
