import type { TensorEntry } from '@facepar/core';
import type { ResNet } from '../resnet/resnet.js';
import { type ResNetOptions, resolveResNetOptions } from '../resnet/resnet-options.js';
import { resnetStateDictShapes } from '../resnet/resnet-params.js';

/**
 * Checkpoint naming schemes mapped by rule:
 * - `mmseg`: a segmentor (`backbone.*`, `decode_head.*`, `auxiliary_head.*`);
 * - `mmseg-backbone`: a bare mmseg/mmcv backbone, e.g. mmcv's `open-mmlab://resnet50_v1c`
 *   (`stem.0..8.*` or `conv1`/`bn1`, `layerK.B.*`, and an ImageNet `fc.*`);
 * - `mmcls`: an mmcls/mmpretrain classifier (`backbone.*`, `neck.*`, `head.*`);
 * - `torchvision`: torchvision's ResNets (`conv1`, `bn1`, `layerK.B.downsample.0/1`, `fc.*`),
 *   whose names are those of ResNetV1b (`resnet50-v1b`).
 */
export type CheckpointFormat = 'mmseg' | 'mmseg-backbone' | 'mmcls' | 'torchvision';
export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = [
  'mmseg',
  'mmseg-backbone',
  'mmcls',
  'torchvision',
];

/** `module.` is what DataParallel / DistributedDataParallel put before every key. */
export function stripModulePrefix(key: string): string {
  return key.startsWith('module.') ? key.slice('module.'.length) : key;
}

/**
 * Detects the naming scheme from the keys (after `module.`): `decode_head.`/`auxiliary_head.`
 * → `mmseg`; other `backbone.*` → `mmcls`; a deep stem (`stem.*`) → `mmseg-backbone`; a 7×7
 * `conv1` with an `fc` classifier → `torchvision`; anything else → `mmseg-backbone`.
 */
export function detectCheckpointFormat(keys: Iterable<string>): CheckpointFormat {
  let prefixed = false;
  let fc = false;
  let stem = false;
  for (const raw of keys) {
    const k = stripModulePrefix(raw);
    if (/^(decode_head|auxiliary_head)\./.test(k)) return 'mmseg';
    if (k.startsWith('backbone.')) prefixed = true;
    if (k.startsWith('fc.')) fc = true;
    if (k.startsWith('stem.')) stem = true;
  }
  if (prefixed) return 'mmcls';
  return fc && !stem ? 'torchvision' : 'mmseg-backbone';
}

/**
 * The backbone key (no prefix: `stem.0.weight`, `layer1.0.conv1.weight`) a checkpoint key
 * maps to in `format`, or `null` when the key belongs to another part by rule (a segmentor's
 * heads, a classifier's `fc`/`neck`/`head`).
 */
export function backboneCheckpointKey(key: string, format: CheckpointFormat): string | null {
  const k = stripModulePrefix(key);
  switch (format) {
    case 'mmseg':
    case 'mmcls':
      return k.startsWith('backbone.') ? k.slice('backbone.'.length) : null;
    case 'mmseg-backbone':
    case 'torchvision':
      return k.startsWith('fc.') ? null : k;
    default:
      throw new Error(
        `unknown checkpoint format '${format as string}'; known: ${CHECKPOINT_FORMATS.join(', ')}`,
      );
  }
}

export interface BackboneStateDictOptions {
  /** A checkpoint's state dict (`readWeights(bytes).tensors`, `readPth`, `readSafetensors`). */
  tensors: Map<string, TensorEntry>;
  /** Naming scheme; `auto` (default) detects it (`detectCheckpointFormat`). */
  format?: CheckpointFormat | 'auto';
  /**
   * The backbone to initialise (a `createResNet` result or its options). With it, `missing`,
   * `unexpected` and `mismatched` compare against its state dict, and a stem or shortcut
   * variant mismatch gets a `hint`.
   */
  backbone?: ResNet | ResNetOptions;
}

export interface BackboneStateDict {
  format: CheckpointFormat;
  /** Backbone keys (no prefix) → tensors; with `backbone`, only keys it has, of its shapes. */
  tensors: Map<string, TensorEntry>;
  /** Checkpoint keys of another part by rule (heads, `fc`, `neck`), left out. */
  dropped: string[];
  /** Backbone keys the checkpoint lacks (`num_batches_tracked` never counts). */
  missing: string[];
  /** Checkpoint keys that map to no key of the backbone. */
  unexpected: string[];
  /** Backbone keys whose checkpoint tensor has another shape (left out of `tensors`). */
  mismatched: { key: string; expected: number[]; got: number[] }[];
  /** Why much is missing, when the checkpoint is of another stem or shortcut variant. */
  hint?: string;
}

