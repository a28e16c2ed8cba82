export {
  DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS,
  resolveWeightedCrossEntropyOptions,
  weightedCrossEntropy,
} from './cross-entropy.js';
export type {
  ResolvedWeightedCrossEntropyOptions,
  WeightedCrossEntropyOptions,
} from './cross-entropy.js';
export { PIXEL_REDUCTIONS } from './functional.js';
export type { ClassWeightsInput, LossFn, PixelReduction } from './types.js';
