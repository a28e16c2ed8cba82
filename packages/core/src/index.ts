import './register.js';

export const VERSION = '0.1.0';

export { FACEPAR_GRADIENTS, registerFaceparGradients } from './gradients/register-gradients.js';
export { interpolationTaps, resizeBilinearBackprop } from './gradients/resize-bilinear-gradient.js';
export type { InterpolationTaps } from './gradients/resize-bilinear-gradient.js';
export { maxPool2d, resolveMaxPool2dOptions, DEFAULT_MAX_POOL_2D_OPTIONS } from './ops/max-pool.js';
export type { MaxPool2dOptions } from './ops/max-pool.js';
export { torchPadding } from './ops/padding.js';
export type { ExplicitPadding, TorchPadding } from './ops/padding.js';
export {
  resizeBilinear,
  resolveResizeBilinearOptions,
  DEFAULT_RESIZE_BILINEAR_OPTIONS,
} from './ops/resize-bilinear.js';
export type { ResizeBilinearOptions } from './ops/resize-bilinear.js';
