import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TensorEntry } from './tensor-file.js';
import { tensorsToEntries } from './tensor-file.js';

// TODO(move to @facepar/core): once `exportStateDict`/`loadStateDict` land, checkpoints should
// store PyTorch-named state dicts. Until then weights are stored by position in
// `model.weights` (stable for one architecture), with names and shapes checked on load.

/** All weights (trainable and BN running stats) of a model, by position. */
export function exportModelWeights(model: tfl.LayersModel): TensorEntry[] {
  return tensorsToEntries(
    model.weights.map((w, i) => ({
      name: `${String(i).padStart(4, '0')}:${w.originalName}`,
      tensor: w.read(),
    })),
  );
}

/** Restores weights saved by `exportModelWeights`; errors name the first mismatch. */
export function importModelWeights(options: {
  model: tfl.LayersModel;
  entries: readonly TensorEntry[];
  source: string;
}): void {
  const { model, entries, source } = options;
  const weights = model.weights;
  if (entries.length !== weights.length) {
    throw new Error(
      `${source}: holds ${entries.length} weights but the model has ${weights.length}; was it saved from a different model or config?`,
    );
  }
  entries.forEach((e, i) => {
    const w = weights[i]!;
    const same = e.shape.length === w.shape.length && e.shape.every((d, k) => d === w.shape[k]);
    if (!same) {
      throw new Error(
        `${source}: weight ${e.name} has shape [${e.shape}] but the model's ${w.originalName} has [${w.shape}]`,
      );
    }
  });
  tf.tidy(() => {
    entries.forEach((e, i) => {
      weights[i]!.write(tf.tensor(e.data, e.shape, e.dtype));
    });
  });
}
