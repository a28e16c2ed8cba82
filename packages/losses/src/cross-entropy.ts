import { resizeBilinear } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  PIXEL_REDUCTIONS,
  checkClassWeights,
  checkIgnoreIndex,
  checkLogitsAndLabels,
  checkReduction,
  classWeightTensor,
  classWeightedSum,
  oneHotTargets,
  reducePixelLoss,
  targetWeights,
  validMask,
} from './functional.js';
import type { ClassWeightsInput, PixelReduction } from './types.js';
import { withDefaults } from './defaults.js';

export interface WeightedCrossEntropyOptions {
  /** Label value that contributes nothing (default 255). */
  ignoreIndex?: number;
  /** Per-class weights `w_c` (length C), or null for all ones. */
  classWeights?: ClassWeightsInput | null;
  /** See {@link PixelReduction}; default `'mmseg'`. */
  reduction?: PixelReduction;
  /** PyTorch `label_smoothing` ε in [0, 1] (default 0). */
  labelSmoothing?: number;
  /**
   * `'labels'`: resize logits bilinearly (half-pixel centres) to the labels' H×W first, as
   * mmseg's decode head does; null (default): logits and labels must have the same size.
   */
  resizeLogitsTo?: 'labels' | null;
}

export interface ResolvedWeightedCrossEntropyOptions {
  ignoreIndex: number;
  classWeights: ClassWeightsInput | null;
  reduction: PixelReduction;
  labelSmoothing: number;
  resizeLogitsTo: 'labels' | null;
}

export const DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS: Readonly<ResolvedWeightedCrossEntropyOptions> =
  Object.freeze({
    ignoreIndex: 255,
    classWeights: null,
    reduction: 'mmseg',
    labelSmoothing: 0,
    resizeLogitsTo: null,
  });

const WHERE = 'weightedCrossEntropy';

export function resolveWeightedCrossEntropyOptions(
  options: WeightedCrossEntropyOptions = {},
): ResolvedWeightedCrossEntropyOptions {
  const o = withDefaults(DEFAULT_WEIGHTED_CROSS_ENTROPY_OPTIONS, options);
  const eps = o.labelSmoothing;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new Error(`${WHERE}: labelSmoothing must be a number in [0, 1], got ${String(eps)}`);
  }
  if (o.resizeLogitsTo !== null && o.resizeLogitsTo !== 'labels') {
    throw new Error(
      `${WHERE}: resizeLogitsTo ${JSON.stringify(o.resizeLogitsTo)} is not one of 'labels', null`,
    );
  }
  return {
    ignoreIndex: checkIgnoreIndex(o.ignoreIndex, WHERE),
    classWeights: checkClassWeights(o.classWeights, WHERE),
    reduction: checkReduction(o.reduction, PIXEL_REDUCTIONS, WHERE),
    labelSmoothing: eps,
    resizeLogitsTo: o.resizeLogitsTo,
  };
}

/**
 * Class-weighted softmax cross-entropy on NHWC logits, numerically stable (log-softmax).
 *
 * Per pixel with target y (PyTorch semantics, including `label_smoothing` ε with weights):
 * `(1-ε)·w_y·(-log p_y) + (ε/C)·Σ_c w_c·(-log p_c)`, and 0 on ignored pixels; then reduced
 * as {@link PixelReduction} says. The caller owns the returned tensor: a scalar, or the
 * `[N,H,W]` map for `reduction: 'none'`. Computed as one-hot × log-softmax summed over
 * classes (no gather, so it differentiates on every backend, wasm included).
 */
export function weightedCrossEntropy(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: WeightedCrossEntropyOptions & { reduction?: Exclude<PixelReduction, 'none'> },
): tf.Scalar;
export function weightedCrossEntropy(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: WeightedCrossEntropyOptions & { reduction: 'none' },
): tf.Tensor3D;
export function weightedCrossEntropy(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: WeightedCrossEntropyOptions,
): tf.Tensor;
export function weightedCrossEntropy(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: WeightedCrossEntropyOptions = {},
): tf.Tensor {
  const o = resolveWeightedCrossEntropyOptions(options);
  const numClasses = checkLogitsAndLabels(logits, labels, WHERE, {
    allowResize: o.resizeLogitsTo === 'labels',
  });
  return tf.tidy(() => {
    const [, h, w] = labels.shape;
    // mmseg `resize(..., align_corners=False)` before the loss (core registers its gradient)
    const resize =
      o.resizeLogitsTo === 'labels' && (logits.shape[1] !== h || logits.shape[2] !== w);
    const x = resize ? resizeBilinear({ x: logits, size: [h, w] }) : logits;
    const weights = classWeightTensor(o.classWeights, numClasses, WHERE);
    const valid = validMask(labels, o.ignoreIndex, numClasses);
    const oneHot = oneHotTargets(labels, o.ignoreIndex, numClasses);
    const logp = tf.logSoftmax(x, -1);
    const weightY = targetWeights(oneHot, weights);
    // -w_y · log p_y: the one-hot picks log p_y, then one multiply per pixel.
    let perPixel = tf.neg(tf.mul(tf.sum(tf.mul(oneHot, logp), -1), weightY));
    if (o.labelSmoothing > 0) {
      const all = weights == null ? tf.sum(logp, -1) : classWeightedSum(logp, weights);
      const smooth = tf.mul(tf.neg(all), valid);
      perPixel = tf.add(
        tf.mul(perPixel, 1 - o.labelSmoothing),
        tf.mul(smooth, o.labelSmoothing / numClasses),
      );
    }
    return reducePixelLoss(perPixel, o.reduction, valid, weightY);
  });
}
