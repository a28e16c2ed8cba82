import * as tf from '@tensorflow/tfjs-core';
import { batchNormGradConfig } from './batch-norm-gradient.js';
import { conv2dGradConfig, depthwiseConv2dGradConfig } from './conv-gradients.js';
import { resizeBilinearGradConfig } from './resize-bilinear-gradient.js';

/** facepar's gradient overrides, registered once by `register.ts` (idempotent). */
export const FACEPAR_GRADIENTS: readonly tf.GradConfig[] = [
  conv2dGradConfig,
  depthwiseConv2dGradConfig,
  resizeBilinearGradConfig,
  batchNormGradConfig,
];

export function registerFaceparGradients(): void {
  for (const config of FACEPAR_GRADIENTS) tf.registerGradient(config);
}
