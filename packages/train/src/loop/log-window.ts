import { gpuMemory } from '@facepar/core';
import type { RecordSink } from '../records.js';
import type { StepResult, TrainHook } from './hooks.js';
import { isDue } from './hooks.js';

/**
 * The logging window (mmengine `LoggerHook`): means of the loss parts and the pixel accuracy
 * over the last `every` iterations, as a `train` record at the window's last LR, with the GPU
 * memory at its end on a GPU backend (mmengine logs `memory` likewise).
 */
export function createLogWindowHook(options: { every: number; onRecord: RecordSink }): TrainHook {
  const { every, onRecord } = options;
  let sum = { loss: 0, decode: 0, aux: 0, acc: 0, n: 0 };
  return {
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
      sum = { loss: 0, decode: 0, aux: 0, acc: 0, n: 0 };
    },
  };
}
