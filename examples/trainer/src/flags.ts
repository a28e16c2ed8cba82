import { DATASET_LAYOUTS } from '@facepar/celebamask-data';
import { BACKEND_NAMES } from '@facepar/core';
import { getSegmentorSpec, listSegmentors } from '@facepar/heads';
import { bool, choice, type Flag, int, list, str } from './args.js';
import { listTrainConfigs } from './configs/index.js';

const configs = listTrainConfigs();

/** Every flag, declared once; a command picks its own (`pick`), changing a help or default. */
export const FLAGS = {
  backend: choice('B', ['auto', ...BACKEND_NAMES], 'tfjs backend', { default: 'auto' }),
  config: str('NAME', `training config (${configs.join(' | ')})`, { required: configs.join(', ') }),
  data: str('DIR', 'dataset root', { required: 'a dataset root' }),
  layout: choice('L', ['auto', ...DATASET_LAYOUTS], 'dataset layout', { default: 'auto' }),
  split: str('NAME', 'split folder', { default: 'train' }),
  'val-split': str('NAME', 'evaluation split (default: val when it exists)'),
  holdout: int('hold out the last N samples of the split (by id) for evaluation'),
  'work-dir': str('DIR', 'run folder (default runs/<name>-<timestamp>)'),
  iters: int('number of iterations (the poly LR follows)'),
  batch: int('batch size'),
  crop: int('square crop size (the resize scale follows)', { min: 8 }),
  'eval-every': int('evaluation period (0 = only at the end)', { min: 0 }),
  'log-every': int('logging period'),
  'load-from': str('FILE', 'start from these weights, .safetensors or .pth (mmseg load_from)'),
  'backbone-weights': str('FILE', 'initialise the backbone only, .safetensors/.pth (pretrained=)'),
  set: list('KEY=VALUE', 'change a config key (mmseg --cfg-options), e.g. optimizer.lr=0.01'),
  'dry-run': bool('print the resolved config and exit'),
  resume: bool('continue the run in --work-dir from its latest checkpoint'),
  checkpoint: str('DIR', 'a checkpoint folder, or a run folder (its best checkpoint)', {
    required: 'a checkpoint or run folder',
  }),
  'flip-tta': bool('average with the mirrored image (left/right classes swapped)'),
  shard: { kind: 'shard', help: 'only items i, i+n, i+2n, ... (sorted by id)' },
  'json-file': str('FILE', 'write the summary and the confusion matrix to FILE'),
  json: bool('print JSON instead of the table'),
  format: choice('F', ['text', 'markdown'], 'table format', { default: 'text' }),
  model: str('NAME', `segmentor (${listSegmentors().join(' | ')}; NAME@xF: at width F)`, {
    check: (name) => void getSegmentorSpec(name),
  }),
  'num-classes': int('number of classes', { max: 65535 }),
  'ignore-index': int('label value skipped as ignore (default 255)', { min: 0, max: 65535 }),
  masks: str('DIR', 'folder of label-map PNGs'),
  workers: int('worker threads (0: main thread)', { min: 0, max: 64, default: 0 }),
  'skip-invalid': bool('skip and count bad files instead of failing'),
} as const satisfies Record<string, Flag>;

/** A flag without its default and requirement (a command where absence means something). */
export function optional<F extends Flag>(flag: F): Omit<F, 'default' | 'required'> {
  const {
    default: _default,
    required: _required,
    ...rest
  } = flag as F & {
    default?: unknown;
    required?: string;
  };
  return rest;
}

/** The named flags of `table` (a command's flags, in usage order). */
export function pick<T extends Record<string, Flag>, const K extends keyof T>(
  table: T,
  names: readonly K[],
): Pick<T, K> {
  return Object.fromEntries(names.map((n) => [n, table[n]])) as Pick<T, K>;
}
