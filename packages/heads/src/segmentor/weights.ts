import {
  backboneCheckpointKey,
  CHECKPOINT_FORMATS,
  type CheckpointFormat,
  detectCheckpointFormat,
  stripModulePrefix,
} from '@facepar/backbones';
import {
  exportStateDict,
  exportStateDictAsync,
  type LoadStateDictReport,
  loadStateDict,
  type TensorEntry,
} from '@facepar/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Segmentor } from './segmentor.js';

// The naming schemes and their detection belong to the backbone (@facepar/backbones); heads
// re-exports them so that loadSegmentorWeights' options stay importable from here.
export { CHECKPOINT_FORMATS, detectCheckpointFormat };
export type { CheckpointFormat };

export interface LoadWeightsOptions {
  /** Throw, before changing any weight, listing missing, unexpected and mismatched keys (default true). */
  strict?: boolean;
  /** Naming scheme; `auto` detects it from the keys. */
  format?: CheckpointFormat | 'auto';
  /** Load NaN/±Infinity weights and negative BN variances instead of refusing them (default false). */
  allowNonFinite?: boolean;
  /** The weights file, named in error messages. */
  source?: string;
}

export const DEFAULT_LOAD_WEIGHTS_OPTIONS = {
  strict: true,
  format: 'auto',
  allowNonFinite: false,
} as const;

/**
 * Key renaming per format, onto the segmentor's names: an mmseg segmentor keeps its keys;
 * backbone-only formats map by `backboneCheckpointKey` (a classifier's `fc.*`/`neck.*`/`head.*`
 * dropped) under the `backbone.` prefix. A DataParallel `module.` prefix is removed first.
 */
export function checkpointRenamer(format: CheckpointFormat): (key: string) => string | null {
  if (!CHECKPOINT_FORMATS.includes(format)) {
    throw new Error(
      `unknown checkpoint format '${format as string}'; known: ${CHECKPOINT_FORMATS.join(', ')}`,
    );
  }
  if (format === 'mmseg') return (k) => stripModulePrefix(k);
  return (k) => {
    const b = backboneCheckpointKey(k, format);
    return b === null ? null : `backbone.${b}`;
  };
}

/**
 * Loads a PyTorch state dict (`readSafetensors(bytes).tensors`) into a segmentor through
 * core's `loadStateDict`. A backbone-only checkpoint is matched against the backbone's layers
 * only (a sub-model sharing them). Returns what did not match; strict mode throws instead.
 * NaN/±Infinity weights and negative BN variances throw (naming the tensor and `source`)
 * unless `allowNonFinite`.
 */
export function loadSegmentorWeights(
  segmentor: Segmentor,
  tensors: Map<string, TensorEntry>,
  options: LoadWeightsOptions = {},
): LoadStateDictReport & { format: CheckpointFormat } {
  const strict = options.strict ?? DEFAULT_LOAD_WEIGHTS_OPTIONS.strict;
  const requested = options.format ?? DEFAULT_LOAD_WEIGHTS_OPTIONS.format;
  if (requested !== 'auto' && !CHECKPOINT_FORMATS.includes(requested)) {
    throw new Error(
      `loadSegmentorWeights: format must be one of auto, ${CHECKPOINT_FORMATS.join(', ')}; got ${requested}`,
    );
  }
  const format = requested === 'auto' ? detectCheckpointFormat(tensors.keys()) : requested;
  const target =
    format === 'mmseg'
      ? segmentor.model
      : tfl.model({ inputs: segmentor.model.inputs, outputs: segmentor.features });
  const report = loadStateDict(target, tensors, {
    strict,
    rename: checkpointRenamer(format),
    allowNonFinite: options.allowNonFinite ?? DEFAULT_LOAD_WEIGHTS_OPTIONS.allowNonFinite,
    source: options.source,
  });
  return { ...report, format };
}

/**
 * The segmentor's weights as an mmseg `EncoderDecoder` state dict (PyTorch layout, float32,
 * `num_batches_tracked` = 0 per BatchNorm), ready for `writeSafetensors`.
 */
export function exportSegmentorWeights(segmentor: Segmentor): Map<string, TensorEntry> {
  return exportStateDict(segmentor.model);
}

/** `exportSegmentorWeights`, read asynchronously: works on every backend (webgpu included). */
export function exportSegmentorWeightsAsync(
  segmentor: Segmentor,
): Promise<Map<string, TensorEntry>> {
  return exportStateDictAsync(segmentor.model);
}
