import '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  PIXEL_REDUCTIONS,
  checkClassWeights,
  checkIgnoreIndex,
  checkLogitsAndLabels,
  checkReduction,
  classWeightTensor,
  oneHotTargets,
  reducePixelLoss,
  targetWeights,
  validMask,
} from './functional.js';
import type { ClassWeightsInput, PixelReduction } from './types.js';
import { withDefaults } from './defaults.js';

export interface FocalLossOptions {
  /** Label value that contributes nothing (default 255). */
  ignoreIndex?: number;
  /** Per-class weights `w_c` (length C), or null for all ones. */
  classWeights?: ClassWeightsInput | null;
  /** See {@link PixelReduction}; default `'mmseg'`, as for the cross-entropy. */
  reduction?: PixelReduction;
  /** Focusing parameter γ >= 0 (default 2; 0 gives the weighted cross-entropy). */
  gamma?: number;
  /** α: one number for every class, or per-class (length C); multiplies `classWeights`. */
  alpha?: number | readonly number[];
}

export interface ResolvedFocalLossOptions {
  ignoreIndex: number;
  classWeights: ClassWeightsInput | null;
  reduction: PixelReduction;
  gamma: number;
  alpha: number | readonly number[];
}

export const DEFAULT_FOCAL_LOSS_OPTIONS: Readonly<ResolvedFocalLossOptions> = Object.freeze({
  ignoreIndex: 255,
  classWeights: null,
  reduction: 'mmseg',
  gamma: 2,
  alpha: 1,
});

const WHERE = 'focalLoss';

export function resolveFocalLossOptions(options: FocalLossOptions = {}): ResolvedFocalLossOptions {
  const o = withDefaults(DEFAULT_FOCAL_LOSS_OPTIONS, options);
  if (typeof o.gamma !== 'number' || !(o.gamma >= 0) || !Number.isFinite(o.gamma)) {
    throw new Error(`${WHERE}: gamma must be a finite number >= 0, got ${String(o.gamma)}`);
  }
  const alphas = typeof o.alpha === 'number' ? [o.alpha] : Array.from(o.alpha ?? []);
  if (alphas.length === 0 || alphas.some((a) => !Number.isFinite(a) || a < 0)) {
    throw new Error(
      `${WHERE}: alpha must be a number >= 0 or an array of them, got ${JSON.stringify(o.alpha)}`,
    );
  }
  return {
    ignoreIndex: checkIgnoreIndex(o.ignoreIndex, WHERE),
    classWeights: checkClassWeights(o.classWeights, WHERE),
    reduction: checkReduction(o.reduction, PIXEL_REDUCTIONS, WHERE),
    gamma: o.gamma,
    alpha: typeof o.alpha === 'number' ? o.alpha : alphas,
  };
}

/**
 * Multiclass softmax focal loss (Lin et al. 2017 applied to the softmax, the usual form for
 * segmentation; not smp's/mmseg's one-vs-rest sigmoid variant): per pixel with target y,
 * `-α_y·w_y·(1 - p_y)^γ·log p_y`, 0 on ignored pixels, reduced like
 * {@link weightedCrossEntropy} (`weight-sum` divides by Σ α_y·w_y). The caller owns the result.
 */
export function focalLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: FocalLossOptions & { reduction?: Exclude<PixelReduction, 'none'> },
): tf.Scalar;
export function focalLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: FocalLossOptions & { reduction: 'none' },
): tf.Tensor3D;
export function focalLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: FocalLossOptions,
): tf.Tensor;
export function focalLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: FocalLossOptions = {},
): tf.Tensor {
  const o = resolveFocalLossOptions(options);
  const numClasses = checkLogitsAndLabels(logits, labels, WHERE);
  if (typeof o.alpha !== 'number' && o.alpha.length !== numClasses) {
    throw new Error(
      `${WHERE}: alpha has ${o.alpha.length} entries, logits have ${numClasses} classes`,
    );
  }
  return tf.tidy(() => {
    const w = classWeightTensor(o.classWeights, numClasses, WHERE);
    const alpha =
      typeof o.alpha === 'number' ? tf.fill([numClasses], o.alpha) : tf.tensor1d([...o.alpha]);
    const weights = w == null ? alpha : tf.mul(alpha, w);
    const valid = validMask(labels, o.ignoreIndex, numClasses);
    const oneHot = oneHotTargets(labels, o.ignoreIndex, numClasses);
    const logpY = tf.sum(tf.mul(oneHot, tf.logSoftmax(logits, -1)), -1);
    const wY = targetWeights(oneHot, weights as tf.Tensor1D);
    let perPixel = tf.mul(tf.neg(logpY), wY);
    if (o.gamma > 0) {
      // 1 - p_y as -expm1(log p_y): accurate as p_y -> 1.
      // Clamped away from 0 so the gradient of x^γ stays finite for γ < 1 (ignored pixels).
      const oneMinusP = tf.maximum(tf.neg(tf.expm1(logpY)), 1e-12);
      perPixel = tf.mul(perPixel, tf.pow(oneMinusP, o.gamma));
    }
    return reducePixelLoss(perPixel, o.reduction, valid, wY);
  });
}
