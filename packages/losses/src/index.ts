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
export {
  CLASS_WEIGHT_SCHEMES,
  DEFAULT_CLASS_WEIGHTS_FROM_COUNTS_OPTIONS,
  REPORT_CLASS_WEIGHTS,
  REPORT_PIXEL_COUNTS,
  classWeightsFromCounts,
  resolveClassWeightsFromCountsOptions,
} from './class-weights.js';
export type {
  ClassWeightScheme,
  ClassWeightsFromCountsOptions,
  ResolvedClassWeightsFromCountsOptions,
} from './class-weights.js';
