import {
  type Sgd,
  type SgdState,
  type TensorEntry,
  exportStateDict,
  loadStateDict,
} from '@facepar/core';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The model's weights as a PyTorch-named state dict (core's naming rule). Throws when the
 * model holds weights the rule does not cover, so a checkpoint can never silently drop some.
 */
export function exportModelWeights(model: tfl.LayersModel): Map<string, TensorEntry> {
  const dict = exportStateDict(model, { numBatchesTracked: false });
  let exported = 0;
  for (const e of dict.values()) exported += e.data.length;
  const total = model.weights.reduce(
    (n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    0,
  );
  if (exported !== total) {
    throw new Error(
      `the model has ${total} weight values but its state dict covers ${exported}; every weighted layer must be a @facepar/core layer`,
    );
  }
  return dict;
}

/** Loads a checkpoint's state dict strictly; the error lists missing/unexpected keys. */
export function importModelWeights(options: {
  model: tfl.LayersModel;
  entries: Map<string, TensorEntry>;
  source: string;
}): void {
  const { model, entries, source } = options;
  try {
    loadStateDict(model, entries, { strict: true });
  } catch (error) {
    throw new Error(
      `${source} does not fit this model (was it saved with another model or config?): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Optimiser state as safetensors entries keyed by position in `variables` (variable names
 * differ between processes when several models are built, positions do not), plus the JSON
 * scalars.
 */
export function exportSgdState(options: { optimizer: Sgd; variables: readonly tf.Variable[] }): {
  tensors: Map<string, TensorEntry>;
  scalars: { lr: number; step: number };
} {
  const { optimizer, variables } = options;
  const state = optimizer.getState();
  const tensors = new Map<string, TensorEntry>();
  variables.forEach((v, i) => {
    const b = state.momentumBuffers[v.name];
    if (b) tensors.set(`momentum.${i}`, { dtype: 'F32', shape: b.shape, data: b.data });
  });
  return { tensors, scalars: { lr: state.lr, step: state.step } };
}

export function importSgdState(options: {
  optimizer: Sgd;
  variables: readonly tf.Variable[];
  tensors: Map<string, TensorEntry>;
  scalars: { lr: number; step: number };
  source: string;
}): void {
  const { optimizer, variables, tensors, scalars, source } = options;
  const momentumBuffers: SgdState['momentumBuffers'] = {};
  for (const [key, entry] of tensors) {
    const m = /^momentum\.(\d+)$/.exec(key);
    const v = m ? variables[Number(m[1])] : undefined;
    if (!v || entry.dtype !== 'F32') {
      throw new Error(
        `${source}: unexpected optimizer entry '${key}' (${entry.dtype}) for a model with ${variables.length} trainable variables`,
      );
    }
    momentumBuffers[v.name] = { shape: entry.shape, data: entry.data as Float32Array };
  }
  optimizer.setState({ lr: scalars.lr, step: scalars.step, momentumBuffers });
}
