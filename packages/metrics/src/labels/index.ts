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
} from './label-png.js';
export { crc32, decodePng, MASK_MAX_PIXELS, PngError, readPngHeader } from './png-decode.js';
export type {
  DecodedPng,
  DecodePngOptions,
  InflateFn,
  PngColorType,
  PngHeader,
} from './png-decode.js';
