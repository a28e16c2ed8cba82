import { gpuMemory } from '@facepar/core';
import type { RecordSink } from '../records.js';
import type { StepResult, TrainHook } from './hooks.js';
import { isDue } from './hooks.js';

/** The sums of a logging window in progress (saved in checkpoints, so a resume continues it). */
export interface LogWindowState {
  loss: number;
  decode: number;
  aux: number;
  acc: number;
  n: number;
}

const EMPTY: LogWindowState = { loss: 0, decode: 0, aux: 0, acc: 0, n: 0 };

/**
 * The logging window (mmengine `LoggerHook`): means of the loss parts and the pixel accuracy
 * over the last `every` iterations, as a `train` record at the window's last LR, with the GPU
 * memory at its end on a GPU backend (mmengine logs `memory` likewise). `getState` /
 * `setState` carry a window across a resume, so its first record averages the whole window.
 */
export function createLogWindowHook(options: { every: number; onRecord: RecordSink }): TrainHook & {
  getState(): LogWindowState;
  setState(state: LogWindowState | undefined): void;
} {
  const { every, onRecord } = options;
  let sum = { ...EMPTY };
  return {
    getState: () => ({ ...sum }),
    setState(state) {
      const ok =
        state !== undefined &&
        (['loss', 'decode', 'acc', 'n'] as const).every((k) => typeof state[k] === 'number');
      // a model without an auxiliary head sums NaN, which JSON stores as null
      sum = ok ? { ...state, aux: typeof state.aux === 'number' ? state.aux : NaN } : { ...EMPTY };
    },
    afterIter(state, step: StepResult) {
      sum = {
        loss: sum.loss + step.loss,
        decode: sum.decode + step.decode,
        aux: sum.aux + step.aux,
        acc: sum.acc + step.pixelAcc,
        n: sum.n + 1,
      };
      if (!isDue(state, every)) return;
      const { n } = sum;
      const gpu = gpuMemory();
      onRecord({
        kind: 'train',
        iter: state.iter,
        loss: sum.loss / n,
        decodeLoss: sum.decode / n,
        ...(Number.isNaN(step.aux) ? {} : { auxLoss: sum.aux / n }),
        lr: step.lr,
        pixelAcc: sum.acc / n,
        ...(gpu.inUse === null ? {} : { gpuBytes: gpu.inUse }),
        ...(gpu.allocated === null ? {} : { gpuBytesAllocated: gpu.allocated }),
        time: Date.now(),
      });
      sum = { ...EMPTY };
    },
  };
}
