export const VERSION = '0.1.0';

export {
  DEFAULT_NORMALIZE_OPTIONS,
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizationLuts,
  normalizeImage,
} from './normalize.js';
export type { NormalizeOptions } from './normalize.js';
export { rescaleSize, resizeCropBilinear, resizeImageBilinear } from './resize.js';
