import type { TensorEntry } from '../io/tensor-entry.js';
import type { SgdState } from './sgd.js';

/** `__metadata__.format` of an SGD state file. */
export const SGD_STATE_FORMAT = 'facepar-sgd-v1';
const PREFIX = 'momentum_buffer.';

/**
 * SGD state as safetensors entries + metadata (`writeSafetensors(tensors, metadata)`), so a
 * checkpoint can hold the optimiser next to the weights. Buffers are keyed
 * `momentum_buffer.<variable name>`; lr and step go to the metadata (exact decimal strings).
 */
export function sgdStateToSafetensors(state: SgdState): {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
} {
  const tensors = new Map<string, TensorEntry>();
  for (const [name, b] of Object.entries(state.momentumBuffers)) {
    tensors.set(`${PREFIX}${name}`, { dtype: 'F32', shape: [...b.shape], data: b.data.slice() });
  }
  return {
    tensors,
    metadata: { format: SGD_STATE_FORMAT, lr: String(state.lr), step: String(state.step) },
  };
}

/** Inverse of `sgdStateToSafetensors` (accepts `readSafetensors`' result). */
export function sgdStateFromSafetensors(file: {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}): SgdState {
  const { metadata } = file;
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
  const momentumBuffers: SgdState['momentumBuffers'] = {};
  for (const [key, entry] of file.tensors) {
    if (!key.startsWith(PREFIX)) {
      throw new Error(`sgd state: unexpected tensor '${key}' (keys start with '${PREFIX}')`);
    }
    if (entry.dtype !== 'F32') {
      throw new Error(`sgd state: tensor '${key}' must be F32, got ${entry.dtype}`);
    }
    momentumBuffers[key.slice(PREFIX.length)] = {
      shape: [...entry.shape],
      data: (entry.data as Float32Array).slice(),
    };
  }
  return { lr, step, momentumBuffers };
}
