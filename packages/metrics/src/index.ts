export const VERSION = '0.1.0';
export {
  CELEBAMASK_ALT_COLORS,
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_CLASSES,
  CELEBAMASK_FLIP_PAIRS,
  CELEBAMASK_IGNORE_INDEX,
  CELEBAMASK_NUM_CLASSES,
  CELEBAMASK_ORDERS,
  CELEBAMASK_PALETTE,
  DEFAULT_DECODE_LABEL_PNG_OPTIONS,
  decodeLabelPng,
  encodeLabelPng,
  flipLabelTable,
  labelRemapTable,
  resolveDecodeLabelPngOptions,
} from './labels/index.js';
export type {
  CelebAMaskClass,
  CelebAMaskOrder,
  DecodedLabelPng,
  DecodeLabelPngOptions,
  EncodeLabelPngOptions,
  PngColorType,
} from './labels/index.js';
