import type { TensorEntry } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

// TODO(move to @facepar/core): once `exportStateDict`/`loadStateDict` land, checkpoints should
// store PyTorch-named state dicts. Until then weights are stored by position in
// `model.weights` (stable for one architecture), with names and shapes checked on load.

/** Downloads tensors into safetensors entries (synchronously); float32 or int32 only. */
export function tensorsToEntries(
  list: readonly { name: string; tensor: tf.Tensor }[],
): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const { name, tensor } of list) {
    const data = tensor.dataSync();
    out.set(
      name,
      tensor.dtype === 'int32'
        ? { dtype: 'I32', shape: [...tensor.shape], data: data as Int32Array }
        : { dtype: 'F32', shape: [...tensor.shape], data: data as Float32Array },
    );
  }
  return out;
}

/** A tensor from a safetensors entry (F32 or I32); caller owns it. */
export function entryToTensor(options: {
  name: string;
  entry: TensorEntry;
  source: string;
}): tf.Tensor {
  const { name, entry, source } = options;
  if (entry.dtype === 'F32') return tf.tensor(entry.data as Float32Array, entry.shape, 'float32');
  if (entry.dtype === 'I32') return tf.tensor(entry.data as Int32Array, entry.shape, 'int32');
  throw new Error(
    `${source}: tensor '${name}' has dtype ${entry.dtype}; checkpoints hold F32 or I32`,
  );
}

/** All weights (trainable and BN running stats) of a model, by position. */
export function exportModelWeights(model: tfl.LayersModel): Map<string, TensorEntry> {
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
  entries: Map<string, TensorEntry>;
  source: string;
}): void {
  const { model, entries, source } = options;
  const weights = model.weights;
  const list = [...entries.entries()];
  if (list.length !== weights.length) {
    throw new Error(
      `${source}: holds ${list.length} weights but the model has ${weights.length}; was it saved from a different model or config?`,
    );
  }
  list.forEach(([name, e], i) => {
    const w = weights[i]!;
    const same = e.shape.length === w.shape.length && e.shape.every((d, k) => d === w.shape[k]);
    if (!same) {
      throw new Error(
        `${source}: weight ${name} has shape [${e.shape}] but the model's ${w.originalName} has [${w.shape}]`,
      );
    }
  });
  tf.tidy(() => {
    list.forEach(([name, entry], i) => {
      weights[i]!.write(entryToTensor({ name, entry, source }));
    });
  });
}
