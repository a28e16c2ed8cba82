import {
  exportStateDict,
  exportStateDictAsync,
  type LoadStateDictReport,
  loadStateDict,
  type TensorEntry,
} from '@facepar/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Segmentor } from './segmentor.js';

/** Checkpoint naming schemes the importer maps by rule. */
export type CheckpointFormat = 'mmseg' | 'mmseg-backbone' | 'mmcls' | 'torchvision';
export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = [
  'mmseg',
  'mmseg-backbone',
  'mmcls',
  'torchvision',
];

export interface LoadWeightsOptions {
  /** Throw, before changing any weight, listing missing, unexpected and mismatched keys (default true). */
  strict?: boolean;
  /** Naming scheme; `auto` detects it from the keys. */
  format?: CheckpointFormat | 'auto';
}

export const DEFAULT_LOAD_WEIGHTS_OPTIONS = { strict: true, format: 'auto' } as const;

/**
 * Detects the naming scheme: mmseg `EncoderDecoder` keys include `decode_head.`/
 * `auxiliary_head.`; an mmcls image classifier has `backbone.*` with `neck.*`/`head.*`;
 * torchvision ResNets carry the `fc.` classifier; anything else is an mmseg backbone
 * checkpoint (`stem.*`/`conv1.*`, `layer*`).
 */
export function detectCheckpointFormat(keys: Iterable<string>): CheckpointFormat {
  let torchvision = false;
  let prefixed = false;
  for (const k of keys) {
    if (/^(decode_head|auxiliary_head)\./.test(k)) return 'mmseg';
    if (k.startsWith('backbone.')) prefixed = true;
    if (k.startsWith('fc.')) torchvision = true;
  }
  if (prefixed) return 'mmcls';
  return torchvision ? 'torchvision' : 'mmseg-backbone';
}

/**
 * Key renaming per format. Backbone-only formats get the `backbone.` prefix; torchvision's
 * `fc.*` classifier is dropped (mmseg ResNetV1b and torchvision share every other name); an
 * mmcls classifier keeps its `backbone.*` keys and drops `neck.*`/`head.*`.
 */
export function checkpointRenamer(format: CheckpointFormat): (key: string) => string | null {
  switch (format) {
    case 'mmseg':
      return (k) => k;
    case 'mmseg-backbone':
      return (k) => `backbone.${k}`;
    case 'mmcls':
      return (k) => (k.startsWith('backbone.') ? k : null);
    case 'torchvision':
      return (k) => (k.startsWith('fc.') ? null : `backbone.${k}`);
    default:
      throw new Error(
        `unknown checkpoint format '${format as string}'; known: ${CHECKPOINT_FORMATS.join(', ')}`,
      );
  }
}

/**
 * Loads a PyTorch state dict (`readSafetensors(bytes).tensors`) into a segmentor through
 * core's `loadStateDict`. A backbone-only checkpoint is matched against the backbone's layers
 * only (a sub-model sharing them). Returns what did not match; strict mode throws instead.
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
  const report = loadStateDict(target, tensors, { strict, rename: checkpointRenamer(format) });
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
