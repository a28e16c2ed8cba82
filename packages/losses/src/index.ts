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
  formatClassWeights,
  parseClassCounts,
  resolveClassWeightsFromCountsOptions,
} from './class-weights.js';
export type {
  ClassWeightScheme,
  ClassWeightsFromCountsOptions,
  ResolvedClassWeightsFromCountsOptions,
} from './class-weights.js';
export {
  CLASS_REDUCTIONS,
  DEFAULT_DICE_LOSS_OPTIONS,
  diceLoss,
  resolveDiceLossOptions,
} from './dice.js';
export type { ClassReduction, DiceLossOptions, ResolvedDiceLossOptions } from './dice.js';
export { DEFAULT_FOCAL_LOSS_OPTIONS, focalLoss, resolveFocalLossOptions } from './focal.js';
export type { FocalLossOptions, ResolvedFocalLossOptions } from './focal.js';
export {
  DEFAULT_LOVASZ_SOFTMAX_LOSS_OPTIONS,
  lovaszSoftmaxLoss,
  resolveLovaszSoftmaxLossOptions,
} from './lovasz.js';
export type { LovaszSoftmaxLossOptions, ResolvedLovaszSoftmaxLossOptions } from './lovasz.js';
export { combineLosses } from './combine.js';
export type { CombinedLoss, LossTerm } from './combine.js';
