import {
  parseJson,
  quote,
  readSafetensors,
  type TensorEntry,
  writeSafetensors,
} from '@facepar/core';
import type { SegmentorSpec } from './segmentor-registry.js';
import { createSegmentor, type Segmentor, type SegmentorOptions } from './segmentor.js';
import {
  exportSegmentorWeights,
  exportSegmentorWeightsAsync,
  loadSegmentorWeights,
} from './weights.js';

/** `__metadata__` key holding the checkpoint's JSON config. */
export const CHECKPOINT_METADATA_KEY = 'facepar';
export const CHECKPOINT_VERSION = 'facepar-segmentor/1';

/** The JSON config stored in a facepar checkpoint. */
export interface SegmentorCheckpointConfig {
  version: typeof CHECKPOINT_VERSION;
  /** The full spec (registry entry with `numClasses` applied), so no registry lookup is needed. */
  spec: SegmentorSpec;
}

/**
 * A facepar checkpoint: one `.safetensors` file whose tensors are the mmseg `EncoderDecoder`
 * state dict (PyTorch layout, loadable by mmseg/PyTorch too) and whose `__metadata__.facepar`
 * is the JSON `SegmentorCheckpointConfig`.
 */
export function exportSegmentorCheckpoint(segmentor: Segmentor): Uint8Array {
  return checkpointBytes(segmentor, exportSegmentorWeights(segmentor));
}

/** `exportSegmentorCheckpoint`, read asynchronously: works on every backend (webgpu included). */
export async function exportSegmentorCheckpointAsync(segmentor: Segmentor): Promise<Uint8Array> {
  return checkpointBytes(segmentor, await exportSegmentorWeightsAsync(segmentor));
}

function checkpointBytes(segmentor: Segmentor, weights: Map<string, TensorEntry>): Uint8Array {
  const config: SegmentorCheckpointConfig = { version: CHECKPOINT_VERSION, spec: segmentor.spec };
  return writeSafetensors(weights, { [CHECKPOINT_METADATA_KEY]: JSON.stringify(config) });
}

/** Reads the config of a facepar checkpoint; other safetensors files throw saying so. */
export function readSegmentorCheckpointConfig(
  metadata: Record<string, string>,
  options: { source?: string } = {},
): SegmentorCheckpointConfig {
  const where = options.source === undefined ? '' : `${options.source}: `;
  const raw = metadata[CHECKPOINT_METADATA_KEY];
  if (raw == null) {
    throw new Error(
      `${where}not a facepar checkpoint: __metadata__ has no '${CHECKPOINT_METADATA_KEY}' entry (for mmseg/torchvision weights use createSegmentor + loadSegmentorWeights)`,
    );
  }
  const config = parseJson(raw, {
    source: options.source,
    format: `__metadata__.${CHECKPOINT_METADATA_KEY}`,
  }) as SegmentorCheckpointConfig | null;
  if (config === null || typeof config !== 'object' || config.version !== CHECKPOINT_VERSION) {
    const version = quote(config !== null && typeof config === 'object' ? config.version : config);
    throw new Error(
      `${where}facepar checkpoint version ${version} is not supported; known: ${CHECKPOINT_VERSION}`,
    );
  }
  return config;
}

/** Where a weights file came from and how far to trust its values. */
export interface WeightsFileOptions {
  /** The file the bytes were read from, named in every error. */
  source?: string;
  /** Load NaN/±Infinity weights and negative BN variances instead of refusing them (default false). */
  allowNonFinite?: boolean;
}

/**
 * Weights already read: safetensors' `tensors` and `__metadata__`, or core's `readWeights`
 * result for a `.pth` (its state dict and `pthMetadata`).
 */
export interface WeightsData {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

function weightsData(file: Uint8Array | WeightsData, source?: string): WeightsData {
  return file instanceof Uint8Array ? readSafetensors(file, { source }) : file;
}

/** Builds the segmentor a checkpoint describes and loads its weights (strict). */
export function loadSegmentorCheckpoint(
  bytes: Uint8Array | WeightsData,
  options: Omit<SegmentorOptions, 'model' | 'numClasses' | 'seed'> & WeightsFileOptions = {},
): Segmentor {
  const { source, allowNonFinite, ...segmentorOptions } = options;
  const file = weightsData(bytes, source);
  const config = readSegmentorCheckpointConfig(file.metadata, { source });
  const segmentor = createSegmentor({ ...segmentorOptions, model: config.spec });
  const withAux = options.withAuxiliary ?? true;
  const tensors = withAux
    ? file.tensors
    : new Map([...file.tensors].filter(([k]) => !k.startsWith('auxiliary_head.')));
  try {
    loadSegmentorWeights(segmentor, tensors, {
      format: 'mmseg',
      strict: true,
      source,
      allowNonFinite,
    });
  } catch (error) {
    segmentor.dispose();
    throw error;
  }
  return segmentor;
}

export interface OpenSegmentorOptions extends WeightsFileOptions {
  /** Registry name or spec; required unless the file is a facepar checkpoint. */
  model?: string | SegmentorSpec;
  /** Default: read from `decode_head.conv_seg.weight` (else the spec's). */
  numClasses?: number;
  /** Default false: inference models drop the auxiliary heads (their keys are skipped). */
  withAuxiliary?: boolean;
  inputShape?: SegmentorOptions['inputShape'];
}

/**
 * Opens weights for inference: `.safetensors` bytes, or weights already read (`WeightsData`,
 * e.g. a `.pth` through core's `readWeights`). A facepar checkpoint brings its architecture in
 * its metadata; an mmseg `EncoderDecoder` state dict needs the named `model`. Strict: every
 * model key must be in the file.
 */
export function openSegmentor(
  bytes: Uint8Array | WeightsData,
  options: OpenSegmentorOptions = {},
): Segmentor {
  const { source, allowNonFinite } = options;
  const file = weightsData(bytes, source);
  const withAuxiliary = options.withAuxiliary ?? false;
  if (file.metadata[CHECKPOINT_METADATA_KEY] != null) {
    return loadSegmentorCheckpoint(file, {
      withAuxiliary,
      inputShape: options.inputShape,
      source,
      allowNonFinite,
    });
  }
  if (options.model == null) {
    throw new Error(
      `openSegmentor: ${source === undefined ? 'a plain state dict' : `${source} is a plain state dict and`} needs the model name (e.g. deeplabv3plus_r50-d8)`,
    );
  }
  const cls = file.tensors.get('decode_head.conv_seg.weight');
  const numClasses = options.numClasses ?? cls?.shape[0];
  const segmentor = createSegmentor({
    model: options.model,
    numClasses,
    withAuxiliary,
    inputShape: options.inputShape,
  });
  const tensors = withAuxiliary
    ? file.tensors
    : new Map([...file.tensors].filter(([k]) => !k.startsWith('auxiliary_head.')));
  try {
    loadSegmentorWeights(segmentor, tensors, { strict: true, source, allowNonFinite });
  } catch (error) {
    segmentor.dispose();
    throw error;
  }
  return segmentor;
}
