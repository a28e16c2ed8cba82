export {
  CELEBAMASK_ALT_COLORS,
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_CLASSES,
  CELEBAMASK_FLIP_PAIRS,
  CELEBAMASK_IGNORE_INDEX,
  CELEBAMASK_NUM_CLASSES,
  CELEBAMASK_ORDERS,
  CELEBAMASK_PALETTE,
  flipLabelTable,
  labelRemapTable,
} from './celebamask.js';
export type { CelebAMaskClass, CelebAMaskOrder } from './celebamask.js';
export {
  DEFAULT_DECODE_LABEL_PNG_OPTIONS,
  decodeLabelPng,
  encodeLabelPng,
  resolveDecodeLabelPngOptions,
} from './label-png.js';
export type {
  DecodedLabelPng,
  DecodeLabelPngOptions,
  EncodeLabelPngOptions,
  PngColorType,
} from './label-png.js';
export type { InflateFn } from './png-indexed.js';