const TRACKED = '.num_batches_tracked';

/**
 * Maps a checkpoint onto a ResNet backbone's names by rule (mmseg's `pretrained=` /
 * `init_cfg=dict(type='Pretrained')`): strips `module.` and `backbone.`, drops the other
 * parts' keys, and (given the backbone) reports what is missing, unexpected or of another
 * shape, as mmcv's `load_checkpoint` logs. Load the result with core's `loadStateDict` on
 * `backbone.createModel()`, or through heads' `loadSegmentorWeights`.
 */
export function backboneStateDictFromCheckpoint(
  options: BackboneStateDictOptions,
): BackboneStateDict {
  const { tensors } = options;
  const requested = options.format ?? 'auto';
  if (requested !== 'auto' && !CHECKPOINT_FORMATS.includes(requested)) {
    throw new Error(
      `backboneStateDictFromCheckpoint: format must be one of auto, ${CHECKPOINT_FORMATS.join(', ')}; got ${String(requested)}`,
    );
  }
  const format = requested === 'auto' ? detectCheckpointFormat(tensors.keys()) : requested;
  const mapped = new Map<string, TensorEntry>();
  const source = new Map<string, string>();
  const dropped: string[] = [];
  for (const [k, v] of tensors) {
    const to = backboneCheckpointKey(k, format);
    if (to === null) dropped.push(k);
    else {
      mapped.set(to, v);
      source.set(to, k);
    }
  }
  const result: BackboneStateDict = {
    format,
    tensors: mapped,
    dropped,
    missing: [],
    unexpected: [],
    mismatched: [],
  };
  if (options.backbone == null) return result;
  const r =
    'stageInfo' in options.backbone
      ? options.backbone.options
      : resolveResNetOptions(options.backbone);
  const expected = resnetStateDictShapes(r);
  const kept = new Map<string, TensorEntry>();
  for (const [k, v] of mapped) {
    const shape = expected.get(k);
    if (shape === undefined) {
      result.unexpected.push(source.get(k)!);
    } else if (k.endsWith(TRACKED) || sameShape(shape, v.shape)) {
      kept.set(k, v);
    } else {
      result.mismatched.push({ key: k, expected: [...shape], got: [...v.shape] });
    }
  }
  for (const k of expected.keys()) {
    if (!k.endsWith(TRACKED) && !mapped.has(k)) result.missing.push(k);
  }
  result.tensors = kept;
  const hint = variantHint(r.arch.name, r.arch.deepStem, r.arch.avgDown, mapped);
  if (hint !== undefined && result.missing.length > 0) result.hint = hint;
  return result;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function variantHint(
  arch: string,
  deepStem: boolean,
  avgDown: boolean,
  mapped: Map<string, TensorEntry>,
): string | undefined {
  const depth = arch.replace(/-v1[bcd]$/, '');
  const has = (re: RegExp) => [...mapped.keys()].some((k) => re.test(k));
  if (deepStem && has(/^conv1\.weight$/) && !has(/^stem\./)) {
    return `the checkpoint has a single 7x7 conv1 stem (ResNetV1b, e.g. torchvision) but ${arch} has a 3-conv deep stem: build the backbone as ${depth}-v1b to use it whole`;
  }
  if (!deepStem && has(/^stem\./) && !has(/^conv1\.weight$/)) {
    const v = has(/\.downsample\.2\./) ? 'v1d' : 'v1c';
    return `the checkpoint has a 3-conv deep stem (stem.0-8, ResNetV1c/V1d) but ${arch} has a 7x7 conv1 stem: build the backbone as ${depth}-${v}`;
  }
  const avgShortcut = has(/\.downsample\.2\./);
  if (!avgDown && avgShortcut) {
    return `the checkpoint has average-pool shortcuts (downsample.1 conv, downsample.2 BN: ResNetV1d) but ${arch} does not: build the backbone as ${depth}-v1d`;
  }
  if (avgDown && !avgShortcut && has(/\.downsample\.0\.weight$/)) {
    return `the checkpoint has strided 1x1 shortcuts (downsample.0 conv: ResNetV1b/V1c) but ${arch} has average-pool shortcuts: build the backbone as ${depth}-${deepStem ? 'v1c' : 'v1b'}`;
  }
  return undefined;
}
