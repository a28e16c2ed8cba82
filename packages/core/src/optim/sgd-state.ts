import type { TensorEntry } from '../io/tensor-entry.js';
import { type LayerContainer, parameterNames } from '../state-dict/state-dict.js';
import type { SgdState } from './sgd.js';

/** `__metadata__.format` of an SGD state file. */
export const SGD_STATE_FORMAT = 'facepar-sgd-v2';
const PREFIX = 'momentum_buffer.';

export interface SgdStateFileOptions {
  /** The model whose trainable variables the optimiser updates (names come from its layers). */
  model: LayerContainer;
}

/**
 * SGD state as safetensors entries + metadata (`writeSafetensors(tensors, metadata)`), so a
 * checkpoint can hold the optimiser next to the weights. Buffers are keyed
 * `momentum_buffer.<parameter name>` (the state-dict key, e.g. `backbone.conv1.weight`; the
 * buffer keeps the variable's tfjs layout), so a model built in another process, whose tfjs
 * variable names differ, resumes them; lr and step go to the metadata (exact decimal strings).
 */
export function sgdStateToSafetensors(options: SgdStateFileOptions & { state: SgdState }): {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
} {
  const { state } = options;
  const names = parameterNames(options.model);
  const tensors = new Map<string, TensorEntry>();
  for (const [variable, b] of Object.entries(state.momentumBuffers)) {
    const name = names.get(variable);
    if (name === undefined) {
      throw new Error(
        `sgd state: variable '${variable}' is not a parameter of the model (only @facepar/core layers are named)`,
      );
    }
    tensors.set(`${PREFIX}${name}`, { dtype: 'F32', shape: [...b.shape], data: b.data.slice() });
  }
  return {
    tensors,
    metadata: { format: SGD_STATE_FORMAT, lr: String(state.lr), step: String(state.step) },
  };
}

/**
 * Inverse of `sgdStateToSafetensors` (accepts `readSafetensors`' result): buffers are matched
 * to the model's variables by parameter name and must have their shapes.
 */
export function sgdStateFromSafetensors(
  options: SgdStateFileOptions & {
    file: { tensors: Map<string, TensorEntry>; metadata: Record<string, string> };
  },
): SgdState {
  const { metadata, tensors } = options.file;
  if (metadata.format !== SGD_STATE_FORMAT) {
    throw new Error(
      `sgd state: metadata.format must be '${SGD_STATE_FORMAT}', got ${JSON.stringify(metadata.format)}`,
    );
  }
  const lr = Number(metadata.lr);
  const step = Number(metadata.step);
  if (!Number.isFinite(lr) || !Number.isInteger(step)) {
    throw new Error(
      `sgd state: metadata lr and step must be numbers, got lr=${JSON.stringify(metadata.lr)} step=${JSON.stringify(metadata.step)}`,
    );
  }
  const variables = new Map<string, string>();
  for (const [variable, name] of parameterNames(options.model)) variables.set(name, variable);
  const momentumBuffers: SgdState['momentumBuffers'] = {};
  for (const [key, entry] of tensors) {
    const variable = key.startsWith(PREFIX) ? variables.get(key.slice(PREFIX.length)) : undefined;
    if (variable === undefined) {
      throw new Error(
        `sgd state: tensor '${key}' is not '${PREFIX}<parameter name>' of a parameter of this model`,
      );
    }
    if (entry.dtype !== 'F32') {
      throw new Error(`sgd state: tensor '${key}' must be F32, got ${entry.dtype}`);
    }
    momentumBuffers[variable] = {
      shape: [...entry.shape],
      data: (entry.data as Float32Array).slice(),
    };
  }
  return { lr, step, momentumBuffers };
}
