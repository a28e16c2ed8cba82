import '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkClassWeights,
  checkIgnoreIndex,
  checkLogitsAndLabels,
  checkReduction,
  classWeightTensor,
  oneHotTargets,
  safeDiv,
  validMask,
} from './functional.js';
import type { ClassWeightsInput } from './types.js';
import { withDefaults } from './defaults.js';

/** `mean`: Σ w_c·L_c / Σ w_c over all C classes; `sum`: Σ w_c·L_c; `none`: `[C]` of w_c·L_c. */
export type ClassReduction = 'mean' | 'sum' | 'none';
export const CLASS_REDUCTIONS: readonly ClassReduction[] = ['mean', 'sum', 'none'];

export interface DiceLossOptions {
  /** Label value that contributes nothing (default 255). */
  ignoreIndex?: number;
  /** Per-class weights `w_c` (length C), or null for all ones. */
  classWeights?: ClassWeightsInput | null;
  /** Default `'mean'`. */
  reduction?: ClassReduction;
  /** Added to numerator and denominator (default 0, as smp). */
  smooth?: number;
  /** Lower clamp of the Dice score (default 1e-7, as smp). */
  eps?: number;
}

export interface ResolvedDiceLossOptions {
  ignoreIndex: number;
  classWeights: ClassWeightsInput | null;
  reduction: ClassReduction;
  smooth: number;
  eps: number;
}

export const DEFAULT_DICE_LOSS_OPTIONS: Readonly<ResolvedDiceLossOptions> = Object.freeze({
  ignoreIndex: 255,
  classWeights: null,
  reduction: 'mean',
  smooth: 0,
  eps: 1e-7,
});

const WHERE = 'diceLoss';

export function resolveDiceLossOptions(options: DiceLossOptions = {}): ResolvedDiceLossOptions {
  const o = withDefaults(DEFAULT_DICE_LOSS_OPTIONS, options);
  for (const key of ['smooth', 'eps'] as const) {
    if (typeof o[key] !== 'number' || !(o[key] >= 0) || !Number.isFinite(o[key])) {
      throw new Error(`${WHERE}: ${key} must be a finite number >= 0, got ${String(o[key])}`);
    }
  }
  return {
    ignoreIndex: checkIgnoreIndex(o.ignoreIndex, WHERE),
    classWeights: checkClassWeights(o.classWeights, WHERE),
    reduction: checkReduction(o.reduction, CLASS_REDUCTIONS, WHERE),
    smooth: o.smooth,
    eps: o.eps,
  };
}

/**
 * Soft multiclass Dice loss on softmax probabilities (smp `DiceLoss(mode='multiclass')`
 * semantics): per class c, over the whole batch and the non-ignored pixels,
 * `L_c = 1 - max((2·Σ p·y + smooth) / (Σ p + Σ y + smooth), eps)`, and `L_c = 0` for a class
 * absent from the labels (it still counts in the mean, as in smp). The caller owns the result.
 */
export function diceLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: DiceLossOptions & { reduction?: Exclude<ClassReduction, 'none'> },
): tf.Scalar;
export function diceLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: DiceLossOptions & { reduction: 'none' },
): tf.Tensor1D;
export function diceLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: DiceLossOptions,
): tf.Tensor;
export function diceLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: DiceLossOptions = {},
): tf.Tensor {
  const o = resolveDiceLossOptions(options);
  const numClasses = checkLogitsAndLabels(logits, labels, WHERE);
  return tf.tidy(() => {
    const weights = classWeightTensor(o.classWeights, numClasses, WHERE) ?? tf.ones([numClasses]);
    const valid = tf.expandDims(validMask(labels, o.ignoreIndex, numClasses), -1);
    const target = oneHotTargets(labels, o.ignoreIndex, numClasses);
    const probs = tf.mul(tf.softmax(logits, -1), valid);
    const axes = [0, 1, 2];
    const intersection = tf.sum(tf.mul(probs, target), axes);
    const cardinality = tf.sum(tf.add(probs, target), axes);
    const score = tf.maximum(
      tf.div(tf.add(tf.mul(intersection, 2), o.smooth), tf.add(cardinality, o.smooth)),
      o.eps,
    );
    const present = tf.cast(tf.greater(tf.sum(target, axes), 0), 'float32');
    const perClass = tf.mul(tf.mul(tf.sub(1, score), present), weights);
    if (o.reduction === 'none') return perClass;
    if (o.reduction === 'sum') return tf.sum(perClass);
    return safeDiv(tf.sum(perClass), tf.sum(weights));
  });
}
